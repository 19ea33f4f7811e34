"""A local AWS to deploy into: moto's server on a loopback port (answering one request at a time:
tooling/moto_serial.py), and the one override file a stack needs there.

Nothing in a stack is changed to deploy it into the emulator: the AWS SDKs under Terraform (the AWS provider and the
S3 state backend) follow ``AWS_ENDPOINT_URL`` (:meth:`MotoServer.environment`), and the emulator answers as the
environment's own account (``MOTO_ACCOUNT_ID``), so the provider's ``allowed_account_ids`` check passes as it would in
AWS. Beside the synthesized ``cdk.tf.json`` goes one ``emulator_override.tf.json`` (:func:`emulator_override`) that
Terraform merges over the stack. It holds only what the emulator cannot do, each entry with its reason:

- :data:`UNSUPPORTED`: resource types moto has no API for; turned off (``count = 0``);
- :data:`MASKS`: attributes moto reads back differently from what was applied, so that a re-plan would show a change
  real AWS would not; each is ignored (``lifecycle.ignore_changes``, added to the stack's own) on exactly the
  resources the shortcoming applies to. With these, and nothing else, a re-plan right after apply must be empty;
- :data:`SLOW_IN_THE_EMULATOR`: a setting left out because the provider's fixed waiter delays make it slow here (the
  stack and its snapshot keep it);
- :data:`EMULATOR_SETTINGS`: a setting given another value because the emulator cannot serve the stack's (the stack
  and its snapshot keep theirs);
- :data:`EMULATOR_OUTPUTS`: an attribute moto never fills, replaced in the outputs that read it by one it does fill;
- :data:`EMULATOR_TIMEOUTS`: waits of the provider cut short where its fixed delays would wait for nothing (moto's
  resources are ready at once).

Beside the override, :func:`prepare` seeds what the stack expects to exist already (the state bucket and its KMS key
alias, as the bootstrap makes them; the company's DNS zone) and what moto fails to create itself (the member nodes of an ElastiCache replication group).

Usage::

    with MotoServer(account_id="111111111111") as aws:
        aws.prepare(stack_dir, region="eu-west-1")   # state bucket, key + DNS zone seeded, override written
        subprocess.run([...cdktf deploy...], env=tool_env(**aws.environment()))

or from a shell (docs/guides/environments.md, "Try a deploy without AWS"): ``python -m tooling.emulator serve
staging`` and ``python -m tooling.emulator prepare staging --outdir DIR``.

Only ever binds 127.0.0.1; the server is terminated (then killed, if it must be) when the block ends.

Why one module: the server, the override file and the state it seeds are one recipe for deploying a stack locally, each
part there because of a gap another part names, so they are read together.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .paths import REPO, VENV_BIN, tool_env

DUMMY_KEY = "testing"  # moto accepts any key; never a real credential
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's own default, when no account is asked for
OVERRIDE_FILE = "emulator_override.tf.json"

#: Resource types the emulator has no API for, and why. A deploy into the emulator turns them off (count = 0)
#: through the override file and says so; everything else deploys as synthesized.
UNSUPPORTED = {
    "aws_eks_addon": "moto implements no EKS add-on API (CreateAddon)",
    "aws_eks_access_entry": "moto implements no EKS access-entry API (CreateAccessEntry)",
    "aws_eks_access_policy_association": "moto implements no EKS access-policy API (AssociateAccessPolicy)",
    "aws_elasticache_user_group": "moto implements no ElastiCache CreateUserGroup (HTTP 500, which the provider "
                                  "retries until its timeout); the cache's users are created, the group that admits "
                                  "them is not, and the replication group is created without it (EMULATOR_SETTINGS)",
    "aws_lambda_invocation": "moto runs Lambda functions only in Docker, which these machines do not have "
                             "(the bootstrap code itself is tested against a real PostgreSQL: tests/test_bootstrap.py)",
}


@dataclass(frozen=True)
class Mask:
    """One emulator shortcoming: moto reads ``attributes`` of ``resource_type`` back differently from what was
    applied. ``only_with`` limits it to resources whose configuration sets that argument."""

    resource_type: str
    attributes: tuple[str, ...]
    why: str
    only_with: str | None = None

    def applies_to(self, config: dict) -> bool:
        return self.only_with is None or config.get(self.only_with) is not None


#: Every read-back moto 5.2.5 gets wrong for a resource this repository deploys (found by a re-plan right after
#: apply, each traced to moto's code). Real AWS returns what was applied; the emulator-only override ignores these
#: attributes, and only these, so that the deploy test can demand an empty re-plan.
MASKS = (
    Mask("aws_acm_certificate", ("key_algorithm",),
         "moto issues every certificate with an RSA_2048 key and reports that, whatever key algorithm was requested "
         "(the stack asks for EC_prime256v1); the change would replace the certificate, its validation, the "
         "validation DNS record and update the HTTPS listener"),
    Mask("aws_db_instance", ("performance_insights_enabled", "performance_insights_kms_key_id",
                             "performance_insights_retention_period"),
         "moto does not implement Performance Insights: DescribeDBInstances reports it off, with no key and no "
         "retention"),
    Mask("aws_db_parameter_group", ("parameter",),
         "moto's DescribeDBParameters ignores the Source=user filter the provider reads the group's own parameters "
         "with, and returns none of them"),
    Mask("aws_eks_cluster", ("access_config",),
         "moto's DescribeCluster returns no accessConfig; the provider reads the authentication mode and the "
         "bootstrap admin setting as unset, and bootstrap_cluster_creator_admin_permissions forces a replacement "
         "of the cluster (and so of the node group, the OIDC provider and every IRSA trust policy)"),
    Mask("aws_eks_cluster", ("upgrade_policy",),
         "moto's DescribeCluster returns no upgradePolicy; the provider reads the support type as unset and plans to "
         "set it again on every run", only_with="upgrade_policy"),
    Mask("aws_eks_node_group", ("remote_access", "update_config"),
         "moto's DescribeNodegroup invents a remoteAccess block (an SSH key) that was never set, which forces a "
         "replacement, and returns a default updateConfig instead of the one applied"),
    Mask("aws_elasticache_replication_group", ("at_rest_encryption_enabled", "transit_encryption_mode",
                                               "security_group_ids"),
         "moto keeps neither at-rest encryption nor the transit encryption mode on a replication group's member "
         "nodes, which the provider reads them from (false forces a replacement), and the member node prepare() "
         "seeds cannot know the security group the apply creates"),
    Mask("aws_launch_template", ("tag_specifications",),
         "moto adds a tag specification for the 'launch-template' resource type (with the template's own tags) "
         "that was never part of the launch template data"),
    Mask("aws_vpc_security_group_ingress_rule", ("description",),
         "moto drops the description of a rule that references another security group (a rule with a CIDR keeps "
         "it)", only_with="referenced_security_group_id"),
    Mask("aws_vpc_security_group_egress_rule", ("description",),
         "moto drops the description of a rule that references another security group (a rule with a CIDR keeps "
         "it)", only_with="referenced_security_group_id"),
)

#: Settings left out in the emulator only, for speed, by resource type: {attribute: why}. The stacks (and their
#: snapshots) keep them; the emulator cannot show anything about them.
SLOW_IN_THE_EMULATOR = {
    "aws_db_instance": {
        "ca_cert_identifier": "setting the CA certificate makes the provider modify the new instance a second time "
                              "and wait for it again (about 80 s of fixed waiter delays in the emulator); moto "
                              "reports its default CA either way",
    },
}


#: Settings given another value in the emulator only, by resource type: {attribute: (emulator's value, why)}. Written
#: only where the stack's value differs. The stacks (and their snapshots) keep their own.
EMULATOR_SETTINGS = {
    "aws_elasticache_replication_group": {
        "user_group_ids": (None, "the user group is not created in the emulator (UNSUPPORTED), so nothing may "
                                 "refer to it"),
        "num_cache_clusters": (1, "moto creates only the primary for NumCacheClusters and reads back 1; the provider "
                                  "then refuses automatic failover with fewer than 2 nodes at plan time"),
        "automatic_failover_enabled": (False, "one node in the emulator (num_cache_clusters), which cannot fail "
                                              "over"),
        "multi_az_enabled": (False, "one node in the emulator (num_cache_clusters): Multi-AZ needs automatic "
                                    "failover"),
    },
}


#: Attributes moto leaves null, by (resource type, attribute): (the attribute the outputs read instead, why). A null
#: output crashes `cdktf deploy` after the apply (the CLI's output view calls Object.entries on it).
EMULATOR_OUTPUTS = {
    ("aws_elasticache_replication_group", "reader_endpoint_address"): (
        "primary_endpoint_address", "moto's DescribeReplicationGroups has no ReaderEndpoint in a node group (AWS "
                                    "gives one to every cluster-mode-disabled group); the primary endpoint is the "
                                    "same node in the emulator's one-node group"),
}


#: The provider's timeouts set to 1 s in the emulator, by resource type: (timeouts, why). When a timeout expires the
#: provider's waiter describes the resource once more and succeeds if it is ready, which moto's always are.
EMULATOR_TIMEOUTS = {
    "aws_opensearch_domain": ({"create": "1s", "update": "1s", "delete": "1s"},
                              "the provider waits a fixed 10 minutes after CreateDomain before its first "
                              "DescribeDomain, then 1 minute after the Auto-Tune update (about 740 s of a deploy)"),
    "aws_opensearch_domain_policy": ({"update": "1s", "delete": "1s"},
                                     "the provider waits a fixed minute after setting the domain's access policy"),
}


#: Terraform's ``-parallelism`` for a deploy into the emulator (``cdktf deploy --terraform-parallelism``; Terraform's
#: own default is 10). The staging stack's ~430 resources mostly wait out the provider's fixed waiter delays (KMS keys
#: ~14 s each, the ALB, the database), and moto answers at once: with 10 at a time, the database's key queued behind
#: the others and the database (the longest wait) started ~30 s into the apply. What a deploy creates and in which
#: order its dependencies allow is the same; only how many independent resources wait at once.
DEPLOY_PARALLELISM = 40


#: Resource types the emulator never finishes deleting, and why: a destroy in the emulator (the demo) removes them from
#: the state first (``terraform state rm``) instead of waiting for the provider's delete waiter to time out.
NOT_DESTROYABLE = {
    "aws_elasticache_replication_group": "moto's DeleteReplicationGroup leaves the group 'deleting' for good; the "
                                         "provider's delete waiter would poll it for 45 minutes",
    "aws_elasticache_subnet_group": "moto implements no DeleteCacheSubnetGroup (HTTP 500, which the provider retries "
                                    "until its timeout)",
}


def emulator_override(stack: dict) -> tuple[dict, list[str]]:
    """The override for ``stack`` (the synthesized JSON) and the addresses it turns off.

    Every entry comes from :data:`UNSUPPORTED`, :data:`MASKS`, :data:`SLOW_IN_THE_EMULATOR`,
    :data:`EMULATOR_SETTINGS`, :data:`EMULATOR_OUTPUTS` or :data:`EMULATOR_TIMEOUTS`; a mask's attributes
    are added to the resource's own ``lifecycle.ignore_changes`` (an override replaces the whole argument)."""
    resources: dict[str, dict[str, dict]] = {}
    skipped: list[str] = []
    for kind, configs in sorted(stack.get("resource", {}).items()):
        for name, config in sorted(configs.items()):
            entry: dict = {}
            if kind in UNSUPPORTED:
                entry["count"] = 0
                skipped.append(f"{kind}.{name}")
            masked = [a for m in MASKS if m.resource_type == kind and m.applies_to(config) for a in m.attributes]
            if masked:
                own = list(config.get("lifecycle", {}).get("ignore_changes", []))
                entry["lifecycle"] = {"ignore_changes": own + [a for a in masked if a not in own]}
            for attribute in SLOW_IN_THE_EMULATOR.get(kind, {}):
                if attribute in config:
                    entry[attribute] = None
            for attribute, (value, _) in EMULATOR_SETTINGS.get(kind, {}).items():
                if attribute in config and config[attribute] != value:
                    entry[attribute] = value
            if kind in EMULATOR_TIMEOUTS:
                entry["timeouts"] = EMULATOR_TIMEOUTS[kind][0]
            if entry:
                resources.setdefault(kind, {})[name] = entry
    outputs: dict[str, dict] = {}
    for name, output in sorted(stack.get("output", {}).items()):
        value = output.get("value")
        for (kind, attribute), (instead, _) in EMULATOR_OUTPUTS.items():
            if isinstance(value, str) and value.startswith(f"${{{kind}.") and value.endswith(f".{attribute}}}"):
                outputs[name] = {"value": value.removesuffix(f".{attribute}}}") + f".{instead}}}"}
    # (An empty "resource": {} is a block without its label to Terraform: `terraform init` fails on it.)
    return {**({"resource": resources} if resources else {}), **({"output": outputs} if outputs else {})}, skipped


