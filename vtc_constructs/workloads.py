"""The workloads: the four Vision-to-Code services, released in blue and in green from ``charts/vision-to-code``.

Usage::

    from vtc_constructs.workloads import Colour, ImageTags, WorkloadsProps

    props = WorkloadsProps(image_repository="111111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc",
                           image_tags=ImageTags(blue="1.4.2", green="1.5.0"))
    props.validate()                      # -> [] or every Problem, never an exception
    values = props.chart_values(Colour.GREEN, environment="staging", region="eu-west-1",
                                role_arn="arn:aws:iam::111111111111:role/vtc-staging-workloads",
                                database_host=db_host, database_cidrs=("10.20.96.0/23", ...))
    release_name(Colour.GREEN)            # "vtc-green": helm upgrade --install vtc-green charts/vision-to-code -f ...

One release of the chart per colour, each with its colour's image tag; the chart's ``values.schema.json`` refuses
what :meth:`WorkloadsProps.validate` refuses, so a value file written by hand is held to the same rules.

What the chart fixes, not offered here: the restricted security context (non-root user above 10000, read-only root
filesystem, no privilege escalation, every capability dropped, seccomp RuntimeDefault), TLS to the database
(``verify-full``) with IAM sign-in and no password, default-deny network policies, probes, topology spread over
zones and nodes, and the names that tie a colour together (:func:`release_name`, :func:`gateway_name`,
:func:`gateway_class`, :func:`gateway_release`): the colour's NGINX Gateway Fabric release and Gateway must use them.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping, Sequence

from .network_policies import AMBIENT_PROBE_CIDR, MESH_TUNNEL_PORT
from .errors import (
    ConfigError,
    Problem,
    coerce_fields,
    enum_problem,
    is_number,
    is_reference,
    is_string_tuple,
    is_whole,
    not_a_list,
)

#: The chart in this repository (``charts/vision-to-code``) and its version (its ``Chart.yaml`` says the same; tested).
CHART_NAME = "vision-to-code"
CHART_VERSION = "0.3.0"
CHART_PATH = "charts/vision-to-code"  # relative to the repository root; the chart is not part of the installed package

#: The four services of the seed, in the order the chart and the tests list them.
SERVICES = ("business", "core", "swarm", "development")
#: The seed's autoscaling ranges (production): business 3-10, core 5-15, swarm 3-20, development 3-10 replicas.
SEED_REPLICA_RANGES: Mapping[str, tuple[int, int]] = {"business": (3, 10), "core": (5, 15), "swarm": (3, 20),
                                                      "development": (3, 10)}

#: Every release's name starts with this; ``vtc-<colour>`` (:func:`release_name`).
RELEASE_PREFIX = "vtc"
#: PostgreSQL's port, the only one the database's security group admits (``vtc_constructs.database.PORT``).
DATABASE_PORT = 5432

#: The add-on charts whose versions an environment pins (``addon_chart_versions``); the releases of issue 14 item 2.
ADDON_CHARTS = ("aws-load-balancer-controller", "metrics-server", "cluster-autoscaler", "external-secrets",
                "sealed-secrets", "nginx-gateway-fabric", "kube-prometheus-stack", "opentelemetry-collector",
                "aws-for-fluent-bit", "jaeger", "cert-manager", "istio-base", "istiod", "istio-cni", "ztunnel")

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # a DNS-1123 label (namespaces, release names)
_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
_TAG = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$")  # a Docker tag that is also a label value
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_PATH = re.compile(r"^/[a-z0-9][a-z0-9._~/-]*$")
_HOST = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")
_ROLE_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_CPU = re.compile(r"^([1-9][0-9]*m|[0-9]+(\.[0-9]{1,3})?)$")
_MEMORY = re.compile(r"^[1-9][0-9]*(Ki|Mi|Gi|Ti)$")
_MEMORY_UNITS = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40}


class Colour(str, Enum):
    """One of the two releases; the ALB's weights split traffic between them."""

    BLUE = "blue"
    GREEN = "green"


def release_name(colour: Colour | str) -> str:
    """``vtc-<colour>``: the Helm release of the services in ``colour``."""
    return f"{RELEASE_PREFIX}-{Colour(colour).value}"


#: The path of each colour's health route: NGINX sends it to core's readiness (the pod's own ``probes.readinessPath``),
#: so the ALB's target-group health check fails when the colour's services cannot serve, not only when NGINX is down.
#: ``EdgeProps.health_check_path``'s default.
GATEWAY_HEALTH_PATH = "/-/ready"
#: The service whose readiness the health route asks (it answers only with its database reachable).
GATEWAY_HEALTH_SERVICE = "core"
#: The Gateway's one listener: HTTPS on the target groups' port, NGINX terminating TLS with the colour's certificate
#: (cert-manager, the platform's CA); the ALB's HTTPS target groups re-encrypt to it (until issue 26: plain HTTP on
#: 8080, TLS ending at the ALB). docs/design/encryption-in-transit.md.
GATEWAY_LISTENER = "https"
GATEWAY_PORT = 8443
#: The ALB's deregistration delay (``Edge``'s target groups): how long the ALB keeps sending a leaving target the
#: requests it has started; NGINX keeps serving longer than that before it stops (its preStop sleep).
DEREGISTRATION_DELAY_SECONDS = 30


def gateway_release(colour: Colour | str) -> str:
    """``ngf-<colour>``: the colour's NGINX Gateway Fabric release (its own control plane, so an upgrade of NGINX
    Gateway Fabric reaches the idle colour first)."""
    return f"ngf-{Colour(colour).value}"


def gateway_class(colour: Colour | str) -> str:
    """``nginx-<colour>``: the GatewayClass of the colour's control plane (:func:`gateway_release`)."""
    return f"nginx-{Colour(colour).value}"


def gateway_name(colour: Colour | str) -> str:
    """``vtc-<colour>``: the colour's Gateway; its NGINX pods carry ``gateway.networking.k8s.io/gateway-name`` = this,
    the label the network policies and the disruption budget select them by."""
    return f"{RELEASE_PREFIX}-{Colour(colour).value}"


def gateway_service_name(colour: Colour | str) -> str:
    """``vtc-<colour>-nginx-<colour>``: the Service NGINX Gateway Fabric makes for the colour's Gateway
    (``<gateway>-<gatewayclass>``, its provisioner's naming), which the colour's TargetGroupBinding names."""
    return f"{gateway_name(colour)}-{gateway_class(colour)}"


