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
provider, alarm topics) comes first, under **DANGER**, with the attribute that forces it and its value before and
after. Next comes **DISRUPTIVE**: nothing destroyed, but downtime or a surprise (:func:`_disruptions`): an RDS
instance class, storage type, engine or parameter group change (restart or fail-over, in the next maintenance
window unless ``apply_immediately``), static parameters waiting for a reboot, a cluster's only node group replaced
destroy-first, a change to a colour's Helm release ("if green is live": the report cannot know which colour is), a
listener replaced (seconds without it, and its weights back at the configuration's). A resource removed and another
of the same type added with the same name (or the same configuration) is a renamed construct ID: Terraform destroys
the old one and creates the new one; it is flagged as a likely accidental replacement (keep the ID, or move the
state with ``move_to``).

This compares configurations, not a plan: it needs no credentials and no state and takes well under a second (see
``benchmarks/diff_report.py``). It predicts the plan the way Terraform makes it (:class:`_Planner`): an argument
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
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent

#: The first line of the Markdown report: a workflow finds its previous comment by it and updates that one.
MARKER = "<!-- vtc-diff-report -->"

#: Resource types whose destruction or replacement loses data or an identity something else holds on to (an
#: endpoint, a key that encrypts data, an ARN registered elsewhere, a name clients resolve). A node group is not one
#: (its nodes hold nothing that outlives a pod, and nothing refers to its ARN): its replacement is DISRUPTIVE when it
#: leaves the cluster without nodes (:func:`_disruptions`).
STATEFUL_TYPES: Mapping[str, str] = {
    "aws_db_instance": "database: its data, endpoint and snapshots",
    "aws_kms_key": "KMS key: whatever it encrypts is unreadable once it is deleted",
    "aws_cloudwatch_log_group": "log group: its logs (flow, audit, database) are deleted with it",
    "aws_eks_cluster": "EKS cluster: every workload, its endpoint and OIDC issuer",
    "aws_lb_target_group": "target group: the workloads' TargetGroupBindings point at its ARN",
    "aws_lb": "load balancer: its DNS name, which DNS records and clients resolve",
    "aws_s3_bucket": "bucket: its objects (state, access logs)",
    "aws_iam_openid_connect_provider": "OIDC provider: every IRSA role trusts its ARN",
    "aws_sns_topic": "alarm topic: its subscriptions (confirmed e-mail endpoints) are lost",
}

#: Arguments whose change makes Terraform replace the resource (``ForceNew`` in the provider's schema, or a framework
#: resource's ``RequiresReplace``), for hashicorp/aws 5.100.0, for every type these stacks use. Paths are dotted; a
#: nested block's argument is ``block.argument``. A change that reaches such an argument through a reference (a new
#: VPC's ``id`` in a subnet's ``vpc_id``) replaces the resource just as a changed value does (:func:`compare_stack`).
#: Ref: hashicorp/terraform-provider-aws v5.100.0, ``website/docs/r/<type>.html.markdown`` ("Changing this forces
#: a new resource") and the ``ForceNew: true`` arguments in ``internal/service/<service>/<type>.go``; checked against
#: real plans (``replace_paths``) in the emulator by tests/test_diff_report.py (the agreement test).
#: Deliberately absent: ``aws_db_instance.identifier`` (renamed in place since 5.0: hashicorp/terraform-provider-aws
#: PR 32687; the endpoint changes, so it is in :data:`IDENTITY_IN_PLACE`), ``aws_db_instance.db_subnet_group_name``
#: (ModifyDBInstance moves it), ``aws_cloudwatch_log_group.kms_key_id`` (associated and disassociated in place), an
#: EKS cluster's ``vpc_config.subnet_ids`` and ``security_group_ids`` (UpdateClusterConfig: a real plan updates the
#: cluster in place when its subnets are replaced) and ``enabled_cluster_log_types`` (in place), an internet
#: gateway's ``vpc_id`` (detached and attached), a route table association's ``route_table_id`` (replaced in place),
#: an ALB's ``subnets`` and ``security_groups`` (in place), a security group rule's ports, CIDR and referenced group
#: (ModifySecurityGroupRules). Arguments that force replacement only for some values are in
#: :data:`FORCES_REPLACEMENT_IF`.
FORCES_REPLACEMENT: Mapping[str, tuple[str, ...]] = {
    "aws_db_instance": ("availability_zone", "character_set_name", "custom_iam_instance_profile", "db_name",
                        "engine", "kms_key_id", "nchar_character_set_name", "restore_to_point_in_time",
                        "s3_import", "snapshot_identifier", "storage_encrypted", "timezone", "username"),
    "aws_db_parameter_group": ("name", "name_prefix", "family", "description"),
    "aws_db_subnet_group": ("name", "name_prefix"),
    "aws_kms_key": ("customer_master_key_spec", "key_usage", "multi_region", "custom_key_store_id", "xks_key_id"),
    "aws_kms_alias": ("name", "name_prefix"),
    "aws_cloudwatch_log_group": ("name", "name_prefix", "log_group_class"),
    "aws_cloudwatch_dashboard": ("dashboard_name",),
    "aws_eks_cluster": ("name", "role_arn", "kubernetes_network_config.service_ipv4_cidr",
                        "kubernetes_network_config.ip_family", "bootstrap_self_managed_addons",
                        "access_config.bootstrap_cluster_creator_admin_permissions", "outpost_config",
                        "remote_network_config"),
    "aws_eks_node_group": ("cluster_name", "node_group_name", "node_group_name_prefix", "node_role_arn",
                           "subnet_ids", "instance_types", "capacity_type", "ami_type", "disk_size",
                           "remote_access", "launch_template.id", "launch_template.name"),
    "aws_eks_addon": ("cluster_name", "addon_name"),
    "aws_eks_access_entry": ("cluster_name", "principal_arn", "type"),
    "aws_eks_access_policy_association": ("cluster_name", "principal_arn", "policy_arn", "access_scope"),
    "aws_lb_target_group": ("name", "name_prefix", "port", "protocol", "protocol_version", "vpc_id", "target_type",
                            "ip_address_type"),
    "aws_lb": ("name", "name_prefix", "internal", "load_balancer_type", "customer_owned_ipv4_pool"),
    "aws_lb_listener": ("load_balancer_arn",),
    "aws_s3_bucket": ("bucket", "bucket_prefix", "object_lock_enabled"),
    "aws_s3_bucket_lifecycle_configuration": ("bucket", "expected_bucket_owner"),
    "aws_s3_bucket_ownership_controls": ("bucket",),
    "aws_s3_bucket_policy": ("bucket",),
    "aws_s3_bucket_public_access_block": ("bucket",),
    "aws_s3_bucket_server_side_encryption_configuration": ("bucket", "expected_bucket_owner"),
    "aws_s3_bucket_versioning": ("bucket", "expected_bucket_owner"),
    "aws_iam_openid_connect_provider": ("url",),
    "aws_iam_role": ("name", "name_prefix", "path"),
    "aws_iam_policy": ("name", "name_prefix", "path", "description"),
    "aws_iam_role_policy": ("name", "name_prefix", "role"),
    "aws_iam_role_policy_attachment": ("role", "policy_arn"),
    "aws_sns_topic": ("name", "name_prefix", "fifo_topic"),
    "aws_sns_topic_policy": ("arn",),
    "aws_sns_topic_subscription": ("topic_arn", "protocol", "endpoint", "endpoint_auto_confirms",
                                   "confirmation_timeout_in_minutes"),
    "aws_secretsmanager_secret": ("name", "name_prefix"),
    "aws_secretsmanager_secret_version": ("secret_id",),
    "aws_security_group": ("name", "name_prefix", "description", "vpc_id"),
    "aws_default_security_group": ("vpc_id",),
    "aws_vpc_security_group_ingress_rule": ("security_group_id",),
    "aws_vpc_security_group_egress_rule": ("security_group_id",),
    "aws_vpc": ("cidr_block", "ipv4_ipam_pool_id", "ipv4_netmask_length"),
    "aws_subnet": ("vpc_id", "cidr_block", "availability_zone", "availability_zone_id", "outpost_arn"),
    "aws_route_table": ("vpc_id",),
    "aws_route_table_association": ("subnet_id", "gateway_id"),
    "aws_route": ("route_table_id", "destination_cidr_block", "destination_ipv6_cidr_block",
                  "destination_prefix_list_id"),
    "aws_nat_gateway": ("allocation_id", "subnet_id", "connectivity_type", "private_ip"),
    "aws_eip": ("domain", "address", "customer_owned_ipv4_pool", "network_border_group", "public_ipv4_pool"),
    "aws_flow_log": ("vpc_id", "subnet_id", "eni_id", "transit_gateway_id", "transit_gateway_attachment_id",
                     "log_destination", "log_destination_type", "log_group_name", "iam_role_arn", "traffic_type",
                     "max_aggregation_interval", "log_format", "destination_options", "deliver_cross_account_role"),
    "aws_launch_template": ("name", "name_prefix"),
    "aws_lambda_function": ("function_name", "package_type"),
    "aws_lambda_invocation": ("function_name", "qualifier", "input", "triggers"),
    "aws_acm_certificate": ("domain_name", "subject_alternative_names", "key_algorithm", "certificate_authority_arn"),
    "aws_acm_certificate_validation": ("certificate_arn", "validation_record_fqdns"),
    "aws_wafv2_web_acl": ("name", "name_prefix", "scope"),
    "aws_wafv2_web_acl_association": ("resource_arn", "web_acl_arn"),
    "aws_wafv2_web_acl_logging_configuration": ("resource_arn",),
    "aws_cloudwatch_metric_alarm": ("alarm_name",),
    "aws_cloudwatch_composite_alarm": ("alarm_name",),
    "aws_route53_record": ("zone_id",),
    "aws_vpc_endpoint": ("vpc_id", "service_name", "vpc_endpoint_type"),
}


@dataclass(frozen=True)
class ForceNewIf:
    """An argument that forces replacement only for some changes (the provider's ``CustomizeDiff``):
    ``forces(before, after, config)`` says whether this one does (``after`` is :data:`UNKNOWN` where a reference
    makes it known only after apply; ``config``: the resource's new configuration); ``why`` says when it does."""
    forces: Callable[[Any, Any, Mapping], bool]
    why: str


#: A value known only after apply.
UNKNOWN = "(known after apply)"


def _removed(before: Any, after: Any, config: Mapping) -> bool:
    return before not in (None, [], {}) and after in (None, [], {})


def _nlb_subnet_removed(before: Any, after: Any, config: Mapping) -> bool:
    if config.get("load_balancer_type") != "network" or not isinstance(before, list):
        return False
    return after == UNKNOWN or not isinstance(after, list) or bool(set(map(str, before)) - set(map(str, after)))


#: ``{type: {argument: ForceNewIf}}``: arguments that force a new resource only for some values.
#: Ref: ``customdiff.ForceNewIfChange`` in the provider's ``internal/service/eks/cluster.go`` (envelope encryption
#: cannot be turned off: adding or changing ``encryption_config`` is AssociateEncryptionConfig, in place) and
#: ``internal/service/elbv2/load_balancer.go`` (``subnets`` of a network load balancer: removing one replaces it;
#: an ALB's are updated in place).
FORCES_REPLACEMENT_IF: Mapping[str, Mapping[str, ForceNewIf]] = {
    "aws_eks_cluster": {"encryption_config": ForceNewIf(_removed, "only when envelope encryption is removed")},
    "aws_lb": {"subnets": ForceNewIf(_nlb_subnet_removed, "only for a network load balancer losing a subnet")},
}

#: Attributes a resource type computes anew on any in-place update: a reference to one is known only after apply
#: (a launch template's new version; a node group that refers to it is updated).
COMPUTED_ON_UPDATE: Mapping[str, tuple[str, ...]] = {
    "aws_launch_template": ("latest_version", "default_version"),
    "aws_lambda_function": ("version", "qualified_arn", "qualified_invoke_arn", "last_modified", "code_sha256"),
}

#: Arguments changed in place that still change an identity others hold: a renamed database gets a new endpoint.
IDENTITY_IN_PLACE: Mapping[str, tuple[str, ...]] = {
    "aws_db_instance": ("identifier",),
}

#: Arguments that name a resource: a removed and an added resource of one type sharing one is a renamed construct ID.
NAME_ARGUMENTS = ("name", "identifier", "bucket", "function_name", "alarm_name", "dashboard_name", "node_group_name",
                  "name_prefix", "node_group_name_prefix", "url", "cidr_block")

#: A reference in a Terraform expression: ``[data.]type.name`` and the attribute path after it.
_REFERENCE = re.compile(r"(?<![\w.])((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)"
                        r"((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)")

#: Not arguments: Terraform's meta-arguments, and cdktf's metadata.
_META_ARGUMENTS = ("//", "depends_on", "lifecycle", "provider", "count", "for_each", "provisioner", "connection")

class UsageError(Exception):
    """Bad arguments or an unreadable side: printed as ``error: ...`` with exit status 1."""


# --- loading ---------------------------------------------------------------------------------------------------------

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
        raise UsageError(f"{folder} holds no synthesized stack (neither stacks/<name>/cdk.tf.json nor <stack>.json); "
                         f"run `python main.py --outdir {folder}` or give the snapshots/ folder")
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


# --- comparing -------------------------------------------------------------------------------------------------------

@dataclass
class Change:
    """One attribute path whose configured value differs; ``before``/``after`` are absent as ``None``; ``after`` is
    :data:`UNKNOWN` where a reference makes the value known only after apply."""
    path: str
    before: Any
    after: Any
    forces: bool = False        # this path forces replacement (or refers to something replaced)
    ignored: bool = False       # under lifecycle.ignore_changes: Terraform will not act on it
    via: str = ""               # the replaced or changed resource a reference points at

    def as_json(self) -> dict:
        data = {"path": self.path, "before": self.before, "after": self.after}
        if self.forces:
            data["forces_replacement"] = True
        if self.ignored:
            data["ignored_by_lifecycle"] = True
        if self.via:
            data["through"] = self.via
        return data


@dataclass
class ResourceDiff:
    address: str
    type: str
    action: str                  # added | removed | replaced | changed
    path: str = ""               # the construct path (from cdktf's metadata)
    changes: list[Change] = field(default_factory=list)
    renamed_from: str = ""       # for an added resource that is probably a renamed removed one
    renamed_to: str = ""
    prevent_destroy: bool = False   # lifecycle.prevent_destroy (before): Terraform refuses a plan destroying it
    create_before_destroy: bool = False   # replaced new-first (its own lifecycle, or one of what depends on it)
    disruptions: list[str] = field(default_factory=list)   # why this is DISRUPTIVE (see _disruptions)

    @property
    def stateful(self) -> bool:
        return self.type in STATEFUL_TYPES

    @property
    def identity_change(self) -> list[Change]:
        return [c for c in self.changes if c.path in IDENTITY_IN_PLACE.get(self.type, ()) and not c.ignored]

    @property
    def dangerous(self) -> bool:
        if not self.stateful:
            return False
        return self.action in ("removed", "replaced") or bool(self.identity_change)

    @property
    def disruptive(self) -> bool:
        return bool(self.disruptions) and not self.dangerous

    @property
    def order(self) -> str:
        """How Terraform replaces it: ``create-before-destroy`` or ``destroy-before-create`` ("" if not replaced)."""
        if self.action != "replaced":
            return ""
        return "create-before-destroy" if self.create_before_destroy else "destroy-before-create"

    def as_json(self) -> dict:
        data: dict[str, Any] = {"address": self.address, "type": self.type, "action": self.action,
                                "construct_path": self.path, "stateful": self.stateful, "dangerous": self.dangerous,
                                "disruptive": self.disruptive}
        if self.order:
            data["order"] = self.order
        if self.disruptions:
            data["disruptions"] = list(self.disruptions)
        if self.prevent_destroy:
            data["prevent_destroy"] = True
        if self.changes:
            data["changes"] = [c.as_json() for c in self.changes]
        if self.renamed_to:
            data["likely_renamed_to"] = self.renamed_to
        if self.renamed_from:
            data["likely_renamed_from"] = self.renamed_from
        return data


@dataclass
class StackDiff:
    name: str
    status: str = "changed"      # added | removed | changed
    resources: list[ResourceDiff] = field(default_factory=list)
    other: list[Change] = field(default_factory=list)   # variables, outputs, providers, backend, data sources
    backend_changes: list[Change] = field(default_factory=list)

    def of(self, action: str) -> list[ResourceDiff]:
        return [r for r in self.resources if r.action == action]

    @property
    def danger(self) -> list[ResourceDiff]:
        return [r for r in self.resources if r.dangerous]

    @property
    def disruptive(self) -> list[ResourceDiff]:
        return [r for r in self.resources if r.disruptive]

    @property
    def renames(self) -> list[ResourceDiff]:
        return [r for r in self.resources if r.renamed_to]

    @property
    def empty(self) -> bool:
        return not self.resources and not self.other and not self.backend_changes

    def as_json(self) -> dict:
        return {"stack": self.name, "status": self.status,
                "counts": {a: len(self.of(a)) for a in ("added", "removed", "replaced", "changed")},
                "danger": [r.address for r in self.danger], "disruptive": [r.address for r in self.disruptive],
                "likely_renames": [{"removed": r.address, "added": r.renamed_to} for r in self.renames],
                "backend_changes": [c.as_json() for c in self.backend_changes],
                "resources": [r.as_json() for r in self.resources], "other": [c.as_json() for c in self.other]}


def _diff_values(before: Any, after: Any, path: str = "") -> Iterator[Change]:
    """Every leaf path where ``before`` and ``after`` differ (``//`` metadata keys skipped); lists of different
    lengths are one change at the list's path."""
    if before == after:
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after), key=str):
            if key == "//":
                continue
            sub = f"{path}.{key}" if path else str(key)
            yield from _diff_values(before.get(key), after.get(key), sub)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after)):
            yield from _diff_values(b, a, f"{path}[{i}]")
    else:
        yield Change(path, before, after)


