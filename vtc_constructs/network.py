"""Network: a three-tier, multi-AZ VPC with NAT, flow logs and an S3 gateway endpoint.

Usage::

    from vtc_constructs import Network, NetworkProps, NatStrategy

    network = Network(self, "network", NetworkProps(
        name="vtc-staging",
        vpc_cidr="10.20.0.0/16",
        availability_zones=("eu-west-1a", "eu-west-1b", "eu-west-1c"),
        nat_strategy=NatStrategy.SINGLE,
    ))
    network.private_subnet_ids  # -> list of subnet id tokens, one per AZ, in AZ order

Three tiers in every Availability Zone:

* **public**: ALBs and NAT gateways; default route to the internet gateway; tagged for the AWS Load Balancer
  Controller (``kubernetes.io/role/elb``). Instances launched here get no public IP unless they ask for one.
* **private**: EKS nodes and pods; default route to a NAT gateway; tagged ``kubernetes.io/role/internal-elb``.
* **database**: isolated, no route out of the VPC at all.

Fixed, not optional: DNS support and hostnames on; the VPC's default security group stripped of every rule; flow
logs of ALL traffic to a CloudWatch log group encrypted with a customer-managed KMS key (rotation on); an S3 gateway
endpoint on the private and database route tables (image layers and backups stay off the NAT).

Interface endpoints for the AWS APIs the cluster side calls (``NetworkProps.interface_endpoints``), private DNS on,
HTTPS from the VPC only, this account's principals only: :mod:`vtc_constructs.network_endpoints`.

Why one module: the VPC, its subnets, route tables, NAT, endpoints and flow logs are one network built in one pass
over the same subnets and tables (the interface endpoints' own rules live in network_endpoints.py).
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from dataclasses import dataclass
from enum import Enum
from typing import Sequence

import jsii
from constructs import Construct, IValidation

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint

from ._common import (
    Account,
    Statement,
    account_admin_statement,
    claim_names,
    guard_replacement_safety,
    kms_key,
    logs_statement,
    policy_document,
    require_props,
    stack_region,
)
from .aws_api_callers import DEFAULT_INTERFACE_ENDPOINTS
from .network_endpoints import (  # noqa: F401  (re-exported: part of this module's API)
    INTERFACE_ENDPOINT_SERVICES,
    INTERFACE_ENDPOINT_USD_PER_AZ_MONTH,
    add_interface_endpoints,
    interface_endpoint_problems,
)
from .contracts import CacheNetwork, ClusterNetwork, DatabaseNetwork, EdgeNetwork
from .aws_rules import availability_zone_problems, availability_zone_region_problems, vpc_range_problems
from .errors import (Problem, coerce_fields, enum_problem, is_whole, missing, raise_if_any, synth_time_problems,
                     token_kind)

# Ref: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")

class NatStrategy(str, Enum):
    """How private subnets reach the internet."""

    ONE_PER_AZ = "one_per_az"
    """A NAT gateway in every AZ: an AZ outage takes no other AZ's egress with it (production)."""

    SINGLE = "single"
    """One NAT gateway in the first AZ, shared by all: cheaper, but egress depends on that AZ (staging)."""


