"""The lazy provider loader: same output as plain imports, loud failure on an unexpected provider package."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import cdktf_cdktf_provider_aws as provider
from tests.test_main import tree_digest
from tooling.paths import REPO, tool_env
from vtc_constructs import _lazy_provider
from vtc_constructs._lazy_provider import NODE_HOOK, LazyProviderError, jsii_namespace, split_init

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
    assert _lazy_provider.install() == "already"


def test_output_is_byte_identical_with_plain_eager_imports(tmp_path, synth_dir):
    out = tmp_path / "eager"
    result = subprocess.run([sys.executable, "main.py", "--outdir", str(out)], cwd=REPO, capture_output=True,
                            text=True, timeout=300, env=tool_env(VTC_EAGER_PROVIDER="1"))
    assert result.returncode == 0, result.stderr
    assert tree_digest(out) == tree_digest(synth_dir)


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


def test_a_fresh_process_loads_few_submodules_and_the_escape_hatch_loads_them_all():
    code = ("import sys, vtc_constructs; "
            "print(sum(m.startswith('cdktf_cdktf_provider_aws.') for m in sys.modules))")
    lazy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=tool_env(), cwd=REPO,
                          timeout=300)
    eager = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300,
                           env=tool_env(VTC_EAGER_PROVIDER="1"))
    assert int(eager.stdout) > 2000, eager.stderr
    # Only the submodules the constructs import (tens, growing with the library), not the whole provider.
    assert int(lazy.stdout) < int(eager.stdout) / 10, lazy.stderr


# --- the Node side: jsii's kernel requires the provider's lazy index ----------------------------------------------------

# (That this session's jsii Node process runs with the hook: tests/test_direct_runtime.py.)


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


def _cdktf_stack_trace_module(root: Path) -> Path:
    """cdktf's own stack-trace.js (from the cdktf wheel's jsii tarball), laid out as node_modules/cdktf/..."""
    import cdktf

    tarball = next((Path(cdktf.__file__).parent / "_jsii").glob("cdktf@*.jsii.tgz"))
    with tarfile.open(tarball, "r:gz") as archive:
        source = archive.extractfile("package/lib/tokens/private/stack-trace.js").read()
    target = root / "node_modules" / "cdktf" / "lib" / "tokens" / "private" / "stack-trace.js"
    target.parent.mkdir(parents=True)
    target.write_bytes(source)
    (root / "node_modules" / "cdktf" / "package.json").write_text('{"name": "cdktf", "main": "lib/index.js"}')
    return root


@pytest.mark.parametrize("hooked", [True, False])
def test_the_hook_stops_cdktf_recording_token_creation_stacks(tmp_path, hooked):
    root = _cdktf_stack_trace_module(tmp_path)
    script = ("const s = require('cdktf/lib/tokens/private/stack-trace.js').captureStackTrace(); "
              "console.log(JSON.stringify(s))")
    command = ["node", *(["--require", str(NODE_HOOK)] if hooked else []), "-e", script]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, env=tool_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    stack = json.loads(result.stdout)
    if hooked:
        assert len(stack) == 1 and stack[0].startswith("(creation stack not recorded")
    else:
        assert len(stack) > 1 and any("[eval]" in frame for frame in stack)  # the real thing, frames and all
