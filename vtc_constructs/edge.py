"""Edge: the public ALB with TLS 1.3, WAF, access logs, and blue/green target groups whose weights the listener owns.

Usage::

    from vtc_constructs import Edge, EdgeProps, Certificate

    edge = Edge(self, "edge", EdgeProps(
        name="vtc-production",
        network=network.edge_network(target_security_group_id=cluster.node_security_group_id),
        certificate=Certificate(domain_name="app.example.com", hosted_zone_name="example.com"),
        blue_weight=100, green_weight=0,     # plain numbers, or Terraform variables (see PlatformStack)
    ))
    edge.blue_target_group_arn, edge.green_target_group_arn, edge.alb_dns_name

Fixed, not optional: HTTPS only (port 80 answers with a permanent redirect and nothing else); a TLS 1.3 security
policy; invalid header fields dropped, the strictest desync mitigation, HTTP/2; access logs to a bucket the
construct owns (SSE-S3, the only encryption ALB log delivery writes to; versioned; expiring; public access
blocked; TLS-only policy plus the ELB log-delivery grant); a regional WAF web ACL with AWS's managed rule groups and
a per-IP rate limit, logging only what a rule acted on (the ALB's access log has every request); the ALB's security
group admits 443 and 80 from the listed CIDRs and may only reach the targets' security group on the target port.

The WAF (its rule groups, the upload paths' large bodies, overrides, count mode, its log) is in
:mod:`vtc_constructs.waf`, set as ``EdgeProps.waf`` (:class:`~vtc_constructs.waf.WafProps`); the edge makes it in its
own scope, so its construct paths are the edge's (``<edge>/web-acl``).

Past the ALB, HTTPS too: the target groups (and their health checks) speak HTTPS to each colour's NGINX, which
terminates TLS with a certificate from the platform's cert-manager CA (:data:`TARGET_PROTOCOL`; issue 26,
docs/design/encryption-in-transit.md).

Blue/green: two IP target groups, ``<name>-blue-<hash>`` and ``<name>-green-<hash>``, and one HTTPS listener forwarding
by weight. ``blue_weight``/``green_weight`` are the weights the listener is **created** with: after that, the listener
is the source of truth (Terraform ignores its default action), and shifting traffic (0 -> 10 -> 50 -> 100 % green) or
rolling back is a direct change of the listener by your release tooling (one ``ModifyListener`` of
``https_listener_arn``'s default action, forwarding to ``blue_target_group_arn`` and ``green_target_group_arn`` with the
new weights; docs/guides/constructs.md, "Blue/green traffic"), never a deploy. This repository's tooling is
``python -m environments.rollout``, which reads its own environment files: it is not part of the package. A deploy of
the stack leaves the weights as the listener holds them. The hash (4 hex digits) is of what forces a target group's
replacement (port, protocol, target type, VPC), so a change of ``target_port`` creates the new groups before the old
ones go (create_before_destroy; until issue 12 the names were fixed and AWS refused the replacement); the listener is
then **replaced** with them (``replace_triggered_by``): seconds without a listener, and it comes back with the props'
weights, so set those to the live weights (read from the listener: ``aws elbv2 describe-listeners``) in the same change.
The new groups' ARNs are new: re-point the TargetGroupBindings (stack outputs) in the same change. Each group carries
the tag that lets the named cluster's AWS Load Balancer Controller register pods into it
(``target_group_binding_cluster``).

Why one module: it is one construct, the ALB and what only it uses, read top to bottom as its props and their checks,
then its security group, access-log bucket, certificate, target groups and listeners, then its outputs (the WAF, a
subject of its own, is in waf.py).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Sequence, Union

from cdktf import Fn, TerraformResourceLifecycle, Token
from constructs import Construct

from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionForward,
    LbListenerDefaultActionForwardStickiness,
    LbListenerDefaultActionForwardTargetGroup,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from ._common import (
    Account,
    NameRegistry,
    Statement,
    claim_names,
    guard_replacement_safety,
    is_number_token,
    is_string_token,
    policy_document,
    require_props,
)
from .aws_rules import certificate_arn_problems, health_check_path_problems
from .eks_addons import TARGET_GROUP_BINDING_TAG
from .contracts import EdgeNetwork  # noqa: F401  (re-exported: they were defined here)
from .errors import (ConfigError, Problem, classified, coerce_fields, is_list_reference, is_reference, is_whole,
                     not_a_list, raise_if_any, synth_time_problems)
from .network import LOG_RETENTION_DAYS
from .workloads import DEREGISTRATION_DELAY_SECONDS, GATEWAY_HEALTH_PATH
# The WAF's props and resources are in waf.py since issue 27. Its names stay importable from here for code written
# before (``from vtc_constructs.edge import WafProps``): deprecated, import them from ``vtc_constructs`` (the public
# ones) or ``vtc_constructs.waf``.
from .waf import (  # noqa: F401  (re-exported: they were defined here)
    BODY_SIZE_LABEL,
    BODY_SIZE_RULE,
    DEFAULT_RULE_ACTIONS,
    MANAGED_RULE_GROUPS,
    MANAGED_RULES,
    MAX_PATH_PREFIX_BYTES,
    MAX_UPLOAD_PATH_PREFIXES,
    WAF_LOGGED_ACTIONS,
    WAF_REDACTED_HEADERS,
    WafProps,
    WafRuleAction,
    add_web_acl,
)

#: ALB security policies that negotiate TLS 1.3. Ref:
#: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
TLS13_POLICIES = ("ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS13-1-2-2021-06",
                  "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04")
#: The target groups' protocol (and their health checks'): HTTPS to each colour's NGINX, which terminates TLS with a
#: certificate of the platform's CA (issue 26; HTTP until then). Part of the target groups' name hash: changing it
#: replaces them, new before old (the listener with them).
TARGET_PROTOCOL = "HTTPS"
#: The policy that negotiates TLS 1.3 and nothing older (see ``EdgeProps.tls_policy`` for what it costs in reach).
TLS13_ONLY_POLICY = "ELBSecurityPolicy-TLS13-1-3-2021-06"
COLOURS = ("blue", "green")
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,19}[a-z0-9]$")  # <name>-green must fit a 32-character target group name
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

Weight = Union[int, float]  # or a Terraform number token (a variable's number_value)

#: Terraform references (cdktf tokens), field by field. What Edge names things after or checks at synth is refused,
#: with what is allowed and how to fix it (:func:`~vtc_constructs.errors.classified`); the weights, the health check
#: path, timeouts and retentions are only passed on (accepted, ``_PASSED_ON``), as is ``certificate.certificate_arn``.
_SYNTH_TIME_FIELDS = {
    "name": ("a literal name known at synth (3-21 characters of a-z, 0-9 and '-')", "write the name itself: the "
             "load balancer, its target groups (<name>-blue, <name>-green) and buckets are named after it"),
    "target_port": ("a literal port known at synth, 1024-65535", "write the port itself: it is checked against the "
                    "ports the target security group admits"),
    "health_check_port": ("a literal port known at synth, or none for the traffic port", "write the port itself: "
                          "it is checked against the ports the target security group admits"),
    "ingress_cidrs": ("a literal list of IPv4 CIDRs known at synth", "list the ranges themselves: each gets an "
                      "ingress rule of its own and is checked at synth"),
    "tls_policy": ("a literal TLS 1.3 policy name", "write the policy itself: the library checks at synth that it "
                   "is a TLS 1.3 one"),
    "target_group_binding_cluster": ("a literal EKS cluster name, or none for the edge's name", "write the name "
                                     "itself: it is checked at synth against the stack's EKS clusters"),
}
_PASSED_ON = {"health_check_path": "string", "idle_timeout_seconds": "number", "rate_limit_per_5_minutes": "number",
              "access_log_expiry_days": "number", "waf_log_retention_days": "number"}
_CERTIFICATE_FIELDS = {
    "domain_name": ("a literal DNS name known at synth", "write the name itself: it is checked to lie inside "
                    "hosted_zone_name, or give certificate_arn (which may be a reference)"),
    "hosted_zone_name": ("a literal Route 53 zone name known at synth", "write the zone's name itself: the zone is "
                         "looked up by it, or give certificate_arn (which may be a reference)"),
}


@dataclass(frozen=True, kw_only=True)
class Certificate:
    """The HTTPS certificate: an existing ACM certificate, or one the construct requests and validates by DNS.

    Give either ``certificate_arn`` (``arn:<partition>:acm:<region>:<account>:certificate/<id>``, in the load
    balancer's region), or ``domain_name`` with the Route 53 ``hosted_zone_name`` it validates in.
    """

    certificate_arn: str | None = None
    domain_name: str | None = None
    hosted_zone_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class EdgeProps:
    """Input of :class:`Edge`.

    :param name: prefix of the ALB, target groups (``<name>-blue-<hash>``), WAF and bucket names; up to 21
        characters. Required when the construct is used alone; :class:`~vtc_constructs.platform.VisionToCodePlatform`
        sets it.
    :param target_group_binding_cluster: default: the edge's ``name`` (the platform names the cluster alike). The EKS
        cluster whose AWS Load Balancer Controller may register pods into the target groups: they carry the tag
        its IRSA policy requires (``vtc/target-group-binding-cluster=<cluster>``). When the stack holds EKS
        clusters built before the edge, it must be one of them (checked). Until issue 12 this was implicit: the
        edge's name had to equal the cluster's.
    :param network: :class:`EdgeNetwork`. Required when the construct is used alone; :class:`~vtc_constructs.platform.VisionToCodePlatform` sets it.
    :param certificate: :class:`Certificate`. Required: HTTPS needs one.
    :param blue_weight: default: 100. :param green_weight: default: 0. The weights the HTTPS listener is created
        with, each 0-100, not both 0 (numbers or Terraform number tokens). Only the first deploy (or a replacement of
        the listener) uses them: after that the listener holds the weights and a deploy never changes them
        (your release tooling does, directly: docs/guides/constructs.md, "Blue/green traffic").
    :param target_port: default: 8443, each colour's NGINX HTTPS listener (``vtc_constructs.workloads.GATEWAY_PORT``).
    :param health_check_path: default: ``/-/ready``, each colour's health route on the platform's NGINX
        (``vtc_constructs.workloads.GATEWAY_HEALTH_PATH``), answered by core's readiness: the targets turn unhealthy
        when the colour's services cannot serve, not only when NGINX is down. A URI path (and ?query) of at most 1024
        characters.
    :param health_check_port: default: the targets' traffic port. Another port (1024-65535) lets the check ask
        another process of the target (e.g. a proxy's own health endpoint); the ALB may then reach that port too.
    :param ingress_cidrs: default: the whole internet, for a public site.
    :param deletion_protection: default: True.
    :param idle_timeout_seconds: default: 60.
    :param tls_policy: default: ``ELBSecurityPolicy-TLS13-1-2-2021-06`` (TLS 1.3, and 1.2 for older clients); any of
        :data:`TLS13_POLICIES`. ``ELBSecurityPolicy-TLS13-1-3-2021-06`` (:data:`TLS13_ONLY_POLICY`; ``tls_policy`` in
        an environment file's ``[edge]``) negotiates TLS 1.3 only. What it costs in reach: clients without TLS 1.3
        fail the handshake, i.e. Android 9 and older, Java 8 before 8u261, .NET Framework on Windows before Windows
        11 / Server 2022, OpenSSL 1.0.2 (curl and Python built on it), Internet Explorer, Safari before 12.1 (macOS
        10.14.4 / iOS 12.2); every current browser, mobile OS and language runtime speaks 1.3. Check the ALB's
        ``TLSNegotiationErrorCount`` metric over a week on the 1.2 policy before switching (it counts refusals,
        not the clients that would fail). Ref: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/
        describe-ssl-policies.html
    :param rate_limit_per_5_minutes: default: 2,000 requests per client IP per 5 minutes, then blocked.
    :param access_log_expiry_days: default: 90.
    :param waf_log_retention_days: default: 365.
    :param waf: default: :class:`WafProps` defaults (large bodies only under ``/api/uploads/``, cloud-hosted clients
        counted, every group enforcing).
    """

    name: str | None = None
    network: EdgeNetwork | None = None
    certificate: Certificate
    blue_weight: Weight = 100
    green_weight: Weight = 0
    target_port: int = 8443
    health_check_path: str = GATEWAY_HEALTH_PATH
    health_check_port: int | None = None
    ingress_cidrs: Sequence[str] = ("0.0.0.0/0",)
    deletion_protection: bool = True
    idle_timeout_seconds: int = 60
    tls_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    rate_limit_per_5_minutes: int = 2000
    access_log_expiry_days: int = 90
    waf_log_retention_days: int = 365
    target_group_binding_cluster: str | None = None
    waf: WafProps = field(default_factory=WafProps)

    def __post_init__(self):
        coerce_fields(self, tuples=("ingress_cidrs",))

    def validate(self, *, check_network: bool = True) -> list[Problem]:
        """Every problem. A Terraform reference is refused in the fields computed from or checked at synth
        (``_SYNTH_TIME_FIELDS``, the certificate's names), accepted in those only passed on (``_PASSED_ON``)."""
        certificate, refused = [], set()
        if isinstance(self.certificate, Certificate):
            certificate, names = synth_time_problems(self.certificate, _CERTIFICATE_FIELDS)
            certificate = [p.prefixed("certificate") for p in certificate]
            refused = {f"certificate.{name}" for name in names}
        problems = classified(self, self._problems(check_network), _SYNTH_TIME_FIELDS, _PASSED_ON)
        return [p for p in problems if p.path.split("[", 1)[0] not in refused] + certificate

    def _problems(self, check_network: bool) -> list[Problem]:
        problems: list[Problem] = []
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            problems.append(Problem("name", self.name, "3-21 characters of a-z, 0-9 and '-'",
                                    "shorten the name: '<name>-green' must fit a 32-character target group name"))
        problems += _weight_problems(self.blue_weight, self.green_weight)
        if not isinstance(self.network, EdgeNetwork):
            problems.append(Problem("network", self.network, "an EdgeNetwork",
                                    "pass network.edge_network(target_security_group_id=...)", "not an EdgeNetwork"))
        elif check_network and self.network.type_problems():
            problems += [p.prefixed("network") for p in self.network.type_problems()]
        elif check_network:
            # A whole list known only at apply (DataAwsSubnets(...).ids): the ALB's AZs are AWS's to check then.
            if not is_list_reference(self.network.public_subnet_ids) and len(self.network.public_subnet_ids) < 2:
                problems.append(Problem("network.public_subnet_ids", list(self.network.public_subnet_ids),
                                        "public subnets in at least 2 AZs", "an ALB needs two Availability Zones",
                                        "too few Availability Zones"))
            admitted = self.network.target_admitted_ports
            for name in ("target_port", "health_check_port"):
                port = getattr(self, name)
                if admitted and port is not None and port not in admitted:
                    problems.append(Problem(name, port, f"a port the target security group admits from the ALB: "
                                            f"{list(admitted)}", f"change {name} or open it on the nodes' security "
                                            "group", "targets unreachable"))
        problems += self._certificate_problems()
        if not is_whole(self.target_port) or not 1024 <= self.target_port <= 65535 or \
                self.target_port in (10250,):
            problems.append(Problem("target_port", self.target_port, "1024-65535, not the kubelet's 10250",
                                    "use the services' container port"))
        if self.health_check_port is not None and (not is_whole(self.health_check_port) or not
                                                   1024 <= self.health_check_port <= 65535 or
                                                   self.health_check_port in (10250,)):
            problems.append(Problem("health_check_port", self.health_check_port, "1024-65535, not the kubelet's "
                                    "10250, or leave it out for the traffic port",
                                    "use the port the targets answer health checks on, or leave it out for the traffic port"))
        problems += health_check_path_problems(self.health_check_path)
        problems += self._ingress_problems()
        if not isinstance(self.tls_policy, str) or self.tls_policy not in TLS13_POLICIES:
            problems.append(Problem("tls_policy", self.tls_policy, ", ".join(TLS13_POLICIES),
                                    "pick a TLS 1.3 policy", "not a TLS 1.3 policy"))
        checks = (("idle_timeout_seconds", 1, 4000), ("rate_limit_per_5_minutes", 100, 2_000_000_000),
                  ("access_log_expiry_days", 1, 3650))
        for field, low, high in checks:
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                problems.append(Problem(field, value, f"{low} to {high}", f"set {field} within the range"))
        if not is_whole(self.waf_log_retention_days) or self.waf_log_retention_days not in LOG_RETENTION_DAYS:
            problems.append(Problem("waf_log_retention_days", self.waf_log_retention_days,
                                    f"one of CloudWatch's retention values {list(LOG_RETENTION_DAYS)}",
                                    "pick the nearest allowed value"))
        if not isinstance(self.deletion_protection, bool):
            problems.append(Problem("deletion_protection", self.deletion_protection, "true or false",
                                    "set a boolean"))
        cluster = self.target_group_binding_cluster
        if cluster is not None and (not isinstance(cluster, str) or not re.match(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,99}$",
                                                                                 cluster)):
            problems.append(Problem("target_group_binding_cluster", cluster, "an EKS cluster name",
                                    "name the cluster whose load balancer controller binds pods to the target groups"))
        if isinstance(self.waf, WafProps):
            problems += [p.prefixed("waf") for p in self.waf.validate()]
        else:
            problems.append(Problem("waf", type(self.waf).__name__, "a WafProps", "build it with "
                                    "vtc_constructs.WafProps(...)", "not a WafProps"))
        return problems

    def _ingress_problems(self) -> list[Problem]:
        if not isinstance(self.ingress_cidrs, tuple):
            return [not_a_list("ingress_cidrs", self.ingress_cidrs, "IPv4 CIDRs", "('0.0.0.0/0',)")]
        if not self.ingress_cidrs:
            return [Problem("ingress_cidrs", [], "at least one CIDR", "list who may reach the site",
                            "nobody admitted")]
        problems = []
        for i, cidr in enumerate(self.ingress_cidrs):
            try:
                if not isinstance(cidr, str):
                    raise ValueError("not a string")
                ipaddress.IPv4Network(cidr, strict=True)
            except ValueError as exc:
                problems.append(Problem(f"ingress_cidrs[{i}]", cidr, "an IPv4 CIDR", f"correct it ({exc})",
                                        "malformed CIDR"))
        return problems

    def _certificate_problems(self) -> list[Problem]:
        cert = self.certificate
        if not isinstance(cert, Certificate):
            return [Problem("certificate", cert, "a Certificate(certificate_arn=...) or Certificate(domain_name=..., "
                            "hosted_zone_name=...)", "build it with vtc_constructs.Certificate", "not a Certificate")]
        by_arn = cert.certificate_arn is not None
        by_dns = cert.domain_name is not None or cert.hosted_zone_name is not None
        if by_arn == by_dns:
            return [Problem("certificate", {k: v for k, v in vars(cert).items() if v is not None},
                            "either certificate_arn, or domain_name with hosted_zone_name",
                            "HTTPS needs a certificate: name an ACM certificate, or a domain to request one for",
                            "no certificate" if not by_arn else "two certificates")]
        problems = []
        if by_arn and not is_reference(cert.certificate_arn):  # a reference (AcmCertificate.arn): passed on as it is
            problems += certificate_arn_problems(cert.certificate_arn, "certificate.certificate_arn")
        if by_dns:
            for field in ("domain_name", "hosted_zone_name"):
                value = getattr(cert, field)
                if not isinstance(value, str) or not _DOMAIN_RE.match(value):
                    problems.append(Problem(f"certificate.{field}", value, "a lower-case DNS name",
                                            f"set certificate.{field}"))
            if not problems and not (cert.domain_name == cert.hosted_zone_name or
                                     cert.domain_name.endswith("." + cert.hosted_zone_name)):
                problems.append(Problem("certificate.domain_name", cert.domain_name,
                                        f"a name inside {cert.hosted_zone_name}",
                                        "validate the certificate in the zone that holds the name",
                                        "domain outside the zone"))
        return problems


def _weight_problems(blue: Weight, green: Weight) -> list[Problem]:
    """Weights are checked here when they are numbers; as Terraform variables, their validation blocks check them."""
    problems = []
    plain = {}
    for colour, value in (("blue_weight", blue), ("green_weight", green)):
        if is_string_token(value) or is_number_token(value):
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            problems.append(Problem(colour, value, "a whole number from 0 to 100", "set a percentage weight"))
        else:
            plain[colour] = value
    if len(plain) == 2 and plain["blue_weight"] == plain["green_weight"] == 0:
        problems.append(Problem("green_weight", 0, "not 0 while blue_weight is 0 too",
                                "give the live colour a weight; both at 0 sends traffic nowhere", "no live colour"))
    return problems


class Edge(Construct):
    """The public entry point. See the module docstring for what is fixed and :class:`EdgeProps` for inputs."""

    def __init__(self, scope: Construct, id: str, props: EdgeProps):
        require_props("Edge", props, EdgeProps, "EdgeProps(name='my-service', network=network.edge_network(...), "
                      "certificate=Certificate(domain_name='app.example.com', hosted_zone_name='example.com'))")
        super().__init__(scope, id)
        raise_if_any(problem.prefixed(id) for problem in props.validate())
        guard_replacement_safety(self)
        name = props.name
        claim_names(self, id, ("load balancer", name), ("target group", f"{name}-blue"),
                    ("target group", f"{name}-green"), ("WAF web ACL", name),
                    ("CloudWatch log group", f"aws-waf-logs-{name}"), ("KMS alias", f"alias/{name}-waf-logs"))
        self.binding_cluster = props.target_group_binding_cluster or props.name
        clusters = sorted(name for kind, name in NameRegistry.of(self).claims if kind == "EKS cluster")
        if clusters and self.binding_cluster not in clusters:
            raise ConfigError([Problem(f"{id}.target_group_binding_cluster", self.binding_cluster,
                                       f"an EKS cluster of this stack: {', '.join(clusters)}",
                                       "set target_group_binding_cluster to the cluster whose AWS Load Balancer "
                                       "Controller binds pods to these target groups",
                                       "no such cluster in the stack")])
        self.props = props
        self.account = Account.of(self)
        tags = {"vtc/edge": props.name}
        self._security_group(tags)
        self._access_log_bucket(tags)
        certificate_arn = self._certificate(tags)

        self.alb = Lb(
            self, "alb", name=props.name, load_balancer_type="application", internal=False,
            subnets=list(props.network.public_subnet_ids), security_groups=[self.security_group.id],
            drop_invalid_header_fields=True, desync_mitigation_mode="strictest", enable_http2=True,
            idle_timeout=props.idle_timeout_seconds, enable_deletion_protection=props.deletion_protection,
            preserve_host_header=True, xff_header_processing_mode="append",
            access_logs=LbAccessLogs(bucket=self.log_bucket.id, prefix="alb", enabled=True),
            tags=tags, depends_on=[self.log_bucket_policy])

        # The name ends in a hash of every argument that forces a replacement, so a replacement (a new port, ...)
        # gets a new name and can be created before the old group, still in the listener, is destroyed.
        # HTTPS to the targets (issue 26): each colour's NGINX terminates TLS with a certificate of the platform's CA
        # (cert-manager). The ALB does not validate a target's certificate (AWS: self-signed or expired ones are
        # accepted; traffic inside the VPC is authenticated at the packet level), and it negotiates the back-end
        # policy of its TLS 1.3 listener policy (ELBSecurityPolicy-TLS13-1-0-2021-06: up to TLS 1.3).
        # Ref: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html
        replaced_by = Fn.substr(Fn.sha1(Fn.join("/", [props.network.vpc_id, str(props.target_port), TARGET_PROTOCOL,
                                                      "ip"])), 0, 4)
        self.target_groups = {colour: LbTargetGroup(
            self, f"{colour}-target-group", name=f"{props.name}-{colour}-{replaced_by}", port=props.target_port,
            protocol=TARGET_PROTOCOL, target_type="ip", vpc_id=props.network.vpc_id, deregistration_delay=str(DEREGISTRATION_DELAY_SECONDS),
            health_check=LbTargetGroupHealthCheck(
                enabled=True, path=props.health_check_path, matcher="200", protocol=TARGET_PROTOCOL,
                port="traffic-port" if props.health_check_port is None else str(props.health_check_port),
                interval=10, timeout=5, healthy_threshold=2, unhealthy_threshold=3),
            tags={**tags, "vtc/colour": colour, TARGET_GROUP_BINDING_TAG: self.binding_cluster},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True)) for colour in COLOURS}

        weights = {"blue": props.blue_weight, "green": props.green_weight}
        self.https_listener = LbListener(
            self, "https-listener", load_balancer_arn=self.alb.arn, port=443, protocol="HTTPS",
            ssl_policy=props.tls_policy, certificate_arn=certificate_arn,
            default_action=[LbListenerDefaultAction(type="forward", forward=LbListenerDefaultActionForward(
                target_group=[LbListenerDefaultActionForwardTargetGroup(arn=self.target_groups[c].arn,
                                                                         weight=weights[c]) for c in COLOURS],
                stickiness=LbListenerDefaultActionForwardStickiness(enabled=False, duration=1)))],
            tags=tags,
            # Traffic is state of the load balancer, not of the configuration: the weights above are those of the first
            # deploy only. After it, the release tooling (this repository's environments/rollout.py) owns them and
            # changes them with one ModifyListener call; a deploy of this stack never moves traffic, whatever the props
            # say. The same pattern as ECS blue/green under CodeDeploy, for the same reason.
            # A replaced target group (a new target_port, ...) must still get the listener: the listener is then
            # replaced with it (a short gap in serving, and the props' weights again: see the module docstring).
            # Ref: https://developer.hashicorp.com/terraform/language/meta-arguments/lifecycle#replace_triggered_by
            lifecycle=TerraformResourceLifecycle(
                ignore_changes=["default_action"],
                replace_triggered_by=[f"{group.terraform_resource_type}.{group.friendly_unique_id}.name"
                                      for group in self.target_groups.values()]))
        self.http_listener = LbListener(
            self, "http-listener", load_balancer_arn=self.alb.arn, port=80, protocol="HTTP",
            default_action=[LbListenerDefaultAction(type="redirect", redirect=LbListenerDefaultActionRedirect(
                protocol="HTTPS", port="443", status_code="HTTP_301"))],
            tags=tags)
        self._alias_record()
        waf = add_web_acl(self, name=props.name, waf=props.waf, rate_limit_per_5_minutes=props.rate_limit_per_5_minutes,
                          log_retention_days=props.waf_log_retention_days, resource_arn=self.alb.arn,
                          account=self.account, tags=tags)
        self.web_acl, self.waf_log_group = waf.web_acl, waf.log_group

    # --- network ----------------------------------------------------------------------------------------------------

    def _security_group(self, tags) -> None:
        props = self.props
        self.security_group = SecurityGroup(
            self, "security-group", name_prefix=f"{props.name}-alb-", vpc_id=props.network.vpc_id,
            description=f"{props.name} ALB: HTTPS (and HTTP for the redirect) in, targets out",
            tags={**tags, "Name": f"{props.name}-alb"},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
        for i, cidr in enumerate(props.ingress_cidrs):
            for port, what in ((443, "HTTPS"), (80, "HTTP, answered with a redirect to HTTPS")):
                VpcSecurityGroupIngressRule(self, f"ingress-{port}-{i}", security_group_id=self.security_group.id,
                                            cidr_ipv4=cidr, ip_protocol="tcp", from_port=port, to_port=port,
                                            description=what, tags=tags)
        target = props.network.target_security_group_id
        VpcSecurityGroupEgressRule(self, "egress-to-targets", security_group_id=self.security_group.id,
                                   referenced_security_group_id=target, ip_protocol="tcp",
                                   from_port=props.target_port, to_port=props.target_port,
                                   description="To the targets (pods) on the target port only", tags=tags)
        if props.health_check_port is not None and props.health_check_port != props.target_port:
            VpcSecurityGroupEgressRule(self, "egress-to-targets-health", security_group_id=self.security_group.id,
                                       referenced_security_group_id=target, ip_protocol="tcp",
                                       from_port=props.health_check_port, to_port=props.health_check_port,
                                       description="To the targets' health-check port only", tags=tags)
        if not props.network.target_admitted_ports:
            VpcSecurityGroupIngressRule(self, "targets-from-alb", security_group_id=target,
                                        referenced_security_group_id=self.security_group.id, ip_protocol="tcp",
                                        from_port=props.target_port, to_port=props.target_port,
                                        description=f"{props.name} ALB to the pods", tags=tags)
            if props.health_check_port is not None and props.health_check_port != props.target_port:
                VpcSecurityGroupIngressRule(
                    self, "targets-from-alb-health", security_group_id=target,
                    referenced_security_group_id=self.security_group.id, ip_protocol="tcp",
                    from_port=props.health_check_port, to_port=props.health_check_port,
                    description=f"{props.name} ALB health checks to the pods", tags=tags)

    # --- access logs ------------------------------------------------------------------------------------------------

    def _access_log_bucket(self, tags) -> None:
        props, account = self.props, self.account
        self.log_bucket = S3Bucket(self, "access-log-bucket", bucket_prefix=f"{props.name}-alb-logs-",
                                   force_destroy=not props.deletion_protection, tags=tags)
        bucket = self.log_bucket.id
        S3BucketOwnershipControls(self, "access-log-ownership", bucket=bucket,
                                  rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"))
        public = S3BucketPublicAccessBlock(self, "access-log-public-access", bucket=bucket, block_public_acls=True,
                                           block_public_policy=True, ignore_public_acls=True,
                                           restrict_public_buckets=True)
        # ALB access log delivery writes only to SSE-S3 buckets (not SSE-KMS).
        # Ref: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
        S3BucketServerSideEncryptionConfigurationA(
            self, "access-log-encryption", bucket=bucket, rule=[S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=(
                    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="AES256")))])
        versioning = S3BucketVersioningA(self, "access-log-versioning", bucket=bucket,
                                         versioning_configuration=S3BucketVersioningVersioningConfiguration(
                                             status="Enabled"))
        S3BucketLifecycleConfiguration(
            self, "access-log-lifecycle", bucket=bucket, depends_on=[versioning],
            rule=[S3BucketLifecycleConfigurationRule(
                id="expire-access-logs", status="Enabled", filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=props.access_log_expiry_days)],
                noncurrent_version_expiration=[S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                    noncurrent_days=7)],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=1)])])
        elb_account = DataAwsElbServiceAccount(self, "elb-account")
        objects = f"{self.log_bucket.arn}/alb/AWSLogs/{account.id}/*"
        policy = policy_document(
            self, "access-log-bucket-policy-document",
            Statement(sid="DenyInsecureTransport", effect="Deny", actions=["s3:*"],
                      resources=[self.log_bucket.arn, f"{self.log_bucket.arn}/*"], principals={"*": ["*"]},
                      conditions=[("Bool", "aws:SecureTransport", ["false"])]),
            # Regions since 2022 deliver as the log-delivery service; older ones as the region's ELB account.
            Statement(sid="LogDeliveryService", actions=["s3:PutObject"], resources=[objects],
                      principals={"Service": ["logdelivery.elasticloadbalancing.amazonaws.com"]}),
            Statement(sid="ElbAccountOfThisRegion", actions=["s3:PutObject"], resources=[objects],
                      principals={"AWS": [elb_account.arn]}))
        self.log_bucket_policy = S3BucketPolicy(self, "access-log-bucket-policy", bucket=bucket,
                                                policy=policy.json, depends_on=[public])

    # --- certificate ------------------------------------------------------------------------------------------------

    def _certificate(self, tags) -> str:
        cert = self.props.certificate
        self.zone = None
        if cert.certificate_arn:
            return cert.certificate_arn
        self.zone = DataAwsRoute53Zone(self, "zone", name=cert.hosted_zone_name, private_zone=False)
        self.certificate = AcmCertificate(self, "certificate", domain_name=cert.domain_name,
                                          validation_method="DNS", key_algorithm="EC_prime256v1", tags=tags,
                                          lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
        option = Fn.element(Fn.tolist(self.certificate.domain_validation_options), 0)
        record = Route53Record(
            self, "certificate-validation-record", zone_id=self.zone.zone_id, allow_overwrite=True, ttl=300,
            name=Token.as_string(Fn.lookup(option, "resource_record_name", None)),
            type=Token.as_string(Fn.lookup(option, "resource_record_type", None)),
            records=[Token.as_string(Fn.lookup(option, "resource_record_value", None))])
        validation = AcmCertificateValidation(self, "certificate-validation", certificate_arn=self.certificate.arn,
                                              validation_record_fqdns=[record.fqdn])
        return validation.certificate_arn

    def _alias_record(self) -> None:
        """The site's name, pointing at the ALB, in the zone that validated its certificate."""
        if self.zone is None:
            return
        Route53Record(self, "alias-record", zone_id=self.zone.zone_id, name=self.props.certificate.domain_name,
                      type="A", alias=Route53RecordAlias(name=self.alb.dns_name, zone_id=self.alb.zone_id,
                                                         evaluate_target_health=True))

    # --- typed outputs ----------------------------------------------------------------------------------------------

    @property
    def alb_arn(self) -> str:
        return self.alb.arn

    @property
    def alb_dns_name(self) -> str:
        return self.alb.dns_name

    @property
    def alb_zone_id(self) -> str:
        return self.alb.zone_id

    @property
    def alb_security_group_id(self) -> str:
        return self.security_group.id

    @property
    def alb_arn_suffix(self) -> str:
        """The ALB's ARN suffix (``app/<name>/<id>``): the ``LoadBalancer`` dimension of its CloudWatch metrics."""
        return self.alb.arn_suffix

    @property
    def target_group_arn_suffixes(self) -> dict[str, str]:
        """Each colour's target group ARN suffix (``targetgroup/<name>/<id>``): the ``TargetGroup`` dimension."""
        return {colour: group.arn_suffix for colour, group in self.target_groups.items()}

    @property
    def blue_target_group_arn(self) -> str:
        return self.target_groups["blue"].arn

    @property
    def green_target_group_arn(self) -> str:
        return self.target_groups["green"].arn

    @property
    def https_listener_arn(self) -> str:
        return self.https_listener.arn

    @property
    def web_acl_arn(self) -> str:
        return self.web_acl.arn

    @property
    def access_log_bucket_name(self) -> str:
        return self.log_bucket.id
