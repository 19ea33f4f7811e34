"""The fast path (vtc_constructs/_fastpath): same output as plain imports, whatever the import order; one warning
and the plain behaviour when it cannot work. Nothing here imports the whole provider in Python (2,100 modules to
compile on a fresh checkout); benchmarks/synth.py does, and fails when that output differs from the fast path's."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import cdktf_cdktf_provider_aws as provider
from tests.test_main import synth_output, tree_digest
from tooling.paths import REPO, tool_env
from vtc_constructs import _fastpath
from vtc_constructs._fastpath import node
from vtc_constructs._fastpath.provider import LazyProviderError, jsii_namespace, namespace_map, split_init

NODE_HOOK = node.HOOK

UNUSED = "workspacesweb_browser_settings"  # a submodule no construct of this library touches


def test_the_provider_was_loaded_lazily_in_this_process():
    assert getattr(provider, "__lazy_submodules__", None), "vtc_constructs did not install the lazy loader"
    assert len(provider.__lazy_submodules__) > 2000
    assert f"{provider.__name__}.{UNUSED}" not in sys.modules


def test_submodules_stay_reachable_as_attributes():
    module = provider.vpc
    assert module.Vpc.__jsii_type__ == "@cdktf/provider-aws.vpc.Vpc"
    with pytest.raises(AttributeError, match="no attribute 'not_a_resource'"):
        provider.not_a_resource  # noqa: B018


def test_jsii_imports_an_unloaded_submodule_when_it_meets_one_of_its_types():
    from jsii import _reference_map

    fqn = "@cdktf/provider-aws.xraySamplingRule.XraySamplingRule"
    assert f"{provider.__name__}.xray_sampling_rule" not in sys.modules
    assert _reference_map._try_import_type_module(fqn)
    assert fqn in _reference_map._types


def test_every_submodule_maps_to_the_jsii_namespace_its_types_declare():
    root = Path(provider.__file__).parent
    mismatched = []
    for name in sorted(provider.__lazy_submodules__):
        declared = re.search(r'jsii_type="@cdktf/provider-aws\.([A-Za-z0-9]+)\.', (root / name / "__init__.py").read_text())
        if declared is None or declared.group(1) != jsii_namespace(name):
            mismatched.append((name, declared and declared.group(1)))
    assert mismatched == []


def test_install_is_idempotent():
    assert _fastpath.install() == "lazy"
    assert _fastpath.state == "lazy"


def test_nothing_outside_the_provider_is_replaced():
    import typing

    import typeguard

    assert typing.get_type_hints.__code__.co_filename == typing.__file__
    assert typeguard.check_type.__module__.startswith("typeguard")
    assert not hasattr(typeguard.check_type, "__wrapped__")
    assert "JSII_RUNTIME" not in os.environ and "lazy" not in os.environ.get("NODE_OPTIONS", "")


def test_the_namespace_map_names_every_submodule():
    mapping = namespace_map(provider.__lazy_submodules__)
    assert mapping["@cdktf/provider-aws.xraySamplingRule"] == "cdktf_cdktf_provider_aws.xray_sampling_rule"
    assert len(mapping) == len(provider.__lazy_submodules__)


def test_output_is_byte_identical_when_jsii_loads_the_provider_in_full(node_full, synth_dir):
    # jsii's Node process loads the provider's full index (what it does without the hook), Python loads lazily: main.py
    # writes every stack byte for byte as the fast path does. (With the provider also imported in full in Python, the
    # same comparison is made by benchmarks/synth.py, which fails when the outputs differ: compiling that import's
    # 2,100 modules costs a fresh checkout about 30 CPU-seconds, a sixth of the test command's budget.)
    assert node_full.state == "lazy" and node_full.warnings == []
    staging = ("stacks/staging/", "stacks/staging-workloads/")
    written = {name: digest for name, digest in synth_output(node_full.outdir).items() if name.startswith("stacks/")}
    expected = {name: digest for name, digest in tree_digest(synth_dir).items() if name.startswith(staging)}
    assert written == expected  # (the manifest names one environment's stacks here, both in synth_dir)


def test_production_uses_no_resource_type_staging_does_not(synth_dir):
    # What lets the comparison above synthesize staging alone: the provider submodules jsii loads are decided by the
    # resource and data source types, and production has none that staging lacks.
    def kinds(stack: str) -> set[str]:
        config = json.loads((synth_dir / "stacks" / stack / "cdk.tf.json").read_text())
        return {f"{block}.{kind}" for block in ("resource", "data") for kind in config.get(block, {})}

    assert kinds("production") <= kinds("staging")
    assert kinds("production-workloads") <= kinds("staging-workloads")


# --- loud failure on an unexpected package shape ---------------------------------------------------------------------

SOURCE = Path(provider.__file__).read_text()


def test_split_init_on_the_real_package():
    head, submodules = split_init(SOURCE)
    assert "from . import" not in head.split("__all__")[-1]
    assert "vpc" in submodules and len(submodules) == len(provider.__lazy_submodules__)


def test_missing_marker_fails_loudly():
    with pytest.raises(LazyProviderError, match="marker .* is missing or repeated"):
        split_init(SOURCE.replace("# Loading modules to ensure", "# Loading"))


def test_unexpected_code_after_the_marker_fails_loudly():
    with pytest.raises(LazyProviderError, match=r"unexpected line after the marker: 'print\(1\)'"):
        split_init(SOURCE + "print(1)\n")


def test_import_of_a_name_missing_from_all_fails_loudly():
    with pytest.raises(LazyProviderError, match="not in __all__: \\['brand_new'\\]"):
        split_init(SOURCE + "from . import brand_new\n")


# --- import order, in fresh processes -----------------------------------------------------------------------------------

ORDER = """
import os, sys, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    {first}
    import vtc_constructs
