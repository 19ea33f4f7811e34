"""The cluster configuration of one environment, released once from ``charts/vtc-cluster-config``.

Usage::

    from vtc_constructs.cluster_config import TARGET_GROUP_ARN_VALUE_PATHS, cluster_config_values

    values = cluster_config_values(
        environment="staging", region="eu-west-1",
        target_group_arns={"blue": platform.edge.blue_target_group_arn, "green": platform.edge.green_target_group_arn},
        grafana_admin_secret_name="vtc-staging/grafana-admin", secrets_prefix="vtc-staging/",
        load_balancer_cidrs=("10.20.0.0/24", "10.20.1.0/24", "10.20.2.0/24"))
    # helm upgrade --install vtc-cluster-config charts/vtc-cluster-config -f <values>; or, with the ARNs set apart:
    TARGET_GROUP_ARN_VALUE_PATHS["blue"]   # "targetGroupBindings[0].targetGroupArn", a helm --set / set {} name

What the chart renders from these values: the StorageClass ``gp3-encrypted`` (EBS gp3, encrypted, Retain,
WaitForFirstConsumer, expandable, not the default class); a ClusterSecretStore on AWS Secrets Manager, authenticated
as its own service account (:data:`SECRETS_STORE_SERVICE_ACCOUNT`, made here; its IRSA role reads only the
environment's ``<name>/`` secrets; the controller's account has no AWS identity) and usable only from Grafana's
namespace; a ValidatingAdmissionPolicy and its binding that refuse a namespaced SecretStore with the AWS provider and
no explicit ``auth`` (:data:`SECRET_STORE_AUTH_POLICY`); the namespaces with their Pod Security labels and the
NetworkPolicies it is given (:mod:`vtc_constructs.network_policies`: a default deny per namespace and its openings);
Grafana's admin Secret (``admin-user``, ``admin-password``), its password generated in the cluster by external-secrets'
Password generator (once: an ExternalSecret with ``CreatedOnce``, an immutable Secret) and pushed to one JSON secret
in Secrets Manager as a break-glass copy (a PushSecret; nothing reads it back, and Terraform never sees the value:
docs/design/secrets-outside-state.md); per colour a Gateway (``vtc-<colour>``, class ``nginx-<colour>``: the
colour's NGINX Gateway Fabric release provisions its NGINX), a TargetGroupBinding (``gateway-<colour>``, IP targets)
that puts those NGINX pods into the colour's ALB target group, a disruption budget and a network policy (the
listener's port from the ALB's subnets only, metrics from Prometheus only); the platform's private CA (cert-manager: a
self-signed root behind the ``vtc-ca`` ClusterIssuer) and each colour's listener certificate, which the Gateway's HTTPS
listener terminates TLS with; the namespaces enrolled in Istio's ambient mesh, each with a STRICT PeerAuthentication
(docs/design/encryption-in-transit.md); and three Grafana dashboards (services, resources, database) as ConfigMaps
for kube-prometheus-stack's sidecar (the services one with a Cache row from CloudWatch when given the cache's nodes,
``cache_member_cluster_ids``).

Pure Python (no cdktf here): the workloads stack passes the values to its Helm release. A target group or KMS key ARN
may be an unresolved Terraform reference (a cdktf token, ``${TfToken[...]}``): it is passed through unchecked,
Terraform resolves it before Helm sees it, and ``values.schema.json`` then holds the real ARN to the same pattern as
here.

Why one module: it has one subject, the values of one chart (charts/vtc-cluster-config) and the checks of every
argument that makes them, each check beside the value it guards and the schema pattern it mirrors (tested together).
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from .errors import ConfigError, Problem, enum_problem, is_number, is_whole
from .namespaces import GATEWAY_NAMESPACE, MONITORING_NAMESPACE, SERVICES_NAMESPACE
from .network_policies import MESH_TUNNEL_PORT
from .workloads import (
    _LABEL,
    _REGION,
    GATEWAY_LISTENER,
    GATEWAY_PORT,
    Colour,
    SealedSecretProps,
    _cidr_problems,
    _sealed_secret_problems,
    gateway_service_name,
    is_dns_label,
    is_reference,
)

#: The chart in this repository and its version (its ``Chart.yaml`` says the same; tested).
CHART_NAME = "vtc-cluster-config"
CHART_VERSION = "0.3.0"
CHART_PATH = "charts/vtc-cluster-config"  # relative to the repository root; not part of the installed package
#: The release's name (one per environment; its objects name their own namespaces).
RELEASE_NAME = "vtc-cluster-config"
#: The dashboards the chart renders (``charts/vtc-cluster-config/dashboards/<name>.json``), each a ConfigMap
#: ``vtc-<name>-dashboard`` with the Grafana uid ``vtc-<name>``.
DASHBOARDS = ("services", "resources", "database")
#: The uid of Grafana's CloudWatch data source, which the services dashboard's Cache row queries (kube-prometheus-stack
#: provisions it when Grafana has its IRSA role: ``vtc_constructs.release_monitoring.grafana_cloudwatch_datasource``); the
#: chart's dashboard helper drops every panel of this data source when it is given no cache.
CLOUDWATCH_UID = "vtc-cloudwatch"
#: ElastiCache cluster IDs, as values.schema.json's ``dashboards.cacheClusterIds`` items (tested).
CACHE_CLUSTER_ID = re.compile(r"^[a-z][a-z0-9-]{0,49}$")
#: The keys of Grafana's admin Secret, what kube-prometheus-stack's ``grafana.admin.existingSecret`` reads by default.
GRAFANA_ADMIN_KEYS = ("admin-user", "admin-password")
#: Where each colour's target group ARN sits in the values :func:`cluster_config_values` returns: the name to give
#: Helm's ``--set`` (or the Terraform Helm release's ``set``) to pass the ARN apart from the values.
TARGET_GROUP_ARN_VALUE_PATHS: Mapping[str, str] = {colour.value: f"targetGroupBindings[{i}].targetGroupArn"
                                                   for i, colour in enumerate(Colour)}
#: The external-secrets release's controller service account (namespace, name). It has no AWS identity: a SecretStore
#: without ``auth`` would otherwise fall back to the controller's credentials (issue 26).
EXTERNAL_SECRETS_SERVICE_ACCOUNT = ("external-secrets", "external-secrets")  # (namespace, name)
#: The dedicated service account the ClusterSecretStore authenticates as (``auth.jwt.serviceAccountRef``: the
#: controller asks a token for it through the TokenRequest API and exchanges it with STS), made by this chart in the
#: external-secrets namespace, annotated with ``EksCluster``'s external-secrets IRSA role, which trusts only it.
SECRETS_STORE_SERVICE_ACCOUNT = ("external-secrets", "secrets-store-aws")  # (namespace, name)
#: The ValidatingAdmissionPolicy (and its binding) that refuses a namespaced SecretStore without explicit ``auth``.
SECRET_STORE_AUTH_POLICY = "vtc-secretstore-explicit-auth"

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
#: The same patterns as values.schema.json's (tested).
TARGET_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/"
                              r"[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$")
KMS_KEY_ARN = re.compile(r"^$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/[A-Za-z0-9-]{1,64}|"
                         r"alias/[A-Za-z0-9/_-]{1,250})$")
SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
IAM_ROLE_ARN = re.compile(r"^$|^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")


#: Where NGINX Gateway Fabric's agent serves NGINX's metrics on each NGINX pod (NginxProxy ``metrics.port``' default).
GATEWAY_METRICS_PORT = 9113
#: The listener's protocols: HTTPS (the platform), HTTP only where no cert-manager runs (the Kind test).
LISTENER_PROTOCOLS = ("HTTPS", "HTTP")
#: The platform's CA (cert-manager): the self-signed ClusterIssuer that signs only the root, the CA ClusterIssuer of
#: the listener certificates, and the root's Certificate and Secret (in cert-manager's namespace).
SELF_SIGNED_ISSUER, CA_ISSUER, ROOT_CA = "vtc-selfsigned", "vtc-ca", "vtc-root-ca"
#: Lifetimes (duration, renew before): the root five years, renewed a year ahead; each colour's listener certificate
#: 90 days, renewed 30 days ahead (a new key every time: privateKey.rotationPolicy Always).
ROOT_CA_LIFETIME = ("43800h", "8760h")
LISTENER_CERTIFICATE_LIFETIME = ("2160h", "720h")
#: NGINX Gateway Fabric's control-plane and agent certificates: a year, renewed 90 days ahead (its cert-generator Job
#: made 3-year ones and never renewed them; 2.6.7's control plane reads its certificate per connection, whether the
#: NGINX agent reloads its own without a restart was not checked: docs/runbooks/encryption-in-transit.md).
CONTROL_PLANE_CERTIFICATE_LIFETIME = ("8760h", "2160h")
#: The PeerAuthentication (STRICT) of each namespace enrolled in the ambient mesh.
STRICT_MTLS_POLICY = "vtc-strict-mtls"


def listener_certificate_secret(colour: Colour | str) -> str:
    """``vtc-<colour>-tls``: the colour's listener Certificate and the Secret cert-manager keeps it in (the Gateway's
    ``certificateRefs``)."""
    return f"vtc-{Colour(colour).value}-tls"


def target_group_binding_name(colour: Colour | str) -> str:
    """``gateway-<colour>``: the colour's TargetGroupBinding (it binds the colour's Gateway's NGINX pods)."""
    return f"gateway-{Colour(colour).value}"


