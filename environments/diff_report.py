"""What a change to the synthesized stacks does, for a pull-request comment: ``python -m environments.diff_report``.

    python -m environments.diff_report BEFORE AFTER [--format markdown|json] [--output FILE]

Each side is a folder of synthesized output (a ``cdktf.out`` with ``stacks/<name>/cdk.tf.json``, or a ``snapshots/``
folder of ``<stack>.json``) or ``--git REF``: that commit of this repository, synthesized into a temporary folder
(a detached ``git worktree``, removed afterwards; its ``main.py`` run with this interpreter)::

    python -m environments.diff_report --git origin/main snapshots        # the committed snapshots against main
    python -m environments.diff_report --git HEAD~1 --git HEAD --format json

Per stack it lists the resources added, removed, replaced (with the order: create-before-destroy or not) and
changed in place, each change with its attribute paths (``vpc_config.subnet_ids[1]``); a long value (a policy JSON
string, a long list) shows only the part that differs: the paths inside the document, the items removed and added,
or the differing substring with context. What destroys or replaces a stateful or identity-bearing resource
(:data:`STATEFUL_TYPES`: database, KMS key, log group, EKS cluster, target group, load balancer, buckets, OIDC
provider, alarm topics, the VPC) comes first, under **DANGER**, with the attribute that forces it and its value
before and after. Next comes **DISRUPTIVE**: nothing destroyed, but downtime or a surprise (``diff_classify.py``): an RDS
instance class, storage type, engine or parameter group change (restart or fail-over, in the next maintenance
window unless ``apply_immediately``), static parameters waiting for a reboot, a cluster's only node group replaced
destroy-first, a change to a colour's Helm release ("if green is live": the report cannot know which colour is), a
listener replaced (seconds without it, and its weights back at the configuration's). A resource removed and another
of the same type added with the same name (or the same configuration) is a renamed construct ID: Terraform destroys
the old one and creates the new one; it is flagged as a likely accidental replacement (keep the ID, or move the
state with ``move_to``).

This compares configurations, not a plan: it needs no credentials and no state and takes well under a second (see
``benchmarks/diff_report.py``). It predicts the plan the way Terraform makes it (``diff_plan.py``): an argument
replaces its resource when it is ForceNew (:data:`FORCES_REPLACEMENT`, for every type the stacks use, or
:data:`FORCES_REPLACEMENT_IF` for those that force only for some values) and its value changes, or refers to
something that changes: a replaced resource's computed attributes (a new subnet's ``id``; its configured arguments
stay known), an argument changed in place, an attribute the provider computes again on update
(:data:`COMPUTED_ON_UPDATE`: a launch template's ``latest_version``), or a data source read again at apply (one
that depends on anything changed: a policy document naming the database). ``lifecycle.replace_triggered_by``
replaces, and ``create_before_destroy`` (own, or forced by a dependent) sets the order. The same references update
the resources they reach through other arguments (shown as known after apply). Changes to arguments listed in a
resource's ``lifecycle.ignore_changes`` are shown but never planned by Terraform. ``tests/test_diff_report.py``
checks the tables against ``terraform providers schema -json`` and the report against real ``terraform plan -json``
runs on crafted changes in the emulator (a VPC range change: 66 replacements in both).

Exit status: 0 nothing dangerous (DISRUPTIVE changes included: they are listed right after DANGER, and the JSON's
``disruptive`` says so), 2 a stateful or identity-bearing resource is destroyed or replaced (or a stack's state
location changes), 1 a usage error (the message says what to give instead).

Where each part lives: this module reads the two sides, renders the report (Markdown or JSON) and is the command;
``environments/diff_rules.py`` holds the provider's tables, ``environments/diff_values.py`` a changed value (its
paths, its references, how it reads), ``environments/diff_plan.py`` predicts the plan, and
``environments/diff_classify.py`` says what each change means (DANGER, DISRUPTIVE, renamed) and the exit status.
Every public name those modules hold stays importable from here, as before the split (the tests, the benchmark and
the workflows import them from ``environments.diff_report``); new code may import them from their own module.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

# Re-exported: every public name of the report before the split stays importable from here.
from .diff_classify import ResourceDiff, StackDiff, dangerous, disruptive, exit_status
from .diff_plan import compare, compare_stack
from .diff_rules import (
    COMPUTED_ON_UPDATE,
    DB_RESTARTING,
    FORCES_REPLACEMENT,
    FORCES_REPLACEMENT_IF,
    IDENTITY_IN_PLACE,
    NAME_ARGUMENTS,
    STATEFUL_TYPES,
    UNKNOWN,
    ForceNewIf,
)
from .diff_values import SHOW_LIMIT, Change, _code, _describe, _parsed

REPO_ROOT = Path(__file__).resolve().parent.parent


#: The first line of the Markdown report: a workflow finds its previous comment by it and updates that one.
MARKER = "<!-- vtc-diff-report -->"


class UsageError(Exception):
    """Bad arguments or an unreadable side: printed as ``error: ...`` with exit status 1."""


# --- loading ----------------------------------------------------------------------------------------------------------

#: Terraform JSON's top-level keys (Ref: https://developer.hashicorp.com/terraform/language/syntax/json), and those of
#: which a stack has at least one.
_TERRAFORM_JSON_KEYS = frozenset({"//", "terraform", "provider", "resource", "data", "output", "variable", "locals",
                                  "module", "moved", "import", "check", "removed"})


_STACK_KEYS = frozenset({"resource", "data", "terraform"})


def load_side(folder: Path) -> dict[str, dict]:
    """The stacks of a synthesized folder, by name: ``stacks/<name>/cdk.tf.json`` (cdktf output) or ``<name>.json``
    (the snapshots)."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder; give a cdktf output folder (stacks/<name>/cdk.tf.json), a "
                         f"snapshots folder (<stack>.json) or --git REF")
    stacks: dict[str, dict] = {}
    if (folder / "stacks").is_dir():
        files = {p.parent.name: p for p in sorted((folder / "stacks").glob("*/cdk.tf.json"))}
    else:
        files = {p.stem: p for p in sorted(folder.glob("*.json")) if p.name != "manifest.json"}
    problems = []
    for name, path in files.items():
        try:
            stack = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: not readable JSON ({exc})")
            continue
        found = sorted(stack)[:6] if isinstance(stack, dict) else type(stack).__name__
        if not isinstance(stack, dict) or not set(stack) & _STACK_KEYS or set(stack) - _TERRAFORM_JSON_KEYS:
            problems.append(f"{path}: not a synthesized stack (found {found}); a stack is Terraform JSON with "
                            f"'resource', 'data' or 'terraform' and only Terraform's top-level keys")
            continue
        stacks[name] = with_release_values_parsed(stack)
    if problems:
        raise UsageError("; ".join(problems) + f". Give {folder} as cdktf writes it (stacks/<name>/cdk.tf.json) or "
                         "the snapshots/ folder, with nothing else beside the stacks")
    if not stacks:
        from .outdir import writable_or_new

        into = writable_or_new(folder)  # (main.py writes only into a new, empty or earlier cdktf output folder)
        raise UsageError(f"{folder} holds no synthesized stack (neither stacks/<name>/cdk.tf.json nor <stack>.json); "
                         f"run `python main.py --outdir {into}` and give that, or give the snapshots/ folder")
    return stacks


