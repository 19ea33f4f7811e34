"""The project's own supply chain (issue 25 item 4): everything scripts/setup.sh installs comes from a lock file that
pins each package by version and hash, with no download URL committed, and a file whose hash differs is refused.

- Python: requirements/dev.lock and checkov.lock hold exactly the pins of requirements/*.txt, each with the sha256 of
  its distributions (scripts/lock.sh writes them); setup installs them with --require-hashes, uv itself included.
- npm: package.json pins exactly; package-lock.json (lockfileVersion 3) holds every package with an integrity hash and
  no `resolved` URL; setup runs `npm ci --ignore-scripts`.
- The rest of the pins (actions by commit, charts and images by version with their upstream status) are checked in
  tests/test_workflows.py and tests/test_components.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tooling.paths import REPO

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!-]+)$")
LOCKED = re.compile(r"^(?P<name>[a-z0-9][a-z0-9._-]*)==(?P<version>\S+) \\$")
REGISTRY_HOSTS = ("pypi.org", "files.pythonhosted.org", "registry.npmjs.org", "npmjs", "yarnpkg")


def pins(path: Path) -> dict[str, str]:
    """``{name: version}`` of a requirements file; every other non-comment line fails the test."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"{path.name}: {line!r} is not an exact pin (name==version)"
        found[match["name"].lower().replace("_", "-")] = match["version"]
    return found


def locked(path: Path) -> dict[str, list[str]]:
    """``{name==version: [sha256, ...]}`` of a lock file, each entry's hashes."""
    entries: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = LOCKED.match(line)
        if match:
            current = f"{match['name']}=={match['version']}"
            entries[current] = []
            continue
        hashed = re.fullmatch(r"    --hash=sha256:([0-9a-f]{64})(?: \\)?", line)
        assert hashed and current, f"{path.name}: unexpected line {line!r}"
        entries[current].append(hashed[1])
    return entries


@pytest.mark.parametrize("name", ["dev", "checkov"])
def test_each_lock_holds_exactly_the_pins_each_with_its_hashes(name):
    wanted = {f"{n}=={v}" for n, v in pins(REPO / "requirements" / f"{name}.txt").items()}
    lock = locked(REPO / "requirements" / f"{name}.lock")
    assert set(lock) == wanted, "the lock is stale: run bash scripts/lock.sh"
    assert all(lock.values()), [entry for entry, hashes in lock.items() if not hashes]
    text = (REPO / "requirements" / f"{name}.lock").read_text(encoding="utf-8")
    assert "://" not in text and "--index" not in text and "--find-links" not in text
    assert not any(host in text for host in REGISTRY_HOSTS)


def test_the_audit_tool_is_locked_at_its_pin_with_every_dependency_hashed():
    [wanted] = [line for line in (REPO / "requirements" / "audit.in").read_text().splitlines()
                if line and not line.startswith("#")]
    lock = locked(REPO / "requirements" / "audit.lock")
    assert wanted in lock and len(lock) > 10 and all(lock.values())


def test_npm_is_pinned_exactly_and_locked_with_integrity_hashes_and_no_urls():
    package = json.loads((REPO / "package.json").read_text(encoding="utf-8"))
    declared = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    assert declared and all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in declared.values()), declared
    text = (REPO / "package-lock.json").read_text(encoding="utf-8")
    lock = json.loads(text)
    assert lock["lockfileVersion"] == 3
    assert lock["packages"][""]["devDependencies"] == package["devDependencies"], "stale: run bash scripts/lock.sh"
    packages = {path: entry for path, entry in lock["packages"].items() if path}
    assert len(packages) > 400  # the cdktf CLI's tree
    for path, entry in packages.items():
        assert "resolved" not in entry, f"{path}: a download URL in the lock (.npmrc: omit-lockfile-registry-resolved)"
        if entry.get("link") or entry.get("inBundle"):  # bundled: inside its parent's tarball, which is hashed
            continue
        assert re.fullmatch(r"\d+\.\d+\.\d+\S*", entry["version"]), path
        assert entry.get("integrity", "").startswith("sha512-"), f"{path}: no integrity hash"
    assert not any(host in text for host in REGISTRY_HOSTS)
    npmrc = (REPO / ".npmrc").read_text(encoding="utf-8")
    assert "omit-lockfile-registry-resolved=true" in npmrc and "package-lock=false" not in npmrc