def cluster_config_values(*, environment: str, region: str, target_group_arns: Mapping[Colour | str, str],
                          grafana_admin_secret_name: str, load_balancer_cidrs: Sequence[str],
                          secrets_prefix: str | None = None, gateway_namespace: str = GATEWAY_NAMESPACE,
                          gateway_port: int = GATEWAY_PORT, routes_namespace: str = SERVICES_NAMESPACE,
                          storage_class_name: str = "gp3-encrypted", ebs_kms_key_arn: str = "",
                          secret_store_name: str = "aws-secrets-manager",
                          external_secrets_namespace: str = SECRETS_STORE_SERVICE_ACCOUNT[0],
                          external_secrets_service_account: str = SECRETS_STORE_SERVICE_ACCOUNT[1],
                          external_secrets_role_arn: str = "",
                          monitoring_namespace: str = MONITORING_NAMESPACE,
                          grafana_admin_secret: str = "grafana-admin-credentials",
                          slo_p99_latency_ms: int = 100, slo_error_rate_percent: float = 1.0,
                          namespaces: Mapping[str, str] | None = None,
                          sealed_secrets: Mapping[str, SealedSecretProps] | None = None,
                          cache_member_cluster_ids: Sequence[str] = (),
                          network_policies: Sequence[Mapping] = (), mesh_namespaces: Sequence[str] = (),
                          listener_protocol: str = "HTTPS", cert_manager_namespace: str = "cert-manager",
                          mesh_tunnel_port: int = MESH_TUNNEL_PORT,
                          control_plane_certificates: Sequence[Mapping] = ()) -> dict:
    """The values of the environment's release of ``charts/vtc-cluster-config``: a plain dict, ready for ``helm -f``.

    :param environment: the environment's name (a label of every object). Required.
    :param region: the AWS region, whose Secrets Manager the secret store reads. Required.
    :param target_group_arns: each colour's ALB target group ARN, both colours (``{"blue": ..., "green": ...}``;
        ``Edge.blue_target_group_arn`` / ``green_target_group_arn``; Terraform references are passed through).
        Required. The bindings come blue first, then green (:data:`TARGET_GROUP_ARN_VALUE_PATHS`).
    :param grafana_admin_secret_name: the Secrets Manager secret (its name, not its ARN) the generated admin
        sign-in of Grafana is pushed to, as the JSON ``{"username": ..., "password": ...}`` (a break-glass copy: the
        cluster's Secret is the one Grafana reads). It must carry the tag ``managed-by: external-secrets``
        (:data:`~vtc_constructs.platform.PUSHED_SECRET_TAGS`) and the store's role may ``PutSecretValue`` on it
        (:class:`~vtc_constructs.platform.VisionToCodePlatform` does both). Required.
    :param load_balancer_cidrs: the ALB's subnets' ranges (the public subnets): the only sources the colours' NGINX
        pods accept the listener's port from (other pods of the VPC have VPC addresses too). Required.
    :param secrets_prefix: default: not checked. The prefix the external-secrets role may read (``EksCluster``'s
        ``secrets_prefix``, by default ``<name>/``): the secret's name must start with it, or the store cannot read it.
    :param gateway_namespace: default: ``nginx-gateway``, the namespace of both colours' Gateways (and of NGINX Gateway
        Fabric's releases, which put the NGINX pods there).
    :param gateway_port: default: 8443 (:data:`~vtc_constructs.workloads.GATEWAY_PORT`): the Gateways' listener port, which NGINX listens on and its Service exposes
        (NGINX Gateway Fabric gives the Service the listeners' ports): the port the ALB's target groups and security
        group use (``EdgeProps.target_port``). 1024-65535.
    :param routes_namespace: default: ``vision-to-code``: the only namespace whose HTTPRoutes may attach to the
        Gateways (``WorkloadsProps.namespace``).
    :param storage_class_name: default: ``gp3-encrypted``.
    :param ebs_kms_key_arn: default: ``""``, EBS's AWS-managed key (``aws/ebs``). A KMS key or alias ARN encrypts
        the volumes with that key (the EBS CSI driver's role must be allowed to use it).
    :param secret_store_name: default: ``aws-secrets-manager``, the ClusterSecretStore's name.
    :param external_secrets_namespace: default: ``external-secrets``. :param external_secrets_service_account:
        default: ``secrets-store-aws`` (:data:`SECRETS_STORE_SERVICE_ACCOUNT`): the dedicated service account this
        release makes there and the store authenticates as, the one ``EksCluster``'s external-secrets IRSA role
        trusts (not the controller's: a SecretStore without ``auth`` falls back to the controller's identity).
    :param external_secrets_role_arn: default: ``""``, the store's service account carries no IRSA role and the store
        cannot read AWS (a cluster without AWS, such as the Kind test). ``EksCluster.external_secrets_role_arn`` (a
        Terraform reference is passed through).
    :param monitoring_namespace: default: ``monitoring``, kube-prometheus-stack's: the Grafana admin Secret and the
        dashboards go there, and only it may use the store.
    :param grafana_admin_secret: default: ``grafana-admin-credentials``, the Secret made there (Grafana's
        ``admin.existingSecret``).
    :param slo_p99_latency_ms: default: 100. :param slo_error_rate_percent: default: 1.0. The SLOs drawn on the
        services dashboard: give ``WorkloadsProps``' own, the ones its alert rules check.
    :param namespaces: default: none. Namespaces this release makes before the later releases install into them
        (``{name: level}``), each enforcing that Pod Security Standards level (:data:`POD_SECURITY_LEVELS`) and
        warning and auditing above ``restricted``. The gateway namespace must be one of them when given: the
        Gateways and TargetGroupBindings go there.
    :param sealed_secrets: default: none. Secrets that do not live in AWS, by name (:class:`~vtc_constructs.workloads.
        SealedSecretProps`: sealed with the cluster's Sealed Secrets key): each becomes a SealedSecret, which the
        sealed-secrets controller turns into the Secret.
    :param cache_member_cluster_ids: default: none, and the services dashboard has no Cache row (its panels and the
        hidden ``cache_node`` variable are removed). The cache's member cluster IDs (``CacheProps.member_cluster_ids``:
        ``<name>-cache-001`` ...): the Cache row draws the hit rate and evictions of exactly these nodes, from
        Grafana's CloudWatch data source :data:`CLOUDWATCH_UID` (which must exist: give Grafana its role).
    :param network_policies: default: none. NetworkPolicies this release makes, each ``{"name", "namespace",
        "spec"}`` (:func:`vtc_constructs.network_policies.namespace_network_policies` gives a default deny and the
        openings of every namespace the releases make).
    :param mesh_namespaces: default: none (no mesh). The namespaces enrolled in Istio's ambient mesh (each one of
        ``namespaces``): labelled ``istio.io/dataplane-mode: ambient``, each with a STRICT PeerAuthentication
        (:data:`STRICT_MTLS_POLICY`); ``ClusterReleases.mesh_namespaces``.
    :param listener_protocol: default: ``HTTPS``: each Gateway's listener terminates TLS with the colour's certificate
        (:func:`listener_certificate_secret`), issued by the platform's CA (:data:`CA_ISSUER`, cert-manager) and
        renewed by it. ``HTTP`` only where no cert-manager runs (the Kind test): no issuer nor certificate is made.
    :param cert_manager_namespace: default: ``cert-manager``: where the root CA's Secret is kept (cert-manager's
        cluster resource namespace).
    :param mesh_tunnel_port: default: 15008 (:data:`~vtc_constructs.network_policies.MESH_TUNNEL_PORT`).
    :param control_plane_certificates: default: none (NGINX Gateway Fabric's cert-generator Job makes them). Each
        ``{"secretName", "dnsName", "usage"}`` (``server auth`` or ``client auth``): a certificate of the platform's
        CA in the gateway namespace, for NGINX Gateway Fabric's control plane and agents
        (:func:`vtc_constructs.release_gateway.control_plane_certificates`). Only with ``listener_protocol`` HTTPS (the CA).

    Raises :class:`~vtc_constructs.errors.ConfigError` with every problem of the arguments.
    """
    problems = _name_problems({
        "environment": (environment, _ENVIRONMENT),
        **({} if is_reference(region) else {"region": (region, _AWS_REGION)}),  # (a reference: only passed on)
        "gateway_namespace": (gateway_namespace, _NAMESPACE), "routes_namespace": (routes_namespace, _NAMESPACE),
        "external_secrets_namespace": (external_secrets_namespace, _NAMESPACE),
        "monitoring_namespace": (monitoring_namespace, _NAMESPACE),
        "storage_class_name": (storage_class_name, _OBJECT_NAME),
        "secret_store_name": (secret_store_name, _OBJECT_NAME),
        "external_secrets_service_account": (external_secrets_service_account, _OBJECT_NAME),
        "grafana_admin_secret": (grafana_admin_secret, _OBJECT_NAME)})
    problems += _argument_problems(
        target_group_arns=target_group_arns, grafana_admin_secret_name=grafana_admin_secret_name,
        secrets_prefix=secrets_prefix, gateway_port=gateway_port,
        load_balancer_cidrs=load_balancer_cidrs, ebs_kms_key_arn=ebs_kms_key_arn,
        external_secrets_role_arn=external_secrets_role_arn, slo_p99_latency_ms=slo_p99_latency_ms,
        slo_error_rate_percent=slo_error_rate_percent)
    problems += _namespace_problems(namespaces, gateway_namespace)
    problems += _mesh_problems(mesh_namespaces, namespaces, listener_protocol, cert_manager_namespace)
    problems += [Problem(f"control_plane_certificates[{i}]", entry, "a table with secretName, dnsName and usage ("
                         "server auth or client auth)", "build them with vtc_constructs.releases."
                         "control_plane_certificates")
                 for i, entry in enumerate(control_plane_certificates)
                 if not isinstance(entry, Mapping) or set(entry) != {"secretName", "dnsName", "usage"}
                 or entry.get("usage") not in ("server auth", "client auth")]
    if control_plane_certificates and listener_protocol != "HTTPS":
        problems.append(Problem("control_plane_certificates", len(control_plane_certificates),
                                "none without the platform's CA (listener_protocol HTTPS)",
                                "leave them out, or use HTTPS", "no CA to issue them"))
    problems += _sealed_secret_problems(sealed_secrets or {})
    problems += cache_cluster_id_problems(cache_member_cluster_ids)
    problems += [Problem(f"network_policies[{i}]", policy, "a table with name, namespace and spec (a NetworkPolicy's)",
                         "build them with vtc_constructs.network_policies.namespace_network_policies")
                 for i, policy in enumerate(network_policies)
                 if not isinstance(policy, Mapping) or set(policy) != {"name", "namespace", "spec"}]
    if problems:
        raise ConfigError(problems)
    arns = _by_colour(target_group_arns)
    return {
        "environment": environment,
        "region": region,
        "networkPolicies": [dict(policy) for policy in network_policies],
        "namespaces": [{"name": name, "podSecurity": {"enforce": level, "warn": "restricted", "audit": "restricted"}}
                       for name, level in (namespaces or {}).items()],
        "storageClass": {"name": storage_class_name, "kmsKeyArn": ebs_kms_key_arn},
        "externalSecrets": {
            "storeName": secret_store_name,
            "serviceAccount": {"namespace": external_secrets_namespace, "name": external_secrets_service_account,
                               "roleArn": external_secrets_role_arn,
                               "controller": EXTERNAL_SECRETS_SERVICE_ACCOUNT[1]},
            "secretStorePolicy": SECRET_STORE_AUTH_POLICY,
            "grafanaAdmin": {"namespace": monitoring_namespace, "secretName": grafana_admin_secret,
                             "remoteSecretName": grafana_admin_secret_name},
        },
        "tls": {"selfSignedIssuer": SELF_SIGNED_ISSUER, "caIssuer": CA_ISSUER,
                "rootCa": {"name": ROOT_CA, "namespace": cert_manager_namespace, "duration": ROOT_CA_LIFETIME[0],
                           "renewBefore": ROOT_CA_LIFETIME[1]},
                "listenerCertificate": {"duration": LISTENER_CERTIFICATE_LIFETIME[0],
                                        "renewBefore": LISTENER_CERTIFICATE_LIFETIME[1]},
                "controlPlane": [dict(entry) for entry in control_plane_certificates],
                "controlPlaneCertificate": {"duration": CONTROL_PLANE_CERTIFICATE_LIFETIME[0],
                                            "renewBefore": CONTROL_PLANE_CERTIFICATE_LIFETIME[1]}},
        "mesh": {"namespaces": list(mesh_namespaces), "tunnelPort": mesh_tunnel_port},
        "gateway": {"namespace": gateway_namespace,
                    "listener": {"name": GATEWAY_LISTENER, "port": gateway_port, "protocol": listener_protocol},
                    "routesNamespace": routes_namespace, "loadBalancerCidrs": list(load_balancer_cidrs),
                    "monitoringNamespace": monitoring_namespace, "metricsPort": GATEWAY_METRICS_PORT},
        "targetGroupBindings": [
            {"colour": colour.value, "serviceName": gateway_service_name(colour),
             "servicePort": gateway_port, "targetGroupArn": arns[colour.value]}
            for colour in Colour],
        "sealedSecrets": [{"name": name, "namespace": secret.namespace, "type": secret.type,
                           "encryptedData": dict(secret.encrypted_data)}
                          for name, secret in sorted((sealed_secrets or {}).items())],
        "dashboards": {"namespace": monitoring_namespace, "label": "grafana_dashboard", "labelValue": "1",
                       "slo": {"p99LatencySeconds": slo_p99_latency_ms / 1000,
                               "errorRatePercent": slo_error_rate_percent, "window": "5m"},
                       "cacheClusterIds": list(cache_member_cluster_ids)},
    }