@dataclass(frozen=True)
class SubnetPlan:
    """The CIDR of every subnet, per tier, in the order of ``availability_zones``."""

    public: tuple[str, ...]
    private: tuple[str, ...]
    database: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    """Input of :class:`Network`.

    :param name: prefix of every ``Name`` tag and of the flow-log group (``/vtc/<name>/vpc-flow-logs``). Lower-case
        letters, digits and ``-``, 3 to 32 characters. Required when the construct is used alone; :class:`~vtc_constructs.platform.VisionToCodePlatform` sets it.
    :param vpc_cidr: the VPC's IPv4 range, ``/16`` to ``/24``, inside private address space (10.0.0.0/8,
        172.16.0.0/12, 192.168.0.0/16, or 100.64.0.0/10). Required, as a literal: the subnets are planned from it at
        synth, so a Terraform reference (a variable, another resource's attribute) is refused.
    :param availability_zones: the AZs to spread every tier over, at least 2 (one subnet per tier per AZ), each an AZ
        its region really has (:data:`~vtc_constructs.aws_rules.AVAILABILITY_ZONES`) and of the region of the stack's
        AWS provider. Required, as literal names (not ``DataAwsAvailabilityZones(...).names`` nor an element of it:
        they are known only at apply).
    :param nat_strategy: default: one NAT gateway per AZ (``NatStrategy.ONE_PER_AZ``), so an AZ failure cannot cut
        the others' egress. ``NatStrategy.SINGLE`` puts one NAT gateway in the first AZ for all of them. Its value
        (``"single"``, as environment files give it) works at run time too; type checkers ask for the member.
    :param flow_log_retention_days: default: flow logs are kept 365 days. One of CloudWatch's retention values.
    :param private_subnet_new_bits: default: 3, i.e. a /19 per AZ from a /16 VPC (8,190 addresses: EKS pods take
        VPC addresses, one each). Bits added to the VPC prefix for each private subnet.
    :param public_subnet_new_bits: default: 7, i.e. a /23 per AZ from a /16 VPC (load balancers and NAT only).
    :param database_subnet_new_bits: default: 7, i.e. a /23 per AZ from a /16 VPC.
    :param eks_cluster_name: default: no cluster tag. When set, every public and private subnet is tagged
        ``kubernetes.io/cluster/<name> = shared`` for tools that still discover subnets by that tag.
    :param interface_endpoints: default: an interface endpoint for every AWS API the cluster side calls from the VPC
        (:data:`~vtc_constructs.aws_api_callers.DEFAULT_INTERFACE_ENDPOINTS`: sts, secretsmanager, sns, logs,
        monitoring, xray, ecr.api, ecr.dkr; the table says why the others, kms among them, need none), so that the
        pods' HTTPS can be held to the VPC's range. Each costs about USD 8.03 a month per AZ it is in (eu-west-1:
        USD 0.011 an hour, plus USD 0.01 per GB; :data:`INTERFACE_ENDPOINT_USD_PER_AZ_MONTH`, Ref:
        https://aws.amazon.com/privatelink/pricing/): the default's 8 endpoints in 3 AZs, about USD 193 a month.
        Services of :data:`INTERFACE_ENDPOINT_SERVICES`, each once; an empty list makes none (the pods then need
        HTTPS to the internet: ``WorkloadsProps.aws_api_cidrs`` stays ``0.0.0.0/0``).
    :param interface_endpoint_zones: default: every AZ: each endpoint has a network interface in every private
        subnet, so an AZ's loss takes no other AZ's AWS access with it. A number from 1 to the AZ count puts them in
        the first that many AZs only (the pods of the others reach them across AZs, at USD 0.01 per GB each way):
        cheaper, for an environment that can live with it (staging, like its single NAT gateway).

    Subnets are carved in order (all private, then all public, then all database subnets), each aligned to its own
    size, so the same props always give the same CIDRs and adding nothing moves nothing.
    """

    name: str | None = None
    vpc_cidr: str
    availability_zones: Sequence[str]
    nat_strategy: NatStrategy = NatStrategy.ONE_PER_AZ
    flow_log_retention_days: int = 365
    private_subnet_new_bits: int = 3
    public_subnet_new_bits: int = 7
    database_subnet_new_bits: int = 7
    eks_cluster_name: str | None = None
    interface_endpoints: Sequence[str] = DEFAULT_INTERFACE_ENDPOINTS
    interface_endpoint_zones: int | None = None

    def __post_init__(self):
        coerce_fields(self, enums={"nat_strategy": NatStrategy}, tuples=("availability_zones", "interface_endpoints"))

    def validate(self) -> list[Problem]:
        """Every problem with these props (an empty list when there is none); paths are relative to the props."""
        # Network computes from these at synth (subnet CIDRs, one subnet per AZ, names, counts): a Terraform
        # reference has no value until apply, so it is refused with a problem of its own and not checked further.
        # flow_log_retention_days is only passed on to the log group: a reference is accepted there.
        problems, refused = synth_time_problems(self, _SYNTH_TIME_FIELDS)
        if "name" not in refused and (not isinstance(self.name, str) or not _NAME_RE.match(self.name)):
            problems.append(Problem("name", self.name, "3-32 characters of a-z, 0-9 and '-', starting with a letter",
                                    "use a short lower-case name such as 'vtc-staging'"))
        network = None if "vpc_cidr" in refused else _parse_cidr(self.vpc_cidr, "vpc_cidr", problems)
        if network is not None and not 16 <= network.prefixlen <= 24:
            problems.append(Problem("vpc_cidr", self.vpc_cidr, "a prefix length from /16 to /24",
                                    "choose a /16 to /24 range, e.g. 10.20.0.0/16", "prefix length out of range"))
            network = None
        if network is not None:
            range_problems = vpc_range_problems(network, self.vpc_cidr)
            problems += range_problems
            network = None if range_problems else network
        azs = tuple(self.availability_zones) if isinstance(self.availability_zones, (tuple, list)) else ()
        if "availability_zones" in refused:
            azs = ()
        elif not isinstance(self.availability_zones, (tuple, list)):
            problems += availability_zone_problems(None, self.availability_zones)
        elif len(azs) < 2:
            problems.append(Problem("availability_zones", list(azs), "at least 2 Availability Zones",
                                    "list two or more AZs of the region", "too few Availability Zones"))
        if "availability_zones" not in refused:
            problems += availability_zone_problems(None, azs)
        duplicates = sorted({az for az in azs if isinstance(az, str) and azs.count(az) > 1})
        if duplicates:
            problems.append(Problem("availability_zones", list(azs), "each AZ at most once",
                                    f"remove the repeated {', '.join(duplicates)}", "repeated AZ"))
        if not isinstance(self.nat_strategy, NatStrategy):
            problems.append(enum_problem("nat_strategy", self.nat_strategy, NatStrategy,
                                         "pick one of the allowed strategies"))
        if "eks_cluster_name" in refused:
            pass
        elif not isinstance(self.eks_cluster_name, (str, type(None))) or \
                isinstance(self.eks_cluster_name, str) and not _NAME_RE.match(self.eks_cluster_name):
            problems.append(Problem("eks_cluster_name", self.eks_cluster_name, "the cluster's name (3-32 characters "
                                    "of a-z, 0-9 and '-'), or none", "give the EKS cluster's name, or leave it out"))
        if token_kind(self.flow_log_retention_days) != "number" and (
                not is_whole(self.flow_log_retention_days) or self.flow_log_retention_days not in LOG_RETENTION_DAYS):
            problems.append(Problem("flow_log_retention_days", self.flow_log_retention_days,
                                    f"one of CloudWatch's retention values {list(LOG_RETENTION_DAYS)}",
                                    "pick the nearest allowed value (365 keeps a year)"))
        for field in ("private_subnet_new_bits", "public_subnet_new_bits", "database_subnet_new_bits"):
            value = getattr(self, field)
            if field in refused:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 12:
                problems.append(Problem(field, value, "a whole number from 1 to 12", "use the default or a value "
                                        "that leaves room for every AZ"))
        if not refused & {"interface_endpoints", "interface_endpoint_zones", "availability_zones"}:
            problems += interface_endpoint_problems(self.interface_endpoints, self.interface_endpoint_zones, len(azs))
        if network is not None and len(azs) >= 1 and not any(p.path.endswith("new_bits") for p in problems):
            try:
                plan_subnets(self)
            except _DoesNotFit as exc:
                problems.append(Problem("vpc_cidr", self.vpc_cidr, exc.allowed, exc.fix,
                                        "too small for the subnets"))
        return missing(self, problems)

