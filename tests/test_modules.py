"""Modules cut where a reader looks (issue 27): no import circle inside ``environments/`` or ``vtc_constructs/``, and
no module of ``vtc_constructs/``, ``environments/`` or ``tooling/`` over :data:`MAX_LINES` lines unless its module
docstring says why it belongs together.

The convention: a line of the module docstring that starts with ``Why one module:``, followed by the reason (a
sentence of at least :data:`MIN_REASON_WORDS` words), e.g. ``Why one module: it is one construct, read top to bottom
as its props, resources and outputs.`` Find every such reason with ``grep -rn "^Why one module:" vtc_constructs
environments tooling``.

Imports are read with :mod:`ast`, nothing is imported. Every import statement counts, wherever it is: at module level
(also under ``if TYPE_CHECKING:`` or in a ``try``) and inside functions. A deferred import is still a dependency a
reader has to follow, and moving an import into a function is the usual way a circle is hidden rather than broken.
(When this test was written no import inside a function closed a circle, so counting them cost nothing.) A package's
submodule implicitly imports the package (its ``__init__.py``) first; that is not counted, or every ``__init__.py``
that re-exports its modules would be a circle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Sequence

import pytest

from tooling.paths import REPO

#: A module longer than this needs a reason in its docstring.
MAX_LINES = 450
#: The reason is a sentence, not a placeholder.
MIN_REASON_WORDS = 8
WHY = re.compile(r"^Why one module:(.*(?:\n(?!\s*\n).*)*)", re.MULTILINE)

#: Packages where no import circle is allowed.
CYCLE_PACKAGES = ("environments", "vtc_constructs")
#: Folders where every module is held to MAX_LINES (or its reason).
SIZE_FOLDERS = ("vtc_constructs", "environments", "tooling")

#: Modules over MAX_LINES without a reason yet, each to be cut by subject (to split: issue 27). The list may only
#: shrink: an entry whose module is back under the limit, has its reason, or no longer exists fails the test, so
#: that whoever splits it removes it here.
TO_SPLIT: dict[str, str] = {}


def _modules(root: Path, packages: tuple[str, ...]) -> dict[str, tuple[Path, bool]]:
    """``{dotted name: (file, is a package's __init__)}`` for every ``.py`` under ``packages``."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, dict[str, list[str]]]:
    """``{module: {module it imports: ["file:line", ...]}}`` among the modules of ``packages`` under ``root``."""
    modules = _modules(root, packages)

    def known(name: str) -> str | None:   # the module itself, or the package that holds the name
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, list[str]]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        edges: dict[str, list[str]] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([node.module] if node.module else []))
                # ``from package import module`` imports the module; ``from module import name`` the module.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in filter(None, map(known, targets)):
                where = f"{path.relative_to(root)}:{node.lineno}"
                if target != name and where not in edges.get(target, ()):
                    edges.setdefault(target, []).append(where)
        graph[name] = edges
    return graph


def import_cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Every set of modules that import each other, directly or round a longer circle (Tarjan's strongly connected
    components of more than one module), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph.get(module, {}):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(cycles)


def why_one_module(source: str) -> str | None:
    """The reason a module's docstring gives for belonging together (``Why one module: ...``), if any."""
    try:
        docstring = ast.get_docstring(ast.parse(source)) or ""
    except SyntaxError:
        return None
    found = WHY.search(docstring)
    reason = " ".join(found.group(1).split()) if found else ""
    return reason if len(reason.split()) >= MIN_REASON_WORDS else None


def oversized(root: Path, folders: tuple[str, ...]) -> dict[str, int]:
    """``{path: lines}`` of every module over :data:`MAX_LINES` lines without a reason in its docstring."""
    found = {}
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            lines = len(source.splitlines())
            if lines > MAX_LINES and why_one_module(source) is None:
                found[path.relative_to(root).as_posix()] = lines
    return found


# --- the repository --------------------------------------------------------------------------------------------------

def test_no_import_circle_in_environments_or_vtc_constructs():
    graph = import_graph(REPO, CYCLE_PACKAGES)
    cycles = import_cycles(graph)
    described = ["; ".join(f"{m} imports {t} ({', '.join(graph[m][t])})" for m in cycle for t in graph[m] if t in cycle)
                 for cycle in cycles]
    assert not cycles, ("modules that import each other: " + " | ".join(described) + ". Fix: move what both need into "
                        "a module that imports neither (as environments/config.py holds the types model.py and "
                        "tiers.py share), or invert the dependency; an import moved into a function still counts")