def _colour_key(key: object) -> str | None:
    """``"blue"`` for ``"blue"`` or ``Colour.BLUE`` (a plain string either way), None for anything else."""
    return next((c.value for c in Colour if key == c.value), None)


def _by_colour(table: Mapping) -> dict[str, object]:
    """A table keyed by colours (strings or :class:`Colour`) keyed by the colours' values."""
    return {_colour_key(key): value for key, value in table.items()}


def _colour_table_problems(path: str, table: object, check, allowed: str, fix: str, *,
                           every_colour: bool) -> list[Problem]:
    """A table of colours to strings: keys blue/green only (both when ``every_colour``), each value ``check``-ed."""
    if not isinstance(table, Mapping):
        return [Problem(path, table, "a table of colours (blue, green) to strings", "pass {'blue': ..., 'green': ...}",
                        "not a table")]
    problems = [enum_problem(f"{path}.{key}", key, Colour, "name a colour: blue or green")
                for key in table if _colour_key(key) is None]
    given = _by_colour(table)
    if every_colour:
        problems += [Problem(f"{path}.{colour.value}", None, allowed, f"give both colours: {fix}", "missing colour")
                     for colour in Colour if colour.value not in given]
    problems += [Problem(f"{path}.{key}", value, allowed, fix) for key, value in given.items()
                 if key is not None and not check(value)]
    return problems