def explain(skipped: list[str]) -> list[str]:
    """One line per entry of the override: what it turns off or masks, and why."""
    lines = [f"not deployed: {address}: {UNSUPPORTED[address.split('.')[0]]}" for address in skipped]
    lines += [f"masked: {m.resource_type}.{'/'.join(m.attributes)}"
              f"{f' (where {m.only_with} is set)' if m.only_with else ''}: {m.why}" for m in MASKS]
    lines += [f"left out: {kind}.{attribute}: {why}" for kind, attributes in SLOW_IN_THE_EMULATOR.items()
              for attribute, why in attributes.items()]
    lines += [f"set to {value!r} in the emulator: {kind}.{attribute}: {why}"
              for kind, attributes in EMULATOR_SETTINGS.items() for attribute, (value, why) in attributes.items()]
    lines += [f"outputs read {kind}.{instead} instead of .{attribute}: {why}"
              for (kind, attribute), (instead, why) in EMULATOR_OUTPUTS.items()]
    lines += [f"timeouts {timeouts} in the emulator: {kind}: {why}" for kind, (timeouts, why) in EMULATOR_TIMEOUTS.items()]
    return lines


class MotoServer:
    def __init__(self, log_file: Path | None = None, start_timeout: float = 60, *,
                 account_id: str = DEFAULT_ACCOUNT_ID, port: int | None = None):
        self.host = "127.0.0.1"
        self.port = port or _free_port(self.host)
        self.endpoint = f"http://{self.host}:{self.port}"
        self.account_id = account_id
        self._log_file = log_file
        self._start_timeout = start_timeout
        self._process: subprocess.Popen | None = None
        self._log = None

    def __enter__(self) -> "MotoServer":
        if self._process is None:
            self.start()
        try:
            return self.wait_until_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def start(self) -> "MotoServer":
        """Start the server without waiting for it (``with`` waits): its start-up can overlap other work."""
        self._log = open(self._log_file, "w") if self._log_file else subprocess.DEVNULL
        # moto's server, serving one request at a time (tooling/moto_serial.py: moto's backends race otherwise).
        self._process = subprocess.Popen([str(VENV_BIN / "python"), "-m", "tooling.moto_serial", "-H", self.host,
                                          "-p", str(self.port)], cwd=REPO,
                                         stdout=self._log, stderr=subprocess.STDOUT,
                                         # AWS managed policies (AmazonEKSClusterPolicy, ...) exist only if loaded.
                                         # ACM "validates" DNS certificates after this many seconds.
                                         env=tool_env(MOTO_IAM_LOAD_MANAGED_POLICIES="true",
                                                      MOTO_ACM_VALIDATION_WAIT="1",
                                                      MOTO_ACCOUNT_ID=self.account_id))
        return self

    def wait_until_ready(self) -> "MotoServer":
        assert self._process is not None, "start() first"
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the emulator (moto, tooling/moto_serial.py) exited with {self._process.returncode} "
                                   "before it was ready")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the emulator (moto) did not answer on {self.endpoint} within {self._start_timeout} s")

    def __exit__(self, *exc) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()

    @property
    def pid(self) -> int:
        """The server's process id (benchmarks/deploy_timeline.py reads its CPU time)."""
        assert self._process is not None, "start() first"
        return self._process.pid

    def wait(self) -> int:
        """Block until the server exits (``serve``)."""
        assert self._process is not None
        return self._process.wait()

    def environment(self) -> dict[str, str]:
        """Environment variables that send every AWS SDK (Terraform's provider and S3 backend, boto3) here, with
        dummy credentials."""
        return environment(self.endpoint)

    def prepare(self, stack_dir: Path, region: str) -> list[str]:
        """Make ``stack_dir`` (a synthesized stack folder) deployable into this emulator: the state bucket its S3
        backend names (with its KMS key alias) and the DNS zone its certificate is validated in (both exist outside
        any stack, as in AWS), :data:`OVERRIDE_FILE`, and the provider lock file (if the synth has not placed it). Returns the addresses the
        override turns off."""
        return prepare(stack_dir, region, self.endpoint)

    def client(self, service: str, region: str):
        return client(self.endpoint, service, region)

    def faults(self, limit: int = 4000) -> str:
        """What the server logged of its own failures (HTTP 5xx answers, Python tracebacks), for a failed deploy's
        message: ``""`` when there were none or the server logs nowhere."""
        return faults(self._log_file.read_text(errors="replace") if self._log_file and self._log_file.exists() else "",
                      limit)