def _bare(path: str) -> str:
    """``vpc_config[0].subnet_ids[2]`` -> ``vpc_config.subnet_ids``."""
    return re.sub(r"\[\d+\]", "", path)


def _covers(argument: str, bare: str) -> bool:
    """Whether a change at ``bare`` (a path without indexes) touches ``argument``: the argument itself, something
    inside it, or a whole block holding it added or removed."""
    return bare == argument or bare.startswith(argument + ".") or argument.startswith(bare + ".")


def _forcing(kind: str, path: str) -> bool:
    """Whether a change at ``path`` replaces a ``kind`` whatever the values (:data:`FORCES_REPLACEMENT`)."""
    bare = _bare(path)
    return any(_covers(argument, bare) for argument in FORCES_REPLACEMENT.get(kind, ()))


def _conditional(kind: str, path: str) -> tuple[str, ForceNewIf] | None:
    """The :data:`FORCES_REPLACEMENT_IF` argument ``path`` lies in (or holds), if any."""
    bare = _bare(path)
    return next(((argument, rule) for argument, rule in FORCES_REPLACEMENT_IF.get(kind, {}).items()
                 if _covers(argument, bare)), None)


def _forces(kind: str, path: str, old: Mapping, new: Mapping, unknown: bool = False) -> bool:
    """Whether this change at ``path`` replaces the resource: a ForceNew argument, or a conditional one whose rule
    holds for the argument's whole value before and after (``unknown``: known only after apply)."""
    if _forcing(kind, path):
        return True
    found = _conditional(kind, path)
    if found is None:
        return False
    argument, rule = found
    before = next(iter(_values_at(old, argument)), None)
    after = UNKNOWN if unknown else next(iter(_values_at(new, argument)), None)
    return rule.forces(before, after, new)


