"""CI identity: GitHub Actions' OIDC provider, one environment's deploy and traffic roles, and the in-VPC runner's
security group, so that CI holds no stored AWS keys and each job can do what its step needs and no more.

Usage::

    from vtc_constructs import CiIdentity, CiIdentityProps

    ci = CiIdentity(self, "ci", CiIdentityProps(
        name="vtc-production",
        github_repository="vision-to-code/vtc-infra",
        github_environment="production",                    # the GitHub environment E the jobs run in
        https_listener_arn=platform.edge.https_listener_arn,
        cluster_security_group_id=platform.eks.cluster_security_group_id,
        vpc_id=platform.network.vpc_id,
        state_bucket="vtc-terraform-state-222222222222-eu-west-1",
        state_keys=("vtc/production/terraform.tfstate", "vtc/production/terraform-workloads.tfstate"),
        # oidc_provider_arn="arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com",
        #   when another stack of the account made the provider (one per account)
    ))
    ci.deploy_role_arn, ci.traffic_role_arn, ci.oidc_provider_arn, ci.runner_security_group_id

What it builds:

* **The GitHub OIDC provider** (``token.actions.githubusercontent.com``, audience ``sts.amazonaws.com``) unless
  ``oidc_provider_arn`` names the account's existing one: IAM holds one provider per URL and account, so of two
  environments in one account exactly one creates it.
* **The deploy role** ``<name>-ci-deploy``: assumable only with a GitHub token whose ``aud`` is
  ``sts.amazonaws.com`` and whose ``sub`` is exactly ``repo:<repository>:environment:<E>`` (StringEquals): a job of
  this repository that runs in GitHub environment E, which GitHub admits only from E's deployment branches and tags,
  after E's reviewers. It may do what ``cdktf deploy`` of the environment's two stacks does. That is broad and said
  so: every service the platform is made of (:data:`DEPLOY_SERVICES`, ``<service>:*``; a test checks it covers
  every resource type of the synthesized stacks); IAM only on roles and policies named ``<name>-*`` and the
  cluster's own OIDC provider, the AWS managed policies the platform attaches (:data:`PLATFORM_MANAGED_POLICIES`)
  and no others; S3 only on the environment's buckets (``<name>-*``) and its own state objects. Denied whatever
  else is attached to it (explicit denies in a policy of their own): IAM users, access keys, passwords and other
  long-lived credentials; any change to the CI identity itself (both roles, their policies, the GitHub provider: a
  compromised job cannot widen its own trust or rights; such a change is applied from a workstation, see
  ``docs/runbooks/bootstrap.md``); any request outside the environment's region and the state bucket's region
  (global services excepted: :data:`GLOBAL_ACTIONS`); deleting or reconfiguring the state bucket; and object
  reads and writes anywhere but the environment's own state objects and buckets (another environment's state key
  included).
* **The traffic role** ``<name>-ci-traffic``: assumable from GitHub environments E and ``E-traffic`` (a rollback
  runs in the latter, which has no reviewers and never waits). It may change the weights of exactly the
  environment's HTTPS listener (``ModifyListener``) and the rules of that listener (the colour-targeted smoke
  rules: ``CreateRule``, ``ModifyRule``, ``DeleteRule``, ``AddTags`` on ``listener-rule/app/<lb>/<id>/<listener>/*``),
  describe load balancing (``Describe*`` cannot be scoped), read alarms and metrics (``DescribeAlarms``,
  ``GetMetricData``: no resource-level permissions), and read and write the release record, SSM parameters under
  ``/vtc/<E>/release`` (``release_parameter_path``). Nothing else: no Terraform state, no deploy.
* **The runner's security group** ``<name>-ci-runner-*`` for the self-hosted runner inside the VPC (the workloads
  stack's Helm releases need the cluster's private API): no ingress; egress HTTPS to the cluster's API (the EKS
  *cluster* security group, which this construct opens to the runner on 443; never the node group's security group,
  which the database admits), and HTTPS out through NAT (``runner_egress_cidrs``) for what has no other way out:
  GitHub (the runner's job queue, actions, artifacts) and the AWS APIs the deploy calls (STS, EKS, and the rest;
  S3 goes through the VPC's gateway endpoint). A security group cannot name hosts; inside the VPC nothing else
  answers on 443 from this group (the nodes admit 443 from the cluster security group only, the database listens on
  5432 for the nodes only).

What IAM cannot check: GitHub's token carries ``job_workflow_ref`` (which workflow file, at which ref), but IAM
evaluates only the ``aud`` and ``sub`` claims of a GitHub token (GitHub: "Support for custom claims for OIDC is
unavailable in AWS"). The workflow can still be pinned through ``sub``: customise the repository's subject template
to ``["repo", "context", "job_workflow_ref"]`` (GitHub's REST API, ``PUT /repos/<owner>/<repo>/actions/oidc/
customization/sub``), and give ``deploy_workflow_refs`` and ``traffic_workflow_refs``; the roles then trust
``repo:<repository>:environment:<E>:job_workflow_ref:<repository>/<workflow>@<ref>`` (StringLike: ``*`` only in
the ref, e.g. ``refs/tags/v*``). The template is per repository: once it is set, every role that trusts the
repository must use the new form, so both lists are given together or not at all. Without them, which workflow may
use a role is decided by GitHub: environment E's deployment branches and tags, its reviewers, and the branch and tag
protection that decides who can put a workflow on those refs (``docs/runbooks/bootstrap.md``).

Why one module: it is one construct, read top to bottom as its props (with their validation), the role names other
modules refer to, its resources and its outputs, each role's policy beside its role.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Sequence

from cdktf import Fn
from constructs import Construct

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from ._common import (Account, Statement, claim_names, guard_replacement_safety, is_string_token, policy_document,
                      require_props)
from .aws_rules import AWS_REGIONS, s3_bucket_name_problems
from .errors import (Problem, coerce_fields, is_string_tuple, missing, not_a_list, outside, raise_if_any,
                     synth_time_problems)

#: GitHub Actions' OIDC issuer (host) and the audience ``aws-actions/configure-aws-credentials`` asks for.
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
#: The GitHub environment a rollback and the traffic steps run in: ``<E>`` followed by this.
TRAFFIC_ENVIRONMENT_SUFFIX = "-traffic"
#: Every service the platform's two stacks create or read resources of (``<service>:*`` for the deploy role); IAM
#: and S3 are granted apart, scoped. ``tests/test_ci_identity.py`` maps every resource and data source type of the
#: synthesized stacks to one of these: a construct that starts using another service fails there, not in a deploy.
DEPLOY_SERVICES = ("acm", "cloudwatch", "ec2", "ecr", "eks", "elasticache", "elasticloadbalancing", "es", "kms", "lambda",
                   "logs", "rds", "route53", "secretsmanager", "sns", "ssm", "wafv2")
#: The AWS managed policies the platform attaches to its roles (checked against the synthesized stacks); the deploy
#: role may attach these and no other AWS managed policy (AdministratorAccess, IAMFullAccess, ... are refused).
PLATFORM_MANAGED_POLICIES = ("AmazonEKSClusterPolicy", "AmazonEKSWorkerNodePolicy",
                             "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy",
                             "AWSXRayDaemonWriteAccess", "CloudWatchAgentServerPolicy",
                             "service-role/AmazonEBSCSIDriverPolicy", "service-role/AmazonRDSEnhancedMonitoringRole",
                             "service-role/AWSLambdaVPCAccessExecutionRole")
#: Services whose service-linked role a first deploy may create (each is made once per account, on first use).
SERVICE_LINKED_ROLES = ("eks.amazonaws.com", "eks-nodegroup.amazonaws.com", "rds.amazonaws.com",
                        "elasticloadbalancing.amazonaws.com", "autoscaling.amazonaws.com", "wafv2.amazonaws.com",
                        "elasticache.amazonaws.com", "opensearchservice.amazonaws.com")
#: Actions of global services, whose requests carry us-east-1 (or no region): exempt from the region guard.
GLOBAL_ACTIONS = ("iam:*", "sts:*", "route53:*", "cloudfront:*", "support:*", "health:*", "organizations:*",
                  "account:*")
#: What the deploy role may never do, whatever else it is given: long-lived credentials of any kind.
LONG_LIVED_CREDENTIAL_ACTIONS = ("iam:CreateUser", "iam:CreateAccessKey", "iam:UpdateAccessKey",
                                 "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
                                 "iam:CreateServiceSpecificCredential", "iam:UploadSSHPublicKey",
                                 "iam:UploadSigningCertificate", "iam:AddUserToGroup", "iam:AttachUserPolicy",
                                 "iam:PutUserPolicy")
#: IAM writes denied on the CI identity itself (reads stay allowed, so a deploy can plan it).
IAM_WRITE_ACTIONS = ("iam:Create*", "iam:Delete*", "iam:Update*", "iam:Put*", "iam:Attach*", "iam:Detach*",
                     "iam:Tag*", "iam:Untag*", "iam:Add*", "iam:Remove*", "iam:Set*", "iam:PassRole")
#: The state bucket's settings a deploy never changes (it is made by hand before the first deploy, see the runbook;
#: its bucket policy, rendered by ``environments/state_bootstrap.py``, denies the deploy role the same).
STATE_BUCKET_SETTINGS = ("s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:PutBucketPolicy", "s3:PutBucketAcl",
                         "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration",
                         "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls",
                         "s3:PutReplicationConfiguration", "s3:PutBucketObjectLockConfiguration")
OBJECT_ACTIONS = ("s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:RestoreObject", "s3:ReplicateObject")
#: The traffic role's whole power, by statement (tested exactly).
TRAFFIC_LISTENER_ACTIONS = ("elasticloadbalancing:ModifyListener", "elasticloadbalancing:CreateRule")
TRAFFIC_RULE_ACTIONS = ("elasticloadbalancing:CreateRule", "elasticloadbalancing:ModifyRule",
                        "elasticloadbalancing:DeleteRule", "elasticloadbalancing:AddTags")
TRAFFIC_READ_ACTIONS = ("elasticloadbalancing:Describe*", "cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData")
TRAFFIC_RECORD_ACTIONS = ("ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter")
#: A job may hold a role's credentials this long: a first deploy (EKS, RDS Multi-AZ) takes over an hour.
MAX_SESSION_SECONDS = 7200

_NAME = re.compile(r"^[a-z][a-z0-9-]{1,48}[a-z0-9]$")  # <name>-ci-traffic within IAM's 64-character role names
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9._-]{1,247}$")  # no ':' (the sub claim's separator); room for -traffic
_WORKFLOW_REF = re.compile(r"^\.github/workflows/[A-Za-z0-9._-]+\.ya?ml@refs/(heads|tags)/[A-Za-z0-9._/*-]+$")
_LISTENER_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/app/[A-Za-z0-9-]+/"
                           r"[0-9a-f]+/[0-9a-f]+$")
_OIDC_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/" + re.escape(GITHUB_OIDC_HOST) + "$")
_SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]{8,17}$")
_VPC = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_PARAMETER_PATH = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")


#: What the CI identity writes into trust conditions, policy resources and names at synth, or checks there for
#: safety: a Terraform reference (token) is refused in each, with what is allowed and how to fix it. The listener,
#: the security group, the VPC and the OIDC provider are only referred to: a reference is accepted there.
_SYNTH_TIME_FIELDS = {
    "name": ("a literal name known at synth", "write the name itself: the roles and the resources they may change "
             "are named <name>-*"),
    "github_repository": ("a literal owner/repository", "write it itself: the roles' trust conditions name it"),
    "github_environment": ("a literal GitHub environment name", "write it itself: the roles' trust conditions name it"),
    "state_bucket": ("a literal S3 bucket name", "write the bucket's name: the library checks at synth that it lies "
                     "outside the deploy role's own buckets (<name>-*)"),
    "state_keys": ("a literal list of S3 object keys", "list the keys themselves: each is checked for wildcards that "
                   "would open other environments' state"),
    "state_region": ("a literal AWS region, or none", "write the region itself, or leave it out for the stack's"),
    "state_lock_table": ("a literal DynamoDB table name, or none", "write the table's name itself"),
    **{name: ("a literal list of workflow refs", "list the refs themselves: the trust condition names each")
       for name in ("deploy_workflow_refs", "traffic_workflow_refs")},
    "release_parameter_path": ("a literal SSM parameter path, or none", "write the path itself"),
    "runner_egress_cidrs": ("a literal list of IPv4 CIDRs", "list the ranges themselves: the runner's egress is "
                            "checked at synth"),
}


@dataclass(frozen=True, kw_only=True)
class CiIdentityProps:
    """Input of :class:`CiIdentity`.

    :param name: prefix of the roles (``<name>-ci-deploy``, ``<name>-ci-traffic``), their policies and the runner's
        security group; the deploy role may manage IAM roles, policies and S3 buckets named ``<name>-*`` (the
        platform's prefix). Required.
    :param github_repository: ``owner/repository`` whose workflows may assume the roles. Required.
    :param github_environment: the GitHub environment E whose jobs may assume the deploy role (and, with
        ``E-traffic``, the traffic role); no ``:``. Required.
    :param https_listener_arn: the environment's HTTPS listener: the only one the traffic role may change (an ARN or
        a Terraform reference). Required.
    :param cluster_security_group_id: the EKS *cluster* security group (``EksCluster.cluster_security_group_id``):
        the runner reaches the Kubernetes API through it, and it is opened to the runner on 443. Never the node
        group's security group. Required.
    :param vpc_id: the VPC the runner runs in. Required.
    :param state_bucket: the Terraform state bucket; it must not be named ``<name>-*`` (the deploy role's own
        buckets). Required.
    :param state_keys: the environment's state objects (the AWS stack's and the workloads stack's keys): the only
        objects of the state bucket the deploy role may read and write (with their ``.tflock`` lock files).
        Required, no wildcards.
    :param state_region: default: the stack's region. The state bucket's region: requests there pass the region
        guard too.
    :param state_lock_table: default: none (S3 lock files). The DynamoDB lock table, when the backend locks with one.
    :param oidc_provider_arn: default: none, the construct creates the account's GitHub OIDC provider. The ARN of
        the account's existing one (``arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com``)
        when another stack creates it: one per account.
    :param deploy_workflow_refs: default: none, the deploy role trusts the default subject
        ``repo:<repository>:environment:<E>`` (StringEquals). Workflows (``.github/workflows/<file>@<ref>``, ``*``
        only in the ref) that alone may use the deploy role, through the customised subject (see the module
        docstring); give ``traffic_workflow_refs`` too.
    :param traffic_workflow_refs: default: none. The same for the traffic role.
    :param release_parameter_path: default: ``/vtc/<E>/release``. The SSM parameters (this path and everything
        that starts with it) holding the release record the traffic role reads and writes.
    :param runner_egress_cidrs: default: ``("0.0.0.0/0",)``. Where the runner may open HTTPS connections besides the
        cluster's API: GitHub and the AWS APIs, through NAT. Narrow it to an egress proxy's range if there is one.
    """

    name: str
    github_repository: str
    github_environment: str
    https_listener_arn: str
    cluster_security_group_id: str
    vpc_id: str
    state_bucket: str
    state_keys: Sequence[str]
    state_region: str | None = None
    state_lock_table: str | None = None
    oidc_provider_arn: str | None = None
    deploy_workflow_refs: Sequence[str] = ()
    traffic_workflow_refs: Sequence[str] = ()
    release_parameter_path: str | None = None
    runner_egress_cidrs: Sequence[str] = ("0.0.0.0/0",)

    def __post_init__(self):
        coerce_fields(self, tuples=("state_keys", "deploy_workflow_refs", "traffic_workflow_refs",
                                    "runner_egress_cidrs"))

    @property
    def traffic_environment(self) -> str:
        """The GitHub environment of the rollback and traffic steps: ``<E>-traffic``."""
        return f"{self.github_environment}{TRAFFIC_ENVIRONMENT_SUFFIX}"

    @property
    def release_parameters(self) -> str:
        """The release record's SSM path (``release_parameter_path`` or ``/vtc/<E>/release``)."""
        return self.release_parameter_path or f"/vtc/{self.github_environment}/release"

    def validate(self, *, check_references: bool = True) -> list[Problem]:
        """Every problem; ``check_references=False`` leaves out the listener, security group and VPC (an environment
        file is checked before they exist; the stack fills them in)."""
        refusals, refused = synth_time_problems(self, _SYNTH_TIME_FIELDS)
        return refusals + missing(self, outside(self._problems(check_references), refused))

    def _problems(self, check_references: bool) -> list[Problem]:
        problems: list[Problem] = []
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            problems.append(Problem("name", self.name, "3-50 characters of a-z, 0-9 and '-', starting with a letter",
                                    "use the platform's prefix, e.g. 'vtc-production' ('<name>-ci-traffic' must "
                                    "fit IAM's 64-character role names)"))
        if not isinstance(self.github_repository, str) or not _REPOSITORY.match(self.github_repository):
            problems.append(Problem("github_repository", self.github_repository, "owner/repository as GitHub spells "
                                    "it", "e.g. 'vision-to-code/vtc-infra'", "not a GitHub repository"))
        if not isinstance(self.github_environment, str) or not _ENVIRONMENT.match(self.github_environment):
            problems.append(Problem("github_environment", self.github_environment, "1-247 characters of letters, "
                                    "digits, '.', '_' and '-' (no ':', the token subject's separator)",
                                    "name the GitHub environment the deploy jobs run in, e.g. 'production'"))
        if check_references:
            problems += self._reference_problems()
        problems += self._state_problems()
        arn = self.oidc_provider_arn
        if arn is not None and not is_string_token(arn) and (not isinstance(arn, str) or not _OIDC_ARN.match(arn)):
            problems.append(Problem("oidc_provider_arn", arn, f"None (create it) or arn:aws:iam::<account>:"
                                    f"oidc-provider/{GITHUB_OIDC_HOST}", "leave it out in the one stack of the "
                                    "account that creates the provider; elsewhere give that provider's ARN",
                                    "not GitHub's OIDC provider"))
        problems += self._workflow_problems()
        path = self.release_parameter_path
        if path is not None and (not isinstance(path, str) or not _PARAMETER_PATH.match(path) or len(path) > 900):
            problems.append(Problem("release_parameter_path", path, "an SSM parameter path: /segment/segment..., "
                                    "letters, digits, '.', '_' and '-', no wildcard", "e.g. '/vtc/production/"
                                    "release', or leave it out for /vtc/<github_environment>/release"))
        problems += self._egress_problems()
        return problems

    def _reference_problems(self) -> list[Problem]:
        problems = []
        for field, pattern, example in (
                ("https_listener_arn", _LISTENER_ARN, "edge.https_listener_arn"),
                ("cluster_security_group_id", _SECURITY_GROUP, "eks.cluster_security_group_id"),
                ("vpc_id", _VPC, "network.vpc_id")):
            value = getattr(self, field)
            if is_string_token(value):
                continue
            if not isinstance(value, str) or not pattern.match(value):
                problems.append(Problem(field, value, f"a Terraform reference or an id of the form "
                                        f"{pattern.pattern}", f"pass {example}"))
        return problems

    def _state_problems(self) -> list[Problem]:
        problems = []
        if not isinstance(self.state_bucket, str):
            problems.append(Problem("state_bucket", self.state_bucket, "an S3 bucket name", "name the state bucket"))
        else:
            problems += s3_bucket_name_problems(self.state_bucket, "state_bucket")
            if isinstance(self.name, str) and self.state_bucket.startswith(f"{self.name}-"):
                problems.append(Problem("state_bucket", self.state_bucket, f"a name outside {self.name}-*",
                                        "keep the state bucket out of the environment's own bucket names: the deploy "
                                        "role may change every bucket named <name>-*, and so every key in it",
                                        "state bucket inside the deploy role's buckets"))
        keys = self.state_keys
        if not is_string_tuple(keys):
            problems.append(not_a_list("state_keys", keys, "S3 object keys", "('vtc/staging/terraform.tfstate',)"))
        elif not keys:
            problems.append(Problem("state_keys", [], "at least one state key", "list the environment's state keys",
                                    "no state key"))
        else:
            for i, key in enumerate(keys):
                if not key or key.startswith("/") or key.endswith("/") or "*" in key or "?" in key or \
                        len(key.encode()) > 1024:
                    problems.append(Problem(f"state_keys[{i}]", key, "an S3 object key of at most 1,024 bytes, not "
                                            "starting or ending with '/', without '*' or '?'",
                                            "give the exact key, e.g. vtc/<environment>/terraform.tfstate: a "
                                            "wildcard would open other environments' state"))
        region = self.state_region
        if region is not None and (not isinstance(region, str) or region not in AWS_REGIONS):
            problems.append(Problem("state_region", region, "an AWS commercial region such as eu-west-1",
                                    "give the state bucket's region, or leave it out for the stack's",
                                    "unknown region"))
        table = self.state_lock_table
        if table is not None and (not isinstance(table, str) or not _TABLE.match(table)):
            problems.append(Problem("state_lock_table", table, "a DynamoDB table name: 3-255 of letters, digits, "
                                    "'_', '-' and '.'", "name the lock table, or leave it out for S3 lock files"))
        return problems

    def _workflow_problems(self) -> list[Problem]:
        problems = []
        given = {}
        for field in ("deploy_workflow_refs", "traffic_workflow_refs"):
            refs = getattr(self, field)
            if not is_string_tuple(refs):
                problems.append(not_a_list(field, refs, "workflow refs",
                                           "('.github/workflows/release.yml@refs/tags/v*',)"))
                continue
            given[field] = bool(refs)
            for i, ref in enumerate(refs):
                if not _WORKFLOW_REF.match(ref) or "*" in ref.split("@", 1)[0]:
                    problems.append(Problem(f"{field}[{i}]", ref, ".github/workflows/<file>.yml@refs/heads/<branch> "
                                            "or @refs/tags/<tag>, '*' only in the ref",
                                            "e.g. '.github/workflows/release.yml@refs/tags/v*'",
                                            "not a workflow ref"))
            for ref in sorted({r for r in refs if refs.count(r) > 1}):
                problems.append(Problem(field, list(refs), "each workflow ref once", f"remove the repeated {ref!r}",
                                        "repeated workflow ref"))
        if len(given) == 2 and given["deploy_workflow_refs"] != given["traffic_workflow_refs"]:
            missing = "traffic_workflow_refs" if given["deploy_workflow_refs"] else "deploy_workflow_refs"
            problems.append(Problem(missing, [], "workflow refs, since the other role has them",
                                    "give both lists or neither: the subject template that carries job_workflow_ref "
                                    "is set per repository, and a role left on the default subject would match no "
                                    "token", "one role pinned to workflows, the other not"))
        return problems

    def _egress_problems(self) -> list[Problem]:
        cidrs = self.runner_egress_cidrs
        if not is_string_tuple(cidrs):
            return [not_a_list("runner_egress_cidrs", cidrs, "IPv4 CIDRs", "('0.0.0.0/0',)")]
        if not cidrs:
            return [Problem("runner_egress_cidrs", [], "at least one CIDR", "the runner must reach GitHub and the AWS "
                            "APIs: give the NAT's way out ('0.0.0.0/0') or an egress proxy's range",
                            "runner cut off from GitHub")]
        problems = []
        for i, cidr in enumerate(cidrs):
            try:
                ipaddress.IPv4Network(cidr, strict=True)
            except ValueError as exc:
                problems.append(Problem(f"runner_egress_cidrs[{i}]", cidr, "an IPv4 CIDR", f"correct it ({exc})",
                                        "malformed CIDR"))
        return problems