def faults(log: str, limit: int = 4000) -> str:
    """The 5xx answers and Python tracebacks in a moto server's log (see :meth:`MotoServer.faults`)."""
    lines, in_traceback = [], False
    for line in log.splitlines():
        if line.startswith("Traceback"):
            in_traceback = True
            lines.append(line)
        elif in_traceback:
            lines.append(line)
            in_traceback = line.startswith((" ", "\t"))  # the exception's own line ends it
        elif re.search(r'" 5\d\d ', line):
            lines.append(line)
    text = "\n".join(lines)
    return f"moto's log, its faults only:\n{text[-limit:]}" if text else ""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CREATE_CONFLICT = re.compile(r"^creating [^(\n]*\((?P<name>[^)\n]+)\): [^\n]*StatusCode: 409[^\n]*already exist",
                              re.IGNORECASE)
_ADDRESS = re.compile(r"\bwith (?P<type>aws_\w+)\.(?P<id>[\w-]+)")


def retried_creates(deploy_log: str, stack: dict) -> list[str]:
    """The resources of a failed ``terraform apply`` (``deploy_log``: what it printed) that the emulator refused to
    create because they "already exist" while nothing else of their type in ``stack`` (the applied Terraform JSON) has
    their name: the emulator's own doing (the AWS SDK retried a create whose first attempt the emulator had carried out
    but not answered), seen once in CI (IAM CreatePolicy, HTTP 409 EntityAlreadyExists). Their addresses; ``[]`` when
    any error of the apply is anything else (the failure is then the stack's, to be reported as it is), and for input
    of any other shape: it never raises."""
    try:
        text = "\n".join(line.split("│", 1)[-1].strip() for line in _ANSI.sub("", deploy_log).splitlines())
        blocks = re.split(r"(?m)^Error: ", text)[1:]  # Terraform's "│ Error: ..." boxes
        if not blocks or len(re.findall(r"\bError: ", text)) != len(blocks):  # an error printed some other way
            return []
        found = []
        for block in blocks:
            conflict, address = _CREATE_CONFLICT.match(block), _ADDRESS.search(block)
            if conflict is None or address is None:
                return []
            named = [rid for rid, body in stack["resource"][address["type"]].items()
                     if conflict["name"] in (body.get("name"), body.get("bucket"), body.get("identifier"))]
            if named != [address["id"]]:
                return []
            found.append(f"{address['type']}.{address['id']}")
        return found
    except (TypeError, AttributeError, KeyError):
        return []


