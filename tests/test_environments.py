"""The environment files: what staging and production are, and every branch of their validation."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from environments.model import ENVIRONMENTS_DIR, MIN_AVAILABILITY_ZONES, available_environments, load_environments
from vtc_constructs import ConfigError, NatStrategy


def env_dir(tmp_path: Path, **files: str) -> Path:
    """A copy of the real environment files, with ``files`` (name -> extra TOML text) appended."""
    target = tmp_path / "environments"
    target.mkdir()
    for source in ENVIRONMENTS_DIR.glob("*.toml"):
        shutil.copy(source, target / source.name)
    for name, text in files.items():
        path = target / f"{name}.toml"
        path.write_text((path.read_text() if path.exists() else "") + "\n" + text)
    return target


def rewrite(directory: Path, name: str, old: str, new: str) -> None:
    path = directory / f"{name}.toml"
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def problems(directory: Path, names=None) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_environments(names, directory)
    return [str(p) for p in raised.value.problems]


# --- what the environments are --------------------------------------------------------------------------------------

def test_two_environments_named_exactly_staging_and_production():
    assert available_environments() == ["production", "staging"]


def test_explicit_differences_between_staging_and_production(environments):
    staging, production = environments["staging"], environments["production"]
    assert staging.network.nat_strategy is NatStrategy.SINGLE
    assert production.network.nat_strategy is NatStrategy.ONE_PER_AZ
    assert staging.network.flow_log_retention_days == 90
    assert production.network.flow_log_retention_days == 365
    assert staging.network.vpc_cidr == "10.20.0.0/16" and production.network.vpc_cidr == "10.10.0.0/16"
    assert staging.state.key != production.state.key
    assert staging.tags["environment"] == "staging" and production.tags["environment"] == "production"
    assert staging.eks.log_retention_days == 90 and production.eks.log_retention_days == 365
    (staging_nodes,), (production_nodes,) = staging.eks.node_groups, production.eks.node_groups
    assert staging_nodes.capacity_type.value == "SPOT" and production_nodes.capacity_type.value == "ON_DEMAND"
    assert (staging_nodes.min_size, staging_nodes.max_size) == (3, 6)
    assert (production_nodes.min_size, production_nodes.max_size) == (3, 24)
    assert staging.eks.admin_principal_arns != production.eks.admin_principal_arns
    assert (staging.database.disposable, production.database.disposable) == (True, False)
    assert (staging.database.multi_az, production.database.multi_az) == (False, True)
    assert (staging.database.backup_retention_days, production.database.backup_retention_days) == (7, 30)
    assert (staging.edge.deletion_protection, production.edge.deletion_protection) == (False, True)
    assert staging.edge.certificate.domain_name != production.edge.certificate.domain_name
    assert (staging.alarms.thresholds.alb_p99_latency_ms, production.alarms.thresholds.alb_p99_latency_ms) == (250, 100)


def test_shared_values_come_from_the_base(environments):
    for env in environments.values():
        assert env.region == "eu-west-1"
        assert len(env.network.availability_zones) == MIN_AVAILABILITY_ZONES == 3
        assert env.state.locking == "s3-lockfile" and env.state.region == "eu-west-1"
        # Derived per environment (base.toml names no bucket): its own account's bucket, its own key's alias.
        assert env.state.bucket == f"vtc-terraform-state-{env.account_id}-eu-west-1"
        assert env.state.kms_key_id == f"alias/vtc-{env.name}-terraform-state"
        assert env.tags["project"] == "vision-to-code"
        assert env.network.name == env.resource_prefix == env.eks.name == f"vtc-{env.name}"
        assert env.eks.kubernetes_version == "1.36"
        assert env.database.engine_version == "16.8" and env.database.name == f"vtc-{env.name}"
        assert not env.eks.endpoint_public_access
        # Written out, not read from the code: every one of the six add-ons is pinned in both environments.
        assert sorted(k for k, v in env.eks.addon_versions.items() if v) == [
            "amazon-cloudwatch-observability", "aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy",
            "vpc-cni"]


def test_the_model_is_frozen(environments):
    with pytest.raises(dataclasses.FrozenInstanceError):
        environments["staging"].region = "us-east-1"  # type: ignore[misc]
    with pytest.raises(TypeError):
        environments["staging"].tags["environment"] = "x"  # type: ignore[index]


# --- every validation branch ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, old, new, expected", [
    ("staging", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "10.20.0/16"',
     r"^staging\.network\.vpc_cidr: malformed CIDR \(got '10\.20\.0/16'\); allowed: an IPv4 network"),
    ("staging", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "10.10.128.0/17"',
     r"^staging\.network\.vpc_cidr: overlapping CIDR \(got '10\.10\.128\.0/17'\); allowed: a range that does not "
     r"overlap production's 10\.10\.0\.0/16; fix: give every environment its own range"),
    ("staging", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "10.20.0.0/24"',
     r"^staging\.network\.vpc_cidr: too small for the subnets \(got '10\.20\.0\.0/24'\)"),
    ("staging", "[tags]", 'region = "eu-west-9"\n[tags]',
     r"^staging\.region: unknown region \(got 'eu-west-9'\); allowed: an AWS commercial region"),
    ("staging", "[network]", '[network]\navailability_zones = ["eu-west-1a", "eu-west-1b"]',
     r"^staging\.network\.availability_zones: too few Availability Zones \(got \['eu-west-1a', 'eu-west-1b'\]\); "
     r"allowed: at least 3"),
    ("staging", "[network]", '[network]\navailability_zones = ["eu-west-1a", "eu-west-1b", "us-east-1a"]',
     r"^staging\.network\.availability_zones\[2\]: AZ outside the region \(got 'us-east-1a'\); allowed: an AZ of "
     r"eu-west-1"),
    ("staging", 'nat_strategy = "single"', 'nat_strategy = "none"',
     r"^staging\.network\.nat_strategy: invalid value \(got 'none'\); allowed: one_per_az, single"),
    ("staging", "flow_log_retention_days = 90", "flow_log_retention_days = 91",
     r"^staging\.network\.flow_log_retention_days: invalid value \(got 91\)"),
    ("staging", "[network]", "[network]\nvpc_cdir = '10.0.0.0/16'",
     r"^staging\.network\.vpc_cdir: unknown field \(got '10\.0\.0\.0/16'\); allowed: availability_zones, "
     r"database_subnet_new_bits, eks_cluster_name, flow_log_retention_days, interface_endpoint_zones, "
     r"interface_endpoints, nat_strategy"),
    ("staging", 'vpc_cidr = "10.20.0.0/16"\n', "",
     r"^staging\.network\.vpc_cidr: missing field \(got None\); allowed: a string \(in quotes\); fix: set "
     r"network\.vpc_cidr$"),
    ("staging", "[tags]", 'colour = "blue"\n[tags]',
     r"^staging\.colour: unknown field \(got 'blue'\); allowed: account_id, alarms, cache, ci, database, edge, eks, network, "
     r"region, registry, search, state, tags, tier, workloads; fix: remove the key or correct its name$"),
    ("staging", 'account_id = "111111111111"', "account_id = 111111111111",
     r"^staging\.account_id: wrong type: a whole number \(got 111111111111\); allowed: a string \(in quotes\); "
     r"fix: put the value in quotes, e\.g\. account_id = \"\.\.\.\"$"),
    ("staging", 'account_id = "111111111111"', 'account_id = "11111111111"',
     r"^staging\.account_id: invalid value \(got '11111111111'\)"),
    ("staging", 'account_id = "111111111111"\n', "",
     r"^staging\.account_id: missing field \(got None\); allowed: a string \(in quotes\); fix: set account_id$"),
    ("production", 'arn:aws:iam::222222222222:role/vtc-platform-admin', 'arn:aws:iam::111111111111:role/vtc-platform-admin',
     r"^production\.eks\.admin_principal_arns\[0\]: principal in another account \(got "
     r"'arn:aws:iam::111111111111:role/vtc-platform-admin'\); allowed: a principal of account 222222222222"),
    ("staging", 'environment = "staging"', "environment = 3",
     r"^staging\.tags\.environment: wrong type: a whole number \(got 3\); allowed: a string \(in quotes\)"),
    ("staging", "[state]", '[state]\nlocking = "dynamodb"',
     r"^staging\.state\.dynamodb_table: missing value \(got None\); allowed: the lock table's name"),
    ("staging", "[state]", '[state]\nlocking = "none"',
     r"^staging\.state\.locking: invalid value \(got 'none'\); allowed: s3-lockfile, dynamodb"),
    ("staging", "[state]", '[state]\nregion = "mars-1"',
     r"^staging\.state\.region: unknown region \(got 'mars-1'\)"),
    ("staging", "[state]", '[state]\nbucket = ""',
     r"^staging\.state\.bucket: missing value \(got ''\); allowed: a non-empty string"),
    ("staging", "[state]", '[state]\nkms_key_id = "alias/aws/s3"',
     r"^staging\.state\.kms_key_id: AWS-managed key \(got 'alias/aws/s3'\); allowed: a customer-managed key"),
    ("staging", "[eks.node_groups.general]", '[eks.node_groups.general]\nmax_pods = 30',
     r"^staging\.eks\.node_groups\.general\.max_pods: unknown field \(got 30\); allowed: capacity_type, "),
    ("staging", 'capacity_type = "SPOT"', 'capacity_type = "spot"',
     r"^staging\.eks\.node_groups\.general\.capacity_type: invalid value \(got 'spot'\); allowed: ON_DEMAND, SPOT"),
    ("staging", "max_size = 6", "max_size = 1",
     r"^staging\.eks\.node_groups\.general\.desired_size: sizes out of order"),
    ("staging", "[eks]", '[eks]\nversion = "1.33"',
     r"^staging\.eks\.version: unknown field \(got '1\.33'\); allowed: addon_versions, admin_principal_arns"),
    ("staging", "[eks]", '[eks]\nkubernetes_version = "1.37"',
     r"^staging\.eks\.kubernetes_version: unsupported Kubernetes version \(got '1\.37'\)"),
    ("production", "[eks]", '[eks]\nendpoint_public_access_cidrs = ["81.2.69.0/24"]',
     r"^production\.eks\.endpoint_public_access_cidrs: below the production minimum \(got \['81\.2\.69\.0/24'\]\); "
     r"allowed: \[\] \(a private API endpoint\), the production tier's minimum; fix: remove the public access ranges"),
    ("production", "[eks]", '[eks]\ncontrol_plane_log_types = ["api", "audit"]',
     r"^production\.eks\.control_plane_log_types: below the production minimum \(got \['api', 'audit'\]\); "
     r"allowed: all five: api, audit, authenticator, controllerManager, scheduler, the production tier's minimum"),
    ("production", "[eks]", '[eks]\nlog_retention_days = 30',
     r"^production\.eks\.log_retention_days: below the production minimum \(got 30\); allowed: at least 365 days"),
    ("production", "[eks]", '[eks]\naddon_versions = { coredns = "" }',
     r"^production\.eks\.addon_versions: below the production minimum .*allowed: a pinned version for every "
     r"add-on .*fix: pin every add-on \(aws eks describe-addon-versions"),
    ("staging", "[database]", '[database]\nengine_version = "15.3"',
     r"^staging\.database\.engine_version: no pgvector on this engine version \(got '15\.3'\)"),
    ("staging", "[database]", '[database]\nstorage = 20',
     r"^staging\.database\.storage: unknown field \(got 20\); allowed: allocated_storage_gib"),
    ("staging", "backup_retention_days = 7", "backup_retention_days = 3",
     r"^staging\.database\.backup_retention_days: too few backups \(got 3\); allowed: >= 7 days in a "
     r"non-production environment"),
    ("production", "[database]", '[database]\nbackup_retention_days = 14',
     r"^production\.database\.backup_retention_days: below the production minimum \(got 14\); allowed: at least "
     r"30 days"),
    ("production", "[database]", '[database]\ndisposable = true',
     r"^production\.database\.disposable: below the production minimum \(got True\); allowed: false, the "
     r"production tier's minimum; fix: production data must be guarded"),
    ("production", "[database]", '[database]\nlog_retention_days = 30',
     r"^production\.database\.log_retention_days: below the production minimum \(got 30\); allowed: at least 365"),
    ("staging", "[edge.certificate]", '[edge.certificate]\ncertificate_arn = "arn:aws:acm:eu-west-1:111111111111:'
                                      'certificate/12345678-1234-1234-1234-123456789012"',
     r"^staging\.edge\.certificate: two certificates"),
    ("staging", "[edge.certificate]", '[edge.certificate]\nzone = "x"',
     r"^staging\.edge\.certificate\.zone: unknown field \(got 'x'\)"),
    ("staging", "[edge]", '[edge]\ngreen_weight = 0\nblue_weight = 0',
     r"^staging\.edge\.green_weight: no live colour"),
    ("production", "[edge.certificate]", '[edge]\ndeletion_protection = false\n[edge.certificate]',
     r"^production\.edge\.deletion_protection: below the production minimum \(got False\); allowed: true"),
    # Workloads settings only the environment can judge (issue 22).
    ("staging", 'image_repository = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc"',
     'image_repository = "999999999999.dkr.ecr.eu-west-1.amazonaws.com/vtc"',
     r"^staging\.workloads\.image_repository: registry in another account \(got '999999999999\.dkr\.ecr\.eu-west-1"
     r"\.amazonaws\.com/vtc'\); allowed: a registry of the environment's account 111111111111"),
    ("staging", 'image_repository = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc"',
     'image_repository = "111111111111.dkr.ecr.us-east-1.amazonaws.com/vtc"',
     r"^staging\.workloads\.image_repository: registry in another region .*allowed: a registry in the environment's "
     r"region eu-west-1"),
    ("staging", '[workloads.services.core.resources]\ncpu_request = "100m"',
     '[workloads.services.core.resources]\ncpu_request = "250"\ncpu_limit = "250"',
     r"^staging\.workloads\.services\.core\.resources\.cpu_request: larger than any node \(got '250'\); allowed: "
     r"at most 2 cores, what the largest node type of the node groups has; fix: lower the request \(millicores end in "
     r"'m'"),
    ("staging", '[workloads.services.core.resources]\ncpu_request = "100m"\nmemory_request = "256Mi"',
     '[workloads.services.core.resources]\ncpu_request = "100m"\nmemory_request = "16Gi"\nmemory_limit = "16Gi"',
     r"^staging\.workloads\.services\.core\.resources\.memory_request: larger than any node \(got '16Gi'\); "
     r"allowed: at most 8Gi"),
    ("staging", "evaluation_periods = 10", "evaluation_periods = 4",
     r"^staging\.alarms\.thresholds\.evaluation_periods: fewer periods than datapoints \(got 4\); allowed: >= "
     r"datapoints_to_alarm \(5\)"),
    ("staging", "[alarms.thresholds]", "[alarms.thresholds]\np95_latency_ms = 80",
     r"^staging\.alarms\.thresholds\.p95_latency_ms: unknown field \(got 80\)"),
    ("staging", "[alarms]", '[alarms]\npage_https_endpoints = ["http://pager.example.com/x"]',
     r"^staging\.alarms\.page_https_endpoints\[0\]: invalid value"),
    ("production", "[network]", '[network]\nflow_log_retention_days = 30',
     r"^production\.network\.flow_log_retention_days: below the production minimum \(got 30\); allowed: at least "
     r"365 days, the production tier's minimum; fix: keep VPC flow logs at least a year"),
])
def test_each_bad_value_gives_one_clear_problem(tmp_path, name, old, new, expected):
    directory = env_dir(tmp_path)
    rewrite(directory, name, old, new)
    found = problems(directory)
    assert len(found) == 1, found
    assert re.search(expected, found[0]), found[0]
    assert "; fix: " in found[0]


def test_a_state_that_is_not_the_environments_own_accounts_is_refused_every_problem_at_once(tmp_path):
    """Issue 26: a bucket whose name carries another account, a key of another account or region, a malformed key;
    and one bucket named by two environments of two accounts (the base's old single bucket, back in one file)."""
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", "[state]", '[state]\nbucket = "vtc-terraform-state-222222222222-eu-west-1"\n'
            'kms_key_id = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"')
    rewrite(directory, "production", "[state]", '[state]\nkms_key_id = "vtc-production-terraform-state"')
    assert problems(directory) == [
        "production.state.kms_key_id: not a KMS key (got 'vtc-production-terraform-state'); allowed: a KMS alias "
        "(alias/<name>) or a KMS key or alias ARN; fix: e.g. alias/vtc-<environment>-terraform-state, or leave it out",
        "staging.state.kms_key_id: key in another region (got 'arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-"
        "34cd-56ef-1234567890ab'); allowed: a key of eu-west-1, the state bucket's region; fix: give a key of the "
        "bucket's region",
        "staging.state.bucket: bucket of another account (got 'vtc-terraform-state-222222222222-eu-west-1'); allowed: "
        "a bucket of account 111111111111, e.g. vtc-terraform-state-111111111111-eu-west-1; fix: leave state.bucket "
        "out for the environment's own (the default), or name one of this account's buckets (the name carries account "
        "222222222222)",
        "staging.state.kms_key_id: key of another account (got 'arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-"
        "34cd-56ef-1234567890ab'); allowed: a key of account 111111111111; fix: give this account's key (or its "
        "alias), or leave it out for the default alias"]
    (tmp_path / "shared").mkdir()
    directory = env_dir(tmp_path / "shared")
    for name in ("staging", "production"):
        rewrite(directory, name, "[state]", '[state]\nbucket = "vtc-terraform-state"')
    rewrite(directory, "staging", 'key = "vtc/staging/terraform.tfstate"', 'key = "vtc/production/terraform.tfstate"')
    assert problems(directory) == [
        "staging.state.bucket: one state bucket for two accounts (got 'vtc-terraform-state'); allowed: a bucket of "
        "account 111111111111 (this one holds production's state, account 222222222222); fix: leave state.bucket out "
        "in both files: each gets its own account's bucket",
        "staging.state.key: shared state (got 'vtc/production/terraform.tfstate'); allowed: a key other than "
        "production's; fix: use a state key per environment"]


