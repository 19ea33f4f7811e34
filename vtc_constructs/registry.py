"""The services' container registry: one ECR repository per service, the key that encrypts them, and the one role
that may push to them.

Usage::

    from vtc_constructs import ContainerRegistry, RegistryProps

    registry = ContainerRegistry(self, "registry", RegistryProps(
        name="vtc-production",
        repository_prefix="vtc",                        # <account>.dkr.ecr.<region>.amazonaws.com/vtc/<service>
        node_role_arn=platform.eks.node_role_arn,       # the only pulls allowed
        oidc_provider_arn=ci.oidc_provider_arn,         # GitHub's OIDC provider of the account (CiIdentity's)
        github_repositories=("vision-to-code/vtc-services",),
        github_environment="production",                # the GitHub environment the image-build job runs in
    ))
    registry.repository_urls["core"], registry.push_role_arn, registry.registry_key_arn

What it builds (the secure settings are fixed, not offered):

* **A repository per service** (:data:`~vtc_constructs.workloads.SERVICES`), ``<repository_prefix>/<service>``, so
  that ``WorkloadsProps.image_repository`` = ``<registry host>/<repository_prefix>`` and the chart's
  ``<repository>/<service>:<tag>`` name exactly these. Tags are **immutable** (a tag names one build forever: what an
  environment file names cannot change under it); **scan on push** (ECR's basic scanning, see
  :data:`SCANNING`); encrypted with a **customer-managed KMS key** of the registry's own (rotated).
* **A lifecycle policy** (:func:`lifecycle_policy`) with a single rule: an image without a tag expires
  ``untagged_expiry_days`` after its push. No rule selects a tagged image, so ECR never expires one: every image an
  environment file names is tagged (its ``image_tags`` tag, which immutability keeps on it), and so are the signature
  and SBOM attestation the image-build workflow attaches (cosign's ``sha256-<digest>.sig`` / ``.att`` tags). Old
  releases are removed by a person, deliberately; storage is the price (Ref:
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html: a lifecycle policy only expires the
  images its rules select).
* **A repository policy that denies** image pulls (``BatchGetImage``, ``GetDownloadUrlForLayer``) to every principal
  but the nodes' role and the push role, and pushes to every principal but the push role. It only denies: within
  the account an identity policy is enough to allow (the nodes' role has ``AmazonEC2ContainerRegistryReadOnly``, the
  push role its own policy below), so an Allow here would add nothing; "the nodes only" needs the explicit Deny,
  which overrides any identity policy of the account (an administrator's included). Managing the repositories
  (policies, lifecycle, deletion) is not denied, so nobody is locked out.
  Ref: https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html
* **The push role** ``<name>-image-push``: assumable only with a GitHub token whose ``aud`` is ``sts.amazonaws.com``
  and whose ``sub`` is ``repo:<repository>:environment:<github_environment>`` for one of ``github_repositories``
  (the services' repositories run ``.github/workflows/image-build.yml`` of this repository as a reusable workflow,
  in that GitHub environment). It may push and read these repositories' images and describe them (the digest), and
  get the registry token; nothing else.

Unless ``disposable``, the repositories and their key are guarded (``prevent_destroy``), like the database: a
repository's deletion deletes every image the environments run.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Sequence

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from cdktf_cdktf_provider_aws.ecr_repository_policy import EcrRepositoryPolicy
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment

from ._common import (
    Account,
    Statement,
    account_admin_statement,
    claim_names,
    guard_replacement_safety,
    is_string_token,
    kms_key,
    policy_document,
    require_props,
)
from .ci_identity import GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST
from .errors import (Problem, classified, coerce_fields, is_reference, is_string_tuple, is_whole, not_a_list,
                     raise_if_any)
from .workloads import SERVICES, role_arn_problems

#: What fetches an image's content: denied to everybody but the nodes and the push role (cosign and buildx read the
#: manifest they sign or build on).
IMAGE_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
#: What writes an image: denied to everybody but the push role.
IMAGE_PUSH_ACTIONS = ("ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload")
#: The push role's whole power on the repositories (tested exactly); plus ``ecr:GetAuthorizationToken`` (no resource).
PUSH_ROLE_ACTIONS = (*IMAGE_PUSH_ACTIONS, *IMAGE_PULL_ACTIONS, "ecr:BatchCheckLayerAvailability",
                     "ecr:DescribeImages")
#: How images are scanned, and why this way: ECR's basic scanning on push, set per repository. Not the registry-level
#: scanning configuration: that is one setting per account and region (two stacks in one account would fight over
#: it, as over GitHub's OIDC provider), and enhanced scanning (Amazon Inspector) is priced per image and rescan and
#: must be enabled account-wide. The image-build workflow already refuses HIGH and CRITICAL findings (Trivy) before
#: the push; ECR's scan is the registry's own record of the same image. Enhanced scanning adds continuous rescans of
#: images already running: turn it on account-wide when that is wanted.
#: Ref: https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
SCANNING = "basic, on push (per repository)"
#: How long the push role's credentials last: a build, scan, sign and push takes minutes.
PUSH_SESSION_SECONDS = 3600

_NAME = re.compile(r"^[a-z][a-z0-9-]{1,48}[a-z0-9]$")  # <name>-image-push within IAM's 64-character role names
# An ECR repository name's path segments (lower case, digits, . _ -), without the service's last segment.
_PREFIX = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_GITHUB_ENVIRONMENT = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
_OIDC_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/" + re.escape(GITHUB_OIDC_HOST) + "$")


def lifecycle_policy(untagged_expiry_days: int) -> dict:
    """The lifecycle policy of every repository: untagged images expire ``untagged_expiry_days`` after their push; no
    rule selects a tagged image, so none is ever expired (see the module docstring)."""
    return {"rules": [{
        "rulePriority": 1,
        "description": f"Untagged images (left-overs of interrupted pushes) expire {untagged_expiry_days} days after "
                       "their push; no rule selects a tagged image, so release images, signatures and SBOMs stay",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                      "countNumber": untagged_expiry_days},
        "action": {"type": "expire"}}]}


def expired_by(policy: dict, tags: tuple[str, ...]) -> bool:
    """Whether ``policy`` has a rule that can select an image carrying ``tags`` (none: untagged): the test of the
    promise that a tagged image is never expired (ECR expires only what a rule selects)."""
    for rule in policy["rules"]:
        selection = rule["selection"]
        status = selection["tagStatus"]
        if status == "any" or (status == "untagged" and not tags):
            return True
        if status == "tagged" and tags:
            patterns = [p.replace("*", ".*") for p in selection.get("tagPatternList", [])] + \
                [re.escape(p) + ".*" for p in selection.get("tagPrefixList", [])]
            if any(re.fullmatch(p, tag) for p in patterns for tag in tags):
                return True
    return False


#: Terraform references (cdktf tokens) RegistryProps refuses, field by field (errors.classified).
_SYNTH_TIME_FIELDS = {
    "name": ("a literal name known at synth", "write the name itself: the push role, its policy and the key's alias "
             "are named after it"),
    "github_repositories": ("a literal list of owner/repository names", "list the repositories themselves: the push "
                            "role's trust condition names each"),
    "github_environment": ("a literal GitHub environment name", "write it itself: the push role's trust condition "
                           "names it"),
    "repository_prefix": ("a literal ECR repository path, e.g. 'vtc'", "write the path itself: the repositories are "
                          "named <repository_prefix>/<service> at synth"),
    "untagged_expiry_days": ("a literal whole number of days, 1 to 3650", "write the number itself: the lifecycle "
                             "policy's JSON is written at synth"),
}


@dataclass(frozen=True, kw_only=True)
class RegistryProps:
    """Input of :class:`ContainerRegistry`.

    :param name: prefix of the push role (``<name>-image-push``), its policy and the key's alias
        (``alias/<name>-registry``). Required.
    :param node_role_arn: the EKS nodes' IAM role (``EksCluster.node_role_arn``): the only principal, with the push
        role, that may pull. Required.
    :param oidc_provider_arn: the account's GitHub OIDC provider (``CiIdentity.oidc_provider_arn``), which the push
        role trusts. Required.
    :param github_repositories: ``owner/repository`` of each repository whose image-build jobs may push (the services'
        repositories, or their monorepo). Required, at least one.
    :param github_environment: the GitHub environment the image-build job runs in, in those repositories (no ``:``).
        Required.
    :param repository_prefix: default: ``vtc``: the repositories are ``vtc/<service>``. Give the path of
        ``WorkloadsProps.image_repository`` after the registry host.
    :param untagged_expiry_days: default: 14: an untagged image expires two weeks after its push. 1 to 3650.
    :param disposable: default: False: the repositories and their key are guarded (``prevent_destroy``) and a
        repository with images cannot be deleted. True drops both guards (``force_delete``): for environments whose
        images can be rebuilt.
    """

    name: str
    node_role_arn: str
    oidc_provider_arn: str
    github_repositories: Sequence[str]
    github_environment: str
    repository_prefix: str = "vtc"
    untagged_expiry_days: int = 14
    disposable: bool = False

    def __post_init__(self):
        coerce_fields(self, tuples=("github_repositories",))

    def repository_names(self) -> dict[str, str]:
        """``{service: "<repository_prefix>/<service>"}``, in :data:`SERVICES` order."""
        return {service: f"{self.repository_prefix}/{service}" for service in SERVICES}

    def validate(self) -> list[Problem]:
        """Every problem with these props (an empty list when there is none); never raises. A Terraform reference is
        accepted in the ARNs (only passed on to the policies) and refused where the registry is named or its trust
        conditions and lifecycle policy are written at synth (``_SYNTH_TIME_FIELDS``)."""
        return classified(self, self._problems(), _SYNTH_TIME_FIELDS)

    def _problems(self) -> list[Problem]:
        problems: list[Problem] = []
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            problems.append(Problem("name", self.name, "3-50 characters of a-z, 0-9 and '-', starting with a letter",
                                    "use the platform's prefix, e.g. 'vtc-production'"))
        problems += role_arn_problems(self.node_role_arn, "node_role_arn", "pass EksCluster.node_role_arn")
        arn = self.oidc_provider_arn
        if not (is_reference(arn) or is_string_token(arn)) and \
                (not isinstance(arn, str) or not _OIDC_ARN.match(arn)):
            problems.append(Problem("oidc_provider_arn", arn, f"arn:aws:iam::<account>:oidc-provider/"
                                    f"{GITHUB_OIDC_HOST} or a Terraform reference", "pass CiIdentity.oidc_provider_arn",
                                    "not GitHub's OIDC provider"))
        repositories = self.github_repositories
        if not is_string_tuple(repositories):
            problems.append(not_a_list("github_repositories", repositories, "owner/repository names",
                                       "('vision-to-code/vtc-services',)"))
        elif not repositories:
            problems.append(Problem("github_repositories", [], "at least one owner/repository",
                                    "name the repositories whose image-build jobs push the services' images",
                                    "nobody could push"))
        else:
            for i, repository in enumerate(repositories):
                if not _GITHUB_REPOSITORY.match(repository):
                    problems.append(Problem(f"github_repositories[{i}]", repository, "owner/repository as GitHub "
                                            "spells it", "e.g. 'vision-to-code/vtc-services'",
                                            "not a GitHub repository"))
            if len(set(repositories)) != len(repositories):
                problems.append(Problem("github_repositories", list(repositories), "each repository once",
                                        "remove the repeated repository", "repeated repository"))
        if not isinstance(self.github_environment, str) or not _GITHUB_ENVIRONMENT.match(self.github_environment):
            problems.append(Problem("github_environment", self.github_environment, "1-255 of letters, digits, '.', "
                                    "'_' and '-' (no ':', the token subject's separator)",
                                    "name the GitHub environment the image-build job runs in, e.g. 'production'"))
        prefix = self.repository_prefix
        if not isinstance(prefix, str) or not _PREFIX.match(prefix) or len(prefix) > 200:
            problems.append(Problem("repository_prefix", prefix, "an ECR repository path: lower-case segments of "
                                    "a-z, 0-9 and . _ - separated by '/', at most 200 characters",
                                    "give the path of workloads.image_repository after the registry host, e.g. 'vtc'"))
        if not is_whole(self.untagged_expiry_days) or not 1 <= self.untagged_expiry_days <= 3650:
            problems.append(Problem("untagged_expiry_days", self.untagged_expiry_days, "a whole number of days, 1 "
                                    "to 3650", "14 leaves time to look into an interrupted push"))
        if not isinstance(self.disposable, bool):
            problems.append(Problem("disposable", self.disposable, "true or false",
                                    "false unless the images can be rebuilt"))
        return problems


class ContainerRegistry(Construct):
    """The services' ECR repositories, their key and their push role: see the module docstring."""

    def __init__(self, scope: Construct, id: str, props: RegistryProps):
        require_props("ContainerRegistry", props, RegistryProps, "RegistryProps(name='vtc-staging', "
                      "node_role_arn=eks.node_role_arn, oidc_provider_arn=ci.oidc_provider_arn, "
                      "github_repositories=('owner/services',), github_environment='staging')")
        super().__init__(scope, id)
        raise_if_any(problem.prefixed(id) for problem in props.validate())
        guard_replacement_safety(self)
        self.props = props
        account = Account.of(self)
        names = props.repository_names()
        push_role_name = f"{props.name}-image-push"
        claim_names(self, id, *(("ECR repository", n) for n in names.values()), ("IAM role", push_role_name),
                    ("IAM policy", push_role_name))
        tags = {"vtc/registry": props.name}
        guard = None if props.disposable else TerraformResourceLifecycle(prevent_destroy=True)

        self.key = kms_key(self, "key", description=f"{props.name} container images (ECR)",
                           alias=f"{props.name}-registry", tags=tags, lifecycle=guard,
                           policy=policy_document(self, "key-policy", account_admin_statement(account)))

        self.repositories: dict[str, EcrRepository] = {}
        key_arn = self.registry_key_arn  # each attribute read is a round trip to jsii: once, then reused
        for service, repository_name in names.items():
            self.repositories[service] = EcrRepository(
                self, f"{service}-repository", name=repository_name, image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
                encryption_configuration=[EcrRepositoryEncryptionConfiguration(encryption_type="KMS",
                                                                              kms_key=key_arn)],
                force_delete=props.disposable, tags={**tags, "vtc/service": service}, lifecycle=guard)
        arns = list(self.repository_arns.values())

        self.push_role = self._push_role(push_role_name, arns, tags)
        push_role_arn = self.push_role_arn
        policy = json.dumps(lifecycle_policy(props.untagged_expiry_days))
        for service, repository in self.repositories.items():
            repository_name = repository.name
            EcrLifecyclePolicy(self, f"{service}-lifecycle", repository=repository_name, policy=policy)
            document = policy_document(
                self, f"{service}-policy-document",
                Statement(sid="PullsByTheNodesOnly", effect="Deny", actions=list(IMAGE_PULL_ACTIONS),
                          principals={"AWS": ["*"]},
                          conditions=[("ArnNotEquals", "aws:PrincipalArn", [props.node_role_arn, push_role_arn])]),
                Statement(sid="PushesByTheImageBuildRoleOnly", effect="Deny", actions=list(IMAGE_PUSH_ACTIONS),
                          principals={"AWS": ["*"]},
                          conditions=[("ArnNotEquals", "aws:PrincipalArn", [push_role_arn])]))
            EcrRepositoryPolicy(self, f"{service}-policy", repository=repository_name, policy=document.json)

    def _push_role(self, role_name: str, repository_arns: list[str], tags) -> IamRole:
        props = self.props
        trust = policy_document(self, "push-role-trust", Statement(
            sid="ImageBuildJobsOfTheServicesRepositories", actions=["sts:AssumeRoleWithWebIdentity"],
            principals={"Federated": [props.oidc_provider_arn]},
            conditions=[("StringEquals", f"{GITHUB_OIDC_HOST}:aud", [GITHUB_OIDC_AUDIENCE]),
                        ("StringEquals", f"{GITHUB_OIDC_HOST}:sub",
                         [f"repo:{repository}:environment:{props.github_environment}"
                          for repository in props.github_repositories])]))
        role = IamRole(self, "push-role", name=role_name, assume_role_policy=trust.json,
                       description=f"{props.name}: push the services' images (image-build workflow, GitHub "
                                   f"environment {props.github_environment})",
                       max_session_duration=PUSH_SESSION_SECONDS, tags=tags)
        document = policy_document(
            self, "push-policy-document",
            Statement(sid="RegistrySignIn", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            Statement(sid="PushAndReadTheServicesImages", actions=list(PUSH_ROLE_ACTIONS), resources=repository_arns))
        policy = IamPolicy(self, "push-policy", name=role_name, policy=document.json, tags=tags)
        IamRolePolicyAttachment(self, "push-policy-attachment", role=role.name, policy_arn=policy.arn)
        return role

    # --- typed outputs ----------------------------------------------------------------------------------------------

    @functools.cached_property
    def repository_urls(self) -> dict[str, str]:
        """``{service: "<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<service>"}`` (Terraform references)."""
        return {service: repository.repository_url for service, repository in self.repositories.items()}

    @functools.cached_property
    def repository_arns(self) -> dict[str, str]:
        return {service: repository.arn for service, repository in self.repositories.items()}

    @functools.cached_property
    def push_role_arn(self) -> str:
        """The image-build workflow's role (``role-to-assume``): the services' repositories' ``AWS_IMAGE_PUSH_ROLE_ARN``."""
        return self.push_role.arn

    @functools.cached_property
    def registry_key_arn(self) -> str:
        return self.key.arn


__all__ = ["IMAGE_PULL_ACTIONS", "IMAGE_PUSH_ACTIONS", "PUSH_ROLE_ACTIONS", "SCANNING", "ContainerRegistry",
           "RegistryProps", "expired_by", "lifecycle_policy"]