def retrying(retried: list[str]) -> str:
    """What a deploy says when it deploys again after :func:`retried_creates` found the emulator's own fault."""
    return (f"the emulator answered a create of {', '.join(retried)} with 'already exists' (HTTP 409; its own retried "
            f"create: no other resource of its type in the stack has that name); deploying again into a fresh emulator")


def environment(endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": DUMMY_KEY, "AWS_SECRET_ACCESS_KEY": DUMMY_KEY,
            "AWS_EC2_METADATA_DISABLED": "true"}


def client(endpoint: str, service: str, region: str):
    import boto3

    return boto3.client(service, region_name=region, endpoint_url=endpoint,
                        aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY)


def prepare(stack_dir: Path, region: str, endpoint: str) -> list[str]:
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    backend = stack.get("terraform", {}).get("backend", {}).get("s3")
    if backend:
        _seed_state(backend, backend.get("region", region), endpoint)
    route53 = client(endpoint, "route53", region)
    existing = {zone["Name"].rstrip(".") for zone in route53.list_hosted_zones()["HostedZones"]}
    for zone in sorted(_hosted_zones(stack) - existing):
        route53.create_hosted_zone(Name=zone, CallerReference=f"vtc-{zone}")
    _seed_cache_nodes(stack, region, endpoint)
    override, skipped = emulator_override(stack)
    (stack_dir / OVERRIDE_FILE).write_text(json.dumps(override, indent=2) + "\n", encoding="utf-8")
    # What the synth places too (environments/provider_lock.py): without it the first `cdktf deploy` asks the
    # public registry for the provider's hashes, and fails offline. A lock file already there is kept.
    from environments.provider_lock import place_lock_file

    place_lock_file(stack_dir)
    return skipped