#: The kinds of name an argument may be: (pattern, longest, what is allowed, how to fix it).
_ENVIRONMENT = (_LABEL, 63, "a DNS label (the environment's name)", "pass the environment's name, e.g. 'staging'")
_AWS_REGION = (_REGION, 30, "an AWS region such as eu-west-1", "pass the stack's region")
_NAMESPACE = (_LABEL, 63, "a DNS label: 1-63 of a-z, 0-9 and '-', starting and ending with a letter or digit",
              "use the namespace's name")
_OBJECT_NAME = (_SUBDOMAIN, 253, "a Kubernetes object name (DNS-1123 subdomain: a-z, 0-9, '-', '.')",
                "use a lower-case name")


def _name_problems(names: Mapping[str, tuple[object, tuple]]) -> list[Problem]:
    """Each argument (name -> (value, kind)) that is not a string of its kind of name."""
    problems = []
    for name, (value, (pattern, longest, allowed, fix)) in names.items():
        if not isinstance(value, str) or not pattern.match(value) or len(value) > longest:
            problems.append(Problem(name, value, allowed, fix))
    return problems


#: The Pod Security Standards levels, least to most restrictive.
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")


def _namespace_problems(namespaces: object, gateway_namespace: object) -> list[Problem]:
    if namespaces is None:
        return []
    if not isinstance(namespaces, Mapping):
        return [Problem("namespaces", namespaces, "a table of namespace names to Pod Security levels",
                        "pass e.g. {'vision-to-code': 'restricted'}", "not a table")]
    problems = []
    for name, level in namespaces.items():
        if not is_dns_label(name):
            problems.append(Problem(f"namespaces.{name}", name, "a namespace name (a DNS label)",
                                    "use the name the releases install into"))
        if level not in POD_SECURITY_LEVELS:
            problems.append(Problem(f"namespaces.{name}", level, ", ".join(POD_SECURITY_LEVELS),
                                    "'restricted' unless the pods there need more (host paths: 'privileged')"))
    if namespaces and gateway_namespace not in namespaces:
        problems.append(Problem("namespaces", dict(namespaces), f"the gateway namespace ({gateway_namespace}) among "
                                "them", "add it: the Gateways and TargetGroupBindings are made there by this release",
                                "gateways without a namespace"))
    return problems


