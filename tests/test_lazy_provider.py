"""The fast path (vtc_constructs/_fastpath): same output as plain imports, whatever the import order; one warning
and the plain behaviour when it cannot work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
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


def test_output_is_byte_identical_with_plain_eager_imports(tmp_path, synth_dir):
    out = tmp_path / "eager"
    result = subprocess.run([sys.executable, "main.py", "--outdir", str(out)], cwd=REPO, capture_output=True,
                            text=True, timeout=300, env=tool_env(VTC_EAGER_PROVIDER="1"))
    assert result.returncode == 0, result.stderr
    assert "FastPathWarning" not in result.stderr  # the escape hatch is silent
    assert synth_output(out) == tree_digest(synth_dir)


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


def _order(tmp_path, first: str, **env: str) -> tuple[str, int, int, list[str]]:
    """Import ``first``, then vtc_constructs, synthesize a network: (state, provider modules, Node MiB, warnings)."""
    result = subprocess.run([sys.executable, "-c", ORDER.format(first=first), str(tmp_path / first.split()[-1])],
                            capture_output=True, text=True, cwd=REPO, timeout=300, env=tool_env(**env))
    assert result.returncode == 0, result.stderr
    state, modules, node_mib, warned = result.stdout.strip().split(" ", 3)
    return state, int(modules), int(node_mib), eval(warned)  # noqa: S307 (our own repr of a list of strings)


def test_the_fast_path_does_not_depend_on_importing_cdktf_or_constructs_first(tmp_path):
    """cdktf (and so jsii's Node process) may start first; only the provider itself must come after."""
    results = {first: _order(tmp_path, first) for first in ("pass", "import cdktf", "import constructs")}
    plain = _order(tmp_path, "import cdktf_cdktf_provider_aws.vpc")
    print({**results, "provider first": plain})
    # Provider first: loaded in full on both sides, and one warning that says what to do.
    assert plain[0] == "lost" and plain[1] > 2000
    assert len(plain[3]) == 1 and "imported before vtc_constructs" in plain[3][0]
    assert "import vtc_constructs before cdktf_cdktf_provider_aws" in plain[3][0]
    for first, (state, modules, node_mib, warned) in results.items():
        assert (state, warned) == ("lazy", []), first
        assert modules < plain[1] / 10, first  # the submodules the constructs use (tens), not the whole provider
        assert node_mib < plain[2] / 2, (first, node_mib, plain[2])  # jsii's Node process did not load it all


REFUSED = """
import importlib.util, sys, warnings
spec = importlib.util.find_spec("vtc_constructs")   # the package without running its __init__ (which installs)
sys.modules["vtc_constructs"] = importlib.util.module_from_spec(spec)
from vtc_constructs import _fastpath
def refuse():
    raise RuntimeError("kernel says no")
_fastpath.node.load_hook = refuse
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(_fastpath.install(), _fastpath.install())
import cdktf_cdktf_provider_aws as provider
print(len(caught), caught[0].category.__name__, caught[0].message)
print(hasattr(provider, "__lazy_submodules__"), sum(m.startswith("cdktf_cdktf_provider_aws.") for m in sys.modules))
"""


def test_when_jsii_refuses_the_hook_it_warns_once_and_loads_the_provider_the_plain_way():
    result = subprocess.run([sys.executable, "-c", REFUSED], capture_output=True, text=True, cwd=REPO, timeout=300,
                            env=tool_env())
    assert result.returncode == 0, result.stderr
    states, warning, loaded = result.stdout.strip().splitlines()
    assert states == "lost lost"
    assert warning.startswith("1 FastPathWarning vtc_constructs fast path is off: jsii's kernel did not load the "
                              "lazy-provider hook (RuntimeError: kernel says no)")
    assert loaded.split()[0] == "False" and int(loaded.split()[1]) > 2000


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