#: The fields Network computes from at synth, each with what is allowed and how to fix a Terraform reference in it.
_SYNTH_TIME_FIELDS = {
    "name": ("a literal name known at synth (3-32 characters of a-z, 0-9 and '-')",
             "write the name itself: it is part of the flow-log group's and KMS alias's names and of every Name tag"),
    "vpc_cidr": ("a literal CIDR known at synth, e.g. '10.20.0.0/16'",
                 "pass the CIDR itself; Network computes its subnets from it (for a VPC that exists already, pass "
                 "its subnets to the cluster, database and edge contracts instead of building a Network)"),
    "availability_zones": ("a literal list of AZ names known at synth, e.g. ('eu-west-1a', 'eu-west-1b')",
                           "list the AZ names themselves; Network makes one subnet per tier in each AZ, so it must "
                           "know how many and which (a DataAwsAvailabilityZones list, or Fn.element of it, is known "
                           "only at apply)"),
    "eks_cluster_name": ("the cluster's name as a literal string, or none",
                         "write the name itself: it is part of a tag key (kubernetes.io/cluster/<name>)"),
    "private_subnet_new_bits": ("a whole number from 1 to 12, known at synth", "write the number itself"),
    "public_subnet_new_bits": ("a whole number from 1 to 12, known at synth", "write the number itself"),
    "database_subnet_new_bits": ("a whole number from 1 to 12, known at synth", "write the number itself"),
    "interface_endpoints": ("a literal list of service names known at synth, e.g. ('sts', 'logs')",
                            "list the services themselves: Network makes one endpoint per service"),
    "interface_endpoint_zones": ("a whole number of AZs known at synth, or none",
                                 "write the number itself: it decides how many subnets get endpoints"),
}