def _mesh_problems(mesh_namespaces: object, namespaces: object, listener_protocol: object,
                   cert_manager_namespace: object) -> list[Problem]:
    problems = []
    if listener_protocol not in LISTENER_PROTOCOLS:
        problems.append(Problem("listener_protocol", listener_protocol, ", ".join(LISTENER_PROTOCOLS),
                                "leave it out (HTTPS); HTTP only where no cert-manager runs"))
    if not is_dns_label(cert_manager_namespace):
        problems.append(Problem("cert_manager_namespace", cert_manager_namespace,
                                "a namespace name (a DNS label: 1-63 of a-z, 0-9 and '-', starting and ending with a "
                                "letter or digit)", "pass cert-manager's namespace"))
    if isinstance(mesh_namespaces, str) or not isinstance(mesh_namespaces, (tuple, list)):
        return problems + [Problem("mesh_namespaces", mesh_namespaces, "a sequence of namespace names, or ()",
                                   "pass ClusterReleases.mesh_namespaces, or leave it out", "not a sequence")]
    made = set(namespaces) if isinstance(namespaces, Mapping) else set()
    problems += [Problem(f"mesh_namespaces[{i}]", name, f"one of the namespaces this release makes ({sorted(made)})",
                         "enrol only namespaces given in namespaces (their labels are this release's)")
                 for i, name in enumerate(mesh_namespaces) if name not in made]
    if len(set(mesh_namespaces)) != len(mesh_namespaces):
        problems.append(Problem("mesh_namespaces", list(mesh_namespaces), "each namespace once",
                                "remove the repeated name", "a namespace repeated"))
    return problems


