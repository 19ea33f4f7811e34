"""Set an environment's image tag and digests for one colour: what the image-build workflow's pull request changes
(.github/workflows/image-build.yml).

Usage::

    python3 scripts/set_image.py --environment staging --colour green --tag 1.4.2 \\
        --digest business=sha256:... --digest core=sha256:... --digest swarm=sha256:... --digest development=sha256:...

In ``environments/<environment>.toml`` it sets ``[workloads.image_tags] <colour> = "<tag>"`` and the four lines of
``[workloads.image_digests.<colour>]``, creating either table where the file has none, and leaves every other line
(comments included) as it was. The four services share the colour's tag, so all four digests are required. Every
argument is checked first (a problem each, all at once; exit 2); the edited file is read back before it is written.

Standard library only: the workflow runs it with the runner's Python 3.11+, with nothing installed.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

#: The four services (vtc_constructs.workloads.SERVICES; tests/test_image_workflow.py checks they agree, and the
#: patterns below with the library's).
SERVICES = ("business", "core", "swarm", "development")
COLOURS = ("blue", "green")
TAG = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
ENVIRONMENT = re.compile(r"^[a-z](?:[a-z0-9-]{0,15}[a-z0-9])?$")
ENVIRONMENTS_DIR = Path(__file__).resolve().parent.parent / "environments"

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def problems_of(environment: str, colour: str, tag: str, digests: list[str], directory: Path) -> tuple[list[str], dict]:
    """Every problem with the arguments, each as ``what (got X); allowed: ...``, and the digests by service."""
    problems, by_service = [], {}
    if not ENVIRONMENT.match(environment or "") or not (directory / f"{environment}.toml").is_file():
        known = sorted(p.stem for p in directory.glob("*.toml") if p.name != "base.toml")
        problems.append(f"--environment: no such environment (got {environment!r}); allowed: {', '.join(known)}")
    if colour not in COLOURS:
        problems.append(f"--colour: unknown colour (got {colour!r}); allowed: blue, green (the idle colour)")
    if not TAG.match(tag or "") or tag.lower() == "latest":
        problems.append(f"--tag: not a release tag (got {tag!r}); allowed: 1-63 of A-Z a-z 0-9 _ . -, starting and "
                        "ending with a letter or digit, never 'latest'")
    for item in digests:
        service, _, digest = item.partition("=")
        if service not in SERVICES:
            problems.append(f"--digest: unknown service (got {item!r}); allowed: {', '.join(SERVICES)}")
        elif service in by_service:
            problems.append(f"--digest: {service} given twice (got {item!r}); allowed: one digest per service")
        elif not DIGEST.match(digest):
            problems.append(f"--digest: not a sha256 digest (got {item!r}); allowed: {service}=sha256:<64 lower-case "
                            "hex digits>, as ECR reports it")
        else:
            by_service[service] = digest
    missing = [s for s in SERVICES if s not in by_service and not any(i.partition("=")[0] == s for i in digests)]
    if missing:
        problems.append(f"--digest: no digest for {', '.join(missing)} (got {sorted(by_service)}); allowed: one for "
                        "each of the four services, which share the colour's tag")
    return problems, by_service


def _tables(lines: list[str]) -> list[tuple[str, int, int]]:
    """``(table name, header line, end line)`` of each table: the end is the next header (exclusive)."""
    headers = [(i, m[1]) for i, line in enumerate(lines) if (m := _HEADER.match(line))]
    return [(name, i, headers[n + 1][0] if n + 1 < len(headers) else len(lines)) for n, (i, name) in enumerate(headers)]


def _last_key_line(lines: list[str], start: int, end: int) -> int:
    """The last line of the table's own keys (comments and blank lines before the next header are the next's)."""
    last = start
    for i in range(start + 1, end):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            last = i
    return last


def _set_keys(lines: list[str], table: str, values: dict[str, str], after: str | None) -> list[str]:
    """``values`` as ``key = "value"`` lines of ``[table]``: each existing key's line replaced, the others added after
    the table's last key; a missing table is added after table ``after``'s keys (or at the end of the file)."""
    tables = {name: (start, end) for name, start, end in _tables(lines)}
    if table not in tables:
        block = ["", f"[{table}]", *(f'{key} = "{value}"' for key, value in values.items())]
        if after in tables:
            at = _last_key_line(lines, *tables[after]) + 1
            return lines[:at] + block + lines[at:]
        return lines + block
    start, end = tables[table]
    lines = list(lines)
    added = []
    for key, value in values.items():
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        found = next((i for i in range(start + 1, end) if pattern.match(lines[i])), None)
        if found is None:
            added.append(f'{key} = "{value}"')
        else:  # the value replaced, a comment after it kept
            rest = re.match(r'^\s*[^=]+=\s*"[^"]*"(?P<rest>.*)$', lines[found])
            lines[found] = f'{key} = "{value}"' + (rest["rest"] if rest else "")
    at = _last_key_line(lines, start, end) + 1
    return lines[:at] + added + lines[at:]


def set_image(path: Path, colour: str, tag: str, digests: dict[str, str]) -> str:
    """The text of environment file ``path`` with ``colour``'s tag and digests set (not written)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = _set_keys(lines, "workloads.image_tags", {colour: tag}, "workloads")
    other = [c for c in COLOURS if c != colour][0]
    names = [name for name, _, _ in _tables(lines)]
    after = f"workloads.image_digests.{other}" if f"workloads.image_digests.{other}" in names and colour == "green" \
        else "workloads.image_tags"
    lines = _set_keys(lines, f"workloads.image_digests.{colour}", {s: digests[s] for s in SERVICES}, after)
    text = "\n".join(lines) + "\n"
    data = tomllib.loads(text)  # read back: the file still parses and says exactly this
    workloads = data["workloads"]
    assert workloads["image_tags"][colour] == tag, "the tag did not land where it should"
    assert workloads["image_digests"][colour] == {s: digests[s] for s in SERVICES}, "the digests did not land"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--environment", required=True)
    parser.add_argument("--colour", required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--digest", action="append", default=[], metavar="SERVICE=sha256:...")
    parser.add_argument("--environments-dir", type=Path, default=ENVIRONMENTS_DIR)
    args = parser.parse_args(argv)
    problems, digests = problems_of(args.environment, args.colour, args.tag, args.digest, args.environments_dir)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) > 1 else ''}:", *(f"  - {p}" for p in problems),
              sep="\n", file=sys.stderr)
        return 2
    path = args.environments_dir / f"{args.environment}.toml"
    path.write_text(set_image(path, args.colour, args.tag, digests), encoding="utf-8")
    print(f"{path.name}: {args.colour} runs {args.tag} ({', '.join(f'{s} {d[:19]}…' for s, d in digests.items())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
