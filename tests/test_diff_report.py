"""The diff report (environments/diff_report.py): crafted before/after pairs, the real snapshots, the command line,
and its ForceNew table against the provider's real schema."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from environments import diff_report as dr
from tooling import terraform
from tooling.paths import REPO

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "snapshots"


def stack(**resources) -> dict:
    """A minimal stack: ``stack(aws_kms_key={"key": {...}})``."""
    return {"terraform": {"backend": {"s3": {"bucket": "state", "key": "s/terraform.tfstate"}}},
            "resource": {kind: dict(items) for kind, items in resources.items()}}


DB = {"identifier": "app-db", "engine": "postgres", "engine_version": "16.8", "instance_class": "db.t4g.large",
      "storage_encrypted": True, "kms_key_id": "${aws_kms_key.key.arn}", "allocated_storage": 50,
      "lifecycle": {"ignore_changes": ["engine_version"]}, "//": {"metadata": {"path": "s/Default/database/instance"}}}
KEY = {"description": "db key", "enable_key_rotation": True}
SG = {"name": "web", "vpc_id": "vpc-1", "description": "web"}


def run(before: dict, after: dict) -> dr.StackDiff:
    return dr.compare_stack("s", before, after)


def only(diff: dr.StackDiff, action: str) -> dr.ResourceDiff:
    found = diff.of(action)
    assert len(found) == 1, [r.as_json() for r in diff.resources]
    return found[0]


def test_add():
    diff = run(stack(aws_kms_key={"key": KEY}), stack(aws_kms_key={"key": KEY}, aws_security_group={"web": SG}))
    assert only(diff, "added").address == "aws_security_group.web"
    assert not diff.danger and dr.exit_status([diff]) == 0


def test_remove_stateless_is_not_danger_but_stateful_is():
    diff = run(stack(aws_security_group={"web": SG}), stack())
    assert only(diff, "removed").address == "aws_security_group.web"
    assert dr.exit_status([diff]) == 0
    diff = run(stack(aws_db_instance={"db": DB}), stack())
    assert [r.address for r in diff.danger] == ["aws_db_instance.db"]
    assert dr.exit_status([diff]) == 2


def test_in_place_change_lists_the_paths():
    after = copy.deepcopy(DB)
    after["instance_class"] = "db.r6g.large"
    after["allocated_storage"] = 100
    diff = run(stack(aws_db_instance={"db": DB}), stack(aws_db_instance={"db": after}))
    changed = only(diff, "changed")
    assert [(c.path, c.before, c.after, c.forces) for c in changed.changes] == [
        ("allocated_storage", 50, 100, False), ("instance_class", "db.t4g.large", "db.r6g.large", False)]
    assert dr.exit_status([diff]) == 0


def test_nested_paths_and_ignore_changes():
    before = {"name": "c", "role_arn": "r", "vpc_config": {"subnet_ids": ["a", "b"], "endpoint_private_access": True}}
    after = copy.deepcopy(before)
    after["vpc_config"]["endpoint_private_access"] = False
    diff = run(stack(aws_eks_cluster={"c": before}), stack(aws_eks_cluster={"c": after}))
    assert [c.path for c in only(diff, "changed").changes] == ["vpc_config.endpoint_private_access"]
    # a cluster's subnets are updated in place (UpdateClusterConfig), its service range is not
    after["vpc_config"]["subnet_ids"][1] = "z"
    diff = run(stack(aws_eks_cluster={"c": before}), stack(aws_eks_cluster={"c": after}))
    assert [(c.path, c.forces) for c in only(diff, "changed").changes] == [
        ("vpc_config.endpoint_private_access", False), ("vpc_config.subnet_ids[1]", False)]
    after["kubernetes_network_config"] = {"service_ipv4_cidr": "172.20.0.0/16"}
    before = dict(before, kubernetes_network_config={"service_ipv4_cidr": "10.100.0.0/16"})
    diff = run(stack(aws_eks_cluster={"c": before}), stack(aws_eks_cluster={"c": after}))
    replaced = only(diff, "replaced")
    assert [(c.path, c.forces) for c in replaced.changes] == [
        ("kubernetes_network_config.service_ipv4_cidr", True), ("vpc_config.endpoint_private_access", False),
        ("vpc_config.subnet_ids[1]", False)]
    engine = copy.deepcopy(DB)
    engine["engine_version"] = "17.2"
    diff = run(stack(aws_db_instance={"db": DB}), stack(aws_db_instance={"db": engine}))
    change = only(diff, "changed").changes[0]
    assert change.ignored and not change.forces and dr.exit_status([diff]) == 0


def test_database_replacement_is_danger_first_with_the_attribute():
    after = copy.deepcopy(DB)
    after["storage_encrypted"] = False
    diffs = [run(stack(aws_db_instance={"db": DB}, aws_security_group={"web": SG}),
                 stack(aws_db_instance={"db": after}, aws_security_group={"web": dict(SG, description="x")}))]
    assert [r.address for r in diffs[0].danger] == ["aws_db_instance.db"]
    assert dr.exit_status(diffs) == 2
    text = dr.render_markdown(diffs, "main", "pr")
    assert text.startswith(dr.MARKER + "\n")
    danger = text.index("DANGER")
    assert danger < text.index("| stack |") < text.index("aws_security_group.web")
    assert "**REPLACED** `aws_db_instance.db` (s/Default/database/instance)" in text
    assert "  - `storage_encrypted`: `true` → `false`" in text
    report = json.loads(dr.render_json(diffs, "main", "pr"))
    assert report["exit_status"] == 2 and report["stacks"][0]["danger"] == ["aws_db_instance.db"]


def test_kms_key_deletion_and_what_it_replaces():
    """Deleting the key destroys it; the database encrypted with it refers to it by a forcing argument, so a new key
    (here: a renamed one) replaces the database too."""
    diff = run(stack(aws_kms_key={"key": KEY}), stack())
    assert only(diff, "removed").address == "aws_kms_key.key" and diff.danger
    assert "**DESTROYED** `aws_kms_key.key`" in dr.render_markdown([diff], "a", "b")
    db_after = dict(DB, kms_key_id="${aws_kms_key.key2.arn}")
    diff = run(stack(aws_kms_key={"key": KEY}, aws_db_instance={"db": DB}),
               stack(aws_kms_key={"key2": KEY}, aws_db_instance={"db": db_after}))
    assert {r.address for r in diff.danger} == {"aws_kms_key.key", "aws_db_instance.db"}
    # a key replaced through its own ForceNew argument reaches the database through the reference
    diff = run(stack(aws_kms_key={"key": KEY}, aws_db_instance={"db": DB}),
               stack(aws_kms_key={"key": dict(KEY, multi_region=True)}, aws_db_instance={"db": DB}))
    database = next(r for r in diff.resources if r.address == "aws_db_instance.db")
    assert database.action == "replaced" and database.changes[0].via == "aws_kms_key.key"


def test_a_new_vpc_range_is_danger_though_the_cluster_in_it_is_updated_in_place(stacks):
    """A VPC replaced (a new range): the plan updates the EKS cluster's subnets in place (as the agreement test shows),
    but AWS does not move a cluster, database, cache or search domain to another VPC, so the apply would stop
    half-way: the VPC itself is DANGER, first, with why (found by a new-user review)."""
    before = dr.with_release_values_parsed(stacks["staging"])
    after = copy.deepcopy(stacks["staging"])
    (vpc,) = after["resource"]["aws_vpc"].values()
    vpc["cidr_block"] = "10.30.0.0/16"
    diff = dr.compare_stack("staging", before, dr.with_release_values_parsed(after))
    (address,) = [r.address for r in diff.resources if r.type == "aws_vpc"]
    assert address in {r.address for r in diff.danger} and dr.exit_status([diff]) == 2
    text = dr.render_markdown([diff], "main", "pr")
    assert text.index(f"**REPLACED** `{address}`") < text.index("| stack |")
    assert "cannot move to a new one" in text and "the apply stops half-way" in text


def test_identifier_rename_is_an_identity_change_in_place():
    diff = run(stack(aws_db_instance={"db": DB}), stack(aws_db_instance={"db": dict(DB, identifier="app-db-2")}))
    assert only(diff, "changed").dangerous and dr.exit_status([diff]) == 2
    assert "**IDENTITY CHANGE** `aws_db_instance.db`" in dr.render_markdown([diff], "a", "b")


def test_renamed_construct_id_is_flagged():
    diff = run(stack(aws_db_instance={"database_instance_D7FC2283": DB}),
               stack(aws_db_instance={"db_instance_0A1B2C3D": DB}))
    removed, added = only(diff, "removed"), only(diff, "added")
    assert removed.renamed_to == added.address and added.renamed_from == removed.address
    text = dr.render_markdown([diff], "a", "b")
    assert "looks renamed to `aws_db_instance.db_instance_0A1B2C3D`" in text and "likely accidental" in text
    # a stateless one is not DANGER, but still listed as a likely rename
    diff = run(stack(aws_security_group={"a": SG}), stack(aws_security_group={"b": SG}))
    assert not diff.danger and "Likely renamed construct IDs" in dr.render_markdown([diff], "a", "b")


def test_moved_block_is_not_a_replacement():
    after = stack(aws_db_instance={"db2": DB})
    after["moved"] = [{"from": "aws_db_instance.db", "to": "aws_db_instance.db2"}]
    diff = run(stack(aws_db_instance={"db": DB}), after)
    assert not diff.resources and dr.exit_status([diff]) == 0


def test_backend_change_and_removed_stack_are_danger():
    moved_state = stack()
    moved_state["terraform"]["backend"]["s3"]["key"] = "other"
    assert dr.exit_status([run(stack(), moved_state)]) == 2
    assert dr.exit_status([dr.compare_stack("s", stack(aws_security_group={"web": SG}), None)]) == 2


# --- the real snapshots ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real():
    return dr.load_side(SNAPSHOTS)


def test_real_snapshots_against_themselves(real):
    assert set(real) == {"staging", "production", "staging-workloads", "production-workloads"}
    diffs = dr.compare(real, copy.deepcopy(real))
    assert all(d.empty for d in diffs) and dr.exit_status(diffs) == 0
    assert "No change to any stack's configuration." in dr.render_markdown(diffs, "a", "b")


def test_real_snapshots_one_attribute_changed(real):
    after = copy.deepcopy(real)
    listener = next(iter(after["production"]["resource"]["aws_lb_listener"].items()))
    target = after["production"]["resource"]["aws_lb_target_group"]
    name = next(iter(target))
    target[name]["deregistration_delay"] = "60"
    diffs = dr.compare(real, after)
    changed = [r for d in diffs for r in d.resources]
    assert [(r.address, r.action, [c.path for c in r.changes]) for r in changed] == [
        (f"aws_lb_target_group.{name}", "changed", ["deregistration_delay"])]
    assert dr.exit_status(diffs) == 0 and listener
    # and one that forces replacement of the production database: exactly that, first
    db = next(iter(after["production"]["resource"]["aws_db_instance"].values()))
    db["kms_key_id"] = "arn:aws:kms:eu-west-1:222222222222:key/other"
    diffs = dr.compare(real, after)
    database = next(iter(real["production"]["resource"]["aws_db_instance"]))
    assert [r.address for d in diffs for r in d.danger] == [f"aws_db_instance.{database}"]
    assert dr.exit_status(diffs) == 2


def test_cli_on_folders(tmp_path, real):
    before, after = tmp_path / "before", tmp_path / "after"
    stacks = after / "stacks" / "production"
    stacks.mkdir(parents=True)
    before.mkdir()
    changed = copy.deepcopy(real["production"])
    next(iter(changed["resource"]["aws_db_instance"].values()))["storage_encrypted"] = False
    (before / "production.json").write_text(json.dumps(real["production"]))
    (stacks / "cdk.tf.json").write_text(json.dumps(changed))
    command = [sys.executable, "-m", "environments.diff_report"]
    result = subprocess.run(command + [str(before), str(after)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert result.stdout.startswith(dr.MARKER) and "`storage_encrypted`: `true` → `false`" in result.stdout
    result = subprocess.run(command + [str(before), str(before), "--format", "json"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0 and json.loads(result.stdout)["dangerous"] is False
    for bad, message in ((["only-one"], "give exactly two sides"), ([str(tmp_path / "nope"), str(before)],
                                                                      "is not a folder"),
                         (["--git", "no-such-ref-xyz", str(before)], "not a commit"),
                         # (tmp_path holds other folders: main.py would refuse it, so it is not suggested)
                         ([str(tmp_path), str(before)], "run `python main.py --outdir NEW_FOLDER` and give that")):
        result = subprocess.run(command + bad, cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 1 and message in result.stderr, (bad, result.stderr)


# --- the ForceNew table against the provider's schema ---------------------------------------------------------------

@pytest.fixture(scope="module")
def provider_schema(tmp_path_factory):
    work = tmp_path_factory.mktemp("schema")
    (work / "main.tf.json").write_text(json.dumps(
        {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}}}))
    terraform.init(work, backend=False)
    result = terraform.run(["providers", "schema", "-json"], work, timeout=300)
    schemas = json.loads(result.stdout)["provider_schemas"]
    return next(v for k, v in schemas.items() if k.endswith("hashicorp/aws"))["resource_schemas"]


def _has_path(block: dict, path: str) -> bool:
    head, _, rest = path.partition(".")
    if head in block.get("attributes", {}):
        return not rest
    nested = block.get("block_types", {}).get(head)
    if nested is None:
        return False
    return True if not rest else _has_path(nested["block"], rest)


def test_forces_replacement_table_names_real_arguments(provider_schema):
    missing = [f"{kind}.{path}" for table in (dr.FORCES_REPLACEMENT, dr.IDENTITY_IN_PLACE)
               for kind, paths in table.items() for path in paths
               if kind not in provider_schema or not _has_path(provider_schema[kind]["block"], path)]
    assert not missing, f"not in hashicorp/aws 5.100.0's schema: {missing}"
    assert set(dr.STATEFUL_TYPES) <= set(provider_schema)


def test_every_stateful_type_the_stacks_use_has_forcing_arguments(real):
    used = {kind for s in real.values() for kind in s.get("resource", {})}
    assert {k for k in dr.STATEFUL_TYPES if k in used} <= set(dr.FORCES_REPLACEMENT) | {"aws_kms_key"}


def test_cli_bad_option_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "environments.diff_report", str(SNAPSHOTS), str(SNAPSHOTS),
                             "--format", "xml"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1 and "invalid choice" in result.stderr


@pytest.mark.parametrize("files, said", [
    ({"package.json": {"name": "x", "version": "1"}}, "not a synthesized stack (found ['name', 'version'])"),
    ({"list.json": [1, 2]}, "not a synthesized stack (found list)"),
    ({"broken.json": "{"}, "not readable JSON"),
    ({"staging.json": {"resource": {}}, "notes.json": {"resource": {}, "comment": "x"}},
     "notes.json: not a synthesized stack"),
])
def test_the_report_reads_only_synthesized_stacks_and_says_what_it_found_otherwise(tmp_path, files, said, capsys):
    folder = tmp_path / "side"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_text(content if isinstance(content, str) else json.dumps(content))
    assert dr.main([str(SNAPSHOTS), str(folder)]) == 1
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and "nothing else beside the stacks" in err


def test_an_output_file_that_cannot_be_written_is_one_line(tmp_path, capsys):
    assert dr.main([str(SNAPSHOTS), str(SNAPSHOTS), "--output", str(tmp_path / "no" / "such" / "report.md")]) == 1
    err = capsys.readouterr().err
    assert "error: --output" in err and "cannot write the report there" in err and "Traceback" not in err


def test_git_refs_are_synthesized_and_the_worktree_removed():
    """``--git HEAD`` on both sides: the committed code synthesized for real (once: both refs name one commit; about
    5 s), no difference, and no worktree left behind."""
    def worktrees() -> str:
        return subprocess.run(["git", "-C", str(ROOT), "worktree", "list", "--porcelain"], capture_output=True,
                              text=True, check=True).stdout

    before = worktrees()
    result = subprocess.run([sys.executable, "-m", "environments.diff_report", "--git", "HEAD", "--git=HEAD",
                             "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert {s["stack"] for s in report["stacks"]} == {"staging", "production", "staging-workloads",
                                                      "production-workloads"}
    assert all(not s["resources"] and not s["other"] for s in report["stacks"])
    assert worktrees() == before
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    synthesized = [line for line in result.stderr.splitlines() if "synthesized --git" in line]
    assert len(synthesized) == 1, result.stderr
    assert synthesized[0].startswith(f"[diff-report] synthesized --git HEAD ({head[:12]}) in ")


def test_a_replaced_dependency_replaces_through_forcing_arguments_and_updates_through_the_others():
    """A replaced security group (a new ``id``) replaces its rule (``security_group_id`` forces a new one); the EKS
    cluster that lists it in ``vpc_config.security_group_ids`` and a node group that names it in a tag are updated
    in place (the provider's UpdateClusterConfig: a real plan does exactly this), shown as known after apply."""
    cluster = {"name": "c", "role_arn": "r", "vpc_config": {"subnet_ids": ["a"],
                                                          "security_group_ids": ["${aws_security_group.web.id}"]}}
    group = {"cluster_name": "c", "node_role_arn": "r", "subnet_ids": ["a"],
             "tags": {"sg": "${aws_security_group.web.id}"}}
    rule = {"security_group_id": "${aws_security_group.web.id}", "ip_protocol": "tcp", "from_port": 443,
            "to_port": 443, "cidr_ipv4": "10.0.0.0/8"}
    resources = dict(aws_eks_cluster={"c": cluster}, aws_eks_node_group={"g": group},
                     aws_vpc_security_group_ingress_rule={"https": rule})
    before = stack(aws_security_group={"web": SG}, **resources)
    after = stack(aws_security_group={"web": dict(SG, description="new")}, **resources)
    diff = run(before, after)
    assert {(r.address, r.action) for r in diff.resources} == {
        ("aws_security_group.web", "replaced"), ("aws_vpc_security_group_ingress_rule.https", "replaced"),
        ("aws_eks_cluster.c", "changed"), ("aws_eks_node_group.g", "changed")}
    forced = next(r for r in diff.resources if r.address == "aws_vpc_security_group_ingress_rule.https")
    assert [(c.path, c.after, c.forces, c.via) for c in forced.changes] == [
        ("security_group_id", dr.UNKNOWN, True, "aws_security_group.web")]
    updated = next(r for r in diff.resources if r.address == "aws_eks_cluster.c")
    assert [(c.path, c.after, c.forces) for c in updated.changes] == [
        ("vpc_config.security_group_ids[0]", dr.UNKNOWN, False)]
    assert not diff.danger


def test_a_release_value_change_reads_as_that_values_path(tmp_path, synth_dir):
    """A synthesized folder (values as JSON strings) against itself with one value changed: the change names the
    value, not the whole document; a snapshots folder (values parsed) compares equal to the synth it came from."""
    import shutil

    after = tmp_path / "after"
    shutil.copytree(synth_dir, after)
    path = after / "stacks" / "production-workloads" / "cdk.tf.json"
    stack = json.loads(path.read_text())
    name, release = next((k, r) for k, r in stack["resource"]["helm_release"].items() if r["name"] == "ngf-blue")
    values = json.loads(release["values"][0])
    values["nginx"]["replicas"] = 7
    release["values"][0] = json.dumps(values, indent=2, sort_keys=True)
    path.write_text(json.dumps(stack))
    diffs = dr.compare(dr.load_side(synth_dir), dr.load_side(after))
    changed = [(r.address, [c.path for c in r.changes]) for d in diffs for r in d.resources]
    assert changed == [(f"helm_release.{name}", ["values[0].nginx.replicas"])]
    snapshots = dr.load_side(REPO / "snapshots")
    assert all(d.empty for d in dr.compare(snapshots, dr.load_side(synth_dir))), "the snapshots are out of date"


# --- agreement with a real plan --------------------------------------------------------------------------------------

def _plan_actions(plan: dict) -> dict[str, tuple[str, ...]]:
    return {rc["address"]: tuple(rc["change"]["actions"]) for rc in plan["resource_changes"]
            if rc["change"]["actions"] not in (["no-op"], ["read"])}


def test_the_report_agrees_with_terraform_plan_in_the_emulator(deployed):
    """The crafted changes of tests/crafted_changes.py (VPC range, database instance class, node group instance
    types, target port, control-plane log types and the database's KMS key), in one plan made for real against the
    emulator deploy (tests/conftest.py, ``CraftedPlans``): every replacement the plan makes is in the report as
    replaced, in the plan's order (create-before-destroy or not), and the report replaces nothing the plan does not;
    every in-place update of the plan is in the report, and the report changes nothing the plan leaves alone.
    Resources the emulator cannot create (its override's ``count = 0``) are left out of the comparison, and so are
    changes of attributes its override masks (``ignore_changes``: moto reads them back wrong), which the plan ignores."""
    from tooling.emulator import emulator_override

    before = dr.with_release_values_parsed(deployed.stack)
    measured = []
    for name, (after_stack, plan) in deployed.crafted.results().items():
        report = dr.compare_stack("staging", before, dr.with_release_values_parsed(after_stack))
        override, skipped = emulator_override(after_stack)
        skipped = set(skipped)
        masked = {f"{kind}.{name}": set(entry.get("lifecycle", {}).get("ignore_changes", ()))
                  for kind, entries in override["resource"].items() for name, entry in entries.items()}
        actions = _plan_actions(plan)
        planned = {a: act for a, act in actions.items() if len(act) == 2}
        from tests.conftest import WAF_TYPES

        assert not [r.address for r in report.resources if r.type in WAF_TYPES], "the plan left the WAF out"
        reported = {r.address: r for r in report.resources if r.address not in skipped}
        replaced = {a for a, r in reported.items() if r.action == "replaced"}
        pairs = {r.address for r in reported.values() if r.renamed_to or r.renamed_from}
        assert set(planned) - replaced - pairs == set(), f"{name}: replaced by the plan, not in the report"
        assert replaced - set(planned) == set(), f"{name}: replaced in the report, not by the plan"
        orders = {a: ("create-before-destroy" if act == ("create", "delete") else "destroy-before-create")
                  for a, act in planned.items()}
        assert {a: reported[a].order for a in planned} == orders, name
        updated = {a for a, act in actions.items() if act == ("update",)}
        assert updated - {a for a, r in reported.items() if r.action == "changed"} == set(), name
        acting = {a for a, r in reported.items() if r.action == "changed" and any(
            not c.ignored and re.split(r"[.\[]", c.path)[0] not in masked.get(a, ()) for c in r.changes)}
        assert acting - updated == set(), f"{name}: changed in the report, not by the plan"
        measured.append(f"{name}: {len(planned)} replaced, {len(updated)} updated in place (plan and report)")
        by_address = {r.address: r for r in report.resources}
        kinds = {r.type: r for r in report.resources}
        assert len(planned) > 60
        assert kinds["aws_eks_cluster"].action == "changed"   # subnets, security groups and log types: in place
        listener = next(r for r in report.resources if r.type == "aws_lb_listener" and r.action == "replaced")
        assert listener.disruptive and "blue 100 / green 0" in listener.disruptions[0]
        assert kinds["aws_eks_node_group"].disruptive
        assert kinds["aws_db_instance"].dangerous and dr.exit_status([report]) == 2
        assert all(by_address[a].action == "replaced" for a in planned)
    print("MEASURED: " + "; ".join(measured))


# --- the rules a real plan taught (each unit test fails without its rule) -------------------------------------------

VPC = {"cidr_block": "10.0.0.0/16"}
SUBNET = {"vpc_id": "${aws_vpc.v.id}", "cidr_block": "10.0.1.0/24", "availability_zone": "eu-west-1a"}


def _network(vpc=VPC, **more) -> dict:
    return stack(aws_vpc={"v": vpc}, aws_subnet={"s": SUBNET}, **more)


def test_a_replaced_resource_replaces_what_uses_its_computed_attributes_but_not_its_configured_ones():
    assoc = {"subnet_id": "${aws_subnet.s.id}", "route_table_id": "rtb-1"}
    tagged = {"subnet_id": "subnet-x", "route_table_id": "rtb-1", "tags": {"vpc": "${aws_vpc.v.cidr_block}"}}
    diff = run(_network(aws_route_table_association={"a": assoc, "b": tagged}),
               _network(dict(VPC, cidr_block="10.1.0.0/16"), aws_route_table_association={"a": assoc, "b": tagged}))
    actions = {r.address: r.action for r in diff.resources}
    assert actions == {"aws_vpc.v": "replaced", "aws_subnet.s": "replaced",
                       "aws_route_table_association.a": "replaced", "aws_route_table_association.b": "changed"}
    # the vpc's configured cidr_block is known (and here changed): an in-place tag update, no replacement
    assert [c.after for c in next(r for r in diff.resources if r.address.endswith(".b")).changes] == [dr.UNKNOWN]


def test_an_unchanged_configured_attribute_of_a_replaced_resource_reaches_nothing():
    tagged = {"subnet_id": "subnet-x", "route_table_id": "rtb-1", "tags": {"az": "${aws_subnet.s.availability_zone}"}}
    diff = run(_network(aws_route_table_association={"b": tagged}),
               _network(dict(VPC, cidr_block="10.1.0.0/16"), aws_route_table_association={"b": tagged}))
    assert "aws_route_table_association.b" not in {r.address for r in diff.resources}


def test_replace_triggered_by_an_attribute_replaces_the_listener_only_when_that_attribute_changes():
    group = {"name": "tg-${substr(sha1(join(\"/\", [aws_vpc.v.id, \"8080\"])), 0, 4)}", "port": 8080,
             "vpc_id": "${aws_vpc.v.id}", "protocol": "HTTP", "deregistration_delay": "30"}
    listener = {"load_balancer_arn": "arn:lb", "port": 443, "protocol": "HTTPS",
                "default_action": [{"type": "forward", "forward": {"target_group": [
                    {"arn": "${aws_lb_target_group.blue.arn}", "weight": 100}]}}],
                "lifecycle": {"ignore_changes": ["default_action"],
                              "replace_triggered_by": ["aws_lb_target_group.blue.name"]}}
    base = dict(aws_lb_listener={"https": listener})
    diff = run(_network(aws_lb_target_group={"blue": group}, **base),
               _network(aws_lb_target_group={"blue": dict(group, deregistration_delay="60")}, **base))
    assert {r.address: r.action for r in diff.resources} == {"aws_lb_target_group.blue": "changed"}
    diff = run(_network(aws_lb_target_group={"blue": group}, **base),
               _network(dict(VPC, cidr_block="10.1.0.0/16"), aws_lb_target_group={"blue": group}, **base))
    https = next(r for r in diff.resources if r.address == "aws_lb_listener.https")
    assert https.action == "replaced" and https.changes[-1].path == "lifecycle.replace_triggered_by"
    assert https.disruptive and "blue 100" in https.disruptions[0] and "seconds" in https.disruptions[0]


def test_a_data_source_read_again_at_apply_updates_what_uses_it():
    """Any change to what a data source depends on defers its read to apply: a policy built from the database's
    resource id is updated (known after apply) by a mere instance class change, as a real plan shows."""
    document = {"statement": [{"actions": ["rds-db:connect"], "resources": ["${aws_db_instance.db.resource_id}"]}]}
    policy = {"name": "p", "policy": "${data.aws_iam_policy_document.connect.json}"}
    before = stack(aws_kms_key={"key": KEY}, aws_db_instance={"db": DB}, aws_iam_policy={"p": policy})
    before["data"] = {"aws_iam_policy_document": {"connect": document}}
    after = copy.deepcopy(before)
    after["resource"]["aws_db_instance"]["db"]["instance_class"] = "db.r6g.large"
    diff = run(before, after)
    assert {r.address: r.action for r in diff.resources} == {"aws_db_instance.db": "changed",
                                                             "aws_iam_policy.p": "changed"}


def test_a_launch_template_update_updates_its_node_group_in_place():
    template = {"name_prefix": "n-", "metadata_options": {"http_tokens": "required", "http_put_response_hop_limit": 1}}
    group = {"cluster_name": "c", "node_role_arn": "r", "subnet_ids": ["a"],
             "launch_template": {"id": "${aws_launch_template.t.id}", "version": "${aws_launch_template.t.latest_version}"}}
    changed = copy.deepcopy(template)
    changed["metadata_options"]["http_put_response_hop_limit"] = 2
    diff = run(stack(aws_launch_template={"t": template}, aws_eks_node_group={"g": group}),
               stack(aws_launch_template={"t": changed}, aws_eks_node_group={"g": group}))
    assert {r.address: r.action for r in diff.resources} == {"aws_launch_template.t": "changed",
                                                             "aws_eks_node_group.g": "changed"}


def test_conditional_force_new_eks_encryption_added_in_place_removed_replaces():
    cluster = {"name": "c", "role_arn": "r", "vpc_config": {"subnet_ids": ["a"]}}
    encrypted = dict(cluster, encryption_config={"provider": {"key_arn": "k"}, "resources": ["secrets"]})
    assert only(run(stack(aws_eks_cluster={"c": cluster}), stack(aws_eks_cluster={"c": encrypted})), "changed")
    assert only(run(stack(aws_eks_cluster={"c": encrypted}), stack(aws_eks_cluster={"c": cluster})), "replaced")


def test_create_before_destroy_own_or_forced_by_a_dependent():
    sg = dict(SG, vpc_id="${aws_vpc.v.id}", lifecycle={"create_before_destroy": True})
    diff = run(_network(aws_security_group={"web": sg}),
               _network(dict(VPC, cidr_block="10.1.0.0/16"), aws_security_group={"web": sg}))
    orders = {r.address: r.order for r in diff.resources}
    assert orders == {"aws_vpc.v": "create-before-destroy",   # forced: a create-before-destroy group depends on it
                      "aws_security_group.web": "create-before-destroy", "aws_subnet.s": "destroy-before-create"}


def test_disruptive_database_restart_says_when():
    after = dict(DB, instance_class="db.r6g.large", multi_az=True)
    diff = run(stack(aws_db_instance={"db": DB}), stack(aws_db_instance={"db": after}))
    (db,) = diff.disruptive
    assert "next maintenance window" in db.disruptions[0] and "fails over" in db.disruptions[0]
    assert dr.exit_status([diff]) == 0
    text = dr.render_markdown([diff], "a", "b")
    assert text.index("DISRUPTIVE") < text.index("| stack |")
    now = dict(after, apply_immediately=True, multi_az=False)
    (db,) = run(stack(aws_db_instance={"db": DB}), stack(aws_db_instance={"db": now})).disruptive
    assert "during the deploy" in db.disruptions[0] and "unavailable for several minutes" in db.disruptions[0]
    assert not run(stack(aws_db_instance={"db": DB}),
                   stack(aws_db_instance={"db": dict(DB, allocated_storage=80)})).disruptive


def test_disruptive_static_parameter_waits_for_a_reboot():
    group = {"name": "pg", "family": "postgres16", "parameter": [
        {"name": "shared_preload_libraries", "value": "a", "apply_method": "pending-reboot"},
        {"name": "log_statement", "value": "ddl", "apply_method": "immediate"}]}
    dynamic = copy.deepcopy(group)
    dynamic["parameter"][1]["value"] = "all"
    assert not run(stack(aws_db_parameter_group={"g": group}), stack(aws_db_parameter_group={"g": dynamic})).disruptive
    static = copy.deepcopy(group)
    static["parameter"][0]["value"] = "a,b"
    (g,) = run(stack(aws_db_parameter_group={"g": group}), stack(aws_db_parameter_group={"g": static})).disruptive
    assert "`shared_preload_libraries`" in g.disruptions[0] and "reboot" in g.disruptions[0]


def test_disruptive_only_node_group_replaced_destroy_first():
    group = {"cluster_name": "c", "node_role_arn": "r", "subnet_ids": ["a"], "instance_types": ["m6i.large"]}
    bigger = dict(group, instance_types=["m7i.large"])
    diff = run(stack(aws_eks_node_group={"g": group}), stack(aws_eks_node_group={"g": bigger}))
    assert [r.address for r in diff.disruptive] == ["aws_eks_node_group.g"] and not diff.danger
    other = dict(group, subnet_ids=["b"])
    diff = run(stack(aws_eks_node_group={"g": group, "h": other}),
               stack(aws_eks_node_group={"g": bigger, "h": other}))
    assert only(diff, "replaced") and not diff.disruptive   # another group takes the pods
    cbd = dict(group, lifecycle={"create_before_destroy": True})
    diff = run(stack(aws_eks_node_group={"g": cbd}), stack(aws_eks_node_group={"g": dict(cbd, instance_types=["x"])}))
    assert only(diff, "replaced").order == "create-before-destroy" and not diff.disruptive


def test_disruptive_colour_release_says_if_live():
    release = {"name": "vtc-green", "chart": "c", "values": [{"image": {"tag": "1.0.0"}}]}
    plain = {"name": "metrics-server", "chart": "m", "values": [{"replicas": 1}]}
    after = {"name": "vtc-green", "chart": "c", "values": [{"image": {"tag": "1.1.0"}}]}
    diff = run(stack(helm_release={"g": release, "m": plain}),
               stack(helm_release={"g": after, "m": dict(plain, values=[{"replicas": 2}])}))
    (green,) = diff.disruptive
    assert green.address == "helm_release.g" and green.disruptions[0].startswith("if green is live")
    assert "if green is live" in dr.render_markdown([diff], "a", "b") and dr.exit_status([diff]) == 0


def test_long_values_show_the_part_that_differs():
    statements = [{"Effect": "Allow", "Action": f"s3:Get{i}", "Resource": f"arn:aws:s3:::bucket-{i}/*"}
                  for i in range(8)]
    changed = copy.deepcopy(statements)
    changed[5]["Resource"] = "arn:aws:s3:::other-bucket/*"
    policy = lambda s: {"name": "p", "policy": json.dumps({"Version": "2012-10-17", "Statement": s})}  # noqa: E731
    diff = run(stack(aws_iam_policy={"p": policy(statements)}), stack(aws_iam_policy={"p": policy(changed)}))
    text = dr.render_markdown([diff], "a", "b")
    assert "at `Statement[5].Resource`: `arn:aws:s3:::bucket-5/*` → `arn:aws:s3:::other-bucket/*`" in text
    subnets = [f"subnet-{i:04d}" for i in range(20)]
    diff = run(stack(aws_db_subnet_group={"g": {"name": "g", "subnet_ids": subnets}}),
               stack(aws_db_subnet_group={"g": {"name": "g", "subnet_ids": subnets[:-1]}}))
    assert "20 → 19 items: removed `subnet-0019`" in dr.render_markdown([diff], "a", "b")
    script = "x" * 300 + "OLD" + "y" * 300
    diff = run(stack(aws_lambda_function={"f": {"function_name": "f", "description": script}}),
               stack(aws_lambda_function={"f": {"function_name": "f", "description": script.replace("OLD", "NEW")}}))
    line = next(line for line in dr.render_markdown([diff], "a", "b").splitlines() if "`description`" in line)
    assert "…" + "x" * 40 + "OLD" + "y" * 40 + "…" in line and "x" * 41 not in line


def test_the_help_states_the_exit_statuses(capsys):
    assert dr.main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 nothing dangerous" in text and "2 DANGER" in text and "1 usage error" in text