def _ignored(config: Mapping, path: str) -> bool:
    lifecycle = config.get("lifecycle") if isinstance(config, Mapping) else None
    ignore = lifecycle.get("ignore_changes") if isinstance(lifecycle, Mapping) else None
    if ignore == "all":
        return not path.startswith("lifecycle") and path != "depends_on"
    bare = _bare(path)
    return any(bare == _bare(i) or bare.startswith(f"{_bare(i)}.") for i in ignore or ())


@dataclass(frozen=True)
class _Ref:
    """``type.name.attribute...`` in an expression (``data.type.name...`` for a data source)."""
    target: str       # aws_vpc.main, data.aws_iam_policy_document.x
    attribute: str    # the first attribute after the name ("id"); "" for a bare reference


def _refs(value: Any) -> list[_Ref]:
    """Every reference in ``value``'s expressions (``${...}``), in order."""
    found: list[_Ref] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key != "//":
                found += _refs(item)
    elif isinstance(value, list):
        for item in value:
            found += _refs(item)
    elif isinstance(value, str) and "${" in value:
        for kind, name, rest in _REFERENCE.findall(value):
            attribute = rest.lstrip(".").partition(".")[0].partition("[")[0]
            found.append(_Ref(f"{kind}.{name}", attribute))
    return found


