"""Crafted changes to the deployed environment, for the diff report's agreement test against a real plan
(tests/test_diff_report.py, ``test_the_report_agrees_with_terraform_plan_in_the_emulator``).

Each entry of :data:`PLANS` is one ``terraform plan`` against the emulator deploy; one plan holds every change (a
plan is the expensive part of the test command's critical path). The database's instance class alone, which a plan
shows as a DISRUPTIVE in-place change, is covered by the unit tests. ``python -m tests.crafted_changes OUT`` synthesizes each into ``OUT/<plan>/``
(``stacks/staging/cdk.tf.json``), then writes ``OUT/done``; tests/conftest.py starts it at the beginning of the
``deployed`` fixture, so that it runs while ``cdktf deploy`` waits on the emulator.
"""

from __future__ import annotations

import dataclasses as dc
import json
import sys
from pathlib import Path
from typing import Callable

import vtc_constructs  # noqa: F401  (first: the lazy provider, as in main.py)

ENVIRONMENT = "staging"


def _everything(env):
    """Six changes in one plan (one plan costs about 14 CPU-seconds on the deploy's critical path; each change still
    shows in it): the VPC's range (every subnet, route table, security group and what refers to them); the
    database's instance class (in place, here under the replacement the key forces); the node group's instance
    types (replaced: the only group, destroy-first); the target port (both target groups, and the listener through
    ``replace_triggered_by``); the control plane's log types (in place, as the subnets)."""
    groups = env.eks.node_groups
    return dc.replace(env, network=dc.replace(env.network, vpc_cidr="10.30.0.0/16"),
                      database=dc.replace(env.database, instance_class="db.r6g.large"),
                      eks=dc.replace(env.eks, control_plane_log_types=("api", "audit"),
                                     node_groups=(dc.replace(groups[0], instance_types=("m7i.large",)),
                                                  *groups[1:])),
                      edge=dc.replace(env.edge, target_port=8081))


def _database_key_multi_region(stack: dict) -> None:
    """The database's KMS key made multi-region (ForceNew): the key is replaced, and the database with it."""
    (name,) = [n for n, c in stack["resource"]["aws_kms_key"].items()
               if c.get("//", {}).get("metadata", {}).get("path", "").endswith("/database/key")]
    stack["resource"]["aws_kms_key"][name]["multi_region"] = True


#: ``{plan: (change of the environment, change of the synthesized stack or None)}``.
PLANS: dict[str, tuple[Callable, Callable[[dict], None] | None]] = {
    "everything": (_everything, _database_key_multi_region),
}


def synthesize_all(out: Path) -> None:
    from environments.model import load_environments
    from environments.synth import synthesize

    (env,) = [e for e in load_environments() if e.name == ENVIRONMENT]
    for plan, (change, edit) in PLANS.items():
        synthesize([change(env)], out / plan, swap=False, workers=1)
        if edit is not None:
            path = out / plan / "stacks" / ENVIRONMENT / "cdk.tf.json"
            stack = json.loads(path.read_text())
            edit(stack)
            path.write_text(json.dumps(stack, indent=2))
    (out / "done").touch()


if __name__ == "__main__":
    synthesize_all(Path(sys.argv[1]))