def cpu_cores(quantity: str) -> float:
    """``"250m"`` -> 0.25, ``"1.5"`` -> 1.5 (a quantity :data:`_CPU` accepts)."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory_bytes(quantity: str) -> int:
    """``"512Mi"`` -> 536870912 (a quantity :data:`_MEMORY` accepts)."""
    return int(quantity[:-2]) * _MEMORY_UNITS[quantity[-2:]]


@dataclass(frozen=True, kw_only=True)
class Resources:
    """What one pod of a service reserves (requests) and may use at most (limits).

    :param cpu_request: default: ``"250m"`` (a quarter of a core). Millicores (``"500m"``) or cores (``"1.5"``).
    :param memory_request: default: ``"512Mi"``. Bytes with a binary suffix (``Ki``, ``Mi``, ``Gi``, ``Ti``).
    :param cpu_limit: default: ``"1"`` core (throttled above it). At least the request.
    :param memory_limit: default: ``"1Gi"`` (killed above it). At least the request.
    """

    cpu_request: str = "250m"
    memory_request: str = "512Mi"
    cpu_limit: str = "1"
    memory_limit: str = "1Gi"

    def validate(self) -> list[Problem]:
        problems: list[Problem] = []
        ok = {}
        for name, pattern, example in (("cpu_request", _CPU, "'250m' or '1'"), ("cpu_limit", _CPU, "'1' or '1500m'"),
                                       ("memory_request", _MEMORY, "'512Mi'"), ("memory_limit", _MEMORY, "'1Gi'")):
            value = getattr(self, name)
            ok[name] = isinstance(value, str) and bool(pattern.match(value))
            if not ok[name]:
                kind = "a CPU quantity: millicores ('250m') or cores ('1', '1.5')" if pattern is _CPU else \
                    "a memory quantity with a binary suffix: Ki, Mi, Gi or Ti"
                problems.append(Problem(name, value, kind, f"write it as Kubernetes does, e.g. {example}"))
        for name in ("cpu_request", "cpu_limit"):
            if ok[name] and cpu_cores(getattr(self, name)) == 0:
                ok[name] = False
                problems.append(Problem(name, getattr(self, name), "more than 0 (a pod with no CPU reserved is "
                                        "scheduled anywhere and starved under load)", "e.g. '250m'", "zero"))
        if ok["cpu_request"] and ok["cpu_limit"] and cpu_cores(self.cpu_limit) < cpu_cores(self.cpu_request):
            problems.append(Problem("cpu_limit", self.cpu_limit, f">= cpu_request ({self.cpu_request})",
                                    "raise cpu_limit or lower cpu_request", "limit below request"))
        if ok["memory_request"] and ok["memory_limit"] and \
                memory_bytes(self.memory_limit) < memory_bytes(self.memory_request):
            problems.append(Problem("memory_limit", self.memory_limit, f">= memory_request ({self.memory_request})",
                                    "raise memory_limit or lower memory_request", "limit below request"))
        return problems


@dataclass(frozen=True, kw_only=True)
class ServiceProps:
    """One service of one colour: its autoscaling range, disruption budget, route and resources.

    :param min_replicas: the autoscaler's lower bound, at least 2 (one pod is one disruption from an outage).
        Required.
    :param max_replicas: the autoscaler's upper bound, at least ``min_replicas``. Required.
    :param target_cpu_percent: default: 70: the autoscaler adds pods when the average CPU use passes 70 % of the
        request. 10 to 95.
    :param max_unavailable: default: 1 pod may be evicted at a time by a voluntary disruption (node drain, upgrade);
        below ``min_replicas``.
    :param path: default: ``/<service>``: the URL path prefix the service's HTTPRoute sends to it; each service has its
        own.
    :param resources: default: :class:`Resources`'s defaults (250m CPU and 512Mi requested, 1 CPU and 1Gi at most).
    """

    min_replicas: int
    max_replicas: int
    target_cpu_percent: int = 70
    max_unavailable: int = 1
    path: str | None = None
    resources: Resources = Resources()

    def validate(self) -> list[Problem]:
        problems: list[Problem] = []
        sizes_ok = True
        for name in ("min_replicas", "max_replicas"):
            value = getattr(self, name)
            if not is_whole(value) or not 2 <= value <= 1000:
                sizes_ok = False
                problems.append(Problem(name, value, "a whole number from 2 to 1000", "at least 2, so that one "
                                        "disruption never takes the service down"))
        if sizes_ok and self.max_replicas < self.min_replicas:
            problems.append(Problem("max_replicas", self.max_replicas, f">= min_replicas ({self.min_replicas})",
                                    "raise max_replicas or lower min_replicas", "range out of order"))
        if not is_whole(self.target_cpu_percent) or not 10 <= self.target_cpu_percent <= 95:
            problems.append(Problem("target_cpu_percent", self.target_cpu_percent, "a whole number from 10 to 95",
                                    "70 leaves room for a burst while new pods start"))
        if not is_whole(self.max_unavailable) or self.max_unavailable < 1:
            problems.append(Problem("max_unavailable", self.max_unavailable, "a whole number >= 1",
                                    "1 lets a drain proceed one pod at a time"))
        elif is_whole(self.min_replicas) and self.min_replicas >= 2 and self.max_unavailable >= self.min_replicas:
            problems.append(Problem("max_unavailable", self.max_unavailable, f"below min_replicas "
                                    f"({self.min_replicas})", "lower max_unavailable, or a drain could evict every "
                                    "pod at once", "budget allows a full outage"))
        if self.path is not None and (not isinstance(self.path, str) or not _PATH.match(self.path)
                                      or len(self.path) > 200):
            problems.append(Problem("path", self.path, "a URL path prefix: '/' then lower-case letters, digits and "
                                    "._~/- (at most 200 characters)", "e.g. '/business', or leave it out"))
        if isinstance(self.resources, Resources):
            problems += [p.prefixed("resources") for p in self.resources.validate()]
        else:
            problems.append(Problem("resources", self.resources, "a Resources(...)",
                                    "build it with vtc_constructs.workloads.Resources", "not a Resources"))
        return problems


def _seed(name: str) -> ServiceProps:
    low, high = SEED_REPLICA_RANGES[name]
    return ServiceProps(min_replicas=low, max_replicas=high)


@dataclass(frozen=True, kw_only=True)
class Services:
    """The four services, each a :class:`ServiceProps`.

    :param business: default: 3 to 10 replicas (the seed's range), :class:`ServiceProps`'s other defaults.
    :param core: default: 5 to 15 replicas (the seed's range).
    :param swarm: default: 3 to 20 replicas (the seed's range).
    :param development: default: 3 to 10 replicas (the seed's range).
    """

    business: ServiceProps = _seed("business")
    core: ServiceProps = _seed("core")
    swarm: ServiceProps = _seed("swarm")
    development: ServiceProps = _seed("development")

    def items(self) -> tuple[tuple[str, ServiceProps], ...]:
        """``(name, props)`` of every service, in :data:`SERVICES` order."""
        return tuple((name, getattr(self, name)) for name in SERVICES)

    def validate(self) -> list[Problem]:
        problems: list[Problem] = []
        paths: dict[str, str] = {}
        for name, service in self.items():
            if not isinstance(service, ServiceProps):
                problems.append(Problem(name, service, "a ServiceProps(min_replicas=..., max_replicas=...)",
                                        "build it with vtc_constructs.workloads.ServiceProps", "not a ServiceProps"))
                continue
            problems += [p.prefixed(name) for p in service.validate()]
            path = service.path if service.path is not None else f"/{name}"
            if not isinstance(path, str):
                continue  # reported by the service's own validate()
            if path in paths:
                problems.append(Problem(f"{name}.path", path, f"a path no other service has ({paths[path]} has it)",
                                        "give each service a path of its own", "path taken"))
            paths.setdefault(path, name)
        return problems


#: The key of the sealed Secret that holds Alertmanager's PagerDuty Events API v2 integration key
#: (``WorkloadsProps.alertmanager_pagerduty_secret``).
ALERTMANAGER_PAGERDUTY_KEY = "routing-key"
#: The controller's RSA key size (sealed-secrets 0.36: 4096 bits), so the RSA-encrypted session key of every sealed
#: value is 512 bytes.
_SEALED_RSA_BYTES = 512
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")


@dataclass(frozen=True, kw_only=True)
class SealedSecretProps:
    """A Secret that does not live in AWS (a third party's token, e.g. PagerDuty's integration key), committed sealed:
    encrypted with the cluster's Sealed Secrets public key (``kubeseal``), which only the cluster's controller can
    decrypt, so the ciphertext may sit in the environment file, the synth and Terraform's state. The cluster
    configuration release makes the SealedSecret; the controller makes the Secret ``<name>`` in ``namespace`` from it.
    Sealed with the default strict scope: the ciphertext is bound to this name and namespace (seal it for exactly
    those: docs/runbooks/sealed-secrets.md).

    :param namespace: the namespace of the Secret. Required.
    :param encrypted_data: each key of the Secret and its sealed value, as ``kubeseal`` prints it (base64). A value
        that is not a sealed value (e.g. the plain token pasted by mistake) is refused. Required.
    :param type: default: ``Opaque``, the Secret's type.
    """

    namespace: str
    encrypted_data: Mapping[str, str]
    type: str = "Opaque"

    def validate(self) -> list[Problem]:
        problems = []
        if not isinstance(self.namespace, str) or not _LABEL.match(self.namespace) or len(self.namespace) > 63:
            problems.append(Problem("namespace", self.namespace, "a namespace name (a DNS label)",
                                    "the namespace the Secret is sealed for"))
        if not isinstance(self.encrypted_data, Mapping) or not self.encrypted_data:
            return problems + [Problem("encrypted_data", self.encrypted_data, "a table of the Secret's keys to sealed "
                                       "values", "seal each value with kubeseal --raw (docs/runbooks/sealed-secrets.md)",
                                       "no sealed value")]
        for key, value in self.encrypted_data.items():
            if not isinstance(key, str) or not _SECRET_KEY.match(key):
                problems.append(Problem(f"encrypted_data.{key}", key, "a Secret key: 1-253 of a-z, A-Z, 0-9, '-', "
                                        "'_', '.'", "rename the key"))
            elif not is_sealed(value):
                problems.append(Problem(f"encrypted_data.{key}", "(hidden: it may be a secret)", "a value sealed "
                                        "with the cluster's Sealed Secrets key (kubeseal's base64 output)",
                                        "never put the plain value here: seal it with kubeseal --raw for this "
                                        "name and namespace", "not a sealed value"))
        if not isinstance(self.type, str) or not self.type or len(self.type) > 253:
            problems.append(Problem("type", self.type, "a Secret type, e.g. Opaque", "leave it out for Opaque"))
        return problems


def is_sealed(value: object) -> bool:
    """Whether ``value`` has the shape of a sealed value (sealed-secrets' hybrid encryption, pkg/crypto/crypto.go
    ``HybridEncrypt``: base64 of a 2-byte big-endian length, that many bytes of RSA-OAEP-encrypted session key, then
    the AES-GCM ciphertext with its 16-byte tag). It cannot tell which key sealed it; only that it is not plain text."""
    import base64
    import binascii

    if not isinstance(value, str):
        return False
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) > 2 + _SEALED_RSA_BYTES + 16 and int.from_bytes(raw[:2], "big") == _SEALED_RSA_BYTES


@dataclass(frozen=True, kw_only=True)
class CacheEndpoint:
    """What the services need of the Valkey cache (:class:`~vtc_constructs.cache.ValkeyCache`'s outputs): where it is
    and whom they sign in as. Values known only at apply may be Terraform references.

    :param host: the primary endpoint's host name. Required.
    :param reader_host: the reader endpoint's host name. Required.
    :param user: the IAM user the services sign in as (``cache_services_user_name``). Required.
    :param replication_group_id: what IAM tokens are made for (``cache_replication_group_id``). Required.
    :param cidrs: the cache's subnets' ranges: the services' NetworkPolicy opens the port to them only. Required.
    :param port: default: 6379.
    """

    host: str
    reader_host: str
    user: str
    replication_group_id: str
    cidrs: tuple[str, ...]
    port: int = 6379

    def __post_init__(self):
        coerce_fields(self, tuples=("cidrs",))

    def validate(self) -> list[Problem]:
        problems = []
        for name in ("host", "reader_host"):
            value = getattr(self, name)
            if not isinstance(value, str) or not (is_reference(value) or _HOST.match(value) and len(value) <= 253):
                problems.append(Problem(name, value, "a lower-case DNS name with a dot, or a Terraform reference",
                                        f"pass ValkeyCache's cache_{'primary' if name == 'host' else 'reader'}"
                                        "_endpoint_address"))
        for name, pattern in (("user", _CACHE_USER), ("replication_group_id", _CACHE_GROUP)):
            value = getattr(self, name)
            if not isinstance(value, str) or not (is_reference(value) or pattern.match(value)):
                problems.append(Problem(name, value, "an ElastiCache name (a letter, then letters, digits and '-'; at "
                                        "most 40), or a Terraform reference", f"pass ValkeyCache's cache_{name}"
                                        if name != "user" else "pass ValkeyCache's cache_services_user_name"))
        problems += _cidr_problems(self.cidrs, "cidrs")
        if not is_whole(self.port) or not 1024 <= self.port <= 65535:
            problems.append(Problem("port", self.port, "1024-65535", "pass ValkeyCache's cache_port"))
        return problems


_CACHE_USER = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,39}$")
_CACHE_GROUP = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


@dataclass(frozen=True, kw_only=True)
class SearchEndpoint:
    """What the cluster side needs of the OpenSearch domain (:class:`~vtc_constructs.search.SearchDomain`'s outputs and
    the IRSA roles that reach it): where it is, whom each client signs in as, and how long indices live. Given to
    :class:`~vtc_constructs.releases.ClusterReleasesProps` (``search``), it turns on Fluent Bit's OpenSearch output,
    Jaeger v2 and the setup Job; values known only at apply (the endpoint, the role ARNs) may be Terraform references.

    :param endpoint: the domain's private endpoint, a host name without scheme or path (``search_domain_endpoint``).
        Required.
    :param region: the domain's region (what requests are signed for). Required.
    :param admin_role_arn: the domain's master IAM role (``SearchDomainProps.master_user_role_arn``), which the setup
        Job takes through IRSA on :data:`~vtc_constructs.eks.SEARCH_ADMIN_SERVICE_ACCOUNT`. Required.
    :param fluent_bit_role_arn: Fluent Bit's IRSA role (``EksCluster.fluent_bit_role_arn``), mapped to the log writer
        role of the security plugin. Required.
    :param jaeger_role_arn: Jaeger's IRSA role, trusting :data:`~vtc_constructs.eks.JAEGER_SERVICE_ACCOUNT`, mapped to
        the trace writer role (which also reads: Jaeger's query searches its own indices). Required.
    :param index_hot_days: default: 7: a log index stays writable 7 days, then turns read-only and is force-merged.
        ``SearchDomainProps.index_hot_days``.
    :param log_retention_days: default: 30: a log index (``logs-*``) is deleted when 30 days old; at least
        ``index_hot_days``. ``SearchDomainProps.index_retention_days`` (not its ``log_retention_days``, which is the
        domain's own CloudWatch logs).
    :param trace_retention_days: default: 7: a trace index (``jaeger-*``) is deleted when 7 days old; also how far
        back Jaeger's query looks.
    :param replicas: default: 1 replica of every shard. 0 on a single-node domain (a replica cannot be placed there
        and the cluster would stay yellow); at most 2.
    :param reader_role_arns: default: none. IAM roles mapped to the security plugin's predefined ``readall`` role
        (``SearchDomainProps.reader_role_arns``: engineers searching through Dashboards). None leaves ``readall``'s
        mapping as it is.
    """

    endpoint: str
    region: str
    admin_role_arn: str
    fluent_bit_role_arn: str
    jaeger_role_arn: str
    index_hot_days: int = 7
    log_retention_days: int = 30
    trace_retention_days: int = 7
    replicas: int = 1
    reader_role_arns: tuple[str, ...] = ()

    def __post_init__(self):
        coerce_fields(self, tuples=("reader_role_arns",))

    def validate(self) -> list[Problem]:
        from .search import ISM_MAX_DAYS, ism_problems  # (search imports the AWS provider: only when validated)

        problems = []
        endpoint = self.endpoint
        if isinstance(endpoint, str) and not is_reference(endpoint) and "://" in endpoint:
            problems.append(Problem("endpoint", endpoint, "a host name without scheme or path",
                                    f"drop the scheme: {endpoint.split('://', 1)[1].split('/', 1)[0]!r}",
                                    "a URL, not a host name"))
        elif not isinstance(endpoint, str) or not (is_reference(endpoint) or _HOST.match(endpoint)
                                                   and len(endpoint) <= 253):
            problems.append(Problem("endpoint", endpoint, "a lower-case DNS name with a dot, or a Terraform "
                                    "reference", "pass SearchDomain's search_domain_endpoint"))
        if not isinstance(self.region, str) or not (is_reference(self.region) or _REGION.match(self.region)):
            problems.append(Problem("region", self.region, "an AWS region such as eu-west-1",
                                    "pass the domain's region (the stack's)"))
        roles = {}
        for name, owner in (("admin_role_arn", "the domain's master role (SearchDomainProps.master_user_role_arn)"),
                            ("fluent_bit_role_arn", "EksCluster.fluent_bit_role_arn"),
                            ("jaeger_role_arn", "Jaeger's IRSA role")):
            found = role_arn_problems(getattr(self, name), name, f"pass {owner}")
            problems += found
            if not found and not is_reference(getattr(self, name)):
                roles[name] = getattr(self, name)
        for writer in ("fluent_bit_role_arn", "jaeger_role_arn"):
            if writer in roles and roles[writer] == roles.get("admin_role_arn"):
                problems.append(Problem(writer, roles[writer], "a role of the writer's own, not the master role",
                                        "give the writer its IRSA role: the master role may change every index and "
                                        "mapping of the domain", "writer is the master"))
        problems += ism_problems(self.index_hot_days, self.log_retention_days, hot_path="index_hot_days",
                                 retention_path="log_retention_days")
        if not is_whole(self.trace_retention_days) or not 1 <= self.trace_retention_days <= ISM_MAX_DAYS:
            problems.append(Problem("trace_retention_days", self.trace_retention_days, f"a whole number of days, 1 to "
                                    f"{ISM_MAX_DAYS}", "e.g. 7: traces are for recent incidents"))
        if not is_whole(self.replicas) or not 0 <= self.replicas <= 2:
            problems.append(Problem("replicas", self.replicas, "0, 1 or 2", "0 on a single-node domain, else 1"))
        if not is_string_tuple(self.reader_role_arns):
            problems.append(not_a_list("reader_role_arns", self.reader_role_arns, "IAM role ARNs",
                                       "('arn:aws:iam::111111111111:role/search-reader',)"))
        else:
            for index, arn in enumerate(self.reader_role_arns):
                problems += role_arn_problems(arn, f"reader_role_arns[{index}]", "pass a reader role's ARN")
        return problems


@dataclass(frozen=True, kw_only=True)
class ImageTags:
    """The release tag each colour runs, the same for the four services (``<repository>/<service>:<tag>``).

    :param blue: the blue release's tag. Required.
    :param green: the green release's tag. Required.

    A tag is 1-63 of ``A-Za-z0-9_.-``, starting and ending with a letter or digit (it is also the
    ``app.kubernetes.io/version`` label), and never ``latest``: a rollback must get exactly the images it had.
    """

    blue: str
    green: str

    def of(self, colour: Colour | str) -> str:
        return getattr(self, Colour(colour).value)

    def validate(self) -> list[Problem]:
        problems = []
        for colour in Colour:
            value = getattr(self, colour.value)
            if not isinstance(value, str) or not _TAG.match(value):
                problems.append(Problem(colour.value, value, "1-63 of A-Z a-z 0-9 _ . -, starting and ending with a "
                                        "letter or digit", "use the release's version, e.g. '1.4.2'"))
            elif value.lower() == "latest":
                problems.append(Problem(colour.value, value, "a fixed release tag, never 'latest'",
                                        "use the release's version, e.g. '1.4.2'", "mutable tag"))
        return problems


@dataclass(frozen=True, kw_only=True)
class ImageDigests:
    """The digest of each service's image, per colour: each service then runs exactly that build,
    ``<repository>/<service>:<tag>@sha256:...`` (the tag stays for people and for the ``version`` label).

    In an environment file, ``[workloads.image_digests.<colour>]`` with a line per service; the image-build workflow's
    pull request sets the idle colour's tag and digests together (``scripts/set_image.py``).

    :param blue: default: none: blue's images run by tag. ``{service: "sha256:<64 hex>"}``.
    :param green: default: none: green's images run by tag.

    A production-tier environment must give every service of both colours a digest (environments/tiers.py:
    :func:`~environments.tiers.image_digest_findings`); elsewhere a colour without them runs by tag, with a warning.
    """

    blue: Mapping[str, str] = field(default_factory=dict)
    green: Mapping[str, str] = field(default_factory=dict)

    def of(self, colour: Colour | str) -> Mapping[str, str]:
        return getattr(self, Colour(colour).value)

    def missing(self) -> dict[str, tuple[str, ...]]:
        """``{colour: services without a digest}`` for each colour that lacks any (nothing when every service of both
        colours has one)."""
        found = {}
        for colour in Colour:
            digests = self.of(colour)
            absent = tuple(s for s in SERVICES if not isinstance(digests, Mapping) or s not in digests)
            if absent:
                found[colour.value] = absent
        return found

    def validate(self) -> list[Problem]:
        problems = []
        for colour in Colour:
            problems += [dataclasses.replace(p, path=f"{colour.value}{p.path.removeprefix('image_digests')}")
                         for p in _digest_problems(self.of(colour))]
        return problems


@dataclass(frozen=True, kw_only=True)
class WorkloadsProps:
    """What an environment says about its workloads: the services' images, sizes and neighbours, and the add-on
    charts' versions.

    :param image_repository: the registry path the images live under; each service runs
        ``<image_repository>/<service>:<tag>`` (e.g. ``111111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc``). Required.
    :param image_tags: each colour's release tag (:class:`ImageTags`). Required.
    :param image_digests: default: none: every image runs by its tag only. Each colour's digest per service
        (:class:`ImageDigests`): the chart then runs ``<repository>/<service>:<tag>@<digest>``, exactly the build that
        was scanned and signed. A production-tier environment must give them all.
    :param services: default: the seed's ranges (business 3-10, core 5-15, swarm 3-20, development 3-10 replicas)
        with :class:`ServiceProps`'s other defaults.
    :param namespace: default: ``vision-to-code``: the namespace both colours' releases live in.
    :param gateway_namespace: default: ``nginx-gateway``: the namespace of both colours' NGINX Gateway Fabric control
        planes, Gateways and NGINX pods.
    :param collector_namespace: default: ``opentelemetry``: the OpenTelemetry collector's namespace.
    :param collector_release: default: ``otel-collector``: the collector's release (its pods' instance label, and its
        Service's name: ``http://<release>.<namespace>.svc:4317`` is the OTLP endpoint).
    :param monitoring_namespace: default: ``monitoring``: kube-prometheus-stack's namespace (Prometheus scrapes from
        there).
    :param monitoring_release: default: ``kube-prometheus-stack``: its release name, the ``release`` label its
        Prometheus selects ServiceMonitors and rules by.
    :param aws_api_cidrs: default: derived per namespace by :class:`~vtc_constructs.releases.ClusterReleases`: the
        VPC's range where the network has an interface endpoint for every AWS API the namespace's pods call
        (``NetworkProps.interface_endpoints``, :mod:`vtc_constructs.aws_api_callers`), else ``0.0.0.0/0`` (a network
        policy cannot name hosts); :meth:`chart_values` alone, without the network, opens ``0.0.0.0/0``. Given: these
        ranges for HTTPS (443) to AWS's APIs in every namespace. Alertmanager's reach to PagerDuty is its own opening.
    :param slo_p99_latency_ms: default: 100: the p99 latency objective the alert rules check, in milliseconds.
    :param slo_error_rate_percent: default: 1.0: the error-rate objective (5xx answers), in percent.
    :param addon_chart_versions: default: the versions :data:`vtc_constructs.releases.DEFAULT_CHART_VERSIONS`
        pins. Maps an add-on chart of :data:`ADDON_CHARTS` to the exact version to release instead (``"81.6.2"``).
    :param gateway_chart_versions: default: both colours' NGINX Gateway Fabric releases run the version
        ``addon_chart_versions`` (or the pinned default) gives. A colour's own exact version (``{"green": "2.7.2"}``),
        so that an upgrade of NGINX Gateway Fabric reaches the idle colour first, like the services
        (docs/runbooks/production-rollout.md, "Upgrading NGINX Gateway Fabric").
    :param sealed_secrets: default: none. Secrets that do not live in AWS, by the Secret's name, committed sealed
        (:class:`SealedSecretProps`); AWS-held secrets come from Secrets Manager through external-secrets instead.
    :param alertmanager_pagerduty_secret: default: none: Alertmanager pages through the paging SNS topic only (and
        reaches PagerDuty only if the topic is subscribed to it: ``AlarmsProps.pagerduty_url_secret_names``). The name
        of one of :attr:`sealed_secrets`, sealed for ``monitoring_namespace`` with the key
        :data:`ALERTMANAGER_PAGERDUTY_KEY` (a PagerDuty Events API v2 integration key): Alertmanager's page receiver
        then sends to PagerDuty itself (``pagerduty_configs`` reading the key from the mounted Secret:
        ``routing_key_file``; incidents deduplicated per alert group and resolved with it) instead of the paging topic,
        so a Prometheus page is not also delivered a second time through the topic's PagerDuty subscription. The key
        never passes through Terraform in plain text (the state holds the sealed value only).
    :param ingress_replicas: default: 2 NGINX pods per colour (one may be drained at a time). 2 to 20.
    :param prometheus_replicas: default: 2 Prometheus servers, each scraping everything (one survives a node's
        loss). 1 to 5.
    :param prometheus_retention_days: default: 15 days of metrics kept; also bounded by 90 % of the volume. 1 to 400.
    :param prometheus_storage_gib: default: 50 GiB: each Prometheus server's encrypted gp3 volume. 10 to 16384.
    :param release_timeout_seconds: default: 600: how long a release may take to become ready before Helm rolls
        it back. 60 to 3600.
    """

    image_repository: str
    image_tags: ImageTags
    image_digests: ImageDigests | None = None
    services: Services = Services()
    namespace: str = "vision-to-code"
    gateway_namespace: str = "nginx-gateway"
    collector_namespace: str = "opentelemetry"
    collector_release: str = "otel-collector"
    monitoring_namespace: str = "monitoring"
    monitoring_release: str = "kube-prometheus-stack"
    aws_api_cidrs: tuple[str, ...] | None = None
    slo_p99_latency_ms: int = 100
    slo_error_rate_percent: float = 1.0
    addon_chart_versions: Mapping[str, str] = field(default_factory=dict)
    gateway_chart_versions: Mapping[str, str] = field(default_factory=dict)
    sealed_secrets: Mapping[str, SealedSecretProps] = field(default_factory=dict)
    alertmanager_pagerduty_secret: str | None = None
    ingress_replicas: int = 2
    prometheus_replicas: int = 2
    prometheus_retention_days: int = 15
    prometheus_storage_gib: int = 50
    release_timeout_seconds: int = 600

    def __post_init__(self):
        coerce_fields(self, tuples=("aws_api_cidrs",))

    def validate(self) -> list[Problem]:
        """Every problem with these props (an empty list when there is none); paths are relative to the props."""
        problems: list[Problem] = []
        if not isinstance(self.image_repository, str) or not _REPOSITORY.match(self.image_repository) \
                or len(self.image_repository) > 200:
            problems.append(Problem("image_repository", self.image_repository, "a registry path in lower case, "
                                    "without a tag (host[:port]/path)", "e.g. "
                                    "'111111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc'"))
        else:
            problems += image_registry_problems(self.image_repository)
        if isinstance(self.image_tags, ImageTags):
            problems += [p.prefixed("image_tags") for p in self.image_tags.validate()]
        else:
            problems.append(Problem("image_tags", self.image_tags, "an ImageTags(blue=..., green=...)",
                                    "give both colours' tags", "not an ImageTags"))
        if isinstance(self.image_digests, ImageDigests):
            problems += [p.prefixed("image_digests") for p in self.image_digests.validate()]
        elif self.image_digests is not None:
            problems.append(Problem("image_digests", self.image_digests, "None or an ImageDigests(blue={...}, "
                                    "green={...})", "build it with vtc_constructs.workloads.ImageDigests",
                                    "not an ImageDigests"))
        if isinstance(self.services, Services):
            problems += [p.prefixed("services") for p in self.services.validate()]
        else:
            problems.append(Problem("services", self.services, "a Services(business=..., core=..., swarm=..., "
                                    "development=...)", "build it with vtc_constructs.workloads.Services",
                                    "not a Services"))
        for name in ("namespace", "gateway_namespace", "collector_namespace", "collector_release",
                     "monitoring_namespace", "monitoring_release"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _LABEL.match(value) or len(value) > 63:
                problems.append(Problem(name, value, "a DNS label: 1-63 of a-z, 0-9 and '-', starting and ending "
                                        "with a letter or digit", "use the name Kubernetes knows it by"))
        if isinstance(self.namespace, str) and (self.namespace in RESERVED_NAMESPACES
                                                or self.namespace.startswith("kube-")):
            problems.append(Problem("namespace", self.namespace, "a namespace of the services' own, not "
                                    f"{', '.join(sorted(RESERVED_NAMESPACES))} or kube-*", "use e.g. "
                                    "'vision-to-code': the services run under the restricted Pod Security level "
                                    "and their own network policies, which a system namespace must not get",
                                    "reserved namespace"))
        shared = [name for name in ("gateway_namespace", "collector_namespace", "monitoring_namespace")
                  if getattr(self, name) == self.namespace]
        if shared:
            problems.append(Problem("namespace", self.namespace, f"a namespace no add-on uses ({shared[0]} is "
                                    f"{self.namespace!r})", "give the services a namespace of their own",
                                    "shared with an add-on"))
        problems += [] if self.aws_api_cidrs is None else _cidr_problems(self.aws_api_cidrs, "aws_api_cidrs")
        if not is_whole(self.slo_p99_latency_ms) or not 1 <= self.slo_p99_latency_ms <= 60_000:
            problems.append(Problem("slo_p99_latency_ms", self.slo_p99_latency_ms, "a whole number of milliseconds "
                                    "from 1 to 60000", "the seed's objective is 100"))
        if not is_number(self.slo_error_rate_percent) or not 0 < self.slo_error_rate_percent <= 100:
            problems.append(Problem("slo_error_rate_percent", self.slo_error_rate_percent, "a number above 0, at "
                                    "most 100", "the seed's objective is 1.0"))
        elif self.slo_error_rate_percent > MAX_ERROR_RATE_OBJECTIVE:
            # 99.9 here is an availability, written where the share of failing requests belongs.
            problems.append(Problem("slo_error_rate_percent", self.slo_error_rate_percent, f"the share of requests "
                                    f"that may fail, at most {MAX_ERROR_RATE_OBJECTIVE:g} %",
                                    f"an availability of {self.slo_error_rate_percent:g} % is an error-rate objective "
                                    f"of {100 - self.slo_error_rate_percent:.3g} %: give that",
                                    "an availability, not an error rate"))
        problems += _addon_problems(self.addon_chart_versions)
        problems += _gateway_version_problems(self.gateway_chart_versions)
        problems += _sealed_secret_problems(self.sealed_secrets)
        problems += self._alertmanager_pagerduty_problems()
        for name, low, high, hint in (
                ("ingress_replicas", 2, 20, "2 lets one NGINX pod be drained while the other serves"),
                ("prometheus_replicas", 1, 5, "2 keeps metrics and alerts through the loss of a node"),
                ("prometheus_retention_days", 1, 400, "15 days covers two weeks of comparisons"),
                ("prometheus_storage_gib", 10, 16384, "50 GiB holds about 15 days of this platform's metrics"),
                ("release_timeout_seconds", 60, 3600, "600 gives a release time to pull images and pass probes")):
            value = getattr(self, name)
            if not is_whole(value) or not low <= value <= high:
                problems.append(Problem(name, value, f"a whole number from {low} to {high}", hint))
        return problems

    def _alertmanager_pagerduty_problems(self) -> list[Problem]:
        name = self.alertmanager_pagerduty_secret
        if name is None:
            return []
        field_ = "alertmanager_pagerduty_secret"
        secrets = self.sealed_secrets if isinstance(self.sealed_secrets, Mapping) else {}
        secret = secrets.get(name) if isinstance(name, str) else None
        if not isinstance(secret, SealedSecretProps):
            given = ", ".join(sorted(map(str, secrets))) or "none given"
            return [Problem(field_, name, f"the name of one of sealed_secrets ({given})",
                            f"seal the Events API v2 integration key for namespace {self.monitoring_namespace!r} with "
                            f"the key {ALERTMANAGER_PAGERDUTY_KEY!r} and add it as [workloads.sealed_secrets.<name>] "
                            "(docs/runbooks/sealed-secrets.md)", "no such sealed secret")]
        problems = []
        if secret.namespace != self.monitoring_namespace:
            problems.append(Problem(field_, name, f"a secret sealed for the monitoring namespace "
                                    f"({self.monitoring_namespace!r}; got {secret.namespace!r})", "re-seal it for "
                                    "Alertmanager's namespace: a pod mounts Secrets of its own namespace only",
                                    "wrong namespace"))
        if isinstance(secret.encrypted_data, Mapping) and ALERTMANAGER_PAGERDUTY_KEY not in secret.encrypted_data:
            problems.append(Problem(field_, name, f"a secret with the key {ALERTMANAGER_PAGERDUTY_KEY!r} (got "
                                    f"{', '.join(sorted(map(str, secret.encrypted_data)))})", "seal the integration "
                                    f"key under {ALERTMANAGER_PAGERDUTY_KEY!r}", "missing key"))
        # (Narrowing aws_api_cidrs cannot cut PagerDuty off: Alertmanager reaches it through its own opening,
        # network_policies.PAGERDUTY_EVENTS_CIDRS, made whenever this key is set.)
        return problems

    # --- what the releases get -------------------------------------------------------------------------------------

    def service_account_names(self, colour: Colour | str) -> tuple[str, ...]:
        """The service accounts of ``colour``'s release (``vtc-<colour>-<service>``), in :data:`SERVICES` order."""
        return tuple(f"{release_name(colour)}-{name}" for name in SERVICES)

    def service_account_subjects(self) -> tuple[str, ...]:
        """Every ``system:serviceaccount:<namespace>:<name>`` of both colours: what the IRSA role's trust policy
        must allow (``<issuer>:sub``), and nothing else."""
        return tuple(f"system:serviceaccount:{self.namespace}:{account}"
                     for colour in Colour for account in self.service_account_names(colour))

    def chart_values(self, colour: Colour | str, *, environment: str, region: str, role_arn: str,
                     database_host: str, database_cidrs: Sequence[str], database_name: str = "vtc",
                     database_user: str = "vtc_app", database_schema: str = "vtc", host: str = "",
                     image_digests: Mapping[str, str] | None = None, cache: CacheEndpoint | None = None) -> dict:
        """The values of ``colour``'s release of ``charts/vision-to-code``: a plain dict, ready for ``helm -f``.

        :param environment: the environment's name (a label, and the OpenTelemetry ``deployment.environment.name``).
        :param region: the AWS region (``AWS_REGION`` in the pods).
        :param role_arn: the IRSA role: allowed ``rds-db:connect`` as ``database_user``, trusting
            :meth:`service_account_subjects`.
        :param database_host: the database endpoint's address.
        :param database_cidrs: the database subnets' ranges (egress on 5432 is allowed to them only).
        :param database_name: default: ``vtc``. :param database_user: default: ``vtc_app``, the application role
            (IAM sign-in). :param database_schema: default: ``vtc``. (``DatabaseProps``'s defaults.)
        :param host: default: any host name; the environment's public name (the certificate's) narrows every route
            to it.
        :param image_digests: default: ``colour``'s digests of the props' ``image_digests`` (none: images by tag only).
            A service's ``sha256:...`` digest pins its image to exactly that build
            (``<repository>/<service>:<tag>@<digest>``); given here, it replaces the props' for this release.
        :param cache: default: no cache. The Valkey cache's endpoints and IAM user (:class:`CacheEndpoint`): the pods
            get them as ``CACHE_*`` variables and may reach its subnets on its port.

        Raises :class:`~vtc_constructs.errors.ConfigError` with every problem of the props and the arguments.
        """
        problems = self.validate()
        colour_ok = isinstance(colour, Colour) or isinstance(colour, str) and colour in {c.value for c in Colour}
        if not colour_ok:
            problems.append(enum_problem("colour", colour, Colour, "release 'blue' or 'green'"))
        problems += _argument_problems(environment=environment, region=region, role_arn=role_arn,
                                       database_host=database_host, database_cidrs=database_cidrs,
                                       database_name=database_name, database_user=database_user,
                                       database_schema=database_schema, host=host, image_digests=image_digests)
        if cache is not None:
            problems += [p.prefixed("cache") for p in cache.validate()] if isinstance(cache, CacheEndpoint) else [
                Problem("cache", cache, "None or a CacheEndpoint(...)", "build it from ValkeyCache's outputs")]
        if problems:
            raise ConfigError(problems)
        colour = Colour(colour)
        if image_digests is None and isinstance(self.image_digests, ImageDigests):
            image_digests = self.image_digests.of(colour)
        services = {}
        for name, service in self.services.items():
            resources = service.resources
            services[name] = {
                "minReplicas": service.min_replicas,
                "maxReplicas": service.max_replicas,
                "targetCPUUtilizationPercentage": service.target_cpu_percent,
                "maxUnavailable": service.max_unavailable,
                "path": service.path if service.path is not None else f"/{name}",
                "resources": {"requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
                              "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit}},
            }
        image = {"repository": self.image_repository, "tag": self.image_tags.of(colour), "pullPolicy": "Always"}
        if image_digests:
            image["digests"] = dict(image_digests)
        return {
            "colour": colour.value,
            "environment": environment,
            "image": image,
            "serviceAccount": {"roleArn": role_arn},
            "database": {"host": database_host, "port": DATABASE_PORT, "name": database_name, "user": database_user,
                         "schema": database_schema, "sslMode": "verify-full", "cidrs": list(database_cidrs)},
            "aws": {"region": region, "apiCidrs": list(self.aws_api_cidrs or ("0.0.0.0/0",))},
            "cache": {"enabled": cache is not None, "host": cache.host if cache else "",
                      "readerHost": cache.reader_host if cache else "", "port": cache.port if cache else 6379,
                      "user": cache.user if cache else "",
                      "replicationGroupId": cache.replication_group_id if cache else "",
                      "cidrs": list(cache.cidrs) if cache else []},
            "gateway": {"namespace": self.gateway_namespace, "sectionName": GATEWAY_LISTENER, "host": host,
                        "health": {"path": GATEWAY_HEALTH_PATH, "service": GATEWAY_HEALTH_SERVICE}},
            "telemetry": {"collector": {"namespace": self.collector_namespace, "release": self.collector_release,
                                        "grpcPort": 4317, "httpPort": 4318}},
            "monitoring": {"namespace": self.monitoring_namespace, "release": self.monitoring_release,
                           "scrapeInterval": "30s"},
            "slo": {"p99LatencySeconds": self.slo_p99_latency_ms / 1000,
                    "errorRatePercent": self.slo_error_rate_percent, "window": "5m", "for": "5m",
                    "latencyMetric": "http_server_request_duration_seconds",
                    "statusCodeLabel": "http_response_status_code"},
            "ports": {"http": 8080, "metrics": 9090},
            "probes": {"livenessPath": "/healthz", "readinessPath": "/readyz", "startupPath": "/healthz"},
            "podSecurity": {"runAsUser": 10001, "runAsGroup": 10001},
            "tmpSizeLimit": "256Mi",
            "terminationGracePeriodSeconds": 30,
            # The ambient mesh encrypts the services' traffic (their namespace is enrolled): the chart only opens
            # ztunnel's tunnel port in its NetworkPolicies.
            "mesh": {"tunnelPort": MESH_TUNNEL_PORT, "probeSourceCidr": AMBIENT_PROBE_CIDR},
            "services": services,
        }


def _cidr_problems(cidrs: object, path: str) -> list[Problem]:
    if not is_string_tuple(cidrs):
        return [not_a_list(path, cidrs, "IPv4 CIDR ranges", "('10.20.96.0/23',)")]
    if not cidrs:
        return [Problem(path, list(cidrs), "at least one IPv4 CIDR range", "list the ranges", "empty list")]
    problems = []
    for i, cidr in enumerate(cidrs):
        if is_reference(cidr):  # known at apply (e.g. Fn.cidrsubnet of a VPC's range): Terraform checks it then
            continue
        try:
            ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as exc:
            problems.append(Problem(f"{path}[{i}]", cidr, "an IPv4 network in CIDR notation with no host bits set",
                                    f"correct the range ({exc})", "malformed CIDR"))
    if len(set(cidrs)) != len(cidrs):
        problems.append(Problem(path, list(cidrs), "each range once", "remove the repeated range", "repeated range"))
    return problems


#: Namespaces that are Kubernetes' own: the services never run there.
RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
#: An error-rate objective above this is not an objective (an availability written in its place, most likely).
MAX_ERROR_RATE_OBJECTIVE = 10.0
_ECR_HOST = re.compile(r"^(?P<account>[0-9]{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z]{2}(-gov)?-[a-z]+-[0-9])"
                       r"\.amazonaws\.com(\.cn)?$")


def image_registry(repository: str) -> tuple[str | None, str | None]:
    """``(account, region)`` of an ECR repository path (``<account>.dkr.ecr.<region>.amazonaws.com/...``), or
    ``(None, None)`` for another registry."""
    match = _ECR_HOST.match(repository.split("/", 1)[0])
    return (match["account"], match["region"]) if match else (None, None)


def image_registry_problems(repository: str, path: str = "image_repository", *, account_id: str | None = None,
                            region: str | None = None) -> list[Problem]:
    """The registry host: a host name with a dot (or a port), and an ECR host of the full ECR shape; with
    ``account_id``/``region`` (the environment's), an ECR registry of that account and region (the nodes may pull
    from their own account's registry only; another region's pulls cross regions on every pod start)."""
    host = repository.split("/", 1)[0]
    if "/" not in repository or not ("." in host or ":" in host or host == "localhost"):
        return [Problem(path, repository, "host/path, the host a registry's name (with a dot, or a port)",
                        "e.g. '111111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc'", "no registry host")]
    if ".dkr.ecr" in host and not _ECR_HOST.match(host):
        return [Problem(path, repository, "an ECR host <12-digit account>.dkr.ecr.<region>.amazonaws.com",
                        "copy the repository URI from ECR", "malformed ECR host")]
    ecr_account, ecr_region = image_registry(repository)
    problems = []
    if ecr_account and account_id and ecr_account != account_id:
        problems.append(Problem(path, repository, f"a registry of the environment's account {account_id}",
                                "push the images to this account's ECR (the nodes' role may pull from it only)",
                                "registry in another account"))
    if ecr_region and region and ecr_region != region:
        problems.append(Problem(path, repository, f"a registry in the environment's region {region}",
                                "replicate the repository to this region (ECR replication)",
                                "registry in another region"))
    return problems


def _addon_problems(versions: object) -> list[Problem]:
    if not isinstance(versions, Mapping):
        return [Problem("addon_chart_versions", versions, "a table of add-on chart names to versions",
                        "give it as a table, e.g. {'nginx-gateway-fabric': '2.6.7'}", "not a table")]
    problems = []
    for chart, version in versions.items():
        if chart not in ADDON_CHARTS:
            problems.append(Problem(f"addon_chart_versions.{chart}", version, ", ".join(ADDON_CHARTS),
                                    "correct the chart's name (or add the add-on to ADDON_CHARTS with its release)",
                                    "unknown add-on chart"))
        elif not isinstance(version, str) or not _SEMVER.match(version):
            problems.append(Problem(f"addon_chart_versions.{chart}", version, "an exact version MAJOR.MINOR.PATCH, "
                                    "no range, no 'v'", "pin the version the release was tested with, e.g. '4.12.0'"))
    return problems


def _gateway_version_problems(versions: object) -> list[Problem]:
    if not isinstance(versions, Mapping):
        return [Problem("gateway_chart_versions", versions, "a table of colours to NGINX Gateway Fabric versions",
                        "give it as a table, e.g. {'green': '2.7.2'}", "not a table")]
    problems = []
    for colour, version in versions.items():
        if colour not in {c.value for c in Colour}:
            problems.append(enum_problem(f"gateway_chart_versions.{colour}", colour, Colour,
                                         "name the colour whose NGINX Gateway Fabric release takes the version"))
        elif not isinstance(version, str) or not _SEMVER.match(version):
            problems.append(Problem(f"gateway_chart_versions.{colour}", version, "an exact version "
                                    "MAJOR.MINOR.PATCH, no range, no 'v'", "pin the version to try on this colour, "
                                    "e.g. '2.7.2'"))
    return problems


def _sealed_secret_problems(secrets: object) -> list[Problem]:
    if not isinstance(secrets, Mapping):
        return [Problem("sealed_secrets", secrets, "a table of Secret names to sealed secrets",
                        "give each as [workloads.sealed_secrets.<name>]", "not a table")]
    problems = []
    for name, secret in secrets.items():
        if not isinstance(name, str) or not _LABEL.match(name) or len(name) > 63:
            problems.append(Problem(f"sealed_secrets.{name}", name, "a Secret name (a DNS label)",
                                    "use the name the value was sealed for"))
        if isinstance(secret, SealedSecretProps):
            problems += [p.prefixed(f"sealed_secrets.{name}") for p in secret.validate()]
        else:
            problems.append(Problem(f"sealed_secrets.{name}", secret, "a SealedSecretProps(namespace=..., "
                                    "encrypted_data=...)", "build it with SealedSecretProps", "not a sealed secret"))
    return problems


def role_arn_problems(role_arn: object, path: str = "role_arn",
                      fix: str = "pass the IRSA role's ARN") -> list[Problem]:
    """An IAM role's ARN, or a Terraform reference to one."""
    if isinstance(role_arn, str) and (_ROLE_ARN.match(role_arn) or is_reference(role_arn)):
        return []
    return [Problem(path, role_arn, "an IAM role ARN (arn:aws:iam::<account>:role/<name>) or a Terraform reference",
                    fix)]


def _argument_problems(*, environment, region, role_arn, database_host, database_cidrs, database_name,
                            database_user, database_schema, host, image_digests) -> list[Problem]:
    """The problems of :meth:`WorkloadsProps.chart_values`' arguments."""
    return [*placement_problems(environment=environment, region=region, database_host=database_host,
                                database_cidrs=database_cidrs, database_name=database_name,
                                database_user=database_user, database_schema=database_schema, host=host),
            *role_arn_problems(role_arn), *_digest_problems(image_digests)]


def placement_problems(*, environment, region, database_host, database_cidrs, database_name, database_user,
                       database_schema, host) -> list[Problem]:
    """Where the services run and what they reach: the environment, region, database (endpoint, ranges, identity)
    and host name (also what ``ClusterReleasesProps`` checks of the same values)."""
    problems = []
    if not isinstance(environment, str) or not _LABEL.match(environment) or len(environment) > 63:
        problems.append(Problem("environment", environment, "a DNS label (the environment's name)",
                                "pass the environment's name, e.g. 'staging'"))
    if not isinstance(region, str) or not _REGION.match(region):
        problems.append(Problem("region", region, "an AWS region such as eu-west-1", "pass the stack's region"))
    if not isinstance(database_host, str) or not (is_reference(database_host) or _HOST.match(database_host)
                                                  and len(database_host) <= 253):
        problems.append(Problem("database_host", database_host, "a lower-case DNS name",
                                "pass the database endpoint's address"))
    problems += _cidr_problems(tuple(database_cidrs) if isinstance(database_cidrs, list) else database_cidrs,
                               "database_cidrs")
    for name, value in (("database_name", database_name), ("database_user", database_user),
                        ("database_schema", database_schema)):
        if not isinstance(value, str) or not (_IDENTIFIER.match(value) or is_reference(value)):
            problems.append(Problem(name, value, "a lower-case PostgreSQL identifier (a-z, 0-9, _; at most 63)",
                                    "pass DatabaseProps' value"))
    if not isinstance(host, str) or (host and not is_reference(host) and (not _HOST.match(host) or len(host) > 253)):
        problems.append(Problem("host", host, "a lower-case DNS name with a dot, or '' for any host",
                                "pass the certificate's domain name"))
    return problems


def _digest_problems(image_digests: object) -> list[Problem]:
    problems = []
    if image_digests is not None:
        if not isinstance(image_digests, Mapping):
            problems.append(Problem("image_digests", image_digests, "a table of service names to sha256 digests",
                                    "pass {'business': 'sha256:...', ...}", "not a table"))
        else:
            for name, digest in image_digests.items():
                if name not in SERVICES:
                    problems.append(Problem(f"image_digests.{name}", digest, ", ".join(SERVICES),
                                            "name one of the four services", "unknown service"))
                elif not isinstance(digest, str) or not _DIGEST.match(digest):
                    problems.append(Problem(f"image_digests.{name}", digest, "sha256: and 64 lower-case hex digits",
                                            "copy the digest the registry reports for the pushed image"))
    return problems


__all__ = ["ADDON_CHARTS", "CHART_NAME", "CHART_PATH", "CHART_VERSION", "Colour", "DATABASE_PORT", "ImageTags",
           "MAX_ERROR_RATE_OBJECTIVE", "RELEASE_PREFIX", "RESERVED_NAMESPACES", "Resources", "SEED_REPLICA_RANGES",
           "SERVICES", "ServiceProps", "Services", "WorkloadsProps", "ImageDigests", "cpu_cores", "image_registry",
           "image_registry_problems", "CacheEndpoint", "SearchEndpoint", "is_sealed", "SealedSecretProps", "ALERTMANAGER_PAGERDUTY_KEY", "gateway_class", "is_reference", "gateway_release", "gateway_name",
           "gateway_service_name", "GATEWAY_HEALTH_PATH", "GATEWAY_HEALTH_SERVICE", "GATEWAY_LISTENER", "GATEWAY_PORT", "DEREGISTRATION_DELAY_SECONDS",
           "memory_bytes",
           "release_name"]
