"""PgvectorDatabase: Multi-AZ, encrypted RDS PostgreSQL whose every deploy ensures the ``vector`` extension.

Usage::

    from vtc_constructs import DatabaseProps, PgvectorDatabase

    db = PgvectorDatabase(self, "database", DatabaseProps(
        name="vtc-production",
        engine_version="16.8",
        network=network.database_network(client_security_group_id=cluster.node_security_group_id),
    ))
    db.db_endpoint_address, db.db_master_secret_arn, db.db_instance_id

Fixed, not optional: storage, Performance Insights, exported logs and the master secret encrypted with one
customer-managed KMS key (rotation on); the master password is generated and kept by RDS in Secrets Manager, so it
is never in the Terraform configuration or state; TLS is forced (``rds.force_ssl=1``); IAM database authentication
on; the instance is never publicly accessible and sits in the isolated database subnets, admitting 5432 only from
the client security group (the EKS nodes) and the bootstrap function; copy-tags-to-snapshot on; enhanced
monitoring on. Unless the props say the database is ``disposable`` (for staging, explicitly), deletion protection
is on, a final snapshot is taken, and Terraform refuses to destroy the instance (``prevent_destroy``) and its KMS key,
which encrypts the final snapshot and the retained backups and so must outlive the instance (before issue 12 only the
instance was guarded). Minor engine versions are RDS's: ``auto_minor_version_upgrade`` is on and Terraform ignores
the running minor version, so an upgrade RDS applies (or forces at the end of a version's support) is never planned
back as a downgrade AWS would refuse; the bootstrap runs again after it. The service roles trust their service only
on behalf of this account (``aws:SourceAccount``).

The bootstrap: a Lambda function in the private subnets, packaged at synth time from
``vtc_constructs/pgvector_bootstrap/handler.py`` and pure-Python pg8000, invoked by Terraform
(``aws_lambda_invocation``) whenever its input, its code or the running engine version changes. It reads the master
secret (decrypting it only through Secrets Manager, ``kms:ViaService``), verifies the server's TLS certificate against
AWS's RDS CAs bundled with it, and runs ``CREATE EXTENSION IF NOT EXISTS vector``, creates the application role (IAM
sign-in) and schema. It reserves no concurrency (until issue 12 it reserved 1, which fails in an account whose Lambda
quota leaves fewer than 100 unreserved executions, as new accounts' does); Terraform invokes it once per deploy.

Why one module: it is one construct, read top to bottom as its props (with their validation), the bootstrap function's
package, its resources and its outputs.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cdktf import AssetType, Fn, TerraformAsset, TerraformResourceLifecycle
from constructs import Construct

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionTracingConfig,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.lambda_invocation import LambdaInvocation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from ._lambda_bundle import dependency_files
from ._common import (
    Account,
    Statement,
    account_admin_statement,
    claim_names,
    guard_replacement_safety,
    kms_key,
    logs_statement,
    policy_document,
    require_props,
)
from .aws_rules import (
    PGVECTOR_ENGINE_VERSIONS,
    pgvector_engine_version_problems,
    postgres_identifier_problems,
    rds_instance_class_problems,
    rds_window_problems,
)
from .contracts import DatabaseNetwork  # noqa: F401  (re-exported: they were defined here)
from .errors import (Problem, classified, coerce_fields, is_list_reference, is_string_tuple, is_whole, not_a_list,
                     raise_if_any)
from .network import LOG_RETENTION_DAYS

#: The first minor version of each major on which RDS ships pgvector (0.5.0 or later), from the table of real
#: versions, :data:`~vtc_constructs.aws_rules.PGVECTOR_ENGINE_VERSIONS` (the one source).
PGVECTOR_MIN_MINOR = {major: int(versions[0].split(".")[1]) for major, versions in PGVECTOR_ENGINE_VERSIONS.items()}
#: The master user RDS creates (its password is RDS's, in Secrets Manager); the application role may not take it.
MASTER_USERNAME = "vtc_admin"

#: Performance Insights retention RDS accepts: 7 days (free) or a whole number of months up to 731 days.
PERFORMANCE_INSIGHTS_RETENTION = (7, *(31 * m for m in range(1, 24)), 731)
MONITORING_INTERVALS = (1, 5, 10, 15, 30, 60)
LOG_EXPORTS = ("postgresql", "upgrade")
PORT = 5432

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,40}[a-z0-9]$")

#: Terraform references (cdktf tokens), field by field. What PgvectorDatabase names things after, chooses by or
#: compares at synth is refused, with what is allowed and how to fix it (:func:`~vtc_constructs.errors.classified`):
_SYNTH_TIME_FIELDS = {
    "name": ("a literal name known at synth", "write the name itself: the instance, function, log groups and KMS "
             "alias are named <name>-*"),
    "engine_version": ("a literal full version known at synth, e.g. '16.8'", "write the version itself: the "
                       "parameter group's family and pgvector's availability follow from it"),
    "instance_class": ("a literal RDS instance class, e.g. 'db.r6g.large'", "write the class itself: it is checked "
                       "against the engine and sizes the connection alarm"),
    "allocated_storage_gib": ("a literal whole number of GiB, 20 to 65536", "write the number itself: the "
                              "autoscaling ceiling is checked against it"),
    "max_allocated_storage_gib": ("a literal whole number of GiB above the allocation", "write the number itself: "
                                  "it is checked against allocated_storage_gib"),
    "backup_window": ("a literal hh:mm-hh:mm in UTC", "write the window itself: it must not overlap the "
                      "maintenance window, checked at synth"),
    "maintenance_window": ("a literal ddd:hh:mm-ddd:hh:mm in UTC", "write the window itself: it must not overlap "
                           "the backup window, checked at synth"),
    "database_name": ("a literal PostgreSQL identifier", "write the name itself: it is the bootstrap's input"),
    "app_role": ("a literal PostgreSQL identifier other than the master user", "write the role itself: it is the "
                 "bootstrap's input and its IAM sign-in"),
    "app_schema": ("a literal PostgreSQL identifier", "write the schema itself: it is the bootstrap's input"),
}
#: ... and what it only passes on to RDS or CloudWatch is accepted as a number token (RDS checks it at apply).
_PASSED_ON = {name: "number" for name in ("backup_retention_days", "performance_insights_retention_days",
                                          "monitoring_interval_seconds", "log_retention_days")}





@dataclass(frozen=True, kw_only=True)
class DatabaseProps:
    """Input of :class:`PgvectorDatabase`.

    :param name: prefix of the instance identifier (``<name>-postgres``) and of every related name. Required when the construct is used alone; :class:`~vtc_constructs.platform.VisionToCodePlatform` sets it.
    :param engine_version: the full PostgreSQL version (``16.8``) the instance is created with, a version RDS ships
        pgvector for (:data:`~vtc_constructs.aws_rules.PGVECTOR_ENGINE_VERSIONS`). Required. Later minor versions
        come from RDS in the maintenance window (``auto_minor_version_upgrade``); changing this value does not
        upgrade a running instance (until issue 12 it was a pin with automatic upgrades off, and RDS's forced
        upgrades then showed as planned downgrades that AWS rejects).
    :param network: :class:`DatabaseNetwork`. Required when the construct is used alone; :class:`~vtc_constructs.platform.VisionToCodePlatform` sets it.
    :param instance_class: default: ``db.r6g.large``. One of :data:`~vtc_constructs.aws_rules.RDS_INSTANCE_MEMORY_GIB`.
    :param allocated_storage_gib: default: 100 GiB of gp3.
    :param max_allocated_storage_gib: default: 500 GiB, the ceiling of storage autoscaling (above the allocation).
    :param multi_az: default: a synchronous standby in another AZ.
    :param backup_retention_days: default: 30 days of automated backups (1-35).
    :param backup_window: default: ``02:00-03:00`` UTC.
    :param maintenance_window: default: ``sun:03:30-sun:04:30`` UTC, after the backup window. Each window lasts at
        least 30 minutes; they may not overlap (RDS's rules).
    :param disposable: default: False, the database is guarded (deletion protection, final snapshot,
        ``prevent_destroy``). True drops every guard: for environments whose data may be lost.
    :param database_name: default: ``vtc``. :param app_role: default: ``vtc_app``. :param app_schema: default: ``vtc``.
        Each a lower-case PostgreSQL identifier: a letter first, at most 63 characters, not a reserved word; the
        role not the master user (``vtc_admin``).
    :param performance_insights_retention_days: default: 7 (the free tier).
    :param monitoring_interval_seconds: default: 60 (enhanced monitoring).
    :param log_retention_days: default: exported ``postgresql`` and ``upgrade`` logs are kept 365 days.
    """

    name: str | None = None
    engine_version: str
    network: DatabaseNetwork | None = None
    instance_class: str = "db.r6g.large"
    allocated_storage_gib: int = 100
    max_allocated_storage_gib: int = 500
    multi_az: bool = True
    backup_retention_days: int = 30
    backup_window: str = "02:00-03:00"
    maintenance_window: str = "sun:03:30-sun:04:30"
    disposable: bool = False
    database_name: str = "vtc"
    app_role: str = "vtc_app"
    app_schema: str = "vtc"
    performance_insights_retention_days: int = 7
    monitoring_interval_seconds: int = 60
    log_retention_days: int = 365

    @property
    def engine_major(self) -> int:
        return int(self.engine_version.split(".")[0])

    @property
    def parameter_group_family(self) -> str:
        """``postgres16`` for 16.x: the family follows the engine's major version."""
        return f"postgres{self.engine_major}"

    def validate(self, *, check_network: bool = True) -> list[Problem]:
        """Every problem; ``check_network=False`` skips the checks of ``network`` (for a caller that reported the
        network as invalid already). A Terraform reference is refused in the fields computed from at synth
        (``_SYNTH_TIME_FIELDS``), accepted in those only passed on (``_PASSED_ON``)."""
        return classified(self, self._problems(check_network), _SYNTH_TIME_FIELDS, _PASSED_ON)

    def _problems(self, check_network: bool) -> list[Problem]:
        problems: list[Problem] = []
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            problems.append(Problem("name", self.name, "3-42 characters of a-z, 0-9 and '-', starting with a letter",
                                    "use a short lower-case name such as 'vtc-staging'"))
        problems += pgvector_engine_version_problems(self.engine_version)
        if not isinstance(self.network, DatabaseNetwork):
            problems.append(Problem("network", self.network, "a DatabaseNetwork",
                                    "pass network.database_network(client_security_group_id=...)",
                                    "not a DatabaseNetwork"))
        elif check_network:
            type_problems = [p.prefixed("network") for p in self.network.type_problems()]
            problems += type_problems or self._network_problems()
        problems += self._sizing_problems()
        problems += self._name_problems()
        return problems

    def _name_problems(self) -> list[Problem]:
        problems = postgres_identifier_problems(self.database_name, "database_name", "database name")
        problems += postgres_identifier_problems(self.app_role, "app_role", "role name")
        problems += postgres_identifier_problems(self.app_schema, "app_schema", "schema name")
        if self.app_role == MASTER_USERNAME:
            problems.append(Problem("app_role", self.app_role, f"a role other than the master user "
                                    f"{MASTER_USERNAME}", "give the application a role of its own, e.g. 'vtc_app'",
                                    "role is the master user"))
        return problems

    def _network_problems(self) -> list[Problem]:
        problems = []
        # A whole list known only at apply (DataAwsSubnets(...).ids): RDS checks its AZs then.
        if not is_list_reference(self.network.subnet_ids) and len(self.network.subnet_ids) < 2:
            problems.append(Problem("network.subnet_ids", list(self.network.subnet_ids), "subnets in at least 2 AZs",
                                    "RDS subnet groups (and Multi-AZ) need two Availability Zones", "too few subnets"))
        if not self.network.bootstrap_subnet_ids:
            problems.append(Problem("network.bootstrap_subnet_ids", [], "at least one private subnet",
                                    "give the bootstrap function a subnet that reaches Secrets Manager",
                                    "no subnet for the bootstrap"))
        return problems

    def _sizing_problems(self) -> list[Problem]:
        problems = []
        problems += rds_instance_class_problems(self.instance_class)
        storage, ceiling = self.allocated_storage_gib, self.max_allocated_storage_gib
        if not is_whole(storage) or not 20 <= storage <= 65536:
            problems.append(Problem("allocated_storage_gib", storage, "20 to 65536 GiB (gp3)",
                                    "allocate at least 20 GiB"))
        elif not is_whole(ceiling) or ceiling <= storage or ceiling > 65536:
            problems.append(Problem("max_allocated_storage_gib", ceiling,
                                    f"more than allocated_storage_gib ({storage}) and at most 65536",
                                    "set the autoscaling ceiling above the allocation", "no room to grow"))
        if not is_whole(self.backup_retention_days) or not 1 <= self.backup_retention_days <= 35:
            problems.append(Problem("backup_retention_days", self.backup_retention_days, "1 to 35 days",
                                    "keep backups at least one day; RDS keeps at most 35"))
        problems += rds_window_problems(self.backup_window, self.maintenance_window)
        if not is_whole(self.performance_insights_retention_days) or \
                self.performance_insights_retention_days not in PERFORMANCE_INSIGHTS_RETENTION:
            problems.append(Problem("performance_insights_retention_days", self.performance_insights_retention_days,
                                    "7, a multiple of 31 up to 713, or 731", "7 is free; 731 keeps two years"))
        if not is_whole(self.monitoring_interval_seconds) or self.monitoring_interval_seconds not in MONITORING_INTERVALS:
            problems.append(Problem("monitoring_interval_seconds", self.monitoring_interval_seconds,
                                    ", ".join(map(str, MONITORING_INTERVALS)), "enhanced monitoring is always on; "
                                    "pick an interval"))
        if not is_whole(self.log_retention_days) or self.log_retention_days not in LOG_RETENTION_DAYS:
            problems.append(Problem("log_retention_days", self.log_retention_days,
                                    f"one of CloudWatch's retention values {list(LOG_RETENTION_DAYS)}",
                                    "pick the nearest allowed value"))
        for field in ("multi_az", "disposable"):
            if not isinstance(getattr(self, field), bool):
                problems.append(Problem(field, getattr(self, field), "true or false", f"set {field} to a boolean"))
        return problems


@functools.lru_cache(maxsize=None)
def bootstrap_package(workdir: Path | None = None) -> tuple[Path, str]:
    """Build the bootstrap function's zip: the handler and pure-Python pg8000 with its dependencies.

    The dependencies come from exact wheels shipped inside this package (``vtc_constructs/_lambda_bundle``), never
    from the environment that runs the synth, so the zip has the same bytes whatever else is installed there.
    Deterministic (sorted entries, fixed timestamps, no bytecode), so the same sources give the same bytes and the
    same hash, and the synthesized stack does not change unless the code does. Returns (zip path, sha256 hex).
    Built once per process (every environment's stack shares it).
    """
    entries = dependency_files()
    source = Path(__file__).with_name("pgvector_bootstrap")
    entries["handler.py"] = (source / "handler.py").read_bytes()
    # The handler verifies the server's certificate against AWS's RDS roots only (see pgvector_bootstrap/README.md).
    entries["rds-global-bundle.pem"] = (source / "rds-global-bundle.pem").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    folder = Path(workdir or tempfile.gettempdir()) / "vtc-infra-assets"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"pgvector-bootstrap-{digest[:16]}.zip"
    if not path.exists():
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(data)
        temporary.replace(path)
    return path, digest


class PgvectorDatabase(Construct):
    """Encrypted, guarded RDS PostgreSQL with pgvector ensured by every deploy. See the module docstring."""

    def __init__(self, scope: Construct, id: str, props: DatabaseProps):
        require_props("PgvectorDatabase", props, DatabaseProps, "DatabaseProps(name='my-service', "
                      "engine_version='16.8', network=network.database_network(client_security_group_id=...))")
        super().__init__(scope, id)
        raise_if_any(problem.prefixed(id) for problem in props.validate())
        guard_replacement_safety(self)
        name, net = props.name, props.network
        identifier = f"{name}-postgres"
        self._function_name = f"{name}-pgvector-bootstrap"
        log_groups = [f"/aws/rds/instance/{identifier}/{kind}" for kind in LOG_EXPORTS]
        function_log_group = f"/aws/lambda/{self._function_name}"
        claim_names(self, id, ("RDS instance", identifier), ("Lambda function", self._function_name),
                    *(("CloudWatch log group", group) for group in (*log_groups, function_log_group)),
                    ("KMS alias", f"alias/{identifier}"))
        self.props = props
        self.account = account = Account.of(self)
        tags = {"vtc/database": identifier}

        key_policy = policy_document(self, "key-policy", account_admin_statement(account),
                                     logs_statement(account, [*log_groups, function_log_group]))
        # Guarded with the instance: the key encrypts the final snapshot and the retained automated backups.
        self.key = kms_key(self, "key", description=f"{identifier}: storage, secret, insights and logs",
                           alias=f"{identifier}", policy=key_policy, tags=tags,
                           lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if not props.disposable else None)
        # Created before the instance, so RDS writes into groups with our retention and key, not its own.
        self.log_groups = [CloudwatchLogGroup(self, f"log-group-{kind}", name=group,
                                              retention_in_days=props.log_retention_days, kms_key_id=self._key_arn,
                                              tags=tags)
                           for kind, group in zip(LOG_EXPORTS, log_groups)]

        self.subnet_group = DbSubnetGroup(self, "subnet-group", name_prefix=f"{identifier}-",
                                          subnet_ids=list(net.subnet_ids), tags=tags,
                                          lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
        self.security_group = SecurityGroup(self, "security-group", name_prefix=f"{identifier}-", vpc_id=net.vpc_id,
                                            description=f"{identifier}: PostgreSQL from the cluster nodes only",
                                            tags={**tags, "Name": identifier},
                                            lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
        self._client_rules(net.client_security_group_id, "clients", "EKS nodes", tags)

        self.parameter_group = DbParameterGroup(
            self, "parameter-group", name_prefix=f"{identifier}-{props.parameter_group_family}-",
            family=props.parameter_group_family, description=f"{identifier} (TLS forced, pg_stat_statements)",
            parameter=[DbParameterGroupParameter(name=k, value=v, apply_method=m) for k, v, m in (
                ("rds.force_ssl", "1", "immediate"),
                ("shared_preload_libraries", "pg_stat_statements", "pending-reboot"),
                ("pg_stat_statements.track", "all", "immediate"),
                ("log_min_duration_statement", "500", "immediate"),
                ("log_connections", "1", "immediate"),
                ("log_disconnections", "1", "immediate"),
                ("log_lock_waits", "1", "immediate"),
                ("log_statement", "ddl", "immediate"),
                ("log_temp_files", "0", "immediate"),
            )],
            tags=tags,
            # A major upgrade needs a group of the new family: create it before the old one is destroyed.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True))

        monitoring_assume = policy_document(self, "monitoring-role-assume", Statement(
            actions=["sts:AssumeRole"], principals={"Service": ["monitoring.rds.amazonaws.com"]},
            conditions=[("StringEquals", "aws:SourceAccount", [account.id])]))
        self.monitoring_role = IamRole(self, "monitoring-role", name_prefix=f"{name}-rds-monitoring-"[:38],
                                       assume_role_policy=monitoring_assume.json, tags=tags)
        monitoring_policy = IamRolePolicyAttachment(
            self, "monitoring-role-policy", role=self.monitoring_role.name,
            policy_arn=account.managed_policy("service-role/AmazonRDSEnhancedMonitoringRole"))

        self.instance = DbInstance(
            self, "instance", identifier=identifier, engine="postgres", engine_version=props.engine_version,
            instance_class=props.instance_class, allocated_storage=props.allocated_storage_gib,
            max_allocated_storage=props.max_allocated_storage_gib, storage_type="gp3", storage_encrypted=True,
            kms_key_id=self._key_arn, multi_az=props.multi_az, db_name=props.database_name, username=MASTER_USERNAME,
            manage_master_user_password=True, master_user_secret_kms_key_id=self._key_arn,
            iam_database_authentication_enabled=True, port=PORT,
            db_subnet_group_name=self.subnet_group.name, vpc_security_group_ids=[self.db_security_group_id],
            parameter_group_name=self.parameter_group.name, publicly_accessible=False,
            ca_cert_identifier="rds-ca-rsa2048-g1",
            backup_retention_period=props.backup_retention_days, backup_window=props.backup_window,
            maintenance_window=props.maintenance_window, copy_tags_to_snapshot=True,
            delete_automated_backups=props.disposable,
            auto_minor_version_upgrade=True, allow_major_version_upgrade=False,
            performance_insights_enabled=True, performance_insights_kms_key_id=self._key_arn,
            performance_insights_retention_period=props.performance_insights_retention_days,
            monitoring_interval=props.monitoring_interval_seconds, monitoring_role_arn=self.monitoring_role.arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            deletion_protection=not props.disposable, skip_final_snapshot=props.disposable,
            final_snapshot_identifier=None if props.disposable else f"{identifier}-final",
            tags=tags, depends_on=[*self.log_groups, monitoring_policy],
            lifecycle=TerraformResourceLifecycle(prevent_destroy=not props.disposable,
                                                 # RDS's minor upgrades: never planned back (see the docstring).
                                                 ignore_changes=["engine_version"]))

        self._bootstrap(tags, function_log_group)

    def _client_rules(self, client_group: str, id: str, what: str, tags) -> None:
        """Admit ``client_group`` on 5432, and let it out to the database (its egress is closed otherwise)."""
        VpcSecurityGroupIngressRule(self, f"from-{id}", security_group_id=self.db_security_group_id,
                                    referenced_security_group_id=client_group, ip_protocol="tcp", from_port=PORT,
                                    to_port=PORT, description=f"PostgreSQL from {what}", tags=tags)
        VpcSecurityGroupEgressRule(self, f"{id}-to-database", security_group_id=client_group,
                                   referenced_security_group_id=self.db_security_group_id, ip_protocol="tcp",
                                   from_port=PORT, to_port=PORT, description=f"{what} to PostgreSQL", tags=tags)

    def _bootstrap(self, tags, log_group_name: str) -> None:
        props, account = self.props, self.account
        package, digest = bootstrap_package()
        asset = TerraformAsset(self, "bootstrap-code", path=str(package), type=AssetType.FILE, asset_hash=digest)

        self.bootstrap_security_group = SecurityGroup(
            self, "bootstrap-security-group", name_prefix=f"{self._function_name}-", vpc_id=props.network.vpc_id,
            description=f"{self._function_name}: out to the database and to AWS APIs only",
            tags={**tags, "Name": self._function_name},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
        VpcSecurityGroupEgressRule(self, "bootstrap-to-aws-apis", security_group_id=self.bootstrap_security_group.id,
                                   cidr_ipv4="0.0.0.0/0", ip_protocol="tcp", from_port=443, to_port=443,
                                   description="Secrets Manager over HTTPS (through NAT)", tags=tags)
        self._client_rules(self.bootstrap_security_group.id, "bootstrap", "the pgvector bootstrap", tags)

        log_group = CloudwatchLogGroup(self, "bootstrap-log-group", name=log_group_name,
                                       retention_in_days=props.log_retention_days, kms_key_id=self._key_arn, tags=tags)
        assume = policy_document(self, "bootstrap-role-assume", Statement(
            actions=["sts:AssumeRole"], principals={"Service": ["lambda.amazonaws.com"]},
            conditions=[("StringEquals", "aws:SourceAccount", [account.id])]))
        role = IamRole(self, "bootstrap-role", name_prefix=f"{props.name}-pgvector-"[:38],
                       assume_role_policy=assume.json, tags=tags)
        vpc_access = IamRolePolicyAttachment(
            self, "bootstrap-role-vpc-access", role=role.name,
            policy_arn=account.managed_policy("service-role/AWSLambdaVPCAccessExecutionRole"))
        tracing = IamRolePolicyAttachment(self, "bootstrap-role-xray", role=role.name,
                                          policy_arn=account.managed_policy("AWSXRayDaemonWriteAccess"))
        secret_arn = self.instance.master_user_secret.get(0).secret_arn
        read = policy_document(self, "bootstrap-role-policy-document",
                               Statement(sid="ReadTheMasterSecret", actions=["secretsmanager:GetSecretValue"],
                                         resources=[secret_arn]),
                               Statement(sid="DecryptTheMasterSecretThroughSecretsManager", actions=["kms:Decrypt"],
                                         resources=[self._key_arn],
                                         conditions=[("StringEquals", "kms:ViaService",
                                                      [f"secretsmanager.{account.region}.amazonaws.com"])]))
        policy = IamRolePolicy(self, "bootstrap-role-policy", role=role.id, name="read-master-secret",
                               policy=read.json)

        self.bootstrap_function = LambdaFunction(
            self, "bootstrap-function", function_name=self._function_name, role=role.arn, runtime="python3.12",
            architectures=["arm64"], handler="handler.handler", filename=asset.path, source_code_hash=digest,
            timeout=120, memory_size=256,
            description="CREATE EXTENSION vector, the application role and schema (idempotent)",
            vpc_config=LambdaFunctionVpcConfig(subnet_ids=list(props.network.bootstrap_subnet_ids),
                                               security_group_ids=[self.bootstrap_security_group.id]),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            # Not on `policy`: that names the master secret, which exists only once the instance does, and nothing
            # runs the function before the invocation below; so the function is made while the instance is. The
            # invocation follows the policy at once: the handler retries IAM's refusal until the policy applies.
            tags=tags, depends_on=[log_group, vpc_access, tracing])
        event = {"secret_arn": secret_arn, "host": self.instance.address, "port": PORT,
                 "database": props.database_name, "app_role": props.app_role, "app_schema": props.app_schema}
        self.bootstrap_invocation = LambdaInvocation(
            self, "bootstrap-invocation", function_name=self.bootstrap_function.function_name,
            input=Fn.jsonencode(event),
            # Run again when the code or the engine changes, not only when the input does.
            triggers={"code": digest, "engine_version": self.instance.engine_version_actual},
            depends_on=[self.instance, policy])  # the database up, and the function allowed to read its secret

    # --- typed outputs ------------------------------------------------------------------------------------------------

    @functools.cached_property
    def _key_arn(self) -> str:
        """The instance's KMS key (storage, logs, Performance Insights, the master secret), read from jsii once."""
        return self.key.arn

    @functools.cached_property
    def db_instance_id(self) -> str:
        """The instance identifier (``<name>-postgres``): the ``DBInstanceIdentifier`` dimension of its metrics."""
        return self.instance.identifier

    @functools.cached_property
    def db_endpoint_address(self) -> str:
        return self.instance.address

    @functools.cached_property
    def db_resource_id(self) -> str:
        """The instance's resource ID (``db-ABCDEFGHIJKLMNOPQRSTUVWXY0``): what IAM database authentication's
        ``rds-db:connect`` ARNs name (:meth:`db_connect_arn`), unlike the identifier it never changes."""
        return self.instance.resource_id

    @property
    def db_app_role(self) -> str:
        """The application role the bootstrap creates (IAM sign-in, no password): ``DatabaseProps.app_role``."""
        return self.props.app_role

    def db_connect_arn(self, user: str | None = None) -> str:
        """``arn:<partition>:rds-db:<region>:<account>:dbuser:<resource id>/<user>``: what a role needs
        ``rds-db:connect`` on to sign in as ``user`` (default: the application role, :attr:`db_app_role`).
        Ref: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html"""
        return Account.of(self).arn("rds-db", f"dbuser:{self.db_resource_id}/{user or self.props.app_role}")

    @property
    def db_port(self) -> int:
        return PORT

    @functools.cached_property
    def db_allocated_storage_gib(self) -> int:
        """The storage allocated now (a Terraform number: storage autoscaling raises it, and Terraform reads it at
        every deploy); for :class:`~vtc_constructs.alarms_props.AlarmTargets`."""
        return self.instance.allocated_storage

    @property
    def db_max_allocated_storage_gib(self) -> int:
        """The ceiling of storage autoscaling (``max_allocated_storage_gib``); for
        :class:`~vtc_constructs.alarms_props.AlarmTargets`."""
        return self.props.max_allocated_storage_gib

    @property
    def db_name(self) -> str:
        return self.props.database_name

    @functools.cached_property
    def db_master_secret_arn(self) -> str:
        return self.instance.master_user_secret.get(0).secret_arn

    @functools.cached_property
    def db_security_group_id(self) -> str:
        return self.security_group.id