def target_group_arn_problems(target_group_arns: object) -> list[Problem]:
    """Each colour's target group: an ARN (or a Terraform reference to one), its own (also what
    ``ClusterReleasesProps`` checks)."""
    problems = _colour_table_problems(
        "target_group_arns", target_group_arns,
        lambda v: is_reference(v) or isinstance(v, str) and bool(TARGET_GROUP_ARN.match(v)),
        "a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>) or a "
        "Terraform reference to one", "pass Edge's blue_target_group_arn and green_target_group_arn",
        every_colour=True)
    arns = list(_by_colour(target_group_arns).values()) if isinstance(target_group_arns, Mapping) else []
    if len(arns) == 2 and isinstance(arns[0], str) and arns[0] == arns[1]:
        problems.append(Problem("target_group_arns", dict(target_group_arns), "a target group of each colour's own",
                                "pass Edge's blue_target_group_arn and green_target_group_arn", "one group for both"))
    return problems


def grafana_secret_problems(grafana_admin_secret_name: object, secrets_prefix: object) -> list[Problem]:
    """Grafana's admin secret: a Secrets Manager name, under the prefix the external-secrets role may read when one
    is given (also what ``ClusterReleasesProps`` checks)."""
    if not isinstance(grafana_admin_secret_name, str) or not SECRET_NAME.match(grafana_admin_secret_name):
        return [Problem("grafana_admin_secret_name", grafana_admin_secret_name, "a Secrets Manager secret "
                        "name: 1-512 of A-Z a-z 0-9 / _ + = . @ - (a name, not an ARN)",
                        "pass the secret's name, e.g. 'vtc-staging/grafana-admin'")]
    if secrets_prefix is not None and (not isinstance(secrets_prefix, str)
                                       or not grafana_admin_secret_name.startswith(secrets_prefix)):
        return [Problem("grafana_admin_secret_name", grafana_admin_secret_name,
                        f"a name under the prefix the external-secrets role may read ({secrets_prefix!r})",
                        "keep the secret under the environment's prefix, or the store cannot read it",
                        "outside the readable prefix")]
    return []


