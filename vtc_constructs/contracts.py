"""What the constructs need to know of one another: the network contracts, in one module that imports no construct.

:class:`~vtc_constructs.network.Network` gives each of these (``cluster_network()``, ``database_network(...)``,
``edge_network(...)``, ``cache_network(...)``), and the cluster, database, edge and cache constructs take them; any
other VPC can be described by them too. Keeping them here (not beside the construct that takes each) means ``network.py`` and the modules that use
it never import each other.

Usage::

    from vtc_constructs import ClusterNetwork
    ClusterNetwork(vpc_id="vpc-1", subnet_ids=("subnet-1", "subnet-2"), dns_support=True, dns_hostnames=True,
                   subnets_have_nat_route=True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .errors import (Problem, coerce_fields, has_unresolved, is_string_tuple, is_whole, not_a_list,
                     unresolved_problem)

#: The interface endpoints nodes need when their subnets have no NAT route.
#: Ref: https://docs.aws.amazon.com/eks/latest/userguide/private-clusters.html
PRIVATE_NODE_ENDPOINTS = ("ec2", "ecr.api", "ecr.dkr", "sts", "logs")


def _id_problems(contract: object, names: tuple[str, ...], allowed: str, fix: str) -> list[Problem]:
    """Each of ``names`` must be a non-empty id string."""
    return [Problem(name, getattr(contract, name), allowed, fix) for name in names
            if not isinstance(getattr(contract, name), str) or not getattr(contract, name)]


def _list_problems(contract: object, names: tuple[str, ...], of: str) -> list[Problem]:
    """Each of ``names`` must be a tuple (or list) of strings."""
    return [not_a_list(name, getattr(contract, name), of, "('subnet-1', 'subnet-2')") for name in names
            if not is_string_tuple(getattr(contract, name))]


@dataclass(frozen=True, kw_only=True)
class ClusterNetwork:
    """What the cluster needs to know of its VPC; ``Network.cluster_network()`` gives it.

    :param vpc_id: the VPC.
    :param subnet_ids: the private subnets for the control-plane ENIs and the nodes: ids, references to them
        (``subnet.id``), or a whole list known only at apply (``DataAwsSubnets(...).ids``: then the count of AZs
        is for EKS to check at apply).
    :param dns_support: the VPC resolves DNS (a private endpoint needs it).
    :param dns_hostnames: the VPC gives instances DNS hostnames (a private endpoint needs it).
    :param subnets_have_nat_route: every node subnet has a default route through NAT, so nodes can pull images
        and reach AWS APIs. Without it, nodes need interface endpoints for ECR, STS, EC2 and logs.
    :param interface_endpoints: the services reachable through interface endpoints (``ecr.api``, ``sts``, ...),
        as literal names: the cluster's props check them at synth.

    Ids may be Terraform references (tokens) throughout: they are passed on as they are.
    """

    vpc_id: str
    subnet_ids: Sequence[str]
    dns_support: bool
    dns_hostnames: bool
    subnets_have_nat_route: bool
    interface_endpoints: Sequence[str] = ()

    def __post_init__(self):
        coerce_fields(self, tuples=("subnet_ids", "interface_endpoints"))

    def type_problems(self) -> list[Problem]:
        """Fields of the wrong type (the checks of what they say are :meth:`EksClusterProps.validate`'s)."""
        problems = _id_problems(self, ("vpc_id",), "the VPC's id", "pass network.cluster_network()")
        problems += _list_problems(self, ("subnet_ids", "interface_endpoints"), "strings")
        if has_unresolved(self.interface_endpoints) and is_string_tuple(self.interface_endpoints):
            problems.append(unresolved_problem(
                "interface_endpoints", list(self.interface_endpoints), "a literal list of service names known at "
                "synth, e.g. ('ecr.api', 'sts')", "list the services themselves: the cluster's props check that the "
                "nodes can reach AWS through them"))
        for name in ("dns_support", "dns_hostnames", "subnets_have_nat_route"):
            if not isinstance(getattr(self, name), bool):
                problems.append(Problem(name, getattr(self, name), "true or false", f"set {name} to a boolean"))
        return problems


@dataclass(frozen=True, kw_only=True)
class DatabaseNetwork:
    """Where the database lives and who may reach it; ``Network.database_network(...)`` gives it.

    :param vpc_id: the VPC.
    :param subnet_ids: the isolated database subnets (at least two AZs; a whole list known only at apply, such as
        ``DataAwsSubnets(...).ids``, is passed on and RDS checks it then).
    :param bootstrap_subnet_ids: private subnets with a route to Secrets Manager (NAT) for the bootstrap function
        (a whole list known only at apply is passed on too).
    :param client_security_group_id: the only security group (the EKS nodes) admitted on 5432.
    """

    vpc_id: str
    subnet_ids: Sequence[str]
    bootstrap_subnet_ids: Sequence[str]
    client_security_group_id: str

    def __post_init__(self):
        coerce_fields(self, tuples=("subnet_ids", "bootstrap_subnet_ids"))

    def type_problems(self) -> list[Problem]:
        """Fields of the wrong type (what they say is checked by :meth:`DatabaseProps.validate`)."""
        return (_id_problems(self, ("vpc_id", "client_security_group_id"), "an id (a string)",
                             "pass network.database_network(...)")
                + _list_problems(self, ("subnet_ids", "bootstrap_subnet_ids"), "subnet ids"))


@dataclass(frozen=True, kw_only=True)
class EdgeNetwork:
    """Where the ALB lives and what it sends traffic to; ``Network.edge_network(...)`` gives it. Ids may be
    Terraform references, and ``public_subnet_ids`` a whole list known only at apply (``DataAwsSubnets(...).ids``:
    the ALB's two AZs are then for AWS to check at apply); ``target_admitted_ports`` are literal numbers.

    :param target_admitted_ports: default: empty, and the construct itself opens ``target_port`` on the target
        security group to the ALB. When the caller manages that group's rules, list the ports it admits from the
        ALB: ``target_port`` must be one of them.
    """

    vpc_id: str
    public_subnet_ids: Sequence[str]
    target_security_group_id: str
    target_admitted_ports: Sequence[int] = ()

    def __post_init__(self):
        coerce_fields(self, tuples=("public_subnet_ids", "target_admitted_ports"))

    def type_problems(self) -> list[Problem]:
        """Fields of the wrong type (what they say is checked by :meth:`EdgeProps.validate`)."""
        problems = _id_problems(self, ("vpc_id", "target_security_group_id"), "an id (a string)",
                                "pass network.edge_network(...)")
        problems += _list_problems(self, ("public_subnet_ids",), "subnet ids")
        ports = self.target_admitted_ports
        if has_unresolved(ports):
            problems.append(unresolved_problem("target_admitted_ports", list(ports) if isinstance(ports, tuple)
                                               else ports, "a literal list of port numbers (1-65535)",
                                               "list the ports themselves: the edge checks its target port against "
                                               "them at synth"))
        elif not isinstance(ports, tuple) or not all(is_whole(p) and 1 <= p <= 65535 for p in ports):
            problems.append(Problem("target_admitted_ports", ports, "a list of port numbers (1-65535)",
                                    "list the ports the target security group admits from the ALB"))
        return problems


@dataclass(frozen=True, kw_only=True)
class CacheNetwork:
    """Where the cache lives and who may reach it.

    :param vpc_id: the VPC.
    :param subnet_ids: the subnets of the subnet group: private ones, at least two, each in another Availability Zone
        (``Network.private_subnet_ids`` gives one per AZ). The cache needs no route out, so isolated subnets do too.
    :param client_security_group_ids: the security groups admitted on the port (the EKS nodes'), at least one.
    """

    vpc_id: str
    subnet_ids: Sequence[str]
    client_security_group_ids: Sequence[str]

    def __post_init__(self):
        coerce_fields(self, tuples=("subnet_ids", "client_security_group_ids"))

    def type_problems(self) -> list[Problem]:
        """Fields of the wrong type (what they say is checked by :meth:`CacheProps.validate`)."""
        problems = []
        if not isinstance(self.vpc_id, str) or not self.vpc_id:
            problems.append(Problem("vpc_id", self.vpc_id, "the VPC's id", "pass network.vpc_id"))
        for name, of in (("subnet_ids", "subnet ids"), ("client_security_group_ids", "security group ids")):
            if not is_string_tuple(getattr(self, name)):
                problems.append(not_a_list(name, getattr(self, name), of, "('id-1', 'id-2')"))
        return problems
