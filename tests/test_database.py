"""Fine-grained assertions on PgvectorDatabase, its bootstrap package, and every branch of its validation."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import zipfile

import pytest
from cdktf import TerraformOutput

from tests.helpers import assert_one_problem, by_path, ref, resources, synth, synth_outputs
from vtc_constructs import ConfigError, DatabaseNetwork, DatabaseProps, Network, NetworkProps, PgvectorDatabase
from vtc_constructs.database import bootstrap_package

NETWORK = NetworkProps(name="vtc-test", vpc_cidr="10.20.0.0/16",
                       availability_zones=("eu-west-1a", "eu-west-1b", "eu-west-1c"))
PLANNED = DatabaseNetwork(vpc_id="vpc-1", subnet_ids=("subnet-a", "subnet-b"), bootstrap_subnet_ids=("subnet-p",),
                          client_security_group_id="sg-nodes")
PROPS = DatabaseProps(name="vtc-test", engine_version="16.8", network=PLANNED)
CLIENTS = "sg-0123456789abcdef0"


def build(props: DatabaseProps = PROPS) -> dict:
    def build_in(scope):
        network = Network(scope, "network", NETWORK)
        PgvectorDatabase(scope, "database", dataclasses.replace(props, network=network.database_network(CLIENTS)))

    return synth(build_in)


@pytest.fixture(scope="module")
def guarded():
    return build()


@pytest.fixture(scope="module")
def disposable():
    return build(dataclasses.replace(PROPS, disposable=True, multi_az=False))


def instance(tf):
    return by_path(tf, "aws_db_instance", "database/instance")


# --- the instance -------------------------------------------------------------------------------------------------------

def test_instance_is_encrypted_private_multi_az_with_managed_password(guarded):
    db = instance(guarded)
    key = ref(guarded, "aws_kms_key", "database/key", "arn")
    assert db["identifier"] == "vtc-test-postgres"
    assert (db["engine"], db["engine_version"]) == ("postgres", "16.8")
    assert db["storage_encrypted"] is True and db["kms_key_id"] == key
    assert db["storage_type"] == "gp3" and (db["allocated_storage"], db["max_allocated_storage"]) == (100, 500)
    assert db["multi_az"] is True and db["publicly_accessible"] is False
    assert db["manage_master_user_password"] is True and db["master_user_secret_kms_key_id"] == key
    assert "password" not in db
    assert db["iam_database_authentication_enabled"] is True
    assert db["performance_insights_enabled"] is True and db["performance_insights_kms_key_id"] == key
    assert db["monitoring_interval"] == 60
    assert db["monitoring_role_arn"] == ref(guarded, "aws_iam_role", "database/monitoring-role", "arn")
    assert db["enabled_cloudwatch_logs_exports"] == ["postgresql", "upgrade"]
    assert db["copy_tags_to_snapshot"] is True
    assert db["auto_minor_version_upgrade"] is True and db["allow_major_version_upgrade"] is False
    assert db["db_subnet_group_name"] == ref(guarded, "aws_db_subnet_group", "database/subnet-group", "name")


def test_subnet_group_uses_the_isolated_database_subnets(guarded):
    group = by_path(guarded, "aws_db_subnet_group", "database/subnet-group")
    assert group["subnet_ids"] == [ref(guarded, "aws_subnet", f"database-{i}") for i in range(3)]


def test_guarded_database_cannot_be_lost(guarded):
    db = instance(guarded)
    assert db["deletion_protection"] is True
    assert db["skip_final_snapshot"] is False and db["final_snapshot_identifier"] == "vtc-test-postgres-final"
    assert db["lifecycle"]["prevent_destroy"] is True
    assert db["delete_automated_backups"] is False
    assert db["backup_retention_period"] == 30
    # Issue 12 item 6: the key that encrypts the final snapshot and the retained backups is guarded with them.
    assert by_path(guarded, "aws_kms_key", "database/key")["lifecycle"] == {"prevent_destroy": True}


def test_minor_upgrades_are_rds_and_never_planned_back_as_a_downgrade(guarded):
    # Issue 12 item 9: a full pin with automatic upgrades off turned RDS's forced minor upgrade into a planned
    # downgrade (16.9 -> 16.8) that AWS rejects. The configured version is the one the instance is created with.
    db = instance(guarded)
    assert db["engine_version"] == "16.8" and db["auto_minor_version_upgrade"] is True
    assert db["lifecycle"]["ignore_changes"] == ["engine_version"]


def test_disposable_database_drops_every_guard_explicitly(disposable):
    db = instance(disposable)
    assert db["deletion_protection"] is False and db["skip_final_snapshot"] is True
    assert "final_snapshot_identifier" not in db
    assert db["lifecycle"]["prevent_destroy"] is False
    assert db["multi_az"] is False
    assert "lifecycle" not in by_path(disposable, "aws_kms_key", "database/key")


def test_parameter_group_forces_tls_and_follows_the_engine_major_version(guarded):
    group = by_path(guarded, "aws_db_parameter_group", "database/parameter-group")
    assert group["family"] == "postgres16"
    assert group["name_prefix"] == "vtc-test-postgres-postgres16-"
    assert group["lifecycle"] == {"create_before_destroy": True}
    parameters = {p["name"]: p["value"] for p in group["parameter"]}
    assert parameters["rds.force_ssl"] == "1"
    assert parameters["shared_preload_libraries"] == "pg_stat_statements"
    assert parameters["log_min_duration_statement"] == "500"
    upgraded = build(dataclasses.replace(PROPS, engine_version="17.2"))
    assert by_path(upgraded, "aws_db_parameter_group", "database/parameter-group")["family"] == "postgres17"


def test_log_groups_exist_before_the_instance_with_key_and_retention(guarded):
    for kind in ("postgresql", "upgrade"):
        group = by_path(guarded, "aws_cloudwatch_log_group", f"database/log-group-{kind}")
        assert group["name"] == f"/aws/rds/instance/vtc-test-postgres/{kind}"
        assert group["retention_in_days"] == 365
        assert group["kms_key_id"] == ref(guarded, "aws_kms_key", "database/key", "arn")
        address = ref(guarded, "aws_cloudwatch_log_group", f"database/log-group-{kind}").strip("${}").rsplit(".", 1)[0]
        assert address in instance(guarded)["depends_on"]


def test_only_the_nodes_and_the_bootstrap_reach_5432(guarded):
    database = ref(guarded, "aws_security_group", "database/security-group")
    bootstrap = ref(guarded, "aws_security_group", "database/bootstrap-security-group")
    ingress = [(r["referenced_security_group_id"], r["from_port"], r["to_port"])
               for r in resources(guarded, "aws_vpc_security_group_ingress_rule").values()
               if r["security_group_id"] == database]
    assert sorted(ingress) == sorted([(CLIENTS, 5432, 5432), (bootstrap, 5432, 5432)])
    egress = {(r["security_group_id"], r.get("referenced_security_group_id"), r.get("cidr_ipv4"), r["from_port"])
              for r in resources(guarded, "aws_vpc_security_group_egress_rule").values()}
    assert (CLIENTS, database, None, 5432) in egress  # the nodes may leave towards the database
    assert not [e for e in egress if e[0] == database]  # the database itself opens nothing outwards
    assert "ingress" not in by_path(guarded, "aws_security_group", "database/security-group")


# --- the bootstrap ------------------------------------------------------------------------------------------------------

def test_bootstrap_function_runs_in_the_private_subnets_from_the_pinned_package(guarded):
    function = by_path(guarded, "aws_lambda_function", "database/bootstrap-function")
    package, digest = bootstrap_package()
    assert function["source_code_hash"] == digest
    assert function["filename"].endswith(f"/{package.name}")
    assert function["runtime"] == "python3.12" and function["handler"] == "handler.handler"
    assert function["vpc_config"]["subnet_ids"] == [ref(guarded, "aws_subnet", f"private-{i}") for i in range(3)]
    assert "reserved_concurrent_executions" not in function  # issue 12 item 4: new accounts' quota refuses 1
    assert function["tracing_config"] == {"mode": "Active"}
    assert "environment" not in function  # nothing secret, nothing at all, in its configuration


def test_the_bootstrap_package_carries_the_handler_the_rds_roots_and_pure_python_pg8000():
    import zipfile

    package, _ = bootstrap_package()
    names = zipfile.ZipFile(package).namelist()
    assert {"handler.py", "rds-global-bundle.pem", "pg8000/__init__.py", "scramp/__init__.py"} <= set(names)
    pem = zipfile.ZipFile(package).read("rds-global-bundle.pem").decode()
    assert pem.count("-----BEGIN CERTIFICATE-----") > 50  # the handler refuses to connect without the roots
    assert not [n for n in names if n.endswith((".pyc", ".so"))]  # pure Python, no bytecode: same bytes anywhere


def test_bootstrap_reads_only_the_master_secret(guarded):
    statements = by_path(guarded, "aws_iam_policy_document", "database/bootstrap-role-policy-document",
                         data=True)["statement"]
    by_sid = {s["sid"]: s for s in statements}
    assert by_sid["ReadTheMasterSecret"]["actions"] == ["secretsmanager:GetSecretValue"]
    assert by_sid["ReadTheMasterSecret"]["resources"] == [
        "${aws_db_instance." + next(iter(resources(guarded, "aws_db_instance"))) + ".master_user_secret[0].secret_arn}"]
    decrypt = by_sid["DecryptTheMasterSecretThroughSecretsManager"]
    assert decrypt["actions"] == ["kms:Decrypt"]
    assert decrypt["resources"] == [ref(guarded, "aws_kms_key", "database/key", "arn")]
    assert decrypt["condition"] == [{"test": "StringEquals", "variable": "kms:ViaService",
                                     "values": ["secretsmanager.${data.aws_region.account-region.name}.amazonaws.com"]}]


@pytest.mark.parametrize("role, service", [("monitoring-role-assume", "monitoring.rds.amazonaws.com"),
                                           ("bootstrap-role-assume", "lambda.amazonaws.com")])
def test_service_roles_trust_their_service_only_for_this_account(guarded, role, service):
    (trust,) = by_path(guarded, "aws_iam_policy_document", f"database/{role}", data=True)["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": [service]}]
    assert trust["condition"] == [{"test": "StringEquals", "variable": "aws:SourceAccount",
                                   "values": ["${data.aws_caller_identity.account-caller.account_id}"]}]


def test_invocation_names_the_secret_not_its_value_and_reruns_on_code_or_engine_change(guarded):
    invocation = by_path(guarded, "aws_lambda_invocation", "database/bootstrap-invocation")
    event = invocation["input"]
    assert event.startswith("${jsonencode(") and "secret_arn" in event and "password" not in event
    # The running version (RDS upgrades minors itself): the bootstrap runs again after an upgrade.
    assert invocation["triggers"] == {"code": bootstrap_package()[1],
                                      "engine_version": ref(guarded, "aws_db_instance", "database/instance",
                                                            "engine_version_actual")}
    db_address = ref(guarded, "aws_db_instance", "database/instance").strip("${}").rsplit(".", 1)[0]
    policy_address = ref(guarded, "aws_iam_role_policy", "database/bootstrap-role-policy").strip("${}").rsplit(".", 1)[0]
    assert invocation["depends_on"] == [db_address, policy_address]


def test_the_function_is_made_while_the_instance_is_and_runs_only_once_it_may_read_the_secret(guarded):
    # Its permission to read the master secret names the secret, which exists only with the instance: the function
    # itself does not wait for that (minutes on AWS), the invocation does.
    function = by_path(guarded, "aws_lambda_function", "database/bootstrap-function")
    policy = by_path(guarded, "aws_iam_role_policy", "database/bootstrap-role-policy")
    document = by_path(guarded, "aws_iam_policy_document", "database/bootstrap-role-policy-document", data=True)
    assert "aws_db_instance." in json.dumps(document) and "aws_db_instance." not in json.dumps(function)
    assert not any(a.startswith(("aws_db_instance.", "aws_iam_role_policy.")) for a in function["depends_on"])
    assert policy["policy"].startswith("${data.aws_iam_policy_document.")


def test_no_secret_value_anywhere_in_the_synthesized_stacks(stacks, workloads_stacks):
    for name, stack in [*stacks.items(), *((f"{n}-workloads", s) for n, s in workloads_stacks.items())]:
        text = json.dumps(stack)
        assert not re.search(r'"(master_)?password"\s*:', text), name
        # Nor in the state: no secret version, no generated password, no secret read through a data source (issue 26:
        # Grafana's admin password was generated into the state; the PagerDuty URL was read into it).
        for kind in ("aws_secretsmanager_secret_version", "aws_secretsmanager_random_password", "aws_ssm_parameter"):
            assert kind not in stack.get("resource", {}) and kind not in stack.get("data", {}), (name, kind)
        if name.endswith("-workloads"):
            assert "set_sensitive" not in text and "secret_string" not in text, name
            continue
        for db in stack["resource"]["aws_db_instance"].values():
            assert db["manage_master_user_password"] is True


def test_the_package_is_deterministic_and_complete(tmp_path):
    first, digest = bootstrap_package(tmp_path / "a")
    second, again = bootstrap_package(tmp_path / "b")
    assert digest == again and first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert "handler.py" in names and "pg8000/native.py" in names and "scramp/core.py" in names
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]
    # The handler imports from the package alone: an isolated interpreter with nothing but the zip on its path.
    result = subprocess.run([sys.executable, "-I", "-S", "-c",
                             f"import sys; sys.path.insert(0, {str(first)!r}); import handler; "
                             "print(handler.pg8000.__file__)"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(first))


def test_typed_outputs_resolve_to_the_resources():
    """Each typed output references the right attribute of the right resource (issue 16), reference by reference."""
    names = ("db_instance_id", "db_endpoint_address", "db_resource_id", "db_allocated_storage_gib",
             "db_master_secret_arn", "db_security_group_id")
    captured = {}

    def build_in(scope):
        network = Network(scope, "network", NETWORK)
        db = captured["db"] = PgvectorDatabase(scope, "database", dataclasses.replace(
            PROPS, network=network.database_network(CLIENTS)))
        return {name: getattr(db, name) for name in names}

    tf, out = synth_outputs(build_in)
    instance = ref(tf, "aws_db_instance", "database/instance", "")[:-1]
    assert out == {
        "db_instance_id": instance + "identifier}",
        "db_endpoint_address": instance + "address}",
        "db_resource_id": instance + "resource_id}",
        "db_allocated_storage_gib": instance + "allocated_storage}",
        "db_master_secret_arn": instance + "master_user_secret[0].secret_arn}",
        "db_security_group_id": ref(tf, "aws_security_group", "database/security-group"),
    }
    db = captured["db"]
    assert (db.db_port, db.db_name, db.db_app_role, db.db_max_allocated_storage_gib) == (
        5432, "vtc", "vtc_app", PROPS.max_allocated_storage_gib)


def test_the_connect_arn_names_the_resource_id_and_the_user():
    captured = {}

    def build_in(scope):
        network = Network(scope, "network", NETWORK)
        db = PgvectorDatabase(scope, "database", dataclasses.replace(
            PROPS, app_role="svc_app", network=network.database_network(CLIENTS)))
        captured["arns"] = (db.db_connect_arn(), db.db_connect_arn("reader"))
        TerraformOutput(scope, "arns", value=list(captured["arns"]))

    tf = synth(build_in)
    resource_id = ref(tf, "aws_db_instance", "database/instance", "resource_id")[2:-1]
    prefix = ("arn:${data.aws_partition.account-partition.partition}:rds-db:${data.aws_region.account-region.name}:"
              "${data.aws_caller_identity.account-caller.account_id}:dbuser:${" + resource_id + "}/")
    assert tf["output"]["arns"]["value"] == [prefix + "svc_app", prefix + "reader"]


# --- validation: every branch ---------------------------------------------------------------------------------------

def test_valid_props_have_no_problem():
    assert PROPS.validate() == []


@pytest.mark.parametrize("changes, expected", [
    ({"name": "VTC"}, r"^name: invalid value \(got 'VTC'\)"),
    ({"engine_version": "16"}, r"^engine_version: engine version not pinned \(got '16'\); allowed: a full version"),
    ({"engine_version": "15.2"}, r"^engine_version: no pgvector on this engine version \(got '15\.2'\); allowed: "
                                 r"15\.x with pgvector: 15\.4 to 15\.15; fix: upgrade to 15\.4 or later$"),
    ({"engine_version": "11.22"}, r"^engine_version: no pgvector on this engine version \(got '11\.22'\)"),
    ({"network": dataclasses.replace(PLANNED, subnet_ids=("subnet-a",))}, r"^network\.subnet_ids: too few subnets"),
    ({"network": dataclasses.replace(PLANNED, bootstrap_subnet_ids=())},
     r"^network\.bootstrap_subnet_ids: no subnet for the bootstrap"),
    ({"instance_class": "r6g.large"}, r"^instance_class: unknown instance class \(got 'r6g\.large'\).*fix: correct the class$"),
    ({"allocated_storage_gib": 10}, r"^allocated_storage_gib: invalid value \(got 10\); allowed: 20 to 65536"),
    ({"max_allocated_storage_gib": 100}, r"^max_allocated_storage_gib: no room to grow \(got 100\); allowed: more "
                                         r"than allocated_storage_gib \(100\)"),
    ({"backup_retention_days": 0}, r"^backup_retention_days: invalid value \(got 0\); allowed: 1 to 35 days"),
    ({"backup_window": "2am"}, r"^backup_window: malformed window \(got '2am'\); allowed: hh:mm-hh:mm in UTC"),
    ({"maintenance_window": "sunday"}, r"^maintenance_window: malformed window \(got 'sunday'\)"),
    ({"database_name": "postgres"}, r"^database_name: reserved database name \(got 'postgres'\)"),
    ({"app_role": "App"}, r"^app_role: invalid role name \(got 'App'\)"),
    ({"app_schema": "rds_iam"}, r"^app_schema: reserved schema name \(got 'rds_iam'\)"),
    ({"performance_insights_retention_days": 30}, r"^performance_insights_retention_days: invalid value \(got 30\)"),
    ({"monitoring_interval_seconds": 0}, r"^monitoring_interval_seconds: invalid value \(got 0\); allowed: 1, 5, 10"),
    ({"log_retention_days": 2}, r"^log_retention_days: invalid value \(got 2\)"),
    ({"multi_az": "yes"}, r"^multi_az: invalid value \(got 'yes'\); allowed: true or false"),
    ({"disposable": 1}, r"^disposable: invalid value \(got 1\); allowed: true or false"),
    ({"engine_version": "16.42"}, r"^engine_version: no pgvector on this engine version \(got '16\.42'\); allowed: "
                                  r"16\.x with pgvector: 16\.1 to 16\.11; fix: use 16\.11 \(or add 16\.42 to "
                                  r"vtc_constructs\.aws_rules\.PGVECTOR_ENGINE_VERSIONS once RDS releases it\)$"),
    ({"instance_class": "db.r6g.giant"}, r"^instance_class: unknown instance class \(got 'db\.r6g\.giant'\).*fix: "
                                         r"correct the class \(or, if RDS offers it for PostgreSQL, add it and its "
                                         r"memory to vtc_constructs\.aws_rules\.RDS_INSTANCE_MEMORY_GIB\)$"),
    ({"backup_window": "02:00-02:15"}, r"^backup_window: window too short \(got '02:00-02:15'\); allowed: at least 30 "
                                       r"minutes"),
    ({"backup_window": "25:00-26:00"}, r"^backup_window: malformed window \(got '25:00-26:00'\)"),
    ({"maintenance_window": "sun:02:30-sun:02:45"}, r"^maintenance_window: window too short"),
    ({"backup_window": "03:00-04:00"},
     r"^backup_window: backup window overlaps the maintenance window \(got '03:00-04:00'\); allowed: a daily window "
     r"that does not overlap the maintenance window sun:03:30-sun:04:30; fix: move the backup window before or after "
     r"the maintenance window$"),
    ({"backup_window": "23:45-00:30", "maintenance_window": "mon:00:00-mon:01:00"},
     r"^backup_window: backup window overlaps the maintenance window"),
    ({"database_name": "1vtc"}, r"^database_name: invalid database name \(got '1vtc'\)"),
    ({"database_name": "v" * 64}, r"^database_name: database name too long"),
    ({"app_role": "select"}, r"^app_role: reserved role name \(got 'select'\)"),
    ({"app_role": "pg_app"}, r"^app_role: reserved role name \(got 'pg_app'\)"),
    ({"app_role": "vtc_admin"}, r"^app_role: role is the master user \(got 'vtc_admin'\); allowed: a role other than "
                                r"the master user vtc_admin; fix: give the application a role of its own"),
    ({"allocated_storage_gib": 100.0}, r"^allocated_storage_gib: invalid value \(got 100\.0\)"),
    ({"network": None}, r"^network: not a DatabaseNetwork \(got None\)"),
    ({"network": dataclasses.replace(PLANNED, subnet_ids="subnet-a")},
     r"^network\.subnet_ids: not a list \(got 'subnet-a'\).*fix: wrap it in a list"),
])
def test_each_invalid_field_is_reported(changes, expected):
    assert_one_problem(dataclasses.replace(PROPS, **changes).validate(), expected)


@pytest.mark.parametrize("changes", [
    {"engine_version": "17.4"}, {"engine_version": "12.16"}, {"instance_class": "db.t4g.large"},
    {"instance_class": "db.m7g.2xlarge"}, {"backup_window": "23:30-00:30", "maintenance_window": "sat:21:00-sat:22:00"},
    {"backup_window": "02:00-03:00", "maintenance_window": "sun:03:00-sun:04:00"},
    {"database_name": "embeddings", "app_role": "api_v2", "app_schema": "search"},
])
def test_valid_variants_have_no_problem(changes):
    assert dataclasses.replace(PROPS, **changes).validate() == []


def test_every_problem_at_once_with_the_construct_id_in_front():
    bad = dataclasses.replace(PROPS, engine_version="14.1", backup_retention_days=99)
    with pytest.raises(ConfigError) as raised:
        synth(lambda s: PgvectorDatabase(s, "database", bad))
    assert [p.path for p in raised.value.problems] == ["database.engine_version", "database.backup_retention_days"]
