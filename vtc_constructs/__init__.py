"""Vision-to-Code infrastructure constructs for CDK for Terraform (Python).

Usage::

    from vtc_constructs import Network, NetworkProps, NatStrategy

Every construct is ``Construct(scope, id, Props)``; props are frozen, keyword-only dataclasses that validate
themselves and report every problem at once (:class:`ConfigError`).
"""

from . import _lazy_provider

_lazy_provider.install()  # before any construct module imports the provider; see _lazy_provider.py

from .errors import ConfigError, Problem
from .network import NatStrategy, Network, NetworkProps, SubnetPlan, plan_subnets

__all__ = ["ConfigError", "NatStrategy", "Network", "NetworkProps", "Problem", "SubnetPlan", "plan_subnets"]
