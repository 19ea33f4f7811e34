"""Vision-to-Code infrastructure constructs for CDK for Terraform (Python).

Usage::

    from vtc_constructs import Network, NetworkProps, NatStrategy, EksCluster, EksClusterProps, NodeGroupProps

Every construct is ``Construct(scope, id, Props)``; props are frozen, keyword-only dataclasses that validate
themselves and report every problem at once (:class:`ConfigError`).
"""

from ._fastpath import FastPathWarning, install as _install_fast_path

_install_fast_path()  # before any construct module imports the provider; see vtc_constructs/_fastpath/__init__.py

from .alarms import RDS_INSTANCE_MEMORY_GIB, Alarms, AlarmsProps, AlarmTargets, AlarmThresholds
from .database import PGVECTOR_MIN_MINOR, DatabaseNetwork, DatabaseProps, PgvectorDatabase
from .edge import COLOURS, TLS13_POLICIES, Certificate, Edge, EdgeNetwork, EdgeProps
from .eks import (
    ADDONS,
    CONTROL_PLANE_LOG_TYPES,
    SUPPORTED_KUBERNETES_VERSIONS,
    CapacityType,
    ClusterNetwork,
    DesiredSizeOwner,
    EksCluster,
    EksClusterProps,
    NodeGroupProps,
    Taint,
    TaintEffect,
)
from . import aws_rules
from .errors import ConfigError, Problem
from .network import NatStrategy, Network, NetworkProps, SubnetPlan, plan_subnets

__all__ = [
    "ADDONS", "Alarms", "AlarmsProps", "AlarmTargets", "AlarmThresholds", "RDS_INSTANCE_MEMORY_GIB", "COLOURS", "CONTROL_PLANE_LOG_TYPES", "Certificate", "Edge", "EdgeNetwork", "EdgeProps",
    "TLS13_POLICIES", "DatabaseNetwork", "DatabaseProps", "PGVECTOR_MIN_MINOR",
    "PgvectorDatabase", "SUPPORTED_KUBERNETES_VERSIONS", "CapacityType", "ClusterNetwork",
    "ConfigError", "DesiredSizeOwner", "FastPathWarning", "EksCluster", "EksClusterProps", "NatStrategy", "Network", "NetworkProps",
    "NodeGroupProps", "Problem", "SubnetPlan", "Taint", "TaintEffect", "aws_rules", "plan_subnets",
]