def _references(value: Any) -> set[str]:
    """The managed resources ``value`` refers to."""
    return {r.target for r in _refs(value) if not r.target.startswith("data.")}


def _trigger_ref(item: Any) -> _Ref | None:
    """A ``replace_triggered_by`` entry (``aws_x.y`` or ``aws_x.y.attribute``, with or without ``${}``)."""
    if not isinstance(item, str):
        return None
    text = item.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    found = _refs("${" + text + "}")
    if found:
        return found[0]
    parts = text.split(".")
    return _Ref(".".join(parts[:2]), "") if len(parts) == 2 else None


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a resource's configuration with its path (meta-arguments skipped at the top)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "//" or (not path and key in _META_ARGUMENTS):
                continue
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    else:
        yield path, value


def _values_at(config: Any, dotted: str) -> Iterator[Any]:
    """The values at ``dotted`` (``vpc_config.subnet_ids``) in ``config``, through nested blocks written as objects
    or as lists of objects."""
    if isinstance(config, list):
        for item in config:
            yield from _values_at(item, dotted)
        return
    if not isinstance(config, Mapping):
        return
    head, _, rest = dotted.partition(".")
    if head not in config:
        return
    if rest:
        yield from _values_at(config[head], rest)
    else:
        yield config[head]


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


def _parsed(document: Any) -> Any:
    if not isinstance(document, str):
        return document
    try:
        return json.loads(document)
    except ValueError:
        return document


