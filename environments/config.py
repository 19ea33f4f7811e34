"""What an environment is: the typed, frozen model that ``environments/model.py`` loads and validates.

:class:`EnvironmentConfig` is one environment, every part already validated; :class:`StateBackend` is where its
Terraform state lives; :class:`Tier` is what it is for (the guards of ``environments/tiers.py`` follow it). The
types hold no loading logic, so the tier guards (``tiers.py``), the loader (``model.py``) and the stacks
(``stack.py``) all import them from here, and none of them imports another back.

Usage::

    from environments.config import EnvironmentConfig, Tier
    production = [env for env in envs if env.tier is Tier.PRODUCTION]
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass
from typing import Mapping

from vtc_constructs.alarms import AlarmsProps
from vtc_constructs.aws_rules import AWS_REGIONS, s3_bucket_name_problems
from vtc_constructs.cache import CacheProps
from vtc_constructs.ci_identity import CiIdentityProps
from vtc_constructs.database import DatabaseProps
from vtc_constructs.edge import EdgeProps
from vtc_constructs.eks import EksClusterProps
from vtc_constructs.errors import Problem
from vtc_constructs.network import NetworkProps
from vtc_constructs.platform import PlatformProps
from vtc_constructs.registry import RegistryProps
from vtc_constructs.search import SearchDomainProps
from vtc_constructs.workloads import WorkloadsProps


class Tier(str, enum.Enum):
    """What an environment is for; the guards follow it."""

    PRODUCTION = "production"
    """Real users and real data: the production minimum applies, and nothing may be weaker than non-production."""

    NON_PRODUCTION = "non-production"
    """Staging, test, preview: only the construct library's own rules apply."""


STATE_LOCKING = ("s3-lockfile", "dynamodb")


#: The state bucket an environment gets when its file names none: in its own account and the state's region (bucket
#: names are global; the account in the name keeps two accounts' buckets apart and says whose it is).
STATE_BUCKET_FORMAT = "vtc-terraform-state-{account_id}-{region}"
#: The KMS key the state is encrypted with when the file names none: an alias per environment, made by the bootstrap
#: (docs/runbooks/bootstrap.md, step 2) before the first deploy.
STATE_KMS_ALIAS_FORMAT = "alias/vtc-{name}-terraform-state"
_KMS_ALIAS = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")
_KMS_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):kms:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
                      r"(?:key/[A-Za-z0-9-]{1,64}|alias/[A-Za-z0-9/_-]{1,250})$")
#: Twelve digits standing alone in a bucket name: an account id (``vtc-terraform-state-111111111111-eu-west-1``).
_ACCOUNT_IN_NAME = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")