def test_a_state_key_that_is_another_environments_workloads_state_is_shared_state(tmp_path):
    """Each environment keeps two states in its bucket: the AWS stack's at ``state.key`` and the workloads stack's
    beside it. A key equal to another environment's workloads key shares that state as surely as an equal key."""
    directory = env_dir(tmp_path)
    (directory / "production.toml").write_text((directory / "production.toml").read_text().replace(
        "222222222222", "111111111111"))
    rewrite(directory, "production", 'key = "vtc/production/terraform.tfstate"',
            'key = "vtc/staging/terraform-workloads.tfstate"')
    shared = [p for p in problems(directory) if "shared state" in p]
    assert shared == [  # (said on the second of the pair, as for an equal key)
        "staging.state.key: shared state (got 'vtc/staging/terraform.tfstate'); allowed: a key whose two states are "
        "not production's (vtc/staging/terraform-workloads.tfstate and "
        "vtc/staging/terraform-workloads-workloads.tfstate); fix: use a state key per environment: the stack "
        "staging-workloads would keep its state at vtc/staging/terraform-workloads.tfstate, where production keeps "
        "its own, so deploying either would plan to destroy the other's resources"]


def test_production_with_a_single_nat_gateway_is_refused_whatever_staging_has(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "production", "[network]", '[network]\nnat_strategy = "single"')
    assert problems(directory) == ["production.network.nat_strategy: below the production minimum (got 'single'); "
                                   "allowed: one_per_az, the production tier's minimum; fix: give every AZ its own NAT "
                                   "gateway, so an AZ outage cannot cut the others' egress"]