def deploy_role_name(name: str) -> str:
    """``<name>-ci-deploy``: the deploy role of the environment whose resources are named ``<name>-*``."""
    return f"{name}-ci-deploy"


def traffic_role_name(name: str) -> str:
    """``<name>-ci-traffic``: the traffic role of the environment whose resources are named ``<name>-*``."""
    return f"{name}-ci-traffic"


def state_object_arns(partition: str, bucket: str, keys: Sequence[str]) -> list[str]:
    """The state objects of ``keys`` in ``bucket``, each with its ``.tflock`` lock file (Terraform's S3 lock file):
    what the deploy role may read and write, in its own policy and in the state bucket's policy."""
    return [f"arn:{partition}:s3:::{bucket}/{key}{suffix}" for key in keys for suffix in ("", ".tflock")]


class CiIdentity(Construct):
    """GitHub Actions' way into one environment: see the module docstring for what each part may do."""

    def __init__(self, scope: Construct, id: str, props: CiIdentityProps):
        require_props("CiIdentity", props, CiIdentityProps, "CiIdentityProps(name='my-service', "
                      "github_repository='owner/repo', github_environment='staging', https_listener_arn=..., "
                      "cluster_security_group_id=..., vpc_id=..., state_bucket=..., state_keys=(...,))")
        super().__init__(scope, id)
        raise_if_any(problem.prefixed(id) for problem in props.validate())
        guard_replacement_safety(self)
        name = props.name
        self.props = props
        self.account = account = Account.of(self)
        self._deploy_role_name, self._traffic_role_name = deploy_role_name(name), traffic_role_name(name)
        claims = [("IAM role", self._deploy_role_name), ("IAM role", self._traffic_role_name),
                  ("IAM policy", f"{name}-ci-deploy"), ("IAM policy", f"{name}-ci-deploy-guardrails"),
                  ("IAM policy", f"{name}-ci-traffic")]
        if props.oidc_provider_arn is None:
            claims.append(("IAM OIDC provider", GITHUB_OIDC_HOST))
        claim_names(self, id, *claims)
        tags = {"vtc/ci": name}

        if props.oidc_provider_arn is None:
            # No thumbprint: IAM verifies GitHub's certificate against its own trusted roots for this issuer.
            self.oidc_provider = IamOpenidConnectProvider(
                self, "github-oidc-provider", url=f"https://{GITHUB_OIDC_HOST}",
                client_id_list=[GITHUB_OIDC_AUDIENCE], tags=tags)
            self._oidc_provider_arn = self.oidc_provider.arn
        else:
            self.oidc_provider = None
            self._oidc_provider_arn = props.oidc_provider_arn

        self.deploy_role = self._role("deploy-role", self._deploy_role_name, self._subjects(
            (props.github_environment,), props.deploy_workflow_refs),
            f"{name}: cdktf deploy from GitHub environment {props.github_environment}", tags)
        self._policy("deploy-policy", f"{name}-ci-deploy", self.deploy_role, self._deploy_statements(), tags)
        self._policy("deploy-guardrails", f"{name}-ci-deploy-guardrails", self.deploy_role,
                     self._guardrail_statements(), tags)
        self.traffic_role = self._role("traffic-role", self._traffic_role_name, self._subjects(
            (props.github_environment, props.traffic_environment), props.traffic_workflow_refs),
            f"{name}: traffic steps and rollbacks on its HTTPS listener only", tags)
        self._policy("traffic-policy", f"{name}-ci-traffic", self.traffic_role, self._traffic_statements(), tags)
        self._runner_security_group(tags)

    # --- trust ------------------------------------------------------------------------------------------------------

    def _subjects(self, environments: tuple[str, ...], workflow_refs: tuple[str, ...]
                  ) -> tuple[str, list[str]]:
        """The ``sub`` condition's test and values: StringEquals on the default subject, or StringLike on the
        customised one (``*`` in the ref only) for each environment and workflow."""
        repo = self.props.github_repository
        if not workflow_refs:
            return "StringEquals", [f"repo:{repo}:environment:{e}" for e in environments]
        return "StringLike", [f"repo:{repo}:environment:{e}:job_workflow_ref:{repo}/{ref}"
                              for e in environments for ref in workflow_refs]

    def _role(self, id: str, role_name: str, subjects: tuple[str, list[str]], description: str, tags) -> IamRole:
        test, values = subjects
        trust = policy_document(self, f"{id}-trust", Statement(
            sid="GitHubActionsOfThisRepositoryAndEnvironment", actions=["sts:AssumeRoleWithWebIdentity"],
            principals={"Federated": [self._oidc_provider_arn]},
            conditions=[("StringEquals", f"{GITHUB_OIDC_HOST}:aud", [GITHUB_OIDC_AUDIENCE]),
                        (test, f"{GITHUB_OIDC_HOST}:sub", values)]))
        return IamRole(self, id, name=role_name, assume_role_policy=trust.json, description=description,
                       max_session_duration=MAX_SESSION_SECONDS, tags=tags)

    def _policy(self, id: str, policy_name: str, role: IamRole, statements: list[Statement], tags) -> None:
        document = policy_document(self, f"{id}-document", *statements)
        policy = IamPolicy(self, id, name=policy_name, policy=document.json, tags=tags)
        IamRolePolicyAttachment(self, f"{id}-attachment", role=role.name, policy_arn=policy.arn)

    # --- the deploy role --------------------------------------------------------------------------------------------

    def _state_objects(self) -> list[str]:
        return state_object_arns(self.account.partition, self.props.state_bucket, self.props.state_keys)

    def _deploy_statements(self) -> list[Statement]:
        props, account, name = self.props, self.account, self.props.name
        partition = account.partition
        iam = lambda resource: f"arn:{partition}:iam::{account.id}:{resource}"  # noqa: E731
        statements = [
            Statement(sid="DeployThePlatformsServices", actions=[f"{s}:*" for s in DEPLOY_SERVICES],
                      resources=["*"]),
            Statement(sid="ThisEnvironmentsBuckets", actions=["s3:*"],
                      resources=[f"arn:{partition}:s3:::{name}-*", f"arn:{partition}:s3:::{name}-*/*"]),
            Statement(sid="ThisEnvironmentsStateObjects",
                      actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources=self._state_objects()),
            Statement(sid="ListTheStateBucket", actions=["s3:ListBucket"],
                      resources=[f"arn:{partition}:s3:::{props.state_bucket}"]),
            Statement(sid="ReadIam", actions=["iam:Get*", "iam:List*"], resources=["*"]),
            Statement(sid="ThisEnvironmentsRolesPoliciesAndClusterOidcProvider", actions=[
                "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:PutRolePolicy",
                "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PassRole",
                "iam:CreatePolicy", "iam:DeletePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
                "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
                "iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
                "iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider"],
                resources=[iam(f"role/{name}-*"), iam(f"policy/{name}-*"),
                           iam(f"oidc-provider/oidc.eks.{account.region}.amazonaws.com/id/*")]),
            Statement(sid="ServiceLinkedRolesOfThePlatformsServices", actions=["iam:CreateServiceLinkedRole"],
                      resources=[iam("role/aws-service-role/*")],
                      conditions=[("StringEquals", "iam:AWSServiceName", list(SERVICE_LINKED_ROLES))]),
        ]
        if props.state_lock_table:
            statements.append(Statement(
                sid="TheStateLockTable", actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
                                                  "dynamodb:DescribeTable"],
                resources=[f"arn:{partition}:dynamodb:{self._state_region()}:{account.id}:table/"
                           f"{props.state_lock_table}"]))
        return statements

    def _state_region(self) -> str:
        return self.props.state_region or self.account.region

    def _guardrail_statements(self) -> list[Statement]:
        props, account, name = self.props, self.account, self.props.name
        partition = account.partition
        iam = lambda resource: f"arn:{partition}:iam::{account.id}:{resource}"  # noqa: E731
        state_bucket = f"arn:{partition}:s3:::{props.state_bucket}"
        regions = [account.region] + ([props.state_region] if props.state_region else [])
        return [
            Statement(sid="NoLongLivedCredentials", effect="Deny", actions=list(LONG_LIVED_CREDENTIAL_ACTIONS),
                      resources=["*"]),
            Statement(sid="NoAwsManagedPoliciesButThePlatforms", effect="Deny", actions=["iam:AttachRolePolicy"],
                      resources=["*"], conditions=[
                          ("ArnLike", "iam:PolicyARN", ["arn:*:iam::aws:policy/*"]),
                          ("ArnNotLike", "iam:PolicyARN",
                           [f"arn:*:iam::aws:policy/{policy}" for policy in PLATFORM_MANAGED_POLICIES])]),
            Statement(sid="NoChangeToTheCiIdentity", effect="Deny", actions=list(IAM_WRITE_ACTIONS),
                      resources=[iam(f"role/{name}-ci-*"), iam(f"policy/{name}-ci-*"),
                                 iam(f"oidc-provider/{GITHUB_OIDC_HOST}")]),
            Statement(sid="NoRequestOutsideTheEnvironmentsRegions", effect="Deny", actions=(),
                      not_actions=list(GLOBAL_ACTIONS), resources=["*"],
                      conditions=[("StringNotEquals", "aws:RequestedRegion", regions)]),
            Statement(sid="TheStateBucketStaysAsItIs", effect="Deny", actions=list(STATE_BUCKET_SETTINGS),
                      resources=[state_bucket]),
            Statement(sid="NoObjectsButThisEnvironments", effect="Deny", actions=list(OBJECT_ACTIONS),
                      not_resources=[*self._state_objects(), f"arn:{partition}:s3:::{name}-*/*"]),
        ]

    # --- the traffic role -------------------------------------------------------------------------------------------

    @property
    def listener_rules_arn(self) -> str:
        """Every rule of the listener: ``...:listener-rule/app/<lb-name>/<lb-id>/<listener-id>/*``."""
        arn = self.props.https_listener_arn
        if is_string_token(arn):
            return f"{Fn.replace(arn, ':listener/', ':listener-rule/')}/*"
        return arn.replace(":listener/", ":listener-rule/", 1) + "/*"

    def _traffic_statements(self) -> list[Statement]:
        props, account = self.props, self.account
        return [
            # CreateRule is authorised against the listener it adds to (and the new rule's ARN, for its tags).
            Statement(sid="ShiftTrafficOnThisListener", actions=list(TRAFFIC_LISTENER_ACTIONS),
                      resources=[props.https_listener_arn]),
            Statement(sid="RulesOfThisListener", actions=list(TRAFFIC_RULE_ACTIONS),
                      resources=[self.listener_rules_arn]),
            Statement(sid="ReadLoadBalancingAlarmsAndMetrics", actions=list(TRAFFIC_READ_ACTIONS),
                      resources=["*"]),
            Statement(sid="TheReleaseRecord", actions=list(TRAFFIC_RECORD_ACTIONS),
                      resources=[account.arn("ssm", f"parameter{props.release_parameters}*")]),
        ]

    # --- the runner -------------------------------------------------------------------------------------------------

    def _runner_security_group(self, tags) -> None:
        props = self.props
        self.runner_security_group = SecurityGroup(
            self, "runner-security-group", name_prefix=f"{props.name}-ci-runner-", vpc_id=props.vpc_id,
            description=f"{props.name} self-hosted CI runner: no ingress; HTTPS to the Kubernetes API, GitHub and "
                        "AWS APIs", tags={**tags, "Name": f"{props.name}-ci-runner"})
        runner, cluster = self.runner_security_group.id, props.cluster_security_group_id
        VpcSecurityGroupEgressRule(self, "runner-to-cluster-api", security_group_id=runner,
                                   referenced_security_group_id=cluster, ip_protocol="tcp", from_port=443,
                                   to_port=443, description="To the private Kubernetes API (helm, kubectl)",
                                   tags=tags)
        for i, cidr in enumerate(props.runner_egress_cidrs):
            VpcSecurityGroupEgressRule(self, f"runner-to-https-{i}", security_group_id=runner, cidr_ipv4=cidr,
                                       ip_protocol="tcp", from_port=443, to_port=443,
                                       description="HTTPS through NAT: GitHub (jobs, actions) and AWS APIs",
                                       tags=tags)
        VpcSecurityGroupIngressRule(self, "cluster-api-from-runner", security_group_id=cluster,
                                    referenced_security_group_id=runner, ip_protocol="tcp", from_port=443,
                                    to_port=443, description=f"{props.name} CI runner to the Kubernetes API",
                                    tags=tags)

    # --- typed outputs ----------------------------------------------------------------------------------------------

    @functools.cached_property
    def deploy_role_arn(self) -> str:
        return self.deploy_role.arn

    @functools.cached_property
    def traffic_role_arn(self) -> str:
        return self.traffic_role.arn

    @property
    def oidc_provider_arn(self) -> str:
        """The GitHub OIDC provider the roles trust: the one created here, or ``oidc_provider_arn``."""
        return self._oidc_provider_arn

    @functools.cached_property
    def runner_security_group_id(self) -> str:
        return self.runner_security_group.id