@dataclass(frozen=True, kw_only=True)
class StateBackend:
    """Where an environment's Terraform state lives: S3, always encrypted with a customer-managed KMS key, always
    locked.

    :param bucket: default: ``vtc-terraform-state-<account_id>-<region>`` (:data:`STATE_BUCKET_FORMAT`, the
        environment's account and the state's region; filled in by the model). The state bucket (must already exist:
        the bootstrap makes it). A name that carries another account's id is refused.
    :param key: the state object's key; unique per environment. Required.
    :param region: the bucket's region. Required.
    :param locking: ``s3-lockfile`` (default: Terraform's native S3 lock file, no table needed) or ``dynamodb``.
    :param dynamodb_table: the lock table, required with ``locking = "dynamodb"`` only.
    :param kms_key_id: default: ``alias/vtc-<name>-terraform-state`` (:data:`STATE_KMS_ALIAS_FORMAT`; filled in by
        the model). The customer-managed KMS key the state objects are encrypted with (the S3 backend's
        ``kms_key_id``): an alias (``alias/...``) of the state's account, or a key or alias ARN of the environment's
        account and the state's region.
    """

    bucket: str | None = None
    key: str
    region: str
    locking: str = "s3-lockfile"
    dynamodb_table: str | None = None
    kms_key_id: str | None = None

    def validate(self) -> list[Problem]:
        problems = []
        for field in ("bucket", "key", "kms_key_id"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(field, value, "a non-empty string", f"set state.{field}, or leave it out "
                                        "for its default" if field != "key" else "set state.key", "missing value"))
        if isinstance(self.bucket, str) and self.bucket.strip():
            problems += s3_bucket_name_problems(self.bucket, "bucket")
        if isinstance(self.key, str) and self.key.strip() and (
                self.key.startswith("/") or len(self.key.encode("utf-8")) > 1024 or self.key.endswith("/")):
            # Ref: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html (at most 1,024 bytes);
            # Terraform's S3 backend refuses a key that starts or ends with "/".
            problems.append(Problem("key", self.key, "an S3 object key of at most 1,024 bytes, not starting or "
                                    "ending with '/'", "e.g. vtc/<environment>/terraform.tfstate"))
        if isinstance(self.kms_key_id, str) and self.kms_key_id.strip():
            arn = _KMS_ARN.match(self.kms_key_id)
            if not _KMS_ALIAS.match(self.kms_key_id) and not arn:
                problems.append(Problem("kms_key_id", self.kms_key_id, "a KMS alias (alias/<name>) or a KMS key or "
                                        "alias ARN", "e.g. alias/vtc-<environment>-terraform-state, or leave it out",
                                        "not a KMS key"))
            elif re.search(r"(^|:)alias/aws/", self.kms_key_id):
                # AWS-managed keys (alias/aws/s3) are every principal's of the account that may use S3.
                problems.append(Problem("kms_key_id", self.kms_key_id, "a customer-managed key (not alias/aws/...)",
                                        "leave it out for alias/vtc-<environment>-terraform-state (the bootstrap "
                                        "makes it)", "AWS-managed key"))
            elif arn and self.region in AWS_REGIONS and arn["region"] != self.region:
                # Ref: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html (the key must be
                # in the bucket's region)
                problems.append(Problem("kms_key_id", self.kms_key_id, f"a key of {self.region}, the state bucket's "
                                        "region", "give a key of the bucket's region", "key in another region"))
        if self.region not in AWS_REGIONS:
            problems.append(unknown_region_problem(self.region))
        if self.locking not in STATE_LOCKING:
            problems.append(Problem("locking", self.locking, ", ".join(STATE_LOCKING),
                                    "use 's3-lockfile' unless you already run a DynamoDB lock table"))
        if self.locking == "dynamodb" and not self.dynamodb_table:
            problems.append(Problem("dynamodb_table", self.dynamodb_table, "the lock table's name",
                                    "set state.dynamodb_table, or use locking = 's3-lockfile'", "missing value"))
        return problems

    def account_problems(self, account_id: str) -> list[Problem]:
        """What only the environment knows: the bucket and the key belong to its own account (where the name or the
        ARN says whose they are): a state in another account's bucket is one account reaching into another's."""
        problems = []
        others = sorted({a for a in _ACCOUNT_IN_NAME.findall(self.bucket or "") if a != account_id}) \
            if isinstance(self.bucket, str) else []
        if others:
            problems.append(Problem("bucket", self.bucket, f"a bucket of account {account_id}, e.g. "
                                    f"{STATE_BUCKET_FORMAT.format(account_id=account_id, region=self.region)}",
                                    "leave state.bucket out for the environment's own (the default), or name one of "
                                    f"this account's buckets (the name carries account {', '.join(others)})",
                                    "bucket of another account"))
        arn = _KMS_ARN.match(self.kms_key_id) if isinstance(self.kms_key_id, str) else None
        if arn and arn["account"] != account_id:
            problems.append(Problem("kms_key_id", self.kms_key_id, f"a key of account {account_id}",
                                    "give this account's key (or its alias), or leave it out for the default alias",
                                    "key of another account"))
        return problems