def _seed_state(backend: dict, region: str, endpoint: str) -> None:
    """What the bootstrap makes before the first deploy (docs/runbooks/bootstrap.md, step 2): the state bucket, and
    the KMS key the backend encrypts with (``kms_key_id``) under its alias, the bucket's default encryption. Each only
    when missing (two stacks share the bucket and the key). A key given by ARN cannot be seeded (moto picks key IDs):
    the backend's key must then exist already."""
    s3 = client(endpoint, "s3", region)
    if backend["bucket"] not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
        s3.create_bucket(Bucket=backend["bucket"], CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_bucket_versioning(Bucket=backend["bucket"], VersioningConfiguration={"Status": "Enabled"})
    alias = backend.get("kms_key_id")
    if not alias or not alias.startswith("alias/"):
        return
    kms = client(endpoint, "kms", region)
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    key_id = aliases.get(alias)
    if key_id is None:
        key_id = kms.create_key(Description=f"Terraform state ({backend['bucket']})")["KeyMetadata"]["KeyId"]
        kms.enable_key_rotation(KeyId=key_id)
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    if "ServerSideEncryptionConfiguration" not in _bucket_encryption(s3, backend["bucket"]):
        s3.put_bucket_encryption(Bucket=backend["bucket"], ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id},
            "BucketKeyEnabled": True}]})