def test_unknown_environment_names_the_known_ones(tmp_path):
    assert problems(env_dir(tmp_path), ["qa"]) == [
        f"environment: unknown environment (got 'qa'); allowed: production, staging; fix: pick a known environment "
        f"or add {tmp_path / 'environments' / 'qa.toml'}"]


def test_unreadable_toml_is_reported_with_its_file(tmp_path):
    directory = env_dir(tmp_path)
    (directory / "staging.toml").write_text("[network\n")
    (found,) = problems(directory, ["staging"])
    assert found.startswith(f"staging: invalid TOML (got '{directory / 'staging.toml'}'); allowed: valid TOML; fix: "
                            "fix the syntax")


def test_missing_table_is_reported(tmp_path):
    directory = env_dir(tmp_path)
    (directory / "base.toml").unlink()
    (directory / "staging.toml").write_text('region = "eu-west-1"\n')
    found = problems(directory, ["staging"])
    assert "staging.state: missing table (got None); allowed: a [state] table; fix: add a [state] table" in found
    assert "staging.network: missing table (got None); allowed: a [network] table; fix: add a [network] table" in found


def test_missing_node_groups_ask_for_a_table_per_group_by_name(tmp_path):
    """Node groups are tables by name: the fix names that shape ([eks.node_groups.<name>]), not a table of
    [eks.node_groups] itself, which the next run would refuse as "no nodes" (found by a new-user review)."""
    directory = env_dir(tmp_path)
    text = (directory / "staging.toml").read_text()
    start = text.index("[eks.node_groups.general]")
    end = text.find("\n[", start + 1)
    (directory / "staging.toml").write_text(text[:start] + (text[end + 1:] if end != -1 else ""))
    assert "staging.eks.node_groups: missing table (got None); allowed: one [eks.node_groups.<name>] table per entry, " \
        "<name> of your choosing; fix: add a [eks.node_groups.<name>] table, e.g. [eks.node_groups.general], with its " \
        "keys on the lines below" in problems(directory, ["staging"])