from vtc_constructs import FastPathWarning, _fastpath
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "order")
AwsProvider(stack, "aws", region="eu-west-1")
vtc_constructs.Network(stack, "net", vtc_constructs.NetworkProps(name="order", vpc_cidr="10.60.0.0/16",
                       availability_zones=("eu-west-1a", "eu-west-1b")))
app.synth()

def rss_kib(pid):
    total = next(int(line.split()[1]) for line in open(f"/proc/{{pid}}/status") if line.startswith("VmRSS:"))
    for task in os.listdir(f"/proc/{{pid}}/task"):
        total += sum(rss_kib(int(c)) for c in open(f"/proc/{{pid}}/task/{{task}}/children").read().split())
    return total

me = os.getpid()
print(_fastpath.state, sum(m.startswith("cdktf_cdktf_provider_aws.") for m in sys.modules),
      (rss_kib(me) - next(int(l.split()[1]) for l in open(f"/proc/{{me}}/status") if l.startswith("VmRSS:"))) // 1024,
      [str(w.message) for w in caught if issubclass(w.category, FastPathWarning)])
"""


#: Before ``import vtc_constructs``: its package without running its ``__init__`` (which installs the fast path), the
#: Node-side hook replaced by nothing, then the package's ``__init__``: Python loads the provider lazily, jsii's Node
#: process requires the provider's full index, as it does without the hook.
NODE_FULL = """import importlib.util
spec = importlib.util.find_spec("vtc_constructs")
sys.modules["vtc_constructs"] = package = importlib.util.module_from_spec(spec)
from vtc_constructs._fastpath import node
node.load_hook = lambda: None
spec.loader.exec_module(package)"""


def _order(folder: Path, first: str, *then: str) -> tuple[str, int, int, list[str]]:
    """Run ``first``, then import vtc_constructs, synthesize a network: (state, provider modules, Node MiB, warnings).
    ``then``: arguments for main.py, run next in the same process (its output folder must be new)."""
    script = ORDER.format(first=first.replace("\n", "\n    ")) + (
        "import main\nsys.stdout.flush()\nraise SystemExit(main.main(sys.argv[2:]))\n" if then else "")
    result = subprocess.run([sys.executable, "-c", script, str(folder / "order"), *then],
                            capture_output=True, text=True, cwd=REPO, timeout=600, env=tool_env())
    assert result.returncode == 0, result.stderr
    state, modules, node_mib, warned = result.stdout.strip().splitlines()[0].split(" ", 3)
    return state, int(modules), int(node_mib), eval(warned)  # noqa: S307 (our own repr of a list of strings)


@dataclass(frozen=True)
class Ran:
    """What one process reported after synthesizing the network of ORDER, and where main.py wrote after it."""

    state: str
    modules: int
    node_mib: int
    warnings: list[str]
    outdir: Path


@pytest.fixture(scope="module")
def node_full(tmp_path_factory) -> Ran:
    """The only process of this module whose jsii Node process loads the provider in full (see NODE_FULL)."""
    root = tmp_path_factory.mktemp("node-full")
    outdir = root / "cdktf.out"
    # Staging only: production's stacks use exactly staging's resource and data source types (so the same provider
    # submodules, which is what the Node-side load decides); a second environment would cost ~3 CPU-seconds more.
    return Ran(*_order(root, NODE_FULL, "--outdir", str(outdir), "--workers", "1", "--only", "staging"),
               outdir=outdir)


def test_the_fast_path_does_not_depend_on_importing_cdktf_or_constructs_first(tmp_path, node_full):
    """cdktf (and so jsii's Node process) may start first; only the provider itself must come after."""
    results = {}
    for first in ("pass", "import cdktf", "import constructs"):
        (tmp_path / first).mkdir()
        results[first] = _order(tmp_path / first, first)
    print({**results, "node loads the provider in full": node_full})
    for first, (state, modules, node_mib, warned) in results.items():
        assert (state, warned) == ("lazy", []), first
        # The submodules the constructs use (tens), not the whole provider (over 2,000).
        assert modules < len(provider.__lazy_submodules__) / 10, first
        assert node_mib < node_full.node_mib / 2, (first, node_mib, node_full.node_mib)  # Node did not load it all


def test_the_provider_imported_first_turns_the_fast_path_off_with_one_warning_that_says_what_to_do():
    # Checked up to where the fast path leaves the provider to Python (as DECIDE below does): the package object is
    # what install() finds in sys.modules. (Importing the real one loads and compiles all of it; benchmarks/synth.py
    # compares that load's output with the fast path's.)
    seen = _decide("real_hook()", before="sys.modules['cdktf_cdktf_provider_aws'] = type(sys)('stand-in')")
    assert seen["states"] == ["lost", "lost"] and seen["calls"] == []
    (warning,) = seen["warnings"]
    assert warning.startswith("FastPathWarning vtc_constructs fast path is off: cdktf_cdktf_provider_aws was imported "
                              "before vtc_constructs, so it was loaded in full")
    assert "import vtc_constructs before cdktf_cdktf_provider_aws" in warning


# The other ways to the plain behaviour, each in a fresh process: the package without running its __init__ (which
# installs), then install() twice, watched: whether it loaded the provider or the hook, and what it warned. Either way
# install() leaves the provider to Python's own import (the full load benchmarks/synth.py compares), so nothing is
# imported.
DECIDE = """
import importlib.util, json, sys, warnings
{before}
spec = importlib.util.find_spec("vtc_constructs")
sys.modules["vtc_constructs"] = importlib.util.module_from_spec(spec)
from vtc_constructs import _fastpath
calls = []
real_load_lazily, real_hook = _fastpath.provider.load_lazily, _fastpath.node.load_hook
def load_lazily():
    calls.append("load_lazily")
    return real_load_lazily()
_fastpath.provider.load_lazily = load_lazily
def load_hook():
    calls.append("load_hook")
    {hook}
_fastpath.node.load_hook = load_hook
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    states = [_fastpath.install(), _fastpath.install()]
print(json.dumps({{"states": states, "calls": calls, "warnings": [f"{{w.category.__name__}} {{w.message}}" for w in caught],
                  "provider modules": sum(m.startswith("cdktf_cdktf_provider_aws") for m in sys.modules)}}))
"""


def _decide(hook: str, before: str = "", **env: str) -> dict:
    result = subprocess.run([sys.executable, "-c", DECIDE.format(hook=hook, before=before)], capture_output=True,
                            text=True, cwd=REPO, timeout=120, env=tool_env(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_when_jsii_refuses_the_hook_it_warns_once_and_leaves_the_provider_to_plain_imports():
    seen = _decide('raise RuntimeError("kernel says no")')
    assert seen["states"] == ["lost", "lost"]
    assert seen["calls"] == ["load_hook"]  # asked once; the provider was not loaded lazily
    (warning,) = seen["warnings"]
    assert warning.startswith("FastPathWarning vtc_constructs fast path is off: jsii's kernel did not load the "
                              "lazy-provider hook (RuntimeError: kernel says no)")
    assert seen["provider modules"] == 0  # left to Python's own import: the full load


def test_vtc_eager_provider_chooses_plain_imports_silently():
    seen = _decide("real_hook()", VTC_EAGER_PROVIDER="1")
    assert seen == {"states": ["plain", "plain"], "calls": [], "warnings": [], "provider modules": 0}


def test_the_watched_process_loads_lazily_when_nothing_stands_in_the_way():
    # The same watched process, left alone: the hook is loaded, then the provider lazily (its package and jsii
    # assembly module, no submodule), so the two tests above can fail.
    seen = _decide("real_hook()")
    assert {k: v for k, v in seen.items() if k != "provider modules"} == {
        "states": ["lazy", "lazy"], "calls": ["load_hook", "load_lazily"], "warnings": []}
    assert 0 < seen["provider modules"] < 10


# --- the Node side: jsii's kernel requires the provider's lazy index ----------------------------------------------------

def test_the_hook_package_is_deterministic_and_carries_the_hook():
    assert node.tarball_bytes() == node.tarball_bytes()
    files = node.package_files()
    assert files["package/index.js"] == NODE_HOOK.read_bytes()
    assert set(files) == {"package/index.js", "package/package.json", "package/.jsii"}


def _fake_package(root: Path, with_lazy_index: bool) -> Path:
    package = root / "node_modules" / "@cdktf" / "provider-aws"
    (package / "lib").mkdir(parents=True)
    (package / "package.json").write_text('{"name": "@cdktf/provider-aws", "main": "lib/index.js"}')
    (package / "lib" / "index.js").write_text('exports.loaded = "eager index";\n')
    if with_lazy_index:
        (package / "lib" / "lazy-index.js").write_text('exports.loaded = "lazy index";\n')
    (root / "node_modules" / "other").mkdir()
    (root / "node_modules" / "other" / "index.js").write_text('exports.loaded = "other";\n')
    return root


@pytest.mark.parametrize("with_lazy_index, expected", [(True, "lazy index other"), (False, "eager index other")])
def test_the_hook_redirects_only_the_provider_and_only_to_an_existing_lazy_index(tmp_path, with_lazy_index,
                                                                                 expected):
    root = _fake_package(tmp_path, with_lazy_index)
    script = "console.log(require('@cdktf/provider-aws').loaded, require('other').loaded)"
    result = subprocess.run(["node", "--require", str(NODE_HOOK), "-e", script], cwd=root, capture_output=True,
                            text=True, env=tool_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_the_lazy_index_exports_exactly_what_the_eager_index_exports():
    tarball = Path(provider.__file__).parent / "_jsii" / "provider-aws@20.1.0.jsii.tgz"
    wanted = {"package/lib/index.js", "package/lib/lazy-index.js"}
    sources = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            if member.name in wanted:
                sources[member.name] = archive.extractfile(member).read().decode()
                if len(sources) == len(wanted):
                    break
    eager = set(re.findall(r"^exports\.([A-Za-z0-9_]+) = require\(", sources["package/lib/index.js"], re.M))
    lazy = set(re.findall(r"^Object\.defineProperty\(exports, '([A-Za-z0-9_]+)', \{ get: function \(\) \{ return "
                          r"require\(", sources["package/lib/lazy-index.js"], re.M))
    assert len(eager) > 2000
    assert lazy == eager
