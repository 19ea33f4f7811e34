"""The cluster's own add-ons, as release values: the AWS Load Balancer Controller's
(:func:`load_balancer_controller_values`), metrics-server's (:func:`metrics_server_values`), the cluster
autoscaler's (:func:`autoscaler_values`), external-secrets' (:func:`external_secrets_values`) and the Sealed Secrets
controller's (:func:`sealed_secrets_values`).

Every value was read against the pinned chart's values.yaml and templates (:data:`DEFAULT_CHART_VERSIONS`): most of
these charts have no schema, so a misspelled key would be ignored silently (tests/test_releases.py checks each one's
effect that matters: service accounts, IRSA, regions, ports).

Usage::

    from vtc_constructs.release_system import autoscaler_values

    values = autoscaler_values(cluster_name="vtc-staging", region="eu-west-1", kubernetes_version="1.34",
                               role_arn=eks.cluster_autoscaler_role_arn)
"""

from __future__ import annotations

from .cluster_config import EXTERNAL_SECRETS_SERVICE_ACCOUNT
from .release_charts import CLUSTER_AUTOSCALER_IMAGES
from .release_common import (_IRSA, ADDON_RESOURCES, CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
                             LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT, RESTRICTED_CONTAINER)


def load_balancer_controller_values(*, cluster_name: str, region: str, vpc_id: str, role_arn: str) -> dict:
    """The AWS Load Balancer Controller's (kube-system): TargetGroupBinding only, told the VPC and region."""
    return {
        "clusterName": cluster_name, "region": region, "vpcId": vpc_id, "replicaCount": 2,
        "serviceAccount": {"create": True, "name": LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT[1],
                           "annotations": {_IRSA: role_arn}},
        # Only TargetGroupBinding: no IngressClass, and Services of type LoadBalancer are not taken over.
        "createIngressClassResource": False, "enableServiceMutatorWebhook": False,
        "podDisruptionBudget": {"maxUnavailable": 1},
        # Nothing here uses ALB Ingresses (TargetGroupBinding only; no IngressClass above): the chart's
        # ValidatingWebhookConfiguration would still send every Ingress of the cluster (NGINX's included) to this
        # controller with failurePolicy Fail, so the controller being down would block any Ingress change of either
        # colour. webhookConfig.disableIngressValidation drops that webhook (templates/webhook.yaml at 3.5.0:
        # "{{- if not $.Values.webhookConfig.disableIngressValidation }}" around vingress.elbv2.k8s.aws); the
        # TargetGroupBinding and pod webhooks stay.
        "webhookConfig": {"disableIngressValidation": True},
        # Its own Gateway API controllers (ALB and NLB Gateways, on by default in 3.5.0 once the Gateway API's
        # CRDs exist: main.go, crddetect) would watch every Gateway and route of the cluster for classes nothing
        # here uses: NGINX Gateway Fabric owns the Gateways (controllerConfig.featureGates -> --feature-gates).
        "controllerConfig": {"featureGates": {"ALBGatewayAPI": False, "NLBGatewayAPI": False}},
        "resources": ADDON_RESOURCES["aws-load-balancer-controller"],
        # Reuse the webhook's certificate across upgrades instead of a new one on every render.
        "keepTLSSecret": True,
    }


def metrics_server_values() -> dict:
    """metrics-server's (kube-system): two replicas behind a disruption budget."""
    return {
        "replicas": 2, "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        "resources": ADDON_RESOURCES["metrics-server"],
    }


def autoscaler_values(*, cluster_name: str, region: str, kubernetes_version: str, role_arn: str) -> dict:
    """The cluster autoscaler's (kube-system): auto-discovers ``cluster_name``'s node groups; its image follows the
    cluster's ``MAJOR.MINOR`` (:data:`CLUSTER_AUTOSCALER_IMAGES`)."""
    return {
        "cloudProvider": "aws", "autoDiscovery": {"clusterName": cluster_name}, "awsRegion": region,
        "image": {"tag": CLUSTER_AUTOSCALER_IMAGES.get(kubernetes_version)}, "replicaCount": 2,
        "rbac": {"serviceAccount": {"create": True, "name": CLUSTER_AUTOSCALER_SERVICE_ACCOUNT[1],
                                    "annotations": {_IRSA: role_arn}}},
        "extraArgs": {"balance-similar-node-groups": True, "skip-nodes-with-system-pods": False,
                      "expander": "least-waste"},
        # The chart sets none (its values.yaml suggests these): the image runs as nobody.
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containerSecurityContext": dict(RESTRICTED_CONTAINER),
        "resources": ADDON_RESOURCES["cluster-autoscaler"],
    }


def external_secrets_values() -> dict:
    """external-secrets' (its namespace): no AWS identity on the controller itself."""
    return {
        "installCRDs": True,
        # The CRDs are templates of this chart: without "keep", removing the release deletes every secret store
        # and ExternalSecret of the cluster.
        "crds": {"annotations": {"helm.sh/resource-policy": "keep"}},
        "replicaCount": 2, "leaderElect": True, "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        "resources": ADDON_RESOURCES["external-secrets"],
        "webhook": {"replicaCount": 2, "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
                    "resources": ADDON_RESOURCES["external-secrets-webhook"]},
        "certController": {"resources": ADDON_RESOURCES["external-secrets-cert-controller"]},
        # No AWS identity on the controller: a SecretStore without auth would fall back to it. The IRSA role is on
        # the ClusterSecretStore's own service account (vtc-cluster-config, SECRETS_STORE_SERVICE_ACCOUNT).
        "serviceAccount": {"create": True, "name": EXTERNAL_SECRETS_SERVICE_ACCOUNT[1]},
        # helm-chart-2.9.0's rbac.yaml aggregates create/update/delete of SecretStores and ExternalSecrets into the
        # built-in edit and admin ClusterRoles (rbac.aggregateToEdit/aggregateToAdmin, both true by default): anyone
        # who may edit one namespace could make a store there. Read access (aggregateToView) stays.
        # Its ClusterRole's serviceaccounts/token create (rbac.serviceAccountTokenCreate) would let the controller
        # take any service account's identity: vtc-cluster-config grants it the store's account's token only.
        "rbac": {"aggregateToEdit": False, "aggregateToAdmin": False, "serviceAccountTokenCreate": False},
    }


def sealed_secrets_values() -> dict:
    """The Sealed Secrets controller's (kube-system, :data:`SEALED_SECRETS_CONTROLLER`)."""
    return {
        "resources": ADDON_RESOURCES["sealed-secrets"],
        # The chart's defaults run it non-root, read-only, with every capability dropped; this adds the rest of
        # what the restricted level asks (no escalation, the runtime's seccomp profile).
        "podSecurityContext": {"enabled": True, "fsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
        "containerSecurityContext": {"enabled": True, "runAsUser": 1001, **RESTRICTED_CONTAINER},
        # (No ServiceMonitor: this release comes before kube-prometheus-stack, which brings that CRD.)
    }