def cache_cluster_id_problems(ids: object) -> list[Problem]:
    """The problems of ``cache_member_cluster_ids`` (here and in ``ClusterReleasesProps``)."""
    if isinstance(ids, str) or not isinstance(ids, (tuple, list)):
        return [Problem("cache_member_cluster_ids", ids, "a sequence of ElastiCache cluster IDs, or ()",
                        "pass CacheProps.member_cluster_ids, or leave it out", "not a sequence")]
    problems = [Problem(f"cache_member_cluster_ids[{i}]", value, "an ElastiCache cluster ID (a lower-case letter, then "
                        "lower-case letters, digits and '-'; at most 50), or a Terraform reference",
                        "pass CacheProps.member_cluster_ids (e.g. 'vtc-staging-cache-001')")
                for i, value in enumerate(ids)
                if not isinstance(value, str) or not (is_reference(value) or CACHE_CLUSTER_ID.match(value))]
    if not problems and len(set(ids)) != len(ids):
        problems.append(Problem("cache_member_cluster_ids", list(ids), "each ID once",
                                "pass CacheProps.member_cluster_ids", "an ID repeated"))
    return problems


def _argument_problems(*, target_group_arns, grafana_admin_secret_name, secrets_prefix, gateway_port,
                       load_balancer_cidrs, ebs_kms_key_arn, external_secrets_role_arn, slo_p99_latency_ms,
                       slo_error_rate_percent) -> list[Problem]:
    problems = target_group_arn_problems(target_group_arns)
    if not is_whole(gateway_port) or not 1024 <= gateway_port <= 65535:
        problems.append(Problem("gateway_port", gateway_port, "a port number from 1024 to 65535 (NGINX runs as a "
                                "non-root user)", "pass EdgeProps.target_port (8443)"))
    problems += _cidr_problems(tuple(load_balancer_cidrs) if isinstance(load_balancer_cidrs, list)
                               else load_balancer_cidrs, "load_balancer_cidrs")
    problems += grafana_secret_problems(grafana_admin_secret_name, secrets_prefix)
    if not is_reference(ebs_kms_key_arn) and (not isinstance(ebs_kms_key_arn, str)
                                             or not KMS_KEY_ARN.match(ebs_kms_key_arn)):
        problems.append(Problem("ebs_kms_key_arn", ebs_kms_key_arn, "'' (EBS's AWS-managed key) or a KMS key or "
                                "alias ARN", "pass the key's arn, or leave it out"))
    if not is_reference(external_secrets_role_arn) and (not isinstance(external_secrets_role_arn, str)
                                                       or not IAM_ROLE_ARN.match(external_secrets_role_arn)):
        problems.append(Problem("external_secrets_role_arn", external_secrets_role_arn, "'' (no AWS identity) or an "
                                "IAM role ARN", "pass EksCluster.external_secrets_role_arn, or leave it out"))
    if not is_whole(slo_p99_latency_ms) or not 1 <= slo_p99_latency_ms <= 60_000:
        problems.append(Problem("slo_p99_latency_ms", slo_p99_latency_ms, "a whole number of milliseconds from 1 to "
                                "60000", "pass WorkloadsProps.slo_p99_latency_ms"))
    if not is_number(slo_error_rate_percent) or not 0 < slo_error_rate_percent <= 100:
        problems.append(Problem("slo_error_rate_percent", slo_error_rate_percent, "a number above 0, at most 100",
                                "pass WorkloadsProps.slo_error_rate_percent"))
    return problems


__all__ = ["CA_ISSUER", "CONTROL_PLANE_CERTIFICATE_LIFETIME", "LISTENER_CERTIFICATE_LIFETIME", "LISTENER_PROTOCOLS", "ROOT_CA", "ROOT_CA_LIFETIME",
           "SELF_SIGNED_ISSUER", "STRICT_MTLS_POLICY", "listener_certificate_secret", "CACHE_CLUSTER_ID", "CLOUDWATCH_UID", "CHART_NAME", "CHART_PATH", "CHART_VERSION", "DASHBOARDS", "EXTERNAL_SECRETS_SERVICE_ACCOUNT", "GATEWAY_METRICS_PORT",
           "IAM_ROLE_ARN", "SECRET_STORE_AUTH_POLICY", "SECRETS_STORE_SERVICE_ACCOUNT",
           "GRAFANA_ADMIN_KEYS", "KMS_KEY_ARN", "POD_SECURITY_LEVELS", "RELEASE_NAME", "SECRET_NAME", "TARGET_GROUP_ARN",
           "TARGET_GROUP_ARN_VALUE_PATHS", "cluster_config_values", "target_group_binding_name"]