def _resources(stack: Mapping) -> dict[str, tuple[str, Mapping]]:
    found = {}
    for kind, items in (stack.get("resource") or {}).items():
        for name, config in (items or {}).items():
            found[f"{kind}.{name}"] = (kind, config if isinstance(config, Mapping) else {})
    return found


def _construct_path(config: Mapping) -> str:
    meta = config.get("//") if isinstance(config, Mapping) else None
    return str(((meta or {}).get("metadata") or {}).get("path", "")) if isinstance(meta, Mapping) else ""


def _name_of(config: Mapping) -> Any:
    for argument in NAME_ARGUMENTS:
        value = config.get(argument)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            return argument, value
    return None


def _without_meta(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_meta(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_without_meta(v) for v in value]
    return value


def _moved(stack: Mapping) -> dict[str, str]:
    """``moved`` blocks (cdktf's ``move_to``): Terraform carries the state from ``from`` to ``to``."""
    moves = stack.get("moved") or []
    return {m["from"]: m["to"] for m in moves if isinstance(m, Mapping) and "from" in m and "to" in m}


def _data_sources(stack: Mapping) -> dict[str, Mapping]:
    found = {}
    for kind, items in (stack.get("data") or {}).items():
        for name, config in (items or {}).items():
            found[f"data.{kind}.{name}"] = config if isinstance(config, Mapping) else {}
    return found


def _depends_on(config: Mapping) -> list[str]:
    return [".".join(str(d).replace("${", "").replace("}", "").split(".")[:3 if str(d).startswith("data.") else 2])
            for d in config.get("depends_on") or () if isinstance(d, str)]


class _Planner:
    """What Terraform plans for each resource of the new configuration, from the two configurations alone: a change
    reaches every resource that refers to a replaced resource's computed attributes (a new subnet's ``id``), to an
    argument that changes, to a data source read again at apply (one that depends on anything changed), or names it
    in ``replace_triggered_by``; where it reaches a ForceNew argument, that resource is replaced too."""

    def __init__(self, old: Mapping[str, tuple[str, Mapping]], new: Mapping[str, tuple[str, Mapping]],
                 old_data: Mapping[str, Mapping], new_data: Mapping[str, Mapping]):
        self.old, self.new, self.new_data = old, new, new_data
        self.status: dict[str, str] = {}          # create | replace | update | none
        self.changed_args: dict[str, set[str]] = {}   # top-level arguments whose value changes (or is unknown)
        self.deferred: dict[str, bool] = {}
        self.changed_data = {a for a in new_data if _without_meta(new_data[a]) != _without_meta(old_data.get(a))}

    def volatile(self, ref: _Ref) -> bool:
        """Whether what ``ref`` points at changes, or is known only after apply."""
        if ref.target.startswith("data."):
            return self.deferred.get(ref.target, False)
        status = self.status.get(ref.target)
        if status is None or status == "none":
            return False
        if status == "create":
            return True
        kind, config = self.new[ref.target]
        args = self.changed_args.get(ref.target, set())
        if not ref.attribute:   # a bare reference: the whole object
            return True
        if status == "replace":   # a new object: its arguments as configured, everything computed unknown
            return ref.attribute not in config or ref.attribute in args
        return (ref.attribute in args or ref.attribute in COMPUTED_ON_UPDATE.get(kind, ())
                or (ref.attribute == "tags_all" and "tags" in args))

    def settle_data(self) -> None:
        """A data source is read again at apply (so all it returns is unknown) once anything it depends on changes;
        one whose own configuration changed returns new values."""
        while True:
            grew = False
            for address, config in self.new_data.items():
                if self.deferred.get(address):
                    continue
                deps = _depends_on(config)
                if (address in self.changed_data or any(self.volatile(r) for r in _refs(config))
                        or any(self.status.get(r.target, "none") != "none" for r in _refs(config))
                        or any(self.status.get(d, "none") != "none" or self.deferred.get(d) for d in deps)):
                    self.deferred[address] = grew = True
            if not grew:
                return


def compare_stack(name: str, before: Mapping | None, after: Mapping | None) -> StackDiff:
    """What changes in stack ``name`` from ``before`` to ``after`` (either may be ``None``: stack added or
    removed)."""
    diff = StackDiff(name, "added" if before is None else "removed" if after is None else "changed")
    old, new = _resources(before or {}), _resources(after or {})
    moves = _moved(after or {})
    renamed_old = {moves.get(a, a): v for a, v in old.items()}   # state moved by a moved block is the same resource
    for address in sorted(set(renamed_old) - set(new)):
        kind, config = renamed_old[address]
        diff.resources.append(ResourceDiff(address, kind, "removed", _construct_path(config)))
    planner = _Planner(renamed_old, new, _data_sources(before or {}), _data_sources(after or {}))
    for address in sorted(set(new) - set(renamed_old)):
        kind, config = new[address]
        diff.resources.append(ResourceDiff(address, kind, "added", _construct_path(config)))
        planner.status[address] = "create"
    changed: dict[str, ResourceDiff] = {}
    for address in sorted(set(new) & set(renamed_old)):
        kind, config = new[address]
        old_config = renamed_old[address][1]
        changes = list(_diff_values(old_config, config))
        planner.status[address] = "none"
        if not changes:
            continue
        for change in changes:
            change.ignored = _ignored(config, change.path)
            change.forces = not change.ignored and _forces(kind, change.path, old_config, config)
        acting = [c for c in changes if not c.ignored and c.path.partition(".")[0] not in _META_ARGUMENTS]
        entry = ResourceDiff(address, kind, "replaced" if any(c.forces for c in changes) else "changed",
                             _construct_path(config), changes)
        changed[address] = entry
        diff.resources.append(entry)
        if acting:
            planner.status[address] = "replace" if entry.action == "replaced" else "update"
            planner.changed_args[address] = {re.split(r"[.\[]", c.path)[0] for c in acting}
    _propagate(planner, diff, changed)
    cbd = _create_before_destroy(new, planner.new_data)
    for r in diff.resources:
        if r.action in ("removed", "replaced"):
            lifecycle = (renamed_old.get(r.address) or (None, {}))[1].get("lifecycle")
            r.prevent_destroy = isinstance(lifecycle, Mapping) and lifecycle.get("prevent_destroy") is True
        if r.action == "replaced":
            r.create_before_destroy = r.address in cbd
    _pair_renames(diff, old, new)
    _disruptions(diff, renamed_old, new)
    for section in ("variable", "output", "provider", "data", "locals", "terraform", "moved", "import"):
        for change in _diff_values((before or {}).get(section), (after or {}).get(section), section):
            (diff.backend_changes if change.path.startswith("terraform.backend") else diff.other).append(change)
    if after is None:
        diff.other.clear()   # a removed stack: its resources say it all
    order = {"removed": 0, "replaced": 1, "added": 2, "changed": 3}
    diff.resources.sort(key=lambda r: (order[r.action], r.address))
    return diff


def _propagate(planner: _Planner, diff: StackDiff, changed: dict[str, ResourceDiff]) -> None:
    """Spread each change to what refers to it, until nothing more changes (see :class:`_Planner`)."""
    seen: dict[str, set[str]] = {}
    while True:
        planner.settle_data()
        grew = False
        for address, (kind, config) in planner.new.items():
            status = planner.status.get(address)
            if status not in ("none", "update"):
                continue
            old_config = planner.old[address][1]
            done = seen.setdefault(address, set())
            for path, value in _leaves(config):
                if path in done or _ignored(config, path):
                    continue
                hit = next((r for r in _refs(value) if planner.volatile(r)), None)
                if hit is None:
                    continue
                done.add(path)
                forces = _forces(kind, path, old_config, config, unknown=True)
                entry = changed.get(address)
                if entry is None:
                    entry = changed[address] = ResourceDiff(address, kind, "changed", _construct_path(config))
                    diff.resources.append(entry)
                known = [c for c in entry.changes if c.path == path]
                if known:
                    known[0].after, known[0].via = UNKNOWN, hit.target
                    known[0].forces = known[0].forces or forces
                else:
                    entry.changes.append(Change(path, value, UNKNOWN, forces=forces, via=hit.target))
                planner.changed_args.setdefault(address, set()).add(re.split(r"[.\[]", path)[0])
                if forces:
                    entry.action, planner.status[address] = "replaced", "replace"
                elif planner.status[address] == "none":
                    planner.status[address] = "update"
                grew = True
                if forces:
                    break
            if planner.status[address] == "replace":
                continue
            lifecycle = config.get("lifecycle") if isinstance(config.get("lifecycle"), Mapping) else {}
            for item in lifecycle.get("replace_triggered_by") or ():
                ref = _trigger_ref(item)
                if ref is None:
                    continue
                triggered = (planner.status.get(ref.target, "none") != "none" if not ref.attribute
                             else planner.volatile(ref))
                if not triggered:
                    continue
                entry = changed.get(address)
                if entry is None:
                    entry = changed[address] = ResourceDiff(address, kind, "changed", _construct_path(config))
                    diff.resources.append(entry)
                entry.changes.append(Change("lifecycle.replace_triggered_by", item, "changes", forces=True,
                                            via=ref.target))
                entry.action, planner.status[address] = "replaced", "replace"
                grew = True
                break
        if not grew:
            return


def _create_before_destroy(new: Mapping[str, tuple[str, Mapping]], data: Mapping[str, Mapping]) -> set[str]:
    """The resources Terraform replaces new-first: its own ``create_before_destroy``, or that of anything that
    depends on it, directly or not (Terraform forces it onto a create-before-destroy resource's dependencies)."""
    configs = {a: c for a, (_, c) in new.items()}
    configs.update(data)
    dependents: dict[str, set[str]] = {}
    for address, config in configs.items():
        for target in {r.target for r in _refs(config)} | set(_depends_on(config)):
            dependents.setdefault(target, set()).add(address)
    own = {a for a, c in configs.items()
           if isinstance(c.get("lifecycle"), Mapping) and c["lifecycle"].get("create_before_destroy") is True}
    result = set()
    for address in new:
        stack, seen = [address], set()
        while stack:
            current = stack.pop()
            if current in own:
                result.add(address)
                break
            for d in dependents.get(current, ()):
                if d not in seen:
                    seen.add(d)
                    stack.append(d)
    return result


#: In-place changes of an RDS instance that restart it or fail it over, whenever RDS applies them.
DB_RESTARTING: Mapping[str, str] = {
    "instance_class": "a new instance class",
    "storage_type": "a new storage type (storage optimization can take hours, at lower performance)",
    "engine_version": "an engine upgrade",
    "parameter_group_name": "another parameter group (its static parameters take effect at the reboot)",
    "ca_cert_identifier": "a new CA certificate",
    "port": "a new port (clients must follow)",
}

_COLOUR = re.compile(r"(?:^|[-_])(blue|green)$")


def _disruptions(diff: StackDiff, old: Mapping[str, tuple[str, Mapping]],
                 new: Mapping[str, tuple[str, Mapping]]) -> None:
    """Mark what is not destroyed but causes downtime or a surprise (DISRUPTIVE): an RDS instance restarted or failed
    over (now, or in the maintenance window: ``apply_immediately``), static parameters waiting for a reboot, a
    cluster's only node group replaced destroy-first, a colour's Helm release changed (the report cannot know which
    colour is live), a listener replaced (seconds without it; a weighted forward back at the configuration's
    weights)."""
    node_groups: dict[str, int] = {}
    for kind, config in new.values():
        if kind == "aws_eks_node_group":
            node_groups[str(config.get("cluster_name"))] = node_groups.get(str(config.get("cluster_name")), 0) + 1
    for r in diff.resources:
        config = (new.get(r.address) or old.get(r.address) or (None, {}))[1]
        acting = [c for c in r.changes if not c.ignored]
        if r.type == "aws_db_instance" and r.action == "changed":
            restarts = [c for c in acting if c.path in DB_RESTARTING]
            if restarts:
                now = config.get("apply_immediately") is True
                effect = ("it fails over to its standby (about a minute of refused connections)"
                          if config.get("multi_az") is True else
                          "the single-AZ instance is unavailable for several minutes")
                when = (f"applied during the deploy (`apply_immediately`): {effect}" if now else
                        f"not applied by the deploy: RDS applies it in the next maintenance window "
                        f"(`{config.get('maintenance_window', 'its maintenance window')}`), when {effect}; "
                        f"Terraform reports it done meanwhile (set `apply_immediately` to apply it now)")
                what = "; ".join(f"{DB_RESTARTING[c.path]} (`{c.path}`: {_describe(c)})" for c in restarts)
                r.disruptions.append(f"{what}: {when}")
        if r.type == "aws_db_parameter_group" and r.action == "changed":
            waiting = _static_parameters(old.get(r.address, (None, {}))[1], config)
            if waiting:
                r.disruptions.append(f"static parameters {', '.join(f'`{p}`' for p in waiting)} change: they take "
                                     f"effect only at the next reboot of every instance using the group (RDS "
                                     f"shows `pending-reboot`; nothing reboots it for you)")
        if r.type == "aws_eks_node_group" and r.action == "replaced" and not r.create_before_destroy \
                and node_groups.get(str(config.get("cluster_name")), 0) <= 1:
            r.disruptions.append("the cluster's only node group, replaced destroy-first: every pod is evicted and "
                                 "nothing runs until the new group's nodes join (minutes)")
        if r.type == "helm_release" and r.action in ("changed", "replaced", "removed") and (
                acting or r.action != "changed"):
            colour = _COLOUR.search(str(config.get("name", "")))
            if colour:
                how = {"changed": "upgraded in place: its pods roll",
                       "replaced": "uninstalled, then installed again: it serves nothing in between",
                       "removed": "uninstalled"}[r.action]
                r.disruptions.append(f"if {colour.group(1)} is live: its release is {how}, under live traffic "
                                     f"(release to the idle colour, or move traffic off {colour.group(1)} first)")
        if r.type == "aws_lb_listener" and r.action == "replaced":
            port = config.get("port", "?")
            text = (f"the listener on port {port} is destroyed and created again: for seconds nothing answers there"
                    if not r.create_before_destroy else
                    f"the listener on port {port} is replaced create-before-destroy: the new one cannot take the "
                    f"port while the old one holds it, so the apply fails")
            weights = _forward_weights(config, new)
            if weights:
                text += (f"; it comes back at the configuration's weights ({weights}), whatever a release set: "
                         f"check `python -m environments.rollout status` afterwards")
            r.disruptions.append(text)


def _static_parameters(before: Mapping, after: Mapping) -> list[str]:
    """Names of ``pending-reboot`` parameters added, changed or removed."""
    def table(config: Mapping) -> dict[str, Mapping]:
        items = config.get("parameter") or []
        return {str(p.get("name")): p for p in (items if isinstance(items, list) else [items])
                if isinstance(p, Mapping)}
    old, new = table(before), table(after)
    return sorted(name for name in set(old) | set(new)
                  if _without_meta(old.get(name)) != _without_meta(new.get(name))
                  and "pending-reboot" in (str((old.get(name) or {}).get("apply_method")),
                                           str((new.get(name) or {}).get("apply_method"))))


def _forward_weights(config: Mapping, new: Mapping[str, tuple[str, Mapping]]) -> str:
    """``blue 100 / green 0``: a listener's configured forward weights, each target group by its colour tag."""
    parts = []
    for action in _as_list(config.get("default_action")):
        forward = action.get("forward") if isinstance(action, Mapping) else None
        for forward in _as_list(forward):
            for group in _as_list(forward.get("target_group") if isinstance(forward, Mapping) else None):
                if not isinstance(group, Mapping) or "weight" not in group:
                    continue
                target = next(iter(_references(group.get("arn"))), "")
                tags = (new.get(target) or (None, {}))[1].get("tags") or {}
                label = tags.get("vtc/colour") if isinstance(tags, Mapping) else None
                parts.append(f"{label or target or group.get('arn')} {group['weight']}")
    return " / ".join(parts)


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _pair_renames(diff: StackDiff, old: Mapping, new: Mapping) -> None:
    """Pair each removed resource with an added one of its type carrying the same name, or else the same
    configuration: a renamed construct ID, which Terraform destroys and creates."""
    added = [r for r in diff.resources if r.action == "added"]
    for removed in (r for r in diff.resources if r.action == "removed"):
        config = old[removed.address][1]
        name, body = _name_of(config), _without_meta(config)
        for candidate in added:
            if candidate.type != removed.type or candidate.renamed_from:
                continue
            other = new[candidate.address][1]
            if (name is not None and _name_of(other) == name) or _without_meta(other) == body:
                removed.renamed_to, candidate.renamed_from = candidate.address, removed.address
                break


def compare(before: Mapping[str, Mapping], after: Mapping[str, Mapping]) -> list[StackDiff]:
    return [compare_stack(name, before.get(name), after.get(name)) for name in sorted(set(before) | set(after))]


def dangerous(diffs: Sequence[StackDiff]) -> bool:
    return any(d.danger or d.backend_changes or (d.status == "removed" and d.resources) for d in diffs)


def disruptive(diffs: Sequence[StackDiff]) -> bool:
    return any(d.disruptive for d in diffs)


def exit_status(diffs: Sequence[StackDiff]) -> int:
    """2 for DANGER; DISRUPTIVE alone is 0 (it is listed right after DANGER, and in the JSON's ``disruptive``): a
    restart in the maintenance window or a colour's release upgrade is routine work to schedule, not to gate."""
    return 2 if dangerous(diffs) else 0


# --- rendering -------------------------------------------------------------------------------------------------------

#: Longer values are shown by the part that differs (with this many characters of context each side).
SHOW_LIMIT = 120
_CONTEXT = 40


def _text(value: Any) -> str:
    value = _without_meta(value)   # cdktf's "//" metadata says nothing about the change
    text = "(absent)" if value is None else value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text.replace("\n", " ")


def _show(value: Any, limit: int = SHOW_LIMIT) -> str:
    text = _text(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _code(value: Any) -> str:
    return _code_text(_show(value))


def _code_text(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _describe(change: Change, depth: int = 0) -> str:
    """``before → after`` for one change; where either side is long, only the part that differs: the differing
    paths inside a JSON document (a policy), the items removed and added in a list, or the differing substring with
    some context each side."""
    before, after = _without_meta(change.before), _without_meta(change.after)
    if after == UNKNOWN or (len(_text(before)) <= SHOW_LIMIT and len(_text(after)) <= SHOW_LIMIT) or depth > 2:
        return f"{_code(before)} → {_code(after)}"
    documents = _parsed(before), _parsed(after)
    if all(isinstance(d, (Mapping, list)) for d in documents) and (isinstance(before, str) or
                                                                   isinstance(before, Mapping)):
        inner = list(_diff_values(*documents))
        shown = "; ".join(f"at `{c.path or '(top)'}`: {_describe(c, depth + 1)}" for c in inner[:3])
        return shown + (f" (and {len(inner) - 3} more differences)" if len(inner) > 3 else "")
    if isinstance(before, list) and isinstance(after, list):
        removed = [x for x in before if x not in after]
        added = [x for x in after if x not in before]
        parts = [f"{label} {', '.join(_code(x) for x in items[:5])}{' …' if len(items) > 5 else ''}"
                 for label, items in (("removed", removed), ("added", added)) if items]
        return f"{len(before)} → {len(after)} items: {'; '.join(parts) or 'the same items, reordered'}"
    a, b = _text(before), _text(after)
    return f"{_code_text(_window(a, b))} → {_code_text(_window(b, a))}"


def _window(text: str, other: str) -> str:
    """The part of ``text`` that differs from ``other``, with :data:`_CONTEXT` characters each side (``…`` where it
    is cut)."""
    prefix = 0
    while prefix < min(len(text), len(other)) and text[prefix] == other[prefix]:
        prefix += 1
    suffix = 0
    while (suffix < min(len(text), len(other)) - prefix
           and text[len(text) - 1 - suffix] == other[len(other) - 1 - suffix]):
        suffix += 1
    start, end = max(0, prefix - _CONTEXT), min(len(text), len(text) - suffix + _CONTEXT)
    middle = text[start:end]
    if len(middle) > 2 * SHOW_LIMIT:
        middle = middle[:2 * SHOW_LIMIT - 1] + "…"
    return ("…" if start > 0 else "") + middle + ("…" if end < len(text) else "")


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


# --- command line ----------------------------------------------------------------------------------------------------

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
                                     description=__doc__.splitlines()[0])
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


if __name__ == "__main__":
    sys.exit(main())