def test_every_problem_in_every_file_is_reported_at_once(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "10.20.0.0/33"')
    rewrite(directory, "staging", "flow_log_retention_days = 90", "flow_log_retention_days = 2")
    rewrite(directory, "production", "[network]", '[network]\navailability_zones = ["eu-west-1a"]')
    found = problems(directory)
    assert [p.split(":")[0] for p in found] == [
        "production.network.availability_zones",  # the construct's own check (at least 2)
        "production.network.availability_zones",  # the environment's (at least 3)
        "staging.network.vpc_cidr",
        "staging.network.flow_log_retention_days",
    ]


def test_each_environment_deploys_only_to_its_own_account(environments, stacks):
    assert environments["staging"].account_id == "111111111111"
    assert environments["production"].account_id == "222222222222"
    for name, stack in stacks.items():
        assert stack["provider"]["aws"][0]["allowed_account_ids"] == [environments[name].account_id]


def test_the_state_is_stored_encrypted_and_locked_in_each_environments_own_key(stacks):
    """The S3 backend, written out (issue 16): server-side encryption on with the environment's customer-managed
    key (issue 26), and Terraform's S3 lock file (no concurrent applies); each environment in a state key of its
    own, in a bucket of its own account (issue 26: one bucket name for both made one account reach into the other's).
    """
    accounts = {"staging": "111111111111", "production": "222222222222"}
    for name, stack in stacks.items():
        assert stack["terraform"]["backend"] == {"s3": {
            "bucket": f"vtc-terraform-state-{accounts[name]}-eu-west-1", "key": f"vtc/{name}/terraform.tfstate",
            "region": "eu-west-1", "encrypt": True, "kms_key_id": f"alias/vtc-{name}-terraform-state",
            "use_lockfile": True}}, name


def test_dynamodb_locking_names_its_table_and_still_encrypts(environments):
    from cdktf import Testing

    from environments.model import StateBackend
    from environments.stack import PlatformStack

    config = environments["staging"]
    config = dataclasses.replace(config, state=StateBackend(bucket="b", key="k", region="eu-west-1",
                                                            locking="dynamodb", dynamodb_table="locks"))
    stack = PlatformStack(Testing.app(), config)
    backend = stack.to_terraform()["terraform"]["backend"]
    assert backend == {"s3": {"bucket": "b", "key": "k", "region": "eu-west-1", "encrypt": True,
                              "dynamodb_table": "locks"}}


def test_an_environment_that_brings_its_own_certificate_synthesizes_both_stacks(tmp_path):
    # The certificate-ARN path end to end (it used to end in a traceback): no DNS zone, no certificate made, the
    # listener on the given ARN, the Ingresses not narrowed to a host (there is no domain name to narrow them to).
    import json
    import subprocess
    import sys

    from tooling.paths import REPO, tool_env

    directory = env_dir(tmp_path)
    arn = "arn:aws:acm:eu-west-1:111111111111:certificate/12345678-1234-1234-1234-123456789012"
    rewrite(directory, "staging", 'domain_name = "staging.vision-to-code.io"\nhosted_zone_name = "vision-to-code.io"',
            f'certificate_arn = "{arn}"')
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "main.py", "--environments-dir", str(directory), "--outdir", str(out),
                             "--only", "staging", "--workers", "1"], cwd=REPO, env=tool_env(), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    aws = json.loads((out / "stacks" / "staging" / "cdk.tf.json").read_text())
    workloads = json.loads((out / "stacks" / "staging-workloads" / "cdk.tf.json").read_text())
    assert "aws_acm_certificate" not in aws["resource"] and "aws_route53_record" not in aws["resource"]
    (listener,) = [l for l in aws["resource"]["aws_lb_listener"].values() if l["port"] == 443]
    assert listener["certificate_arn"] == arn
    blue = [r for r in workloads["resource"]["helm_release"].values() if r["name"] == "vtc-blue"][0]
    assert json.loads(blue["values"][0])["gateway"]["host"] == ""
