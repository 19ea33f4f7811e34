"""The services' settings: the four services (:data:`SERVICES`), each one's autoscaling range, disruption budget,
route and resources (:class:`ServiceProps`, :class:`Resources`), together :class:`Services`
(``WorkloadsProps.services``, ``[workloads.services.<name>]`` in an environment file). Re-exported by
``vtc_constructs.workloads``, where they were until issue 27.

Usage::

    from vtc_constructs import Resources, ServiceProps, Services

    Services(core=ServiceProps(min_replicas=5, max_replicas=15, resources=Resources(cpu_request="500m")))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from .errors import Problem, classified, is_reference, is_whole


#: The four services of the seed, in the order the chart and the tests list them.
SERVICES = ("business", "core", "swarm", "development")
#: The seed's autoscaling ranges (production): business 3-10, core 5-15, swarm 3-20, development 3-10 replicas.
SEED_REPLICA_RANGES: Mapping[str, tuple[int, int]] = {"business": (3, 10), "core": (5, 15), "swarm": (3, 20),
                                                      "development": (3, 10)}
_PATH = re.compile(r"^/[a-z0-9][a-z0-9._~/-]*$")
_CPU = re.compile(r"^([1-9][0-9]*m|[0-9]+(\.[0-9]{1,3})?)$")
_MEMORY = re.compile(r"^[1-9][0-9]*(Ki|Mi|Gi|Ti)$")
_MEMORY_UNITS = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40}


#: Terraform references (cdktf tokens) Resources and ServiceProps refuse, field by field (errors.classified): every
#: field is written into the chart's values document at synth (a number there cannot be a reference) and compared at
#: synth (a limit with its request, the replicas' range with the disruption budget, each service's path with the
#: others').
_QUANTITY = "write the quantity itself: it is checked at synth against its request or limit"
_RESOURCES_SYNTH_TIME = {
    "cpu_request": ("a literal CPU quantity, e.g. '250m'", _QUANTITY),
    "memory_request": ("a literal memory quantity, e.g. '512Mi'", _QUANTITY),
    "cpu_limit": ("a literal CPU quantity, e.g. '1'", _QUANTITY),
    "memory_limit": ("a literal memory quantity, e.g. '1Gi'", _QUANTITY),
}
_REPLICAS = "write the number itself: the autoscaler's range and the disruption budget are checked against each " \
    "other at synth and written into the chart's values"
_SERVICE_SYNTH_TIME = {
    "min_replicas": ("a literal whole number from 2 to 1000", _REPLICAS),
    "max_replicas": ("a literal whole number from 2 to 1000", _REPLICAS),
    "target_cpu_percent": ("a literal whole number from 10 to 95", "write the number itself: it is written into the "
                           "chart's values at synth"),
    "max_unavailable": ("a literal whole number >= 1, below min_replicas", _REPLICAS),
    "path": ("a literal URL path prefix, or none for /<service>", "write the path itself: each service's path is "
             "checked at synth against the others'"),
}


def cpu_cores(quantity: str) -> float:
    """``"250m"`` -> 0.25, ``"1.5"`` -> 1.5 (a quantity :data:`_CPU` accepts)."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory_bytes(quantity: str) -> int:
    """``"512Mi"`` -> 536870912 (a quantity :data:`_MEMORY` accepts)."""
    return int(quantity[:-2]) * _MEMORY_UNITS[quantity[-2:]]


@dataclass(frozen=True, kw_only=True)
class Resources:
    """What one pod of a service reserves (requests) and may use at most (limits).

    :param cpu_request: default: ``"250m"`` (a quarter of a core). Millicores (``"500m"``) or cores (``"1.5"``).
    :param memory_request: default: ``"512Mi"``. Bytes with a binary suffix (``Ki``, ``Mi``, ``Gi``, ``Ti``).
    :param cpu_limit: default: ``"1"`` core (throttled above it). At least the request.
    :param memory_limit: default: ``"1Gi"`` (killed above it). At least the request.
    """

    cpu_request: str = "250m"
    memory_request: str = "512Mi"
    cpu_limit: str = "1"
    memory_limit: str = "1Gi"

    def validate(self) -> list[Problem]:
        """Every problem; a Terraform reference is refused in every field (``_RESOURCES_SYNTH_TIME``)."""
        return classified(self, self._problems(), _RESOURCES_SYNTH_TIME)

    def _problems(self) -> list[Problem]:
        problems: list[Problem] = []
        ok = {}
        for name, pattern, example in (("cpu_request", _CPU, "'250m' or '1'"), ("cpu_limit", _CPU, "'1' or '1500m'"),
                                       ("memory_request", _MEMORY, "'512Mi'"), ("memory_limit", _MEMORY, "'1Gi'")):
            value = getattr(self, name)
            ok[name] = isinstance(value, str) and bool(pattern.match(value))
            if not ok[name]:
                kind = "a CPU quantity: millicores ('250m') or cores ('1', '1.5')" if pattern is _CPU else \
                    "a memory quantity with a binary suffix: Ki, Mi, Gi or Ti"
                problems.append(Problem(name, value, kind, f"write it as Kubernetes does, e.g. {example}"))
        for name in ("cpu_request", "cpu_limit"):
            if ok[name] and cpu_cores(getattr(self, name)) == 0:
                ok[name] = False
                problems.append(Problem(name, getattr(self, name), "more than 0 (a pod with no CPU reserved is "
                                        "scheduled anywhere and starved under load)", "e.g. '250m'", "zero"))
        if ok["cpu_request"] and ok["cpu_limit"] and cpu_cores(self.cpu_limit) < cpu_cores(self.cpu_request):
            problems.append(Problem("cpu_limit", self.cpu_limit, f">= cpu_request ({self.cpu_request})",
                                    "raise cpu_limit or lower cpu_request", "limit below request"))
        if ok["memory_request"] and ok["memory_limit"] and \
                memory_bytes(self.memory_limit) < memory_bytes(self.memory_request):
            problems.append(Problem("memory_limit", self.memory_limit, f">= memory_request ({self.memory_request})",
                                    "raise memory_limit or lower memory_request", "limit below request"))
        return problems