class _DoesNotFit(Exception):
    def __init__(self, allowed: str, fix: str):
        super().__init__(allowed)
        self.allowed = allowed
        self.fix = fix


def _parse_cidr(value: object, path: str, problems: list[Problem]) -> ipaddress.IPv4Network | None:
    reason = "not a string"
    if isinstance(value, str):
        try:
            return ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            reason = str(exc)
    problems.append(Problem(path, value, "an IPv4 network in CIDR notation with no host bits set (e.g. 10.20.0.0/16)",
                            f"correct the address ({reason})", "malformed CIDR"))
    return None


def plan_subnets(props: NetworkProps) -> SubnetPlan:
    """The subnet CIDRs ``props`` give: deterministic, aligned, non-overlapping.

    Raises ``_DoesNotFit`` (reported by :meth:`NetworkProps.validate`) when the VPC is too small.
    """
    vpc = ipaddress.IPv4Network(props.vpc_cidr)
    count = len(props.availability_zones)
    cursor = int(vpc.network_address)
    end = int(vpc.broadcast_address) + 1
    tiers: dict[str, tuple[str, ...]] = {}
    for tier in ("private", "public", "database"):
        prefix = vpc.prefixlen + getattr(props, f"{tier}_subnet_new_bits")
        if prefix > 28:
            raise _DoesNotFit(f"{tier} subnets of /28 or larger (got /{prefix})",
                              f"use a larger vpc_cidr or fewer {tier}_subnet_new_bits")
        size = 2 ** (32 - prefix)
        cursor = -(-cursor // size) * size  # align up to the subnet size
        cidrs = []
        for _ in range(count):
            if cursor + size > end:
                raise _DoesNotFit(f"room for {count} {tier} /{prefix} subnets after the tiers before it",
                                  "use a larger vpc_cidr (e.g. a /16) or more *_subnet_new_bits")
            cidrs.append(str(ipaddress.IPv4Network((cursor, prefix))))
            cursor += size
        tiers[tier] = tuple(cidrs)
    return SubnetPlan(**tiers)


def planned_cluster_network(props: NetworkProps) -> ClusterNetwork:
    """The :class:`~vtc_constructs.contracts.ClusterNetwork` a :class:`Network` with ``props`` will give, with placeholder
    ids: for validating a cluster's props against its network before anything is synthesized."""
    return ClusterNetwork(vpc_id="planned:vpc", subnet_ids=tuple(f"planned:private-{i}"
                                                                 for i in range(len(props.availability_zones))),
                          dns_support=True, dns_hostnames=True, subnets_have_nat_route=True)


def planned_database_network(props: NetworkProps, client_security_group_id: str = "planned:clients"
                             ) -> DatabaseNetwork:
    """The :class:`~vtc_constructs.contracts.DatabaseNetwork` a :class:`Network` with ``props`` will give, with
    placeholder ids: for validating a database's props before anything is synthesized."""
    count = len(props.availability_zones)
    return DatabaseNetwork(vpc_id="planned:vpc", subnet_ids=tuple(f"planned:database-{i}" for i in range(count)),
                           bootstrap_subnet_ids=tuple(f"planned:private-{i}" for i in range(count)),
                           client_security_group_id=client_security_group_id)


def planned_edge_network(props: NetworkProps, target_security_group_id: str = "planned:targets") -> EdgeNetwork:
    """The :class:`~vtc_constructs.contracts.EdgeNetwork` a :class:`Network` with ``props`` will give, with placeholder
    ids: for validating an edge's props before anything is synthesized."""
    return EdgeNetwork(vpc_id="planned:vpc",
                       public_subnet_ids=tuple(f"planned:public-{i}" for i in range(len(props.availability_zones))),
                       target_security_group_id=target_security_group_id)


@jsii.implements(IValidation)
class _ZonesInRegion:
    """At synth: the AZs of a :class:`Network` belong to the region of its stack's AWS provider, for a provider
    declared after the Network (one declared before it is checked when the Network is built)."""

    def __init__(self, network: Construct, id: str, availability_zones: Sequence[str]):
        self._network, self._id, self._azs = network, id, availability_zones

    def validate(self) -> list[str]:
        return [str(problem.prefixed(self._id))
                for problem in availability_zone_region_problems(stack_region(self._network), self._azs)]


class Network(Construct):
    """A three-tier, multi-AZ VPC. See the module docstring for what is fixed and :class:`NetworkProps` for inputs.

    Construct IDs (and so Terraform addresses) are ``vpc``, ``public-<i>``, ``private-<i>``, ``database-<i>``,
    ``nat-<i>`` ... by AZ index: adding an AZ at the end adds resources and moves none.
    """

    def __init__(self, scope: Construct, id: str, props: NetworkProps):
        require_props("Network", props, NetworkProps, "NetworkProps(name='my-service', vpc_cidr='10.30.0.0/16', "
                      "availability_zones=('eu-west-1a', 'eu-west-1b', 'eu-west-1c'))")
        super().__init__(scope, id)
        raise_if_any(problem.prefixed(id) for problem in props.validate())
        # The AZs against the stack's region, where its AWS provider names one (the props alone cannot know it): now,
        # when the provider is declared already, else at synth, for a provider declared after the Network (a
        # validation: the synth stops before anything is written). Only then: a validation is a call from jsii's
        # Node process back into Python at every synth, and a stack's default provider is declared once.
        region = stack_region(self)
        raise_if_any(problem.prefixed(id) for problem in
                     availability_zone_region_problems(region, props.availability_zones))
        if region is None:
            self.node.add_validation(_ZonesInRegion(self, id, props.availability_zones))
        guard_replacement_safety(self)
        claim_names(self, id, ("CloudWatch log group", f"/vtc/{props.name}/vpc-flow-logs"),
                    ("KMS alias", f"alias/{props.name}-vpc-flow-logs"))
        self.props = props
        plan = plan_subnets(props)
        self.subnet_plan = plan
        azs = props.availability_zones

        def tags(name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
            return {"Name": f"{props.name}-{name}", **(extra or {})}

        cluster_tag = {f"kubernetes.io/cluster/{props.eks_cluster_name}": "shared"} if props.eks_cluster_name else {}

        self.vpc = Vpc(self, "vpc", cidr_block=props.vpc_cidr, enable_dns_support=True, enable_dns_hostnames=True,
                       tags=tags("vpc"))
        vpc_id = self.vpc.id  # read once: each attribute read is a round trip to jsii
        # With no ingress and no egress blocks, Terraform removes every rule AWS puts on the default group, so
        # nothing can use it by accident. Ref: CIS AWS Foundations 5.4.
        DefaultSecurityGroup(self, "default-sg", vpc_id=vpc_id, tags=tags("default-deny-all"))

        self.internet_gateway = InternetGateway(self, "igw", vpc_id=vpc_id, tags=tags("igw"))

        self.public_subnets = [
            Subnet(self, f"public-{i}", vpc_id=vpc_id, cidr_block=cidr, availability_zone=az,
                   map_public_ip_on_launch=False,
                   tags=tags(f"public-{az}", {"kubernetes.io/role/elb": "1", "vtc/tier": "public", **cluster_tag}))
            for i, (az, cidr) in enumerate(zip(azs, plan.public))
        ]
        self.private_subnets = [
            Subnet(self, f"private-{i}", vpc_id=vpc_id, cidr_block=cidr, availability_zone=az,
                   tags=tags(f"private-{az}",
                             {"kubernetes.io/role/internal-elb": "1", "vtc/tier": "private", **cluster_tag}))
            for i, (az, cidr) in enumerate(zip(azs, plan.private))
        ]
        self.database_subnets = [
            Subnet(self, f"database-{i}", vpc_id=vpc_id, cidr_block=cidr, availability_zone=az,
                   tags=tags(f"database-{az}", {"vtc/tier": "database"}))
            for i, (az, cidr) in enumerate(zip(azs, plan.database))
        ]

        # Each resource's ID is read from jsii once (a round trip each time) and reused below and by the outputs.
        public_subnet_ids = self.public_subnet_ids
        self.public_route_table = RouteTable(self, "public-rt", vpc_id=vpc_id, tags=tags("public"))
        public_route_table_id = self.public_route_table.id
        Route(self, "public-default-route", route_table_id=public_route_table_id,
              destination_cidr_block="0.0.0.0/0", gateway_id=self.internet_gateway.id)
        for i, subnet_id in enumerate(public_subnet_ids):
            RouteTableAssociation(self, f"public-rta-{i}", subnet_id=subnet_id, route_table_id=public_route_table_id)

        nat_count = len(azs) if props.nat_strategy is NatStrategy.ONE_PER_AZ else 1
        self.nat_eips = [Eip(self, f"nat-eip-{i}", domain="vpc", tags=tags(f"nat-{azs[i]}"),
                             depends_on=[self.internet_gateway])
                         for i in range(nat_count)]
        self.nat_gateways = [NatGateway(self, f"nat-{i}", allocation_id=self.nat_eips[i].id,
                                        subnet_id=public_subnet_ids[i], tags=tags(f"nat-{azs[i]}"),
                                        depends_on=[self.internet_gateway])
                             for i in range(nat_count)]

        # One private route table per AZ whatever the NAT strategy: switching SINGLE -> ONE_PER_AZ then changes
        # routes only, and replaces no route table or association.
        self.private_route_tables = []
        nat_gateway_ids = self.nat_gateway_ids
        for i, (az, subnet_id) in enumerate(zip(azs, self.private_subnet_ids)):
            table = RouteTable(self, f"private-rt-{i}", vpc_id=vpc_id, tags=tags(f"private-{az}"))
            table_id = table.id
            Route(self, f"private-default-route-{i}", route_table_id=table_id, destination_cidr_block="0.0.0.0/0",
                  nat_gateway_id=nat_gateway_ids[i % nat_count])
            RouteTableAssociation(self, f"private-rta-{i}", subnet_id=subnet_id, route_table_id=table_id)
            self.private_route_tables.append(table)

        self.database_route_table = RouteTable(self, "database-rt", vpc_id=vpc_id, tags=tags("database"))
        (database_route_table_id,) = self.database_route_table_ids
        for i, subnet_id in enumerate(self.database_subnet_ids):
            RouteTableAssociation(self, f"database-rta-{i}", subnet_id=subnet_id,
                                  route_table_id=database_route_table_id)

        account = Account.of(self)
        self.s3_endpoint = VpcEndpoint(
            self, "s3-endpoint", vpc_id=vpc_id, service_name=f"com.amazonaws.{account.region}.s3",
            vpc_endpoint_type="Gateway", route_table_ids=self.private_route_table_ids + [database_route_table_id],
            tags=tags("s3"))

        self._flow_logs(tags, account)
        zones = props.interface_endpoint_zones or len(azs)
        self.endpoint_security_group, self.interface_endpoints = add_interface_endpoints(
            self, name=props.name, vpc_id=vpc_id, vpc_cidr=props.vpc_cidr, services=props.interface_endpoints,
            subnet_ids=self.private_subnet_ids[:zones], account=account, tags=tags)

    def _flow_logs(self, tags, account: Account) -> None:
        props = self.props
        log_group_name = f"/vtc/{props.name}/vpc-flow-logs"
        key_policy = policy_document(self, "flow-log-key-policy", account_admin_statement(account),
                                     logs_statement(account, [log_group_name]))
        self.flow_log_key = kms_key(self, "flow-log-key", description=f"{props.name} VPC flow logs",
                                    alias=f"{props.name}-vpc-flow-logs", policy=key_policy, tags=tags("flow-logs"))
        self.flow_log_group = CloudwatchLogGroup(self, "flow-log-group", name=log_group_name,
                                                 retention_in_days=props.flow_log_retention_days,
                                                 kms_key_id=self.flow_log_key.arn, tags=tags("vpc-flow-logs"))
        # Confused-deputy guard: only flow logs of this account may assume the role.
        assume = policy_document(self, "flow-log-assume", Statement(
            actions=["sts:AssumeRole"], principals={"Service": ["vpc-flow-logs.amazonaws.com"]},
            conditions=[("StringEquals", "aws:SourceAccount", [account.id])]))
        role = IamRole(self, "flow-log-role", name_prefix=f"{props.name}-flow-logs-"[:38],
                       assume_role_policy=assume.json, tags=tags("flow-logs"))
        write = policy_document(self, "flow-log-write", Statement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[f"{self.flow_log_group.arn}:*"]))
        IamRolePolicy(self, "flow-log-role-policy", role=role.id, name="write-flow-logs", policy=write.json)
        self.flow_log = FlowLog(self, "flow-log", vpc_id=self.vpc_id, traffic_type="ALL",
                                log_destination_type="cloud-watch-logs", log_destination=self.flow_log_group.arn,
                                iam_role_arn=role.arn, max_aggregation_interval=60, tags=tags("vpc"))

    def cluster_network(self) -> "ClusterNetwork":
        """What an :class:`~vtc_constructs.eks.EksCluster` needs of this VPC: its private subnets, which always
        route through NAT (whatever the strategy), and its DNS settings (always on)."""
        return dataclasses.replace(planned_cluster_network(self.props), vpc_id=self.vpc_id,
                                   subnet_ids=tuple(self.private_subnet_ids))

    def database_network(self, client_security_group_id: str) -> "DatabaseNetwork":
        """What a :class:`~vtc_constructs.database.PgvectorDatabase` needs of this VPC: the isolated subnets for the
        instance, the private ones (NAT) for its bootstrap function, and the one client group to admit."""
        return dataclasses.replace(planned_database_network(self.props, client_security_group_id),
                                   vpc_id=self.vpc_id, subnet_ids=tuple(self.database_subnet_ids),
                                   bootstrap_subnet_ids=tuple(self.private_subnet_ids))

    def edge_network(self, target_security_group_id: str) -> "EdgeNetwork":
        """What an :class:`~vtc_constructs.edge.Edge` needs of this VPC: the public subnets for the ALB and the
        security group of its targets (the EKS nodes)."""
        return dataclasses.replace(planned_edge_network(self.props, target_security_group_id), vpc_id=self.vpc_id,
                                   public_subnet_ids=tuple(self.public_subnet_ids))

    def cache_network(self, client_security_group_ids: Sequence[str]) -> "CacheNetwork":
        """What a :class:`~vtc_constructs.cache.ValkeyCache` needs of this VPC: the private subnets, one per AZ (a
        cache needs no route out; they are the ones the clients run in), and the security groups admitted on its
        port (the EKS nodes': ``EksCluster.node_security_group_id``)."""
        # (the groups as given: CacheNetwork makes a list a tuple, and reports a bare string as "not a list")
        return CacheNetwork(vpc_id=self.vpc_id, subnet_ids=tuple(self.private_subnet_ids),
                            client_security_group_ids=client_security_group_ids)

    # Typed outputs, named after their resource.
    @functools.cached_property
    def vpc_id(self) -> str:
        return self.vpc.id

    @functools.cached_property
    def vpc_cidr_block(self) -> str:
        return self.vpc.cidr_block

    @functools.cached_property
    def public_subnet_ids(self) -> list[str]:
        return [s.id for s in self.public_subnets]

    @functools.cached_property
    def private_subnet_ids(self) -> list[str]:
        return [s.id for s in self.private_subnets]

    @functools.cached_property
    def database_subnet_ids(self) -> list[str]:
        return [s.id for s in self.database_subnets]

    @functools.cached_property
    def public_route_table_ids(self) -> list[str]:
        return [self.public_route_table.id]

    @functools.cached_property
    def private_route_table_ids(self) -> list[str]:
        return [t.id for t in self.private_route_tables]

    @functools.cached_property
    def database_route_table_ids(self) -> list[str]:
        return [self.database_route_table.id]

    @functools.cached_property
    def nat_gateway_ids(self) -> list[str]:
        return [n.id for n in self.nat_gateways]

    @functools.cached_property
    def nat_public_ips(self) -> list[str]:
        return [e.public_ip for e in self.nat_eips]

    @functools.cached_property
    def interface_endpoint_ids(self) -> dict[str, str]:
        """Each interface endpoint's ID, by service (empty: none)."""
        return {service: endpoint.id for service, endpoint in self.interface_endpoints.items()}

    @functools.cached_property
    def interface_endpoint_security_group_id(self) -> str | None:
        """The endpoints' security group (None: no interface endpoints)."""
        return None if self.endpoint_security_group is None else self.endpoint_security_group.id

    @functools.cached_property
    def flow_log_group_name(self) -> str:
        return self.flow_log_group.name

    @property
    def availability_zones(self) -> Sequence[str]:
        return self.props.availability_zones