def _bucket_encryption(s3, bucket: str) -> dict:
    """The bucket's encryption configuration; ``{}`` where moto keeps none (a bucket made without one)."""
    try:
        return s3.get_bucket_encryption(Bucket=bucket)
    except s3.exceptions.ClientError:
        return {}


def _seed_cache_nodes(stack: dict, region: str, endpoint: str) -> None:
    """The member node ``<id>-001`` of each ElastiCache replication group, made before the apply: moto's
    CreateReplicationGroup creates no member nodes, and the provider reads ``DescribeCacheClusters(<id>-001)`` right
    after its create (the apply fails with CacheClusterNotFound otherwise). One node: the emulator's
    ``num_cache_clusters`` (:data:`EMULATOR_SETTINGS`). Settings are the stack's own; the subnet group's name is the
    replication group's ID (the construct names it so), which the stack holds as a reference."""
    groups = stack.get("resource", {}).get("aws_elasticache_replication_group", {}).values()
    if not groups:
        return
    elasticache = client(endpoint, "elasticache", region)
    existing = {c["CacheClusterId"] for c in elasticache.describe_cache_clusters()["CacheClusters"]}
    for config in groups:
        node = f"{config['replication_group_id']}-001"
        if node in existing:
            continue
        elasticache.create_cache_cluster(
            CacheClusterId=node, ReplicationGroupId=config["replication_group_id"],
            CacheNodeType=config["node_type"], Engine=config["engine"], EngineVersion=config["engine_version"],
            NumCacheNodes=1, CacheSubnetGroupName=config["replication_group_id"],
            PreferredMaintenanceWindow=config["maintenance_window"],
            SnapshotRetentionLimit=config["snapshot_retention_limit"], SnapshotWindow=config["snapshot_window"],
            AutoMinorVersionUpgrade=True, TransitEncryptionEnabled=True, Port=config["port"])