@dataclass(frozen=True, kw_only=True)
class ServiceProps:
    """One service of one colour: its autoscaling range, disruption budget, route and resources.

    :param min_replicas: the autoscaler's lower bound, at least 2 (one pod is one disruption from an outage).
        Required.
    :param max_replicas: the autoscaler's upper bound, at least ``min_replicas``. Required.
    :param target_cpu_percent: default: 70: the autoscaler adds pods when the average CPU use passes 70 % of the
        request. 10 to 95.
    :param max_unavailable: default: 1 pod may be evicted at a time by a voluntary disruption (node drain, upgrade);
        below ``min_replicas``.
    :param path: default: ``/<service>``: the URL path prefix the service's HTTPRoute sends to it; each service has its
        own.
    :param resources: default: :class:`Resources`'s defaults (250m CPU and 512Mi requested, 1 CPU and 1Gi at most).
    """

    min_replicas: int
    max_replicas: int
    target_cpu_percent: int = 70
    max_unavailable: int = 1
    path: str | None = None
    resources: Resources = Resources()

    def validate(self) -> list[Problem]:
        """Every problem; a Terraform reference is refused in every field (``_SERVICE_SYNTH_TIME``)."""
        return classified(self, self._problems(), _SERVICE_SYNTH_TIME)

    def _problems(self) -> list[Problem]:
        problems: list[Problem] = []
        sizes_ok = True
        for name in ("min_replicas", "max_replicas"):
            value = getattr(self, name)
            if not is_whole(value) or not 2 <= value <= 1000:
                sizes_ok = False
                problems.append(Problem(name, value, "a whole number from 2 to 1000", "at least 2, so that one "
                                        "disruption never takes the service down"))
        if sizes_ok and self.max_replicas < self.min_replicas:
            problems.append(Problem("max_replicas", self.max_replicas, f">= min_replicas ({self.min_replicas})",
                                    "raise max_replicas or lower min_replicas", "range out of order"))
        if not is_whole(self.target_cpu_percent) or not 10 <= self.target_cpu_percent <= 95:
            problems.append(Problem("target_cpu_percent", self.target_cpu_percent, "a whole number from 10 to 95",
                                    "70 leaves room for a burst while new pods start"))
        if not is_whole(self.max_unavailable) or self.max_unavailable < 1:
            problems.append(Problem("max_unavailable", self.max_unavailable, "a whole number >= 1",
                                    "1 lets a drain proceed one pod at a time"))
        elif is_whole(self.min_replicas) and self.min_replicas >= 2 and self.max_unavailable >= self.min_replicas:
            problems.append(Problem("max_unavailable", self.max_unavailable, f"below min_replicas "
                                    f"({self.min_replicas})", "lower max_unavailable, or a drain could evict every "
                                    "pod at once", "budget allows a full outage"))
        if self.path is not None and (not isinstance(self.path, str) or not _PATH.match(self.path)
                                      or len(self.path) > 200):
            problems.append(Problem("path", self.path, "a URL path prefix: '/' then lower-case letters, digits and "
                                    "._~/- (at most 200 characters)", "e.g. '/business', or leave it out"))
        if isinstance(self.resources, Resources):
            problems += [p.prefixed("resources") for p in self.resources.validate()]
        else:
            problems.append(Problem("resources", self.resources, "a Resources(...)",
                                    "build it with vtc_constructs.workloads.Resources", "not a Resources"))
        return problems


def _seed(name: str) -> ServiceProps:
    low, high = SEED_REPLICA_RANGES[name]
    return ServiceProps(min_replicas=low, max_replicas=high)


@dataclass(frozen=True, kw_only=True)
class Services:
    """The four services, each a :class:`ServiceProps`.

    :param business: default: 3 to 10 replicas (the seed's range), :class:`ServiceProps`'s other defaults.
    :param core: default: 5 to 15 replicas (the seed's range).
    :param swarm: default: 3 to 20 replicas (the seed's range).
    :param development: default: 3 to 10 replicas (the seed's range).
    """

    business: ServiceProps = _seed("business")
    core: ServiceProps = _seed("core")
    swarm: ServiceProps = _seed("swarm")
    development: ServiceProps = _seed("development")

    def items(self) -> tuple[tuple[str, ServiceProps], ...]:
        """``(name, props)`` of every service, in :data:`SERVICES` order."""
        return tuple((name, getattr(self, name)) for name in SERVICES)

    def validate(self) -> list[Problem]:
        problems: list[Problem] = []
        paths: dict[str, str] = {}
        for name, service in self.items():
            if not isinstance(service, ServiceProps):
                problems.append(Problem(name, service, "a ServiceProps(min_replicas=..., max_replicas=...)",
                                        "build it with vtc_constructs.workloads.ServiceProps", "not a ServiceProps"))
                continue
            problems += [p.prefixed(name) for p in service.validate()]
            path = service.path if service.path is not None else f"/{name}"
            if not isinstance(path, str) or is_reference(path):
                continue  # reported by the service's own validate()
            if path in paths:
                problems.append(Problem(f"{name}.path", path, f"a path no other service has ({paths[path]} has it)",
                                        "give each service a path of its own", "path taken"))
            paths.setdefault(path, name)
        return problems
