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

Where the parts are (issue 27; their names stay importable from here, deprecated: import from ``vtc_constructs``
or their module): the services' settings in ``service_props.py``, a colour's names in ``colour_names.py``, the images in
``workload_images.py``, the cache's and search's endpoints, sealed secrets, shared checks in ``workload_inputs.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from .namespaces import (COLLECTOR_NAMESPACE, COLLECTOR_RELEASE, GATEWAY_NAMESPACE, MONITORING_NAMESPACE,
                         SERVICES_NAMESPACE)
from .network_policies import AMBIENT_PROBE_CIDR, MESH_TUNNEL_PORT
from .errors import ConfigError, Problem, classified, coerce_fields, enum_problem, is_number, is_reference, is_whole
from .workload_tokens import WORKLOADS_LISTS, WORKLOADS_PASSED_ON, WORKLOADS_SYNTH_TIME, placement_classified
from .colour_names import (  # noqa: F401  (re-exported: they were defined here)
    DEREGISTRATION_DELAY_SECONDS, GATEWAY_HEALTH_PATH, GATEWAY_HEALTH_SERVICE, GATEWAY_LISTENER, GATEWAY_PORT,
    RELEASE_PREFIX, Colour, gateway_class, gateway_name, gateway_release, gateway_service_name, release_name,
)
from .service_props import (  # noqa: F401  (re-exported: they were defined here)
    SEED_REPLICA_RANGES, SERVICES, cpu_cores, memory_bytes, Resources, ServiceProps, Services, _CPU, _MEMORY,
    _MEMORY_UNITS, _PATH,
)
from .workload_images import (  # noqa: F401  (re-exported: they were defined here)
    image_registry, image_registry_problems, ImageDigests, ImageTags, _DIGEST, _ECR_HOST, _REPOSITORY, _TAG,
    _digest_problems,
)
from .workload_inputs import (  # noqa: F401  (re-exported: they were defined here)
    ALERTMANAGER_PAGERDUTY_KEY, CacheEndpoint, is_dns_label, is_sealed, role_arn_problems, SealedSecretProps,
    SearchEndpoint, _CACHE_GROUP, _CACHE_USER, _HOST, _LABEL, _REGION, _ROLE_ARN, _SEALED_RSA_BYTES, _SECRET_KEY,
    _cidr_problems, _sealed_secret_problems,
)

#: The chart in this repository (``charts/vision-to-code``) and its version (its ``Chart.yaml`` says the same; tested).
CHART_NAME = "vision-to-code"
CHART_VERSION = "0.3.0"
CHART_PATH = "charts/vision-to-code"  # relative to the repository root; the chart is not part of the installed package

#: PostgreSQL's port, the only one the database's security group admits (``vtc_constructs.database.PORT``).
DATABASE_PORT = 5432

#: The add-on charts whose versions an environment pins (``addon_chart_versions``); the releases of issue 14 item 2.
ADDON_CHARTS = ("aws-load-balancer-controller", "metrics-server", "cluster-autoscaler", "external-secrets",
                "sealed-secrets", "nginx-gateway-fabric", "kube-prometheus-stack", "opentelemetry-collector",
                "aws-for-fluent-bit", "jaeger", "cert-manager", "istio-base", "istiod", "istio-cni", "ztunnel")

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


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
    :param addon_chart_versions: default: the versions :data:`vtc_constructs.release_charts.DEFAULT_CHART_VERSIONS`
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
    namespace: str = SERVICES_NAMESPACE
    gateway_namespace: str = GATEWAY_NAMESPACE
    collector_namespace: str = COLLECTOR_NAMESPACE
    collector_release: str = COLLECTOR_RELEASE
    monitoring_namespace: str = MONITORING_NAMESPACE
    monitoring_release: str = "kube-prometheus-stack"
    aws_api_cidrs: Sequence[str] | None = None
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
        """Every problem with these props (an empty list when there is none); paths are relative to the props. A
        Terraform reference is refused where the releases compute from it at synth (``workload_tokens``)."""
        return classified(self, self._problems(), WORKLOADS_SYNTH_TIME, WORKLOADS_PASSED_ON, WORKLOADS_LISTS)

    def _problems(self) -> list[Problem]:
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
            if not is_dns_label(value):
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


#: Namespaces that are Kubernetes' own: the services never run there.
RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
#: An error-rate objective above this is not an objective (an availability written in its place, most likely).
MAX_ERROR_RATE_OBJECTIVE = 10.0


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
    if not is_dns_label(environment):
        problems.append(Problem("environment", environment, "a DNS label (the environment's name)",
                                "pass the environment's name, e.g. 'staging'"))
    if not isinstance(region, str) or not (_REGION.match(region) or is_reference(region)):
        problems.append(Problem("region", region, "an AWS region such as eu-west-1 (or a Terraform reference)",
                                "pass the stack's region"))
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
    return placement_classified(problems, environment=environment, database_cidrs=database_cidrs)


__all__ = ["ADDON_CHARTS", "CHART_NAME", "CHART_PATH", "CHART_VERSION", "Colour", "DATABASE_PORT", "ImageTags",
           "MAX_ERROR_RATE_OBJECTIVE", "RELEASE_PREFIX", "RESERVED_NAMESPACES", "Resources", "SEED_REPLICA_RANGES",
           "SERVICES", "ServiceProps", "Services", "WorkloadsProps", "ImageDigests", "cpu_cores", "image_registry",
           "image_registry_problems", "CacheEndpoint", "SearchEndpoint", "is_sealed", "SealedSecretProps", "ALERTMANAGER_PAGERDUTY_KEY", "gateway_class", "is_reference", "gateway_release", "gateway_name",
           "gateway_service_name", "GATEWAY_HEALTH_PATH", "GATEWAY_HEALTH_SERVICE", "GATEWAY_LISTENER", "GATEWAY_PORT", "DEREGISTRATION_DELAY_SECONDS",
           "memory_bytes",
           "release_name"]
