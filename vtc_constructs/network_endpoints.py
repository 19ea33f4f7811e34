"""The network's interface endpoints: private DNS, HTTPS from the VPC only, this account's principals only.

Usage (the :class:`~vtc_constructs.network.Network` does this; ``NetworkProps.interface_endpoints`` chooses)::

    group, endpoints = add_interface_endpoints(network, name="vtc-staging", vpc_id=..., vpc_cidr="10.20.0.0/16",
                                               services=("sts", "logs"), subnet_ids=[...], account=account,
                                               tags=tags)

Construct IDs (under the network): ``endpoints-sg``, ``endpoints-sg-https-from-vpc``, and per service
``endpoint-<service>`` (dots as dashes) with its policy document ``endpoint-<service>-policy``.
"""

from __future__ import annotations

from typing import Callable, Sequence

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from ._common import Account, Statement, policy_document
from .errors import Problem, is_whole

#: The interface endpoints NetworkProps.interface_endpoints may name: the endpoint service suffix
#: (``com.amazonaws.<region>.<service>``) of each AWS API the platform calls, or might be asked to keep off the NAT.
#: Each is an AWS service name of the PrivateLink list (Ref: https://docs.aws.amazon.com/vpc/latest/privatelink/
#: aws-services-privatelink-support.html). An endpoint policy on a service that does not support them is not an
#: error: AWS then "allow[s] full access" (Ref: https://docs.aws.amazon.com/vpc/latest/userguide/
#: vpc-endpoints-access.html), so the policies below can only narrow, never break, a call.
INTERFACE_ENDPOINT_SERVICES = ("sts", "secretsmanager", "sns", "logs", "monitoring", "xray", "ecr.api", "ecr.dkr",
                               "kms", "ec2", "elasticloadbalancing", "autoscaling", "eks", "ssm")
#: What one interface endpoint costs per Availability Zone it has a network interface in, in eu-west-1: USD 0.011 an
#: hour, i.e. about USD 8.03 a month of 730 hours, plus USD 0.01 per GB processed (the first PB a month), which
#: replaces the NAT gateways' own per-GB processing for that traffic.
#: Ref: https://aws.amazon.com/privatelink/pricing/ (billed "for each hour that your VPC endpoint remains provisioned
#: in each Availability Zone"; USD 0.01 per GB for the first PB), read 2026-12-06. The hourly rate is the page's
#: regional table, which renders per region: check it there for another region.
INTERFACE_ENDPOINT_USD_PER_AZ_MONTH = 8.03
#: The IAM action prefix of each endpoint service (its endpoint policy admits that service's actions only).
_ACTION_PREFIX = {"monitoring": "cloudwatch", "ecr.api": "ecr", "ecr.dkr": "ecr"}


def interface_endpoint_problems(services: object, zones: object, az_count: int) -> list[Problem]:
    """Every problem of ``NetworkProps.interface_endpoints`` and ``interface_endpoint_zones``."""
    problems: list[Problem] = []
    if not isinstance(services, tuple) or not all(isinstance(s, str) for s in services):
        return [Problem("interface_endpoints", services, f"a list of {', '.join(INTERFACE_ENDPOINT_SERVICES)}",
                        "list the endpoint services by name, e.g. ['sts', 'logs'], or [] for none", "not a list")]
    unknown = [s for s in services if s not in INTERFACE_ENDPOINT_SERVICES]
    if unknown:
        problems.append(Problem("interface_endpoints", list(services),
                                f"each one of {', '.join(INTERFACE_ENDPOINT_SERVICES)}",
                                f"remove or correct {', '.join(map(repr, unknown))} (the suffix of "
                                "com.amazonaws.<region>.<service>)", "unknown endpoint service"))
    repeated = sorted({s for s in services if services.count(s) > 1})
    if repeated:
        problems.append(Problem("interface_endpoints", list(services), "each service once",
                                f"remove the repeated {', '.join(repeated)}", "repeated service"))
    if zones is not None and (not is_whole(zones) or not 1 <= zones <= max(az_count, 1)):
        problems.append(Problem("interface_endpoint_zones", zones, f"a whole number from 1 to {max(az_count, 1)} "
                                "(the AZ count), or none for every AZ", "leave it out for every AZ, or give 1 for "
                                "the first AZ only"))
    return problems


