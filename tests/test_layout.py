"""The package layout: an installable library that never shadows the `constructs` library cdktf imports."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import constructs

import vtc_constructs
from tooling.paths import REPO, tool_env


def test_constructs_is_the_library_not_a_folder_of_this_repo():
    assert Path(constructs.__file__).resolve().is_relative_to(Path(sys.prefix).resolve())
    assert "site-packages" in Path(constructs.__file__).parts
    assert not (REPO / "constructs" / "__init__.py").exists()


def test_package_exports_only_public_names():
    assert all(not name.startswith("_") for name in vtc_constructs.__all__)
    for name in ("Network", "NetworkProps", "NatStrategy", "ConfigError"):
        assert name in vtc_constructs.__all__


def test_the_wheel_ships_the_library_alone_and_works_outside_the_repo(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "dist"), str(REPO)], check=True, env=tool_env(), timeout=300,
                   capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("vtc_infra-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        top = {name.split("/")[0] for name in names}
        archive.extractall(tmp_path / "site")
    assert top == {"vtc_constructs", "vtc_infra-0.1.0.dist-info"}
    metadata = (tmp_path / "site" / "vtc_infra-0.1.0.dist-info" / "METADATA").read_text()
    for pin in ("cdktf==0.21.0", "cdktf-cdktf-provider-aws==20.1.0", "constructs==10.8.1"):
        assert f"Requires-Dist: {pin}" in metadata

    # Another project's stack, in another folder, importing the installed package.
    program = (
        "import json, vtc_constructs\n"
        "from cdktf import App, TerraformStack\n"
        "from cdktf_cdktf_provider_aws.provider import AwsProvider\n"
        "from vtc_constructs import Network, NetworkProps\n"
        "app = App(outdir='out')\n"
        "stack = TerraformStack(app, 'theirs')\n"
        "AwsProvider(stack, 'aws', region='us-east-1')\n"
        "Network(stack, 'net', NetworkProps(name='their-net', vpc_cidr='10.50.0.0/16',\n"
        "        availability_zones=('us-east-1a', 'us-east-1b')))\n"
        "app.synth()\n"
        "print(vtc_constructs.__file__)\n"
    )
    work = tmp_path / "their-project"
    work.mkdir()
    result = subprocess.run([sys.executable, "-c", program], cwd=work, capture_output=True, text=True, timeout=300,
                            env=tool_env(PYTHONPATH=str(tmp_path / "site")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(tmp_path / "site"))
    import json

    synthesized = json.loads((work / "out" / "stacks" / "theirs" / "cdk.tf.json").read_text())
    assert len(synthesized["resource"]["aws_subnet"]) == 6