#: The workloads stack of environment ``<name>`` is ``<name>-workloads``.
WORKLOADS_STACK_SUFFIX = "-workloads"


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    """One environment: everything its stack needs, already validated."""

    name: str
    #: What the environment is for; the guards of ``environments/tiers.py`` follow it, never the name.
    tier: Tier
    region: str
    #: The AWS account this environment deploys to. The provider refuses any other (``allowed_account_ids``), so
    #: credentials for the wrong account fail before Terraform reads or changes anything.
    account_id: str
    state: StateBackend
    tags: Mapping[str, str]
    network: NetworkProps
    eks: EksClusterProps
    database: DatabaseProps
    edge: EdgeProps
    alarms: AlarmsProps
    #: What runs on the cluster: the services' images and sizes (charts/vision-to-code), per colour.
    workloads: WorkloadsProps
    #: GitHub Actions' roles and runner security group (``[ci]``); the listener, cluster security group and VPC are
    #: filled in by the stack (None here).
    ci: CiIdentityProps
    #: The services' Valkey cache (``[cache]``), or None when the file has no such table.
    cache: CacheProps | None = None
    #: The logs' and traces' OpenSearch domain (``[search]``), or None when the file has no such table.
    search: SearchDomainProps | None = None
    #: The services' ECR repositories and their push role (``[registry]``), or None when the file has no such table;
    #: the node role and GitHub's OIDC provider are filled in by the stack (planned values here).
    registry: RegistryProps | None = None
    source: tuple[str, ...] = ()
    #: What is allowed but needs a person's attention soon (a Kubernetes version near or past its end of standard
    #: support: :mod:`vtc_constructs.kubernetes_versions`), in the same form as a problem; printed by ``main.py``.
    warnings: tuple[Problem, ...] = ()

    @property
    def resource_prefix(self) -> str:
        """``vtc-<name>``: the prefix of every named resource of this environment."""
        return f"vtc-{self.name}"

    @property
    def workloads_stack_name(self) -> str:
        """``<name>-workloads``: the stack of the Helm releases onto this environment's cluster."""
        return f"{self.name}{WORKLOADS_STACK_SUFFIX}"

    @property
    def stack_names(self) -> tuple[str, str]:
        """The environment's stacks, in deploy order: its AWS stack (``<name>``) and its workloads stack."""
        return (self.name, self.workloads_stack_name)

    @property
    def workloads_state_key(self) -> str:
        """The workloads stack's state key: the environment's key with ``-workloads`` before ``.tfstate``
        (``vtc/staging/terraform.tfstate`` -> ``vtc/staging/terraform-workloads.tfstate``), in the same bucket."""
        return self.workloads_key_of(self.state.key)

    @staticmethod
    def workloads_key_of(key: str) -> str:
        return f"{key[:-len('.tfstate')]}-workloads.tfstate" if key.endswith(".tfstate") else f"{key}-workloads"

    @property
    def platform(self) -> PlatformProps:
        """The props of the environment's :class:`~vtc_constructs.platform.VisionToCodePlatform`: every part as the
        file gives it, without the planned wiring it was validated against (the platform wires the real one)."""
        return PlatformProps(name=self.resource_prefix, network=self.network,
                             eks=dataclasses.replace(self.eks, network=None),
                             database=dataclasses.replace(self.database, network=None),
                             edge=dataclasses.replace(self.edge, network=None),
                             alarms=dataclasses.replace(self.alarms, targets=None),
                             cache=dataclasses.replace(self.cache, network=None) if self.cache else None,
                             search=dataclasses.replace(self.search, name=None, network=None,
                                                        master_user_role_arn=None, writer_role_arns=())
                             if self.search else None,
                             workloads_namespace=self.workloads.namespace)




def unknown_region_problem(value: object) -> Problem:
    return Problem("region", value, "an AWS commercial region such as eu-west-1",
                   "correct the region's name", "unknown region")


__all__ = ["EnvironmentConfig", "STATE_BUCKET_FORMAT", "STATE_KMS_ALIAS_FORMAT", "STATE_LOCKING", "StateBackend",
           "Tier", "WORKLOADS_STACK_SUFFIX", "unknown_region_problem"]
