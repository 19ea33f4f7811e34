"""Vision-to-Code infrastructure constructs for CDK for Terraform (Python).

Usage::

    from vtc_constructs import Network, NetworkProps, NatStrategy, EksCluster, EksClusterProps, NodeGroupProps

Every construct is ``Construct(scope, id, Props)``; props are frozen, keyword-only dataclasses that validate
themselves and report every problem at once (:class:`ConfigError`).
"""

from ._fastpath import FastPathWarning, install as _install_fast_path

_install_fast_path()  # before any construct module imports the provider; see vtc_constructs/_fastpath/__init__.py

from .alarms import RDS_INSTANCE_MEMORY_GIB, Alarms
from .alarms_dashboard import DashboardSeries
from .alarms_props import AlarmsProps, AlarmTargets, AlarmThresholds
from .cache import CacheNetwork, CacheProps, ValkeyCache
from .ci_identity import CiIdentity, CiIdentityProps
from .database import PGVECTOR_MIN_MINOR, DatabaseNetwork, DatabaseProps, PgvectorDatabase
from .edge import COLOURS, TLS13_POLICIES, Certificate, Edge, EdgeNetwork, EdgeProps
from .eks_addons import (
    ADOT_COLLECTOR_SERVICE_ACCOUNT,
    CONTAINER_LOG_GROUPS,
    FLUENT_BIT_SERVICE_ACCOUNT,
    JAEGER_SERVICE_ACCOUNT,
    SEARCH_ADMIN_SERVICE_ACCOUNT,
    XRAY_WRITE_ACTIONS,
)
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
from .eks_props import SupportType
from ._common import replacement_safety_problems
from . import aws_rules
from .errors import ConfigError, Problem
from .network import NatStrategy, Network, NetworkProps, SubnetPlan, plan_subnets
from .platform import ALERTMANAGER_SERVICE_ACCOUNT, PlatformProps, VisionToCodePlatform, service_account_names
from .cluster_config import cluster_config_values
from .registry import ContainerRegistry, RegistryProps
from .waf import MANAGED_RULES, WafProps, WafRuleAction
from .search import SearchDomain
from .search_index import LOG_INDEX_PATTERNS, TRACE_INDEX_PATTERNS
from .search_props import SearchDomainProps, SearchNetwork
from .release_charts import DEFAULT_CHART_VERSIONS
from .release_helm import eks_helm_provider
from .releases import ClusterReleases, ClusterReleasesProps, ReleaseRoles
from .workloads import (
    SEED_REPLICA_RANGES,
    SERVICES,
    Colour,
    ImageDigests,
    ImageTags,
    Resources,
    CacheEndpoint,
    SealedSecretProps,
    ServiceProps,
    Services,
    WorkloadsProps,
)

__all__ = [
    "ADOT_COLLECTOR_SERVICE_ACCOUNT", "ALERTMANAGER_SERVICE_ACCOUNT", "CONTAINER_LOG_GROUPS",
    "FLUENT_BIT_SERVICE_ACCOUNT", "JAEGER_SERVICE_ACCOUNT", "SEARCH_ADMIN_SERVICE_ACCOUNT", "XRAY_WRITE_ACTIONS", "service_account_names",
    "ADDONS", "Alarms", "ClusterReleases", "ClusterReleasesProps", "DEFAULT_CHART_VERSIONS", "ReleaseRoles",
    "cluster_config_values", "eks_helm_provider", "AlarmsProps", "AlarmTargets", "AlarmThresholds", "COLOURS", "CONTROL_PLANE_LOG_TYPES",
    "CapacityType", "Certificate", "CiIdentity", "CiIdentityProps", "ClusterNetwork", "Colour", "ConfigError", "DatabaseNetwork", "DatabaseProps",
    "DesiredSizeOwner", "Edge", "EdgeNetwork", "EdgeProps", "EksCluster", "EksClusterProps", "FastPathWarning",
    "ImageTags", "MANAGED_RULES", "NatStrategy", "Network", "NetworkProps", "NodeGroupProps", "PGVECTOR_MIN_MINOR",
    "PgvectorDatabase", "PlatformProps", "Problem", "RDS_INSTANCE_MEMORY_GIB", "Resources", "SEED_REPLICA_RANGES",
    "SERVICES", "SUPPORTED_KUBERNETES_VERSIONS", "ServiceProps", "Services", "SubnetPlan", "SupportType",
    "TLS13_POLICIES", "Taint", "TaintEffect", "VisionToCodePlatform", "WafProps", "WafRuleAction", "WorkloadsProps",
    "aws_rules", "plan_subnets", "replacement_safety_problems", "CacheEndpoint", "DashboardSeries", "SealedSecretProps", "SearchDomain",
    "SearchDomainProps", "SearchNetwork", "LOG_INDEX_PATTERNS", "TRACE_INDEX_PATTERNS", "ContainerRegistry", "RegistryProps",
    "ImageDigests", "CacheNetwork", "CacheProps", "ValkeyCache",
]


def _document_constructors() -> None:
    """``help(Network)`` and ``inspect.signature(Network)`` show ``(scope, id, props)``, not jsii's metaclass's
    ``(*args, **kwargs) -> ~M``, and a constructor without a docstring of its own gets one (else ``help()`` shows
    ``constructs.Construct``'s, which says nothing of the props). Only this package's own construct classes change."""
    import inspect

    from constructs import Construct

    for name in __all__:
        value = globals()[name]
        init = value.__dict__.get("__init__") if isinstance(value, type) and issubclass(value, Construct) else None
        if init is None or not value.__module__.startswith(f"{__name__}."):
            continue
        signature = inspect.signature(init)
        value.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])
        if init.__doc__ is None:
            props = signature.parameters.get("props")
            what = f" from ``props`` (:class:`{props.annotation}`)" if props is not None else ""
            init.__doc__ = (f"Build the construct under ``id`` in ``scope``{what}; the class docstring says what it "
                            "builds. Invalid props raise ConfigError listing every problem.")


_document_constructors()