def _hosted_zones(stack: dict) -> set[str]:
    """The public zones the stack looks up (``data.aws_route53_zone``): the company's DNS, outside every stack."""
    zones = set()
    for config in stack.get("data", {}).get("aws_route53_zone", {}).values():
        if config.get("name"):
            zones.add(config["name"].rstrip("."))
    return zones


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _environment_config(name: str):
    from environments.model import load_environments

    for env in load_environments():
        if env.name == name:
            return env
    raise SystemExit(f"no environment named {name!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.emulator", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the emulator on 127.0.0.1 as the environment's account until "
                                              "interrupted")
    serve.add_argument("environment")
    serve.add_argument("--port", type=int, default=4566)
    prep = commands.add_parser("prepare", help="seed the state bucket, its key and the DNS zone, write the emulator "
                                               "override into the synthesized stack folder")
    prep.add_argument("environment")
    prep.add_argument("--outdir", default="cdktf.out")
    prep.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL"))
    args = parser.parse_args(argv)
    if args.command == "prepare":  # what needs no environment file is checked before reading them (about a second)
        if not args.endpoint or not args.endpoint.startswith(("http://127.0.0.1:", "http://localhost:")):
            raise SystemExit("prepare: set AWS_ENDPOINT_URL (or --endpoint) to the emulator on 127.0.0.1 first")
        from environments.files import available_environments
        from environments.outdir import writable_or_new

        known = available_environments()
        if args.environment not in known:
            raise SystemExit(f"prepare: no environment named {args.environment!r} (environments/: "
                             f"{', '.join(known)})")
        stack_dir = Path(args.outdir) / "stacks" / args.environment
        if not (stack_dir / "cdk.tf.json").is_file():
            into = writable_or_new(args.outdir)  # (the synth writes only into a new, empty or earlier cdktf output)
            raise SystemExit(f"prepare: {stack_dir} holds no synthesized stack; run "
                             f"`node_modules/.bin/cdktf synth --output {into}` first, and give that as --outdir")
    env = _environment_config(args.environment)
    if args.command == "serve":
        with MotoServer(account_id=env.account_id, port=args.port) as aws:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            print(f"emulator for {env.name} (account {env.account_id}) at {aws.endpoint}; Ctrl-C stops it. "
                  "In another shell:", flush=True)
            print("\n".join(f"export {k}={v}" for k, v in aws.environment().items() if v), flush=True)
            try:
                return aws.wait()
            except KeyboardInterrupt:
                return 0
    prepare(stack_dir, env.region, args.endpoint)
    print(f"wrote {stack_dir / OVERRIDE_FILE} (emulator only):")
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    print("\n".join(f"  {line}" for line in explain(emulator_override(stack)[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