def test_no_module_over_the_limit_without_its_reason():
    found = {path: lines for path, lines in oversized(REPO, SIZE_FOLDERS).items() if path not in TO_SPLIT}
    assert not found, (f"modules over {MAX_LINES} lines without a reason: {found}. Fix: split the module by subject "
                       "(keeping every public name importable from where it was), or, if it is one subject, add a "
                       "line to its module docstring starting 'Why one module:' that says why it belongs together")


def test_the_to_split_list_only_shrinks():
    still = oversized(REPO, SIZE_FOLDERS)
    stale = sorted(path for path in TO_SPLIT if path not in still)
    assert not stale, (f"{stale} no longer need an exemption (split under {MAX_LINES} lines, given their 'Why one "
                       "module:' reason, or gone): remove them from TO_SPLIT in tests/test_modules.py")


# --- the checks themselves, on made-up packages ----------------------------------------------------------------------

def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("a, b", [
    ("from .b import x\n", "from .a import y\n"),
    ("from .b import x\n", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import Y\n"),
    ("import pkg.b\n", "def f():\n    from pkg import a\n    return a\n"),
    ("from pkg import b\n", "from . import a\n"),
], ids=["relative", "type-checking", "inside-a-function", "from-package-import-module"])
def test_a_circle_is_found_however_it_is_written(tmp_path, a, b):
    root = _package(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": a, "pkg/b.py": b})
    assert import_cycles(import_graph(root, ("pkg",))) == [["pkg.a", "pkg.b"]]


def test_a_longer_circle_is_found_and_a_shared_module_is_no_circle(tmp_path):
    root = _package(tmp_path, {"pkg/__init__.py": "from .a import x\nfrom .b import y\n",
                               "pkg/a.py": "from .types import T\n",
                               "pkg/b.py": "from .types import T\nfrom .a import x\n",
                               "pkg/types.py": "T = 1\n",
                               "other/__init__.py": "", "other/c.py": "from other.d import z\n",
                               "other/d.py": "from other.e import z\n", "other/e.py": "import other.c\n"})
    assert import_cycles(import_graph(root, ("pkg", "other"))) == [["other.c", "other.d", "other.e"]]


def test_a_long_module_needs_a_reason_of_a_sentence(tmp_path):
    body = "x = 1\n" * MAX_LINES
    root = _package(tmp_path, {
        "lib/ok.py": '"""Short."""\n' + "x = 1\n" * (MAX_LINES - 1),
        "lib/long.py": '"""Long."""\n' + body,
        "lib/placeholder.py": '"""Long.\n\nWhy one module: TODO\n"""\n' + body,
        "lib/reasoned.py": '"""Long.\n\nWhy one module: it is one construct, read as its props, resources and\n'
                           'outputs.\n"""\n' + body,
    })
    assert oversized(root, ("lib",)) == {"lib/long.py": MAX_LINES + 1, "lib/placeholder.py": MAX_LINES + 4}


# --- names that moved: still importable where they were ----------------------------------------------------------

#: ``(old module, new module, names)``: every name a split moved, still importable from its old module (code written
#: before the split imports it from there) as the very same object.
MOVED = [
    ("environments.rollout", "environments.rollout_files", ("ENVIRONMENTS", "environment_settings")),
    ("vtc_constructs.edge", "vtc_constructs.waf", (
        "BODY_SIZE_LABEL", "BODY_SIZE_RULE", "DEFAULT_RULE_ACTIONS", "MANAGED_RULE_GROUPS", "MANAGED_RULES",
        "MAX_PATH_PREFIX_BYTES", "MAX_UPLOAD_PATH_PREFIXES", "WAF_LOGGED_ACTIONS", "WAF_REDACTED_HEADERS", "WafProps",
        "WafRuleAction")),
    ("vtc_constructs.search", "vtc_constructs.search_props", (
        "BURSTABLE_PREFIX", "DEDICATED_MASTER_COUNT", "EBS_MIN_GIB", "GP3_IOPS", "GP3_THROUGHPUT_MIBPS", "HTTPS_PORT",
        "INSTANCE_TYPE_GP3_MAX_GIB", "LOG_TYPES", "MAX_INSTANCES", "OPENSEARCH_ENGINE_VERSIONS",
        "OPENSEARCH_STANDARD_SUPPORT_ENDED", "TLS_SECURITY_POLICY", "SearchDomainProps", "SearchNetwork",
        "engine_version_problems", "reader_cidr_problems")),
    ("vtc_constructs.search", "vtc_constructs.search_index", (
        "ISM_MAX_DAYS", "LOG_INDEX_PATTERNS", "TRACE_INDEX_PATTERNS", "WRITER_CLUSTER_PERMISSIONS",
        "WRITER_INDEX_ACTIONS", "ism_policy", "ism_problems", "writer_security_role")),
    ("vtc_constructs.search", "vtc_constructs.search_alarms", ("SearchAlarm", "search_alarms")),
    ("environments.rollout", "environments.rollout_steps", (
        "DEFAULT_MIN_REQUESTS", "DEFAULT_POLL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_REFUSED", "EXIT_ROLLBACK_FAILED",
        "EXIT_ROLLED_BACK", "EXIT_USAGE", "SIGNALS", "Interrupted", "Rollout", "StoppedElsewhere", "Thresholds",
        "UsageError", "Verdict", "other", "weights_for")),
    # The PagerDuty subscriber is the package's since a team that pip-installs it has no environments/.
    ("environments.paging", "vtc_constructs.paging", ("PagingError", "Report", "read_urls", "subscribe")),
    ("vtc_constructs.workloads", "vtc_constructs.colour_names", (
        "DEREGISTRATION_DELAY_SECONDS", "GATEWAY_HEALTH_PATH", "GATEWAY_HEALTH_SERVICE", "GATEWAY_LISTENER",
        "GATEWAY_PORT", "RELEASE_PREFIX", "Colour", "gateway_class", "gateway_name", "gateway_release",
        "gateway_service_name", "release_name")),
    ("vtc_constructs.workloads", "vtc_constructs.service_props", (
        "SEED_REPLICA_RANGES", "SERVICES", "cpu_cores", "memory_bytes", "Resources", "ServiceProps", "Services")),
    ("vtc_constructs.workloads", "vtc_constructs.workload_images", (
        "image_registry", "image_registry_problems", "ImageDigests", "ImageTags", "_DIGEST", "_TAG")),
    ("vtc_constructs.workloads", "vtc_constructs.workload_inputs", (
        "ALERTMANAGER_PAGERDUTY_KEY", "CacheEndpoint", "is_sealed", "role_arn_problems", "SealedSecretProps",
        "SearchEndpoint", "_LABEL", "_REGION", "_cidr_problems", "_sealed_secret_problems")),
    ("vtc_constructs.alarms", "vtc_constructs.alarms_props", (
        "GIB", "MAX_CONNECTIONS_DIVISOR", "AlarmsProps", "AlarmTargets", "AlarmThresholds", "Number",
        "rds_max_connections")),
    ("vtc_constructs.alarms", "vtc_constructs.alarms_dashboard", ("DashboardSeries",)),
    ("vtc_constructs.eks", "vtc_constructs.eks_addons", (
        "ADDON_CONFIGURATION", "ADOT_COLLECTOR_SERVICE_ACCOUNT", "BEFORE_NODES", "CONTAINER_LOG_GROUPS",
        "EBS_KEY_ACTIONS", "EBS_KEY_GRANT_ACTIONS", "FLUENT_BIT_SERVICE_ACCOUNT", "JAEGER_SERVICE_ACCOUNT",
        "SEARCH_ADMIN_SERVICE_ACCOUNT", "TARGET_GROUP_BINDING_TAG", "XRAY_WRITE_ACTIONS")),
    ("vtc_constructs.releases", "vtc_constructs.release_charts", (
        "CHART_REPOSITORIES", "CLUSTER_AUTOSCALER_IMAGES", "CLUSTER_CONFIG_CHART", "DEFAULT_CHART_VERSIONS",
        "GATEWAY_API_CRDS_CHART", "ISTIO_CHARTS", "ISTIO_CHARTS_RELEASED", "ISTIO_VERSION",
        "NGINX_GATEWAY_FABRIC_CRDS_CHART", "SERVICES_CHART", "charts_folder", "default_charts_dir")),
    ("vtc_constructs.releases", "vtc_constructs.release_common", (
        "ADDON_RESOURCES", "CERT_MANAGER_NAMESPACE", "CLUSTER_AUTOSCALER_SERVICE_ACCOUNT",
        "EXTERNAL_SECRETS_NAMESPACE", "ISTIO_NAMESPACE", "KUBE_SYSTEM", "LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT",
        "RESTRICTED_CONTAINER", "SEALED_SECRETS_CONTROLLER", "SEARCH_SETUP_RESOURCES", "_IRSA", "_resources")),
    ("vtc_constructs.releases", "vtc_constructs.release_gateway", (
        "NGINX_PRESTOP_SECONDS", "_gateway_extras", "control_plane_certificates", "control_plane_secret",
        "gateway_values")),
    ("vtc_constructs.releases", "vtc_constructs.release_helm", (
        "_DROPPED", "_HELM_REGION", "eks_helm_provider", "split_references")),
    ("vtc_constructs.releases", "vtc_constructs.release_mesh", (
        "_ISTIO_COMMON", "cert_manager_values", "istio_values")),
    ("vtc_constructs.releases", "vtc_constructs.release_monitoring", (
        "ADOT_COLLECTOR_COMPONENTS", "ADOT_COLLECTOR_IMAGE", "ALERTMANAGER_RECEIVERS", "ALERTMANAGER_SECRETS_DIR",
        "ALERTMANAGER_STORAGE_GIB", "CLOUDWATCH_DATASOURCE_UID", "COLLECTOR_DROPPED_SPANS_METRICS",
        "COLLECTOR_METRICS_PORT", "ENCRYPTED_STORAGE_CLASS", "GRAFANA_ADMIN_SECRET_SUFFIX", "alertmanager_config",
        "collector_alert_rules", "grafana_cloudwatch_datasource")),
    ("vtc_constructs.releases", "vtc_constructs.release_search", (
        "JAEGER_HEALTH_PORT", "JAEGER_IMAGE", "JAEGER_OTLP_GRPC_PORT", "JAEGER_QUERY_PORT", "JAEGER_RELEASE",
        "LOG_INDEX_PREFIXES", "LOG_WRITER_ROLE", "SEARCH_LOG_POLICY", "SEARCH_SETUP_CHART", "SEARCH_SETUP_IMAGE",
        "SEARCH_SETUP_RELEASE", "SEARCH_TRACE_POLICY", "TRACE_WRITER_ROLE", "fluent_bit_opensearch_output",
        "jaeger_config", "jaeger_values", "search_endpoint", "search_setup_values")),
]


@pytest.mark.parametrize("old, new, names", MOVED, ids=[f"{old}-{new}" for old, new, _ in MOVED])
def test_a_moved_name_is_still_importable_from_its_old_module(old, new, names):
    import importlib

    before, after = importlib.import_module(old), importlib.import_module(new)
    missing = [name for name in names if getattr(before, name, None) is not getattr(after, name)]
    assert not missing, f"{old} no longer re-exports {missing} from {new}: add them back to its imports"


def command_descriptions(root: Path, folders: Sequence[str]) -> dict[str, str]:
    """``{module path: description}`` of every ``description=`` given to an argument parser (a call of ``*Parser`` or
    ``add_parser``) in ``folders``, evaluated
    with ``__doc__`` bound to the module's docstring (read with :mod:`ast`; nothing is imported)."""
    found = {}
    for folder in folders:
        for path in sorted((root / folder).glob("*.py")):
            source = path.read_text(encoding="utf-8")
            if "Parser(" not in source and "add_parser(" not in source:
                continue  # (no parser made here: not parsed, the test stays cheap)
            tree = ast.parse(source)
            doc = ast.get_docstring(tree, clean=False)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                called = getattr(node.func, "attr", getattr(node.func, "id", ""))
                for keyword in node.keywords if called.endswith(("Parser", "add_parser")) else []:
                    if keyword.arg == "description":
                        text = eval(compile(ast.Expression(keyword.value), str(path), "eval"),  # noqa: S307 - own code
                                    {"__builtins__": {}, "__doc__": doc})
                        found[f"{path.relative_to(root).as_posix()}:{node.lineno}"] = " ".join(text.split())
    return found


def test_every_commands_description_is_whole_sentences():
    # A description cut at the docstring's first line ended mid-sentence ("...rendered from the environment files so
    # that"): each command's --help opens with whole sentences (the docstring's first paragraph, or its own text).
    descriptions = command_descriptions(REPO, SIZE_FOLDERS)
    assert len(descriptions) >= 8, descriptions  # (rollout, smoke, paging x2, diff report, bootstrap, emulator, ...)
    cut = {where: text[-60:] for where, text in descriptions.items() if not text.endswith((".", ".)"))}
    assert not cut, f"descriptions that end mid-sentence: {cut}; give the docstring's first paragraph " \
                    "(__doc__.split('\\n\\n')[0]) or a sentence of its own"


def test_a_description_cut_at_the_first_line_is_found(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "cmd.py").write_text('"""Does a thing to the files so\nthat they are right."""\n'
                                             'import argparse\n'
                                             'argparse.ArgumentParser(description=__doc__.splitlines()[0])\n')
    assert command_descriptions(tmp_path, ("pkg",)) == {"pkg/cmd.py:4": "Does a thing to the files so"}
