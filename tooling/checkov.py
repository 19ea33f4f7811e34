"""Real checkov over synthesized stacks, with every accepted finding in one reviewed suppression file.

checkov sees cdktf output only as ``terraform_json`` and ignores cdktf's ``"//"`` metadata, so inline skips are
impossible: a finding is accepted only by an entry in ``tests/policy/checkov_suppressions.toml`` naming the check,
the stacks, the resource (checkov's address, e.g. ``resource.network_flow-log-group_73759AFD``) and a reason.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .paths import CHECKOV, SUPPRESSIONS, tool_env


@dataclass(frozen=True)
class Suppression:
    check: str
    resource: str
    stacks: tuple[str, ...]
    reason: str

    def matches(self, finding: "Finding") -> bool:
        return (finding.check, finding.resource) == (self.check, self.resource) and finding.stack in self.stacks


@dataclass(frozen=True)
class Finding:
    check: str
    name: str
    stack: str
    resource: str

    def __str__(self) -> str:
        return f"{self.check} {self.stack}:{self.resource} ({self.name})"


@dataclass
class PolicyReport:
    passed: int
    failed: list[Finding]
    suppressed: list[tuple[Finding, Suppression]]
    unused: list[Suppression]
    parsing_errors: list[str]
    stacks_scanned: set[str] = field(default_factory=set)

    def problems(self) -> list[str]:
        """Everything that must fail a build: unsuppressed findings, stale suppressions, a scan that saw nothing."""
        out = [f"failed check not in {SUPPRESSIONS.name}: {f}" for f in self.failed]
        out += [f"suppression matches nothing (remove it): {s.check} {s.resource} {list(s.stacks)}"
                for s in self.unused]
        out += [f"checkov could not parse {p}" for p in self.parsing_errors]
        if self.passed == 0:
            out.append("checkov ran no check at all: it parsed nothing, so nothing was verified")
        return out

    def summary(self) -> str:
        return (f"checkov: {self.passed} passed, {len(self.failed)} failed, {len(self.suppressed)} suppressed "
                f"(stacks: {', '.join(sorted(self.stacks_scanned))})")


def load_suppressions(path: Path = SUPPRESSIONS) -> list[Suppression]:
    """Read the suppression file; every entry must carry a check, a resource, its stacks and a real reason."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("suppression", [])
    out = []
    for i, entry in enumerate(entries):
        missing = [k for k in ("check", "resource", "stacks", "reason") if not entry.get(k)]
        if missing:
            raise ValueError(f"{path.name}: suppression[{i}] lacks {', '.join(missing)}")
        if len(entry["reason"].split()) < 8:
            raise ValueError(f"{path.name}: suppression[{i}] ({entry['check']}): the reason is too short to review")
        out.append(Suppression(entry["check"], entry["resource"], tuple(entry["stacks"]), entry["reason"]))
    return out


def scan(stacks_dir: Path, suppressions: list[Suppression] | None = None) -> PolicyReport:
    """Run checkov over every stack under ``stacks_dir`` (``cdktf.out/stacks``) and sort its findings."""
    return sort(run(stacks_dir), suppressions)


def run(stacks_dir: Path, github_dir: Path | None = None) -> list[dict]:
    """checkov's own JSON report (one entry per framework) over every stack under ``stacks_dir``; with
    ``github_dir``, also its ``github_actions`` checks over that folder's workflows and actions, in the same process
    (checkov's start-up, loading every check, costs a few CPU-seconds each time)."""
    folders = ["-d", str(stacks_dir)] + ([] if github_dir is None else ["-d", str(github_dir)])
    frameworks = ["terraform_json"] + ([] if github_dir is None else ["github_actions"])
    result = subprocess.run(
        [str(CHECKOV), *folders, "--framework", *frameworks, "--skip-download", "--compact", "--output", "json"],
        capture_output=True, text=True, env=tool_env(), timeout=600)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"checkov failed (exit {result.returncode}):\n{result.stderr[-4000:]}")
    # One JSON document per folder given (checkov prints them one after the other), each a report or a list of them.
    reports, decoder, text, at = [], json.JSONDecoder(), result.stdout, 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        document, at = decoder.raw_decode(text, at)
        reports += document if isinstance(document, list) else [document]
    return reports


def sort(reports: list[dict], suppressions: list[Suppression] | None = None) -> PolicyReport:
    """Sort the findings of a checkov report (:func:`run`) against ``suppressions`` (default: the reviewed file)."""
    suppressions = load_suppressions() if suppressions is None else suppressions
    passed = 0
    findings: list[Finding] = []
    parsing_errors: list[str] = []
    scanned: set[str] = set()
    for report in reports:
        if report.get("check_type") not in (None, "terraform_json"):
            continue
        results = report.get("results", {})
        parsing_errors += results.get("parsing_errors", [])
        for check in results.get("passed_checks", []):
            passed += 1
            scanned.add(Path(check["file_abs_path"]).parent.name)
        for check in results.get("failed_checks", []):
            stack = Path(check["file_abs_path"]).parent.name
            scanned.add(stack)
            findings.append(Finding(check["check_id"], check["check_name"], stack, check["resource"]))
    failed, suppressed, used = [], [], set()
    for finding in findings:
        match = next((s for s in suppressions if s.matches(finding)), None)
        if match is None:
            failed.append(finding)
        else:
            suppressed.append((finding, match))
            used.add(id(match))
    unused = [s for s in suppressions if id(s) not in used]
    return PolicyReport(passed, failed, suppressed, unused, parsing_errors, scanned)