def add_interface_endpoints(scope: Construct, *, name: str, vpc_id: str, vpc_cidr: str, services: Sequence[str],
                            subnet_ids: Sequence[str], account: Account, tags: Callable[[str], dict]
                            ) -> tuple[SecurityGroup | None, dict[str, VpcEndpoint]]:
    """One interface endpoint per service in ``subnet_ids``, private DNS on, behind one security group that admits
    443 from ``vpc_cidr`` only, each with :func:`endpoint_policy_statements`. Returns the group (None: no services)
    and the endpoints by service."""
    if not services:
        return None, {}
    # No egress rule: an endpoint's network interfaces only answer (security groups are stateful).
    group = SecurityGroup(scope, "endpoints-sg", name_prefix=f"{name}-endpoints-", vpc_id=vpc_id,
                          description=f"{name}: HTTPS to the AWS API interface endpoints from the VPC only",
                          tags=tags("endpoints"), lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
    group_id, region = group.id, account.region  # read once: each attribute read is a round trip to jsii
    VpcSecurityGroupIngressRule(scope, "endpoints-sg-https-from-vpc", security_group_id=group_id, cidr_ipv4=vpc_cidr,
                                ip_protocol="tcp", from_port=443, to_port=443,
                                description="HTTPS from the VPC's range (nodes, pods, functions)",
                                tags=tags("endpoints"))
    endpoints = {}
    for service in services:
        key = service.replace(".", "-")
        policy = policy_document(scope, f"endpoint-{key}-policy", *endpoint_policy_statements(service, account))
        endpoints[service] = VpcEndpoint(
            scope, f"endpoint-{key}", vpc_id=vpc_id, service_name=f"com.amazonaws.{region}.{service}",
            vpc_endpoint_type="Interface", private_dns_enabled=True, subnet_ids=list(subnet_ids),
            security_group_ids=[group_id], policy=policy.json, tags=tags(service))
    return group, endpoints


def endpoint_policy_statements(service: str, account: Account) -> list[Statement]:
    """An endpoint's policy: the service's own actions (``sts:*``, ...), by this account's principals only (a
    credential of another account cannot use the VPC's path to AWS). The resources stay open: the nodes pull EKS's
    add-on images from AWS's own registries; the callers' IAM policies name their resources.
    STS: AssumeRoleWithWebIdentity (IRSA) carries no AWS principal, so no principal key exists to test; it is admitted
    for this account's roles only (the role's trust policy then checks the token).
    Ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sts_vpc_endpoint_policies.html ("Federated
    callers ... the request context doesn't include principal-based condition keys")."""
    prefix = _ACTION_PREFIX.get(service, service)
    statements = [Statement(sid="ThisAccountsPrincipalsOnly", actions=[f"{prefix}:*"], resources=["*"],
                            principals={"AWS": ["*"]},
                            conditions=[("StringEquals", "aws:PrincipalAccount", [account.id])])]
    if service == "sts":
        statements.append(Statement(sid="WebIdentityForThisAccountsRoles", actions=["sts:AssumeRoleWithWebIdentity"],
                                    resources=[account.arn("iam", "role/*", region=False)],
                                    # "Principal": "*": the caller has no AWS identity yet (a JSON web token).
                                    principals={"*": ["*"]}))
    return statements


__all__ = ["INTERFACE_ENDPOINT_SERVICES", "INTERFACE_ENDPOINT_USD_PER_AZ_MONTH", "add_interface_endpoints",
           "endpoint_policy_statements", "interface_endpoint_problems"]