def test_setup_installs_only_from_the_locks_hash_checked_and_runs_no_npm_install_script():
    setup = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    code = "\n".join(line for line in setup.splitlines() if not line.lstrip().startswith("#"))
    assert "npm ci --ignore-scripts" in code and "npm install" not in code
    assert re.search(r"install \.venv requirements/dev\.lock", code)
    assert re.search(r"install \.venv-checkov requirements/checkov\.lock", code)
    # Every pip or uv install in the script checks hashes.
    installs = [line for line in code.splitlines() if re.search(r"pip(\s+--python\s+\S+)?\s+install", line)]
    assert installs and all("--require-hashes" in line or line.rstrip().endswith("\\") for line in installs), installs
    assert code.count("--require-hashes") >= 3  # uv's bootstrap (twice: with and without ensurepip) and install()


def _setup_function(name: str) -> str:
    """A function of scripts/setup.sh, as written there."""
    setup = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    return re.search(rf"^{name}\(\) {{.*?^}}", setup, re.S | re.M)[0]


def test_a_tampered_hash_fails_the_install_with_a_clear_message(tmp_path):
    """setup's own install(), on a one-package lock taken from the real one: the true hashes install (from uv's cache,
    offline), one changed digit is refused with the package named and what to do."""
    uv = shutil.which("uv", path=str(REPO / ".venv" / "bin"))
    assert uv, "uv is installed by scripts/setup.sh"
    lock = (REPO / "requirements" / "dev.lock").read_text(encoding="utf-8")
    six = re.search(r"^six==\S+ \\\n(?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+", lock, re.M)[0]
    good, bad = tmp_path / "good.lock", tmp_path / "bad.lock"
    good.write_text(six)
    # Every hash of the entry changed in its last digit: whichever file uv picks, it cannot match.
    bad.write_text(re.sub(r"(sha256:[0-9a-f]{63})([0-9a-f])", lambda m: m[1] + ("0" if m[2] != "0" else "1"), six))
    script = "\n".join([_setup_function("install"), 'install "$1" "$2"'])

    def run(lock_file: Path, venv: Path):
        subprocess.run([uv, "venv", "-q", "--python", str(REPO / ".venv" / "bin" / "python"), str(venv)], check=True)
        return subprocess.run(["bash", "-c", script, "install", str(venv), str(lock_file)], capture_output=True,
                              text=True, timeout=120, env={"UV": uv, "PATH": "/usr/bin:/bin", "UV_OFFLINE": "1",
                                                            "HOME": str(Path.home())})

    ok = run(good, tmp_path / "good-venv")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert list((tmp_path / "good-venv").glob("lib/python3.11/site-packages/six.py"))
    refused = run(bad, tmp_path / "bad-venv")
    assert refused.returncode != 0
    out = refused.stdout + refused.stderr
    assert "six" in out and "hash" in out.lower()
    assert "does not match its hash in" in out and "scripts/lock.sh" in out
    assert not list((tmp_path / "bad-venv").glob("lib/python3.11/site-packages/six.py"))


def test_no_installed_tree_or_link_to_one_is_committed():
    """What setup.sh installs is never in git, not even as a worktree's symlink to it (.gitignore without trailing
    slashes: a symlink is not a directory, and `.venv/` would not match it)."""
    tracked = subprocess.run(["git", "ls-files", "--", ".venv", ".venv-checkov", "node_modules", ".tools"],
                             cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert tracked == []
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {".venv", ".venv-checkov", "node_modules", ".tools"} <= set(ignored)
