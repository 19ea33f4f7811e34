"""Every AWS API the cluster side of the platform calls from inside the VPC, with its caller: data for the network's
interface endpoints (:class:`~vtc_constructs.network.Network`) and the NetworkPolicies' HTTPS opening to AWS.

Usage::

    from vtc_constructs.aws_api_callers import AWS_API_CALLERS, DEFAULT_INTERFACE_ENDPOINTS, apis_without_endpoint

    apis_without_endpoint(("services",), endpoints=("sts",))   # -> () : the services' calls all stay in the VPC

Read from the code (IAM policies of the roles, the releases' values), 2026-12-06. A row's ``policy_caller`` names the
NetworkPolicy opening its calls pass (:data:`POLICY_CALLERS`); ``None``: the caller is under no NetworkPolicy of this
project (the nodes, kube-system, EKS add-on namespaces, a Lambda function), so its calls reach AWS over NAT where no
endpoint exists. ``no_endpoint`` says why an API gets no interface endpoint by default; empty: it gets one
(:data:`DEFAULT_INTERFACE_ENDPOINTS`).

The OpenSearch domain (Jaeger, Fluent Bit, the search setup Job) is in the VPC already (its own network interfaces in
the private subnets): no endpoint needed, and its address is inside the VPC's range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True)
class AwsApiCaller:
    """One AWS API and who calls it from the VPC.

    :param service: the endpoint service's suffix (``com.amazonaws.<region>.<service>``).
    :param caller: who calls it, in words (the pod, node or function).
    :param calls: what it calls, and where the code says so.
    :param policy_caller: the key in :data:`POLICY_CALLERS` of the NetworkPolicy opening the calls pass, or ``None``.
    :param no_endpoint: empty when the API gets an interface endpoint by default; else why it does not.
    """

    service: str
    caller: str
    calls: str
    policy_caller: str | None = None
    no_endpoint: str = ""


#: Which namespace's opening each ``policy_caller`` is (the releases map them to the configured namespaces).
POLICY_CALLERS = {
    "services": "the services' namespace (charts/vision-to-code's policy)",
    "external-secrets": "external-secrets: the controller (vtc-external-secrets)",
    "alertmanager": "monitoring: Alertmanager (vtc-alertmanager)",
    "grafana": "monitoring: Grafana (vtc-grafana)",
    "collector": "opentelemetry: the collector (vtc-collector)",
    "logging": "logging: Fluent Bit and the search setup Job (vtc-logging-egress, charts/vtc-search-setup)",
    "tracing": "tracing: Jaeger (its chart's policy, releases.jaeger_values)",
}

_IRSA = "sts:AssumeRoleWithWebIdentity (IRSA: the pod's projected token for its role's credentials)"
_KUBE_SYSTEM = ("kube-system is EKS's: no NetworkPolicy of this project narrows it, so its calls reach AWS over NAT "
                "(add the service to NetworkProps.interface_endpoints to keep them off the NAT gateways)")

#: The table: one row per (API, caller).
AWS_API_CALLERS: tuple[AwsApiCaller, ...] = (
    AwsApiCaller("sts", "the services' pods (both colours)", _IRSA + "; platform.py services-role", "services"),
    AwsApiCaller("sts", "external-secrets' ClusterSecretStore account", _IRSA + "; eks.py external-secrets-role",
                 "external-secrets"),
    AwsApiCaller("sts", "Alertmanager", _IRSA + "; platform.py alertmanager-role", "alertmanager"),
    AwsApiCaller("sts", "Grafana (with a cache: its CloudWatch data source)", _IRSA + "; platform.py grafana-role",
                 "grafana"),
    AwsApiCaller("sts", "the ADOT collector", _IRSA + "; eks.py adot-collector-role", "collector"),
    AwsApiCaller("sts", "Fluent Bit, the search setup Job", _IRSA + "; eks.py fluent-bit-role, search-admin-role",
                 "logging"),
    AwsApiCaller("sts", "Jaeger (with a search domain)", _IRSA + "; platform.py jaeger-role", "tracing"),
    AwsApiCaller("sts", "kube-system: load balancer controller, autoscaler, VPC CNI, EBS CSI driver", _IRSA),
    AwsApiCaller("secretsmanager", "external-secrets' ClusterSecretStore account",
                 "GetSecretValue, DescribeSecret (the <name>/ secrets), PushSecret of Grafana's admin password",
                 "external-secrets"),
    AwsApiCaller("secretsmanager", "the pgvector bootstrap Lambda function (in the private subnets)",
                 "GetSecretValue of the master secret; database.py bootstrap-role-policy"),
    AwsApiCaller("sns", "Alertmanager", "sns:Publish to the page, notify and heartbeat topics (platform.py)",
                 "alertmanager"),
    AwsApiCaller("logs", "Fluent Bit", "CreateLogStream, PutLogEvents into the container log groups (eks.py)",
                 "logging"),
    AwsApiCaller("logs", "the CloudWatch agent (amazon-cloudwatch-observability add-on)",
                 "Container Insights' performance logs (CloudWatchAgentServerPolicy)"),
    AwsApiCaller("monitoring", "Grafana (with a cache)", "cloudwatch:GetMetricData, ListMetrics (platform.py)",
                 "grafana"),
    AwsApiCaller("monitoring", "the CloudWatch agent", "cloudwatch:PutMetricData (CloudWatchAgentServerPolicy)"),
    AwsApiCaller("xray", "the ADOT collector", "PutTraceSegments, GetSamplingRules ... (eks.py XRAY_WRITE_ACTIONS)",
                 "collector"),
    AwsApiCaller("ecr.api", "the nodes' kubelet (image credential provider)",
                 "ecr:GetAuthorizationToken for the services' images and EKS's add-on images"),
    AwsApiCaller("ecr.dkr", "the nodes' container runtime", "the registry API of every image pull (layers: the S3 "
                 "gateway endpoint)"),
    AwsApiCaller("ec2", "kube-system: VPC CNI, EBS CSI driver, load balancer controller, autoscaler",
                 "AssignPrivateIpAddresses, CreateVolume, Describe* (AmazonEKS_CNI_Policy, ...)",
                 no_endpoint=_KUBE_SYSTEM),
    AwsApiCaller("elasticloadbalancing", "kube-system: the load balancer controller",
                 "RegisterTargets, Describe* (eks.py lb-controller-role)",
                 no_endpoint=_KUBE_SYSTEM + ". The rollout (environments/rollout.py) runs outside the VPC (CI): it "
                 "calls the public endpoint"),
    AwsApiCaller("autoscaling", "kube-system: the cluster autoscaler", "SetDesiredCapacity, Describe* (eks.py)",
                 no_endpoint=_KUBE_SYSTEM),
    AwsApiCaller("eks", "kube-system: the cluster autoscaler", "eks:DescribeNodegroup (eks.py)",
                 no_endpoint=_KUBE_SYSTEM + ". The nodes reach the Kubernetes API through the cluster's own network "
                 "interfaces in the private subnets (the private endpoint), not this API"),
    AwsApiCaller("kms", "nobody in the VPC calls KMS itself",
                 "every use is server-side: SNS (Alertmanager's kms:ViaService sns), Secrets Manager, EC2 (EBS), EKS "
                 "(secrets envelope)",
                 no_endpoint="no caller: each KMS use is made by the AWS service the pod called, from AWS's side "
                 "(kms:ViaService conditions). Add 'kms' to NetworkProps.interface_endpoints for a workload that "
                 "encrypts client-side"),
    AwsApiCaller("rds-db", "the services' pods", "rds-db:connect: the IAM token is signed in the pod (SigV4 "
                 "presigning), no AWS call", "services",
                 no_endpoint="no API call: the token is signed locally and checked by the database in the VPC"),
    AwsApiCaller("elasticache", "the services' pods", "elasticache:Connect: the IAM token is signed in the pod",
                 "services", no_endpoint="no API call: the token is signed locally and checked by the cache in the "
                 "VPC"),
    AwsApiCaller("es", "Jaeger, Fluent Bit, the search setup Job", "es:ESHttp* on the domain", "tracing",
                 no_endpoint="the domain is in the VPC (its network interfaces in the private subnets)"),
)

#: The interface endpoints :class:`~vtc_constructs.network.NetworkProps` makes by default: every API of the table
#: that has no stated reason to go without, in the table's order.
DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = tuple(dict.fromkeys(
    row.service for row in AWS_API_CALLERS if not row.no_endpoint))


def apis_without_endpoint(policy_callers: Iterable[str], endpoints: Sequence[str]) -> tuple[str, ...]:
    """The APIs the pods of ``policy_callers`` call over the network (rows without a ``no_endpoint`` reason that is
    not about the network: the in-VPC domain and locally signed tokens need nothing) that have no interface endpoint
    among ``endpoints``: empty when those pods' HTTPS can be held to the VPC's range."""
    callers, have = set(policy_callers), set(endpoints)
    needed = {row.service for row in AWS_API_CALLERS if row.policy_caller in callers and not row.no_endpoint}
    return tuple(sorted(needed - have))


__all__ = ["AWS_API_CALLERS", "AwsApiCaller", "DEFAULT_INTERFACE_ENDPOINTS", "POLICY_CALLERS",
           "apis_without_endpoint"]
