"""One Terraform run and one checkov run for every stack the tests check with them: every environment's synthesized
stacks, and the constructs that are not yet part of the environments (the cache, the search domain) in small stacks
of their own with stand-ins for what the platform would give them. Each tool reads the AWS provider's schema (and
checkov its checks) once instead of once per test module: about 10 CPU-seconds less. tests/test_terraform.py,
tests/test_policy.py, tests/test_cache.py and tests/test_search.py share it (the fixture is in tests/conftest.py);
they run in one xdist group, so one worker builds it.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

#: The xdist group of the modules that use the ``scans`` fixture.
GROUP = "scans"
#: A stack of one resource with an argument that does not exist: what makes ``terraform validate`` fail
#: (tests/test_terraform.py).
BROKEN = "broken"
#: A stack checkov cannot parse (``terraform.required_version``: it then reports no check and exits 0), scanned with
#: the others: what the policy harness must call a failure (tests/test_policy.py). Every other test reads only its own
#: stacks' findings (:meth:`Scans.checkov_of`).
NOTHING = "nothing"


@dataclass(frozen=True)
class Scans:
    stacks: Path  # stacks/<name>/cdk.tf.json: the environments' synthesized stacks and the stand-ins
    validate: dict  # terraform validate -json of the AWS stacks, the stand-ins and BROKEN, together
    checkov: list  # checkov's reports over every stack under ``stacks``, NOTHING too (and its github_actions report)

    def diagnostics(self, names, severity: str = "error") -> list[dict]:
        """The validate diagnostics of the stacks ``names`` (by the folder of each diagnostic's file)."""
        return [d for d in self.validate["diagnostics"] if d["severity"] == severity
                and d.get("range", {}).get("filename", "").split("/", 1)[0] in set(names)]

    def checkov_of(self, names) -> list[dict]:
        """checkov's reports with only the findings of the stacks ``names`` (a finding's stack: its file's folder)."""
        names, kept = set(names), []
        for report in self.checkov:
            results = dict(report.get("results", {}))
            for key in ("passed_checks", "failed_checks", "skipped_checks"):
                results[key] = [c for c in results.get(key, []) if Path(c["file_abs_path"]).parent.name in names]
            results["parsing_errors"] = [e for e in results.get("parsing_errors", []) if Path(e).parent.name in names]
            kept.append({**report, "results": results})
        return kept


def build(synth_dir: Path, environment_names, root: Path) -> Scans:
    from tests.test_cache import cache_standin_stacks
    from tests.test_search import standin_stacks as search_standin_stacks
    from tooling import checkov, terraform

    stacks = root / "stacks"
    shutil.copytree(synth_dir / "stacks", stacks)
    search_out = root / "search" / "cdktf.out"
    search_out.mkdir(parents=True)
    search_standin_stacks(search_out)
    standins = [folder.name for folder in (search_out / "stacks").iterdir()]
    for name in standins:
        shutil.copytree(search_out / "stacks" / name, stacks / name)
    for name, stack in cache_standin_stacks().items():
        standins.append(name)
        (stacks / name).mkdir()
        (stacks / name / "cdk.tf.json").write_text(json.dumps(stack, indent=2))
    (stacks / NOTHING).mkdir()
    (stacks / NOTHING / "cdk.tf.json").write_text('{"terraform": {"required_version": ">= 1.0"}}')
    broken = root / "sources" / BROKEN
    broken.mkdir(parents=True)
    aws = json.loads((stacks / environment_names[0] / "cdk.tf.json").read_text())
    (broken / "broken.tf.json").write_text(json.dumps({
        "terraform": {"required_providers": aws["terraform"]["required_providers"]},
        "resource": {"aws_vpc": {"extra": {"cidr_block": "10.0.0.0/16", "no_such_argument": True}}}}))
    validated = {**{name: stacks / name for name in (*environment_names, *standins)}, BROKEN: broken}
    from tooling.paths import REPO

    # The workflows' github_actions checks ride along in the same checkov process (tests/test_workflows.py).
    return Scans(stacks, terraform.validate_together(validated, root / "validate"),
                 checkov.run(stacks, github_dir=REPO / ".github"))