def resolve_ref(ref: str, repo: Path = REPO_ROOT) -> str:
    """The commit hash ``ref`` names in ``repo``."""
    check = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise UsageError(f"--git {ref}: not a commit of {repo} (try a branch, a tag or a hash; `git fetch` first "
                         f"in a shallow CI checkout)")
    return check.stdout.strip()


def synthesize_ref(ref: str, repo: Path = REPO_ROOT, commit: str | None = None) -> dict[str, dict]:
    """Synthesize commit ``ref`` of ``repo`` (``commit``: its hash, if already resolved): a detached worktree in a
    temporary folder, its ``main.py`` run with this interpreter (and this venv's node), then the worktree removed.
    Says on stderr what it synthesized."""
    commit = commit or resolve_ref(ref, repo)
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="vtc-diff-"))
    tree, out = scratch / "tree", scratch / "out"
    try:
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", "--quiet", str(tree), commit],
                       check=True, capture_output=True, text=True)
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        for variable in ("CDKTF_OUTDIR", "VTC_ENVIRONMENTS_DIR"):
            env.pop(variable, None)
        result = subprocess.run([sys.executable, "main.py", "--outdir", str(out)], cwd=tree, env=env,
                                capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            raise UsageError(f"--git {ref}: synthesizing {commit[:12]} failed (exit {result.returncode}):\n"
                             f"{result.stdout[-3000:]}{result.stderr[-3000:]}")
        print(f"[diff-report] synthesized --git {ref} ({commit[:12]}) in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        return load_side(out)
    except subprocess.CalledProcessError as exc:
        raise UsageError(f"--git {ref}: git worktree add failed: {exc.stderr.strip()}") from exc
    finally:
        subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], capture_output=True)
        subprocess.run(["git", "-C", str(repo), "worktree", "prune"], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


def with_release_values_parsed(stack: dict) -> dict:
    """``stack`` with each Helm release's ``values`` documents (JSON strings, as the constructs write them) parsed,
    so that a change of one value reads as that value's path (``values[0].controller.replicaCount``), not as one
    long string; the snapshots hold them parsed the same way. A document that is not JSON stays a string."""
    releases = (stack.get("resource") or {}).get("helm_release")
    if not isinstance(releases, dict):
        return stack
    parsed_releases = {}
    for name, release in releases.items():
        values = release.get("values") if isinstance(release, dict) else None
        if isinstance(values, list):
            release = {**release, "values": [_parsed(document) for document in values]}
        parsed_releases[name] = release
    return {**stack, "resource": {**stack["resource"], "helm_release": parsed_releases}}


# --- rendering --------------------------------------------------------------------------------------------------------

def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _danger_lines(stack: StackDiff) -> list[str]:
    lines = []
    for r in stack.danger:
        where = f" ({r.path})" if r.path else ""
        why = STATEFUL_TYPES[r.type]
        if r.prevent_destroy:
            why += " (`lifecycle.prevent_destroy` is set: `cdktf deploy` will refuse this plan until it is lifted)"
        if r.action == "removed":
            if r.renamed_to:
                lines.append(f"- **DESTROYED** `{r.address}`{where} in **{stack.name}**: its construct ID looks "
                             f"renamed to `{r.renamed_to}`, so Terraform destroys it and creates an empty one "
                             f"(likely accidental: keep the old ID, or move the state with `move_to`). {why}.")
            else:
                lines.append(f"- **DESTROYED** `{r.address}`{where} in **{stack.name}**: removed from the "
                             f"configuration. {why}.")
        elif r.action == "replaced":
            lines.append(f"- **REPLACED** `{r.address}`{where} in **{stack.name}** (destroyed and created again). "
                         f"{why}. Forced by:")
            for c in r.changes:
                if c.forces:
                    via = f" (refers to `{c.via}`, which is replaced)" if c.via else ""
                    lines.append(f"  - `{c.path}`: {_describe(c)}{via}")
        else:
            lines.append(f"- **IDENTITY CHANGE** `{r.address}`{where} in **{stack.name}** (in place, but what "
                         f"clients know it by changes). {why}:")
            for c in r.identity_change:
                lines.append(f"  - `{c.path}`: {_describe(c)}")
    for c in stack.backend_changes:
        lines.append(f"- **STATE LOCATION** of **{stack.name}** changes: `{c.path}`: {_code(c.before)} → "
                     f"{_code(c.after)} (Terraform would start from an empty state and create everything again)")
    if stack.status == "removed" and stack.resources:
        lines.append(f"- **STACK REMOVED** **{stack.name}**: its {len(stack.resources)} resources are no longer "
                     f"synthesized (destroy it deliberately, never by accident)")
    return lines


def _disruptive_lines(stack: StackDiff) -> list[str]:
    lines = []
    for r in stack.disruptive:
        where = f" ({r.path})" if r.path else ""
        lines.append(f"- **{r.action.upper()}** `{r.address}`{where} in **{stack.name}**: {'; '.join(r.disruptions)}.")
    return lines


def render_markdown(diffs: Sequence[StackDiff], before_label: str, after_label: str,
                    max_changes: int = 20) -> str:
    out = [MARKER, f"## Infrastructure diff: `{before_label}` → `{after_label}`", ""]
    danger = [line for d in diffs for line in _danger_lines(d)]
    if danger:
        out += ["### ⛔ DANGER: stateful or identity-bearing resources destroyed or replaced", "",
                "Merging this destroys data or an identity others depend on. Make sure that is intended.", ""]
        out += danger + [""]
    disruptions = [line for d in diffs for line in _disruptive_lines(d)]
    if disruptions:
        out += ["### ⚠️ DISRUPTIVE: downtime or surprises, nothing destroyed", "",
                "Not a gate (exit 0 without DANGER), but plan the merge around it:", ""]
        out += disruptions + [""]
    renames = [(d.name, r) for d in diffs for r in d.renames if not r.dangerous]
    if renames:
        out += ["### ⚠️ Likely renamed construct IDs (destroyed and created, not moved)", ""]
        out += [f"- **{name}**: `{r.address}` → `{r.renamed_to}`" for name, r in renames] + [""]
    if all(d.empty for d in diffs):
        out += ["No change to any stack's configuration.", ""]
    summary = ["| stack | add | remove | replace | change in place | other |",
               "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for d in diffs:
        summary.append(f"| {d.name}{'' if d.status == 'changed' else f' ({d.status})'} | {len(d.of('added'))} | "
                       f"{len(d.of('removed'))} | {len(d.of('replaced'))} | {len(d.of('changed'))} | "
                       f"{len(d.other) + len(d.backend_changes)} |")
    out += summary + [""]
    for d in diffs:
        if d.empty:
            continue
        out += [f"<details><summary><b>{d.name}</b>: {_count(len(d.resources), 'resource')}, "
                f"{_count(len(d.other) + len(d.backend_changes), 'other change')}</summary>", ""]
        for action, title in (("removed", "Removed (destroyed)"), ("replaced", "Replaced"), ("added", "Added"),
                              ("changed", "Changed in place")):
            items = d.of(action)
            if not items:
                continue
            out += [f"**{title}**", ""]
            for r in items:
                note = f" ← likely renamed from `{r.renamed_from}`" if r.renamed_from else \
                       f" → likely renamed to `{r.renamed_to}`" if r.renamed_to else ""
                order = f" ({r.order})" if r.order else ""
                out.append(f"- `{r.address}`{order}{note}")
                for c in r.changes[:max_changes]:
                    tag = " **(forces replacement)**" if c.forces else " (ignored: lifecycle.ignore_changes)" \
                        if c.ignored else ""
                    out.append(f"  - `{c.path}`: {_describe(c)}{tag}")
                if len(r.changes) > max_changes:
                    out.append(f"  - … and {len(r.changes) - max_changes} more")
            out.append("")
        if d.other or d.backend_changes:
            out += ["**Variables, outputs, providers, data sources, backend**", ""]
            changes = d.backend_changes + d.other
            out += [f"- `{c.path}`: {_describe(c)}" for c in changes[:max_changes * 2]]
            if len(changes) > max_changes * 2:
                out.append(f"- … and {len(changes) - max_changes * 2} more")
            out.append("")
        out += ["</details>", ""]
    verdict = ("exit 2: dangerous changes above" if dangerous(diffs)
               else "exit 0: nothing stateful destroyed or replaced"
               + (", disruptive changes above" if disruptions else ""))
    out.append(f"<sub>Configuration diff by `python -m environments.diff_report` ({verdict}). Replacement is read "
               f"from the provider's ForceNew arguments and what refers to what; `cdktf diff` against the real state "
               f"has the last word.</sub>")
    return "\n".join(out) + "\n"


def render_json(diffs: Sequence[StackDiff], before_label: str, after_label: str) -> str:
    return json.dumps({"before": before_label, "after": after_label, "dangerous": dangerous(diffs),
                       "disruptive": disruptive(diffs),
                       "exit_status": exit_status(diffs), "stacks": [d.as_json() for d in diffs]},
                      indent=2, sort_keys=False, default=str) + "\n"


# --- command line -----------------------------------------------------------------------------------------------------

def _split_sides(argv: Sequence[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """Pull the two sides out of ``argv``: a folder, or ``--git REF``/``--git=REF``; returns them and the rest."""
    sides: list[tuple[str, str]] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--git":
            if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                raise UsageError("--git needs a ref (a branch, tag or commit of this repository)")
            sides.append(("git", argv[i + 1]))
            i += 2
            continue
        if arg.startswith("--git="):
            sides.append(("git", arg.split("=", 1)[1]))
        elif arg in ("--format", "--output", "-o"):
            rest += argv[i:i + 2]
            i += 2
            continue
        elif arg.startswith("-"):
            rest.append(arg)
        else:
            sides.append(("folder", arg))
        i += 1
    return sides, rest


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m environments.diff_report",
                                     usage="%(prog)s BEFORE AFTER [--format markdown|json] [--output FILE]\n"
                                           "  each side: a folder of synthesized output, or --git REF",
                                     description=__doc__.split("\n\n")[0],
                                     epilog="Exit status: 0 nothing dangerous (DISRUPTIVE alone is 0: routine work "
                                            "to schedule); 2 DANGER: a stateful or identity-bearing resource "
                                            "destroyed or replaced (listed first); 1 usage error (a side that is no "
                                            "synthesized folder or commit, an --output that cannot be written).")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--output", "-o", default=None, help="write the report here (default: standard output)")
    if "-h" in argv or "--help" in argv:
        parser.print_help()
        return 0
    try:
        sides, rest = _split_sides(argv)
        try:
            args = parser.parse_args(rest)
        except SystemExit as exc:   # argparse's own message is already printed
            return 1 if exc.code else 0
        if len(sides) != 2:
            raise UsageError(f"give exactly two sides, BEFORE and AFTER (got {len(sides)}: "
                             f"{' '.join(v for _, v in sides) or 'none'}); each a synthesized folder or --git REF")
        started = time.perf_counter()
        loaded, labels = [], []
        synthesized: dict[str, dict[str, dict]] = {}  # by commit: two refs that name one commit, synthesized once
        for kind, value in sides:
            if kind == "git":
                commit = resolve_ref(value)
                if commit not in synthesized:
                    synthesized[commit] = synthesize_ref(value, commit=commit)
                loaded.append(synthesized[commit])
            else:
                loaded.append(load_side(Path(value)))
            labels.append(value)
        diffs = compare(loaded[0], loaded[1])
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = (render_json if args.format == "json" else render_markdown)(diffs, labels[0], labels[1])
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"error: --output {args.output}: cannot write the report there ({exc.strerror or exc}); give a file "
                  "in an existing, writable folder", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    print(f"[diff-report] {_count(sum(len(d.resources) for d in diffs), 'resource')} differ, "
          f"{'DANGER' if dangerous(diffs) else 'nothing dangerous'}"
          f"{', DISRUPTIVE' if disruptive(diffs) else ''} ({time.perf_counter() - started:.2f} s)",
          file=sys.stderr)
    return exit_status(diffs)


__all__ = ["COMPUTED_ON_UPDATE", "Change", "DB_RESTARTING", "FORCES_REPLACEMENT", "FORCES_REPLACEMENT_IF", "ForceNewIf",
           "IDENTITY_IN_PLACE", "MARKER", "NAME_ARGUMENTS", "REPO_ROOT", "ResourceDiff", "SHOW_LIMIT", "STATEFUL_TYPES",
           "StackDiff", "UNKNOWN", "UsageError", "compare", "compare_stack", "dangerous", "disruptive", "exit_status",
           "load_side", "main", "render_json", "render_markdown", "resolve_ref", "synthesize_ref",
           "with_release_values_parsed"]


if __name__ == "__main__":
    sys.exit(main())
