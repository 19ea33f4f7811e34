"""Shared fixtures. The jsii runtime is the expensive part, so every environment is synthesized once per session (once
per xdist worker: ``scripts/test.sh`` runs the suite in several processes, see :func:`pytest_collection_modifyitems`).
"""

from __future__ import annotations

import atexit
import base64
import concurrent.futures
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import dataclasses
from dataclasses import dataclass
from pathlib import Path


def _session_temp_folder() -> None:
    """Everything a test run writes to the temp folder (cdktf's ``cdktf.outdir.*`` of ``Testing.app()``, the
    bootstrap's ``vtc-infra-assets/`` zip cache, pytest's own tmp_path folders, what jsii, Node and the tools started
    by the tests leave) goes into one folder of this session, removed when the process that made it exits. Set here,
    before anything imports jsii (whose Node process reads TMPDIR when it starts). xdist workers inherit the
    controller's folder (the variable below), and leave its removal to the controller, which exits last."""
    inherited = os.environ.get("VTC_TEST_TMPDIR")
    if inherited and Path(inherited).is_dir():
        folder = inherited
    else:
        folder = tempfile.mkdtemp(prefix="vtc-tests-")
        os.chmod(folder, 0o755)  # tooling/postgres.py's server runs as another user and keeps its folder in here
        os.environ["VTC_TEST_TMPDIR"] = folder
        # Registered before jsii's own exit handler (jsii is imported below), so it runs after it: the kernel has
        # stopped when its folder goes.
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ["TMPDIR"] = folder
    tempfile.tempdir = folder


_session_temp_folder()

import pytest  # noqa: E402

import vtc_constructs  # noqa: E402,F401  (installs the lazy provider loader before anything imports the provider)
from environments.model import load_environments  # noqa: E402
from tooling.paths import VENV_BIN  # noqa: E402

# jsii starts `node` from PATH: the venv's Node 22 (see requirements/dev.txt), not the machine's end-of-life Node 20.
os.environ["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

ENVIRONMENT_NAMES = ("production", "staging")
#: Each environment's workloads stack (the Helm releases onto its cluster), ``<name>-workloads``.
WORKLOADS_STACK_NAMES = tuple(f"{name}-workloads" for name in ENVIRONMENT_NAMES)
DEPLOYED = "staging"
#: The xdist group of every test that needs the emulator deploy: one worker deploys once and runs them all.
DEPLOY_GROUP = "deploy"


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    """Schedule for ``pytest -n N --dist loadgroup`` (scripts/test.sh), for tests written now or later:

    - every test marked ``deploy`` or using the ``deployed`` fixture joins one group, so that one worker deploys once
      and runs them all; the group is collected first, so that its worker starts the deploy (minutes, mostly spent
      waiting on the emulator) at once while the other workers run everything else beside it;
    - a test that uses a module- or class-scoped fixture (a checkov scan, a terraform run) is grouped with its
      module, so that the fixture is built once, not once per worker;
    - every other test is scheduled on its own, to whichever worker is free;
    - the groups go out before the tests scheduled on their own (each keeps its collection order): a group is a unit
      no second worker can help with (the rollout's emulator, ~20 s; the scans, ~35 s), so one handed out last keeps
      one worker busy while the others have nothing left (measured: the rollout's group last, 6 s of one idle core at
      the run's end). The small tests then fill whatever gaps are left.

    Without xdist the groups decide nothing, but the order is the same (the deploy's tests, the groups, the rest),
    which changes no result.
    """
    deploy, rest = [], []
    for item in items:
        if item.get_closest_marker("deploy") or "deployed" in getattr(item, "fixturenames", ()):
            if not item.get_closest_marker("deploy"):
                item.add_marker(pytest.mark.deploy)
            item.add_marker(pytest.mark.xdist_group(DEPLOY_GROUP))
            deploy.append(item)
            continue
        if not item.get_closest_marker("xdist_group") and _uses_a_shared_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
        rest.append(item)
    rest.sort(key=lambda item: not item.get_closest_marker("xdist_group"))  # (stable: groups first, then the rest)
    items[:] = deploy + rest


def _uses_a_shared_fixture(item) -> bool:
    """Whether the test needs a fixture shared by its module or class (built once per process that runs them)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(defs and defs[-1].scope in ("package", "module", "class")
               for defs in (info.name2fixturedefs.get(name) for name in info.names_closure))


_LOWERED = []


#: Test modules that run what setup installs last (checkov's environment, the cdktf CLI's node_modules): when
#: scripts/test.sh starts the tests before setup has ended, they wait for it (``VTC_SETUP_DONE``).
NEEDS_ALL_OF_SETUP = frozenset({"test_chart", "test_cluster_config_chart", "test_policy", "test_workflows", "test_cli",
                                "test_provider_lock"})


def _wait_for_setup(marker: str | None, what: str, timeout: float = 900) -> None:
    """Wait for the file scripts/setup.sh's run creates once ``what`` is installed (nothing to wait for without one);
    setup's failure ends this process (scripts/test.sh)."""
    deadline = time.monotonic() + timeout
    while marker and not Path(marker).exists():
        if time.monotonic() > deadline:
            pytest.fail(f"scripts/setup.sh did not install {what} within {timeout:.0f} s ({marker} missing)")
        time.sleep(0.2)


def pytest_runtest_setup(item):
    """Under ``--dist loadgroup``, a worker lowers its own CPU priority (nice 10, its child processes too) before
    its first test outside the deploy group: the deploy (synth, plan, re-plan, rollout steps) is the suite's critical
    path, while every other layer has minutes of slack beside it on two cores. A test of :data:`NEEDS_ALL_OF_SETUP`
    first waits for setup to have ended."""
    if (not _LOWERED and hasattr(item.config, "workerinput") and getattr(item.config.option, "loadgroup", False)
            and not item.get_closest_marker("deploy")):
        os.nice(10)
        _LOWERED.append(True)
    if item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in NEEDS_ALL_OF_SETUP:
        _wait_for_setup(os.environ.get("VTC_SETUP_DONE"), "checkov and the cdktf CLI")


def pytest_collection_finish(session):
    """Tell scripts/test.sh that this run has collected (``VTC_DEPLOY_COLLECTED``, the deploy's run only): every test
    module is imported, its bytecode written, and the other run may start without compiling the same modules at once."""
    marker = os.environ.get("VTC_DEPLOY_COLLECTED")
    if marker:
        Path(marker).touch()


def pytest_configure(config):
    if hasattr(config, "workerinput") and getattr(config.option, "loadgroup", False):
        config.pluginmanager.register(_GroupSuffix(), "vtc-xdist-group-suffix")


class _GroupSuffix:
    """What ``--dist loadgroup`` relies on, where pytest-xdist cannot do it: xdist 3.8.0 marks a test's group by
    appending ``@<group>`` to ``item._nodeid``, which pytest 9.2 no longer reads (a node's id is ``item._id``), so
    every test would be scheduled on its own and each worker would deploy. After xdist's own hook, a test whose id
    still lacks its group suffix gets it here; once xdist does it itself, this does nothing."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        try:
            from _pytest.nodeid import NodeId  # pytest >= 9.2
        except ImportError:  # older pytest: xdist's own suffix works there
            return
        for item in items:
            groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                             for m in item.iter_markers("xdist_group")})
            if groups and not item.nodeid.endswith("@" + "_".join(groups)):
                item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


@pytest.fixture(scope="session")
def environments():
    return {env.name: env for env in load_environments()}


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory, environments) -> Path:
    """Every environment synthesized once, the way main.py does it. Read only: a test that changes a stack copies it.

    ``VTC_TEST_SYNTH=DIR`` (scripts/test.sh sets it for its two pytest runs and removes DIR at the end): one synth
    for every process of the run, in DIR; whichever process needs it first makes it while the others wait (a lock
    file), and every later one reads it."""
    from environments.synth import synthesize

    shared = os.environ.get("VTC_TEST_SYNTH")
    if not shared:
        return synthesize(list(environments.values()), tmp_path_factory.mktemp("synth") / "cdktf.out")
    folder = Path(shared)
    folder.mkdir(parents=True, exist_ok=True)
    out, done = folder / "cdktf.out", folder / "complete"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
        if not done.exists():
            synthesize(list(environments.values()), out)
            done.touch()
    return out


@pytest.fixture(scope="session")
def stacks(synth_dir) -> dict[str, dict]:
    """The synthesized Terraform JSON of every environment's AWS stack, by stack (environment) name."""
    return {name: json.loads((synth_dir / "stacks" / name / "cdk.tf.json").read_text()) for name in ENVIRONMENT_NAMES}


@pytest.fixture(scope="session")
def workloads_stacks(synth_dir) -> dict[str, dict]:
    """The synthesized Terraform JSON of every environment's workloads stack, by environment name."""
    return {name: json.loads((synth_dir / "stacks" / f"{name}-workloads" / "cdk.tf.json").read_text())
            for name in ENVIRONMENT_NAMES}


class _Laps:
    """Seconds between calls, by name: ``laps("what")`` ends a lap; ``str(laps)`` lists them."""

    def __init__(self) -> None:
        self._mark, self._laps = time.perf_counter(), []

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self._laps.append((name, now - self._mark))
        self._mark = now

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self._laps)


def _wait_for_the_cdktf_cli(timeout: float = 900) -> None:
    """scripts/test.sh starts the deploy before setup has installed the cdktf CLI (npm, the slowest install) and names
    the file setup creates once it has (``VTC_CDKTF_READY``)."""
    _wait_for_setup(os.environ.get("VTC_CDKTF_READY"), "the cdktf CLI", timeout)


def stored_state(aws, stack: dict, region: str) -> dict:
    """The state object the stack's S3 backend holds in the emulator, read through the S3 API: what ``terraform state
    pull`` prints, without starting Terraform (about 0.7 s of wall time and CPU each, on the deploy's critical path).
    Terraform itself reads it through the backend in the re-plan."""
    backend = stack["terraform"]["backend"]["s3"]
    s3 = aws.client("s3", backend.get("region", region))
    return json.loads(s3.get_object(Bucket=backend["bucket"], Key=backend["key"])["Body"].read())


@dataclass
class Deployed:
    """The staging stack as ``cdktf deploy`` left it in the emulator (see :func:`deployed`)."""

    aws: object  # tooling.emulator.MotoServer
    env: object  # environments.model.EnvironmentConfig
    stack_dir: Path  # <output>/stacks/staging: cdk.tf.json, the emulator override, the lock file, .terraform/
    stack: dict  # the synthesized JSON
    skipped: list[str]  # addresses the emulator override turned off
    outputs: str  # the state's outputs, as JSON
    state: dict  # the state right after the deploy, as stored (what `terraform state pull` prints: stored_state)
    rollout: "subprocess.CompletedProcess[str]"  # `python -m environments.rollout rollout staging --to green` after it
    deploy_log: str  # what `cdktf deploy` printed
    terraform_env: dict[str, str]  # environment for terraform commands against this deployment
    crafted: "CraftedPlans"  # the diff report's crafted changes, planned against this deployment (started early)
    replanning: "concurrent.futures.Future"  # the re-plan (see `replan`), in a thread of its own
    replan_dir: Path  # where the re-plan ran: a copy of the stack's files (its plan file: replan.plan)

    @property
    def replan(self) -> "subprocess.CompletedProcess[str]":
        """``terraform plan -detailed-exitcode`` after the deploy and the rollout, as a plain ``cdktf deploy staging``
        would plan (waits for it: it runs beside the tests; ``terraform.run``'s timeout bounds it)."""
        return self.replanning.result()

    def pull_state(self) -> dict:
        """The state as the backend (S3, in the emulator) holds it now (see :func:`stored_state`)."""
        return stored_state(self.aws, self.stack, self.env.region)

    def resources(self, state: dict | None = None) -> dict[str, dict]:
        """``{address: attributes}`` of every managed resource instance in a pulled state (default: right after the
        deploy)."""
        state = self.state if state is None else state
        out = {}
        for resource in state["resources"]:
            if resource["mode"] != "managed":
                continue
            for instance in resource["instances"]:
                key = instance.get("index_key")
                suffix = "" if key is None else f"[{json.dumps(key)}]"
                out[f"{resource['type']}.{resource['name']}{suffix}"] = instance["attributes"]
        return out


def register_targets(aws, region: str) -> None:
    """What the AWS Load Balancer Controller does in the cluster (TargetGroupBinding): two pod addresses of the private
    subnets in each colour's target group (the emulator then reports them healthy)."""
    ec2, elbv2 = aws.client("ec2", region), aws.client("elbv2", region)
    groups = [g for g in elbv2.describe_target_groups()["TargetGroups"] if g["TargetGroupName"].startswith("vtc-")]
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:vtc/tier", "Values": ["private"]}])["Subnets"]
    for i, group in enumerate(sorted(groups, key=lambda g: g["TargetGroupName"])):
        base = subnets[0]["CidrBlock"].split("/")[0].rsplit(".", 1)[0]
        elbv2.register_targets(TargetGroupArn=group["TargetGroupArn"],
                               Targets=[{"Id": f"{base}.{10 + 2 * i + n}", "Port": group["Port"]} for n in (0, 1)])


def run_rollout(terraform_env: dict, *args: str, background: bool = False):
    """``python -m environments.rollout ARGS`` as an operator runs it, against the emulator (AWS_ENDPOINT_URL)."""
    from tooling.paths import REPO, tool_env

    command = [sys.executable, "-m", "environments.rollout", *args]
    environment = tool_env(**{k: v for k, v in terraform_env.items() if k.startswith("AWS_")})
    if background:
        return subprocess.Popen(command, cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
    return subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=300)


#: Left out of the crafted plans (tests/test_diff_report.py: the report must leave them alone too).
WAF_TYPES = frozenset({"aws_wafv2_web_acl", "aws_wafv2_web_acl_association", "aws_wafv2_web_acl_logging_configuration"})


class CraftedPlans:
    """The crafted changes of tests/crafted_changes.py, each planned against the deployment as ``cdktf diff`` would
    (``terraform plan -json``), for the diff report's agreement test. Made cheap for the deploy's critical path:
    synthesized by a process the ``deployed`` fixture starts after its synth, at a lower CPU priority (while
    ``cdktf deploy`` waits on the emulator), then planned in the background, beside the fixture's re-plan and the
    tests: ``-refresh=false`` (the state as deployed is what a plan compares with), ``-lock=false`` (plans only read
    the state), each in a copy of the stack folder with its own emulator override, sharing the deployed folder's
    initialized ``.terraform`` (``TF_DATA_DIR``)."""

    def __init__(self, folder: Path):
        from tooling.paths import REPO, tool_env

        self.folder = folder
        self._synth = subprocess.Popen(["nice", "-n", "10", sys.executable, "-m", "tests.crafted_changes", str(folder)],
                                       cwd=REPO, env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True)
        self._plans: dict[str, subprocess.Popen] = {}

    def start(self, stack_dir: Path, terraform_env: dict[str, str]) -> None:
        """Plan every crafted change against the deployment in ``stack_dir`` (in the background)."""
        from tests.crafted_changes import ENVIRONMENT, PLANS
        from tooling import terraform
        from tooling.emulator import OVERRIDE_FILE, emulator_override
        from tooling.paths import tool_env

        out, _ = self._synth.communicate(timeout=600)
        assert self._synth.returncode == 0, f"synthesizing the crafted changes failed:\n{out[-4000:]}"
        for plan in PLANS:
            work = self.folder / plan / "stacks" / ENVIRONMENT
            stack = json.loads((work / "cdk.tf.json").read_text())
            (work / OVERRIDE_FILE).write_text(json.dumps(emulator_override(stack)[0]))
            shutil.copy2(stack_dir / ".terraform.lock.hcl", work / ".terraform.lock.hcl")
            binary = terraform.terraform_binary()
            # Every resource but the WAF's (untouched by the crafted changes, and a third of a plan's CPU: the web
            # ACL's rules diff): the agreement test checks that the report changes none of them either.
            targets = " ".join(f"-target={kind}.{name}" for kind, resources in stack["resource"].items()
                               if kind not in WAF_TYPES for name in resources)
            script = (f"{binary} plan -input=false -refresh=false -lock=false -no-color {targets} -out=crafted.plan "
                      f">plan.log 2>&1 && {binary} show -json -no-color crafted.plan >plan.json 2>>plan.log")
            self._plans[plan] = subprocess.Popen(["bash", "-c", script], cwd=work, env=tool_env(
                TF_IN_AUTOMATION="1", TF_INPUT="0", TF_DATA_DIR=str(stack_dir / ".terraform"), **terraform_env))

    def results(self) -> dict[str, tuple[dict, dict]]:
        """``{plan: (the crafted stack, terraform show -json of its plan)}``, once every plan has ended."""
        from tests.crafted_changes import ENVIRONMENT

        results = {}
        for plan, process in self._plans.items():
            work = self.folder / plan / "stacks" / ENVIRONMENT
            assert process.wait(timeout=600) == 0, f"terraform plan of {plan} failed:\n" \
                                                   f"{(work / 'plan.log').read_text()[-6000:]}"
            results[plan] = (json.loads((work / "cdk.tf.json").read_text()),
                             json.loads((work / "plan.json").read_text()))
        return results

    def stop(self) -> None:
        for process in (self._synth, *self._plans.values()):
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def deployed(request, environments, tmp_path_factory):
    """``cdktf deploy staging --auto-approve``, through the CLI as a user runs it, offline, into a local AWS emulator
    (moto on 127.0.0.1, answering as staging's own account; stopped at the end of the session, and thrown away:
    nothing is destroyed).

    The output folder is a copy of the session's synth (what ``cdktf synth`` writes: tests/test_cli.py), plus what
    ``python -m tooling.emulator prepare`` adds (the emulator override, and the provider lock file of
    environments/provider_lock.py), deployed as it is (``--skip-synth``; without it the CLI would first write the
    same synth again, about 5 s). Terraform installs the provider only from the machine's mirror (a CLI config with
    nothing else), so a registry lookup would fail the deploy.

    One failure is the emulator's, not the stack's, and is deployed again once, into a fresh emulator, saying so in the
    run's output: a create answered "already exists" (HTTP 409) when no other resource of its type in the stack has
    that name
    (:func:`tooling.emulator.retried_creates`; seen once in CI, IAM CreatePolicy, 409). Any other failure fails the
    fixture at once, with the server's own faults (5xx answers, tracebacks) from its log.
    """
    from tooling import terraform
    from tooling.emulator import DEPLOY_PARALLELISM, MotoServer, retried_creates, retrying
    from tooling.paths import CDKTF, REPO, tool_env

    env = environments[DEPLOYED]
    root = tmp_path_factory.mktemp("deploy")
    laps = _Laps()
    crafted: CraftedPlans | None = None
    for attempt in (1, 2):
        emulator = None
        try:
            folder = root if attempt == 1 else root / f"attempt-{attempt}"
            folder.mkdir(exist_ok=True)
            emulator = MotoServer(log_file=folder / "moto.log", account_id=env.account_id).start()  # beside the synth
            out = folder / "cdktf.out"
            shutil.copytree(request.getfixturevalue("synth_dir"), out)
            laps("synth")
            stack_dir = out / "stacks" / DEPLOYED
            emulator.wait_until_ready()
            if crafted is None:
                # Synthesized while `cdktf deploy` waits on the emulator (not beside the synth above, which the deploy
                # waits for), planned after the deploy.
                crafted = CraftedPlans(root / "crafted")
            skipped = emulator.prepare(stack_dir, env.region)  # the lock file too, until the synth places it itself
            terraform_env = dict(emulator.environment(),
                                 TF_CLI_CONFIG_FILE=str(terraform.mirror_cli_config(folder / "cli.tfrc")))
            laps("emulator ready and prepared")
            _wait_for_the_cdktf_cli()
            laps("waiting for setup's cdktf CLI")
            result = subprocess.run([str(CDKTF), "deploy", DEPLOYED, "--auto-approve", "--skip-synth", "--output",
                                     str(out), "--terraform-parallelism", str(DEPLOY_PARALLELISM)], cwd=REPO,
                                    env=tool_env(CI="1", **terraform_env), capture_output=True,
                                    text=True, timeout=900)
            log = result.stdout + result.stderr
            (folder / "cdktf-deploy.log").write_text(log)
            laps("cdktf deploy" if attempt == 1 else f"cdktf deploy (attempt {attempt})")
            if result.returncode == 0:
                break
            faults = emulator.faults()
            retried = retried_creates(log, json.loads((stack_dir / "cdk.tf.json").read_text()))
            if attempt == 1 and retried:
                # The emulator's own fault, not the stack's (tooling.emulator.retried_creates): once more, from
                # nothing, and said aloud (the run's output, and the laps it prints).
                with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
                    print(f"\n[deploy] {retrying(retried)}.\n{faults}", flush=True)
                emulator.__exit__(None, None, None)
                continue
            raise AssertionError(f"cdktf deploy failed (exit {result.returncode}):\n{log[-6000:]}\n{faults}")
        except BaseException:
            if emulator is not None:
                emulator.__exit__(None, None, None)
            if crafted is not None:
                crafted.stop()
            raise
    aws = emulator  # ready, and deployed into (entering it again would ask for its whole state: seconds now)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(emulator.__exit__, None, None, None)
        cleanup.callback(crafted.stop)
        stack = json.loads((stack_dir / "cdk.tf.json").read_text())
        # A release to green, on the listener, as the release job runs it: then the re-plan below is what a plain
        # `cdktf deploy staging` would do after it (tests/test_deploy.py: nothing, and certainly not the weights).
        register_targets(aws, env.region)
        rollout = run_rollout(terraform_env, "rollout", DEPLOYED, "--to", "green", "--steps", "10,100", "--soak", "0",
                              "--min-requests", "0", "--release", "deploy-test")
        laps("rollout to green")
        state = stored_state(aws, stack, env.region)
        outputs = json.dumps(state["outputs"])
        laps("state")
        # The re-plan (what a plain `cdktf deploy staging` would do now: nothing, and certainly not the weights) and
        # the crafted plans, in the background beside the tests, which need neither until their last ones
        # (tests/test_deploy.py's test of the re-plan, the diff report's agreement test). Safe beside them: the plans
        # read the state without its lock (`-lock=false`; no test writes it, one holds its lock), each from a copy of
        # the stack's files (a test changes cdk.tf.json in the stack's folder for a while), and what the tests change
        # in AWS is the listener's weights (ignored by the configuration), release records, alarm states and probe
        # rules, none of them managed by Terraform.
        replan_dir = terraform.copy_stack(stack_dir, root / "replan")
        shutil.copy2(stack_dir / ".terraform.lock.hcl", replan_dir / ".terraform.lock.hcl")
        replan_env = dict(terraform_env, TF_DATA_DIR=str(stack_dir / ".terraform"))

        background = cleanup.enter_context(concurrent.futures.ThreadPoolExecutor(max_workers=1))
        replanning = background.submit(
            terraform.run, ["plan", "-input=false", "-lock=false", "-detailed-exitcode", "-out=replan.plan"],
            replan_dir, timeout=600, env=replan_env, ok=(0, 2))
        crafted.start(stack_dir, terraform_env)
        laps("re-plan and crafted plans started")
        # Shown as the run goes (not captured): where the suite's critical path spends its time.
        with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
            print(f"\n[deploy] {laps}", flush=True)
        yield Deployed(aws=aws, env=env, stack_dir=stack_dir, stack=stack, skipped=skipped, outputs=outputs,
                       state=state, rollout=rollout, deploy_log=log, terraform_env=terraform_env, crafted=crafted,
                       replanning=replanning, replan_dir=replan_dir)
        # (Leaving the `with`, the executor waits for the re-plan: nothing still runs against the emulator when it
        # stops. Its own failure is reported by the test that reads it.)


@pytest.fixture(scope="session")
def scans(synth_dir, tmp_path_factory):
    """One ``terraform validate`` and one checkov run over every stack the tests check with them (tests/standins.py)."""
    from tests.standins import build

    return build(synth_dir, ENVIRONMENT_NAMES, tmp_path_factory.mktemp("scans"))


#: The search domain the shared synth below gives its releases (``SEARCH_ENDPOINT``: stands in for the endpoint's
#: Terraform reference, a variable, so that it travels as the workloads stack's references do).
SEARCH_ROLES = {"admin_role_arn": "arn:aws:iam::111111111111:role/vtc-staging-search-admin",
                "fluent_bit_role_arn": "arn:aws:iam::111111111111:role/vtc-staging-fluent-bit",
                "jaeger_role_arn": "arn:aws:iam::111111111111:role/vtc-staging-jaeger"}
SEARCH_ENDPOINT = "vpc-vtc-staging-abcdefghijklmnop.eu-west-1.es.amazonaws.com"


@pytest.fixture(scope="session")
def search_releases(environments, tmp_path_factory) -> dict:
    """One ClusterReleases with a search endpoint (staging's workloads, plain ARNs, the endpoint a Terraform variable)
    and the same without one, synthesized once: ``{"stack": <Terraform JSON>, "plain": <Terraform JSON>, "search":
    SearchEndpoint}``. The environments' stacks have a search domain (their values are their files'); these two show
    what it adds with values chosen to tell each setting apart (tests/test_releases.py, test_cluster_config_chart.py,
    test_search_setup_chart.py)."""
    from cdktf import App, TerraformStack, TerraformVariable

    from vtc_constructs.releases import ClusterReleases, ClusterReleasesProps, ReleaseRoles, eks_helm_provider
    from vtc_constructs.workloads import ALERTMANAGER_PAGERDUTY_KEY, SealedSecretProps, SearchEndpoint

    env = environments["staging"]
    out = tmp_path_factory.mktemp("search-synth")
    app = App(outdir=str(out))
    for name in ("search-workloads", "plain-workloads"):
        stack = TerraformStack(app, name)
        eks_helm_provider(stack, "helm", cluster_name="vtc-staging", endpoint="https://eks.example",
                          certificate_authority_data="Y2E=", region=env.region)
        search, workloads = None, env.workloads
        if name == "search-workloads":
            # Alertmanager with its own sealed PagerDuty key (issue 26; tests/test_alertmanager_routing.py).
            workloads = dataclasses.replace(
                env.workloads, alertmanager_pagerduty_secret="pagerduty", sealed_secrets={
                    **env.workloads.sealed_secrets,
                    "pagerduty": SealedSecretProps(namespace="monitoring", encrypted_data={
                        ALERTMANAGER_PAGERDUTY_KEY: SEALED_STAND_IN})})
            endpoint = TerraformVariable(stack, "search_endpoint", type="string").string_value
            search = SearchEndpoint(endpoint=endpoint, region=env.region, **SEARCH_ROLES, index_hot_days=3,
                                    log_retention_days=14, trace_retention_days=5, replicas=0,
                                    reader_role_arns=("arn:aws:iam::111111111111:role/search-reader",))
            searched = search
        _releases_stand_in(stack, env, search, workloads)
    app.synth()
    stacks = {name: json.loads((out / "stacks" / name / "cdk.tf.json").read_text())
              for name in ("search-workloads", "plain-workloads")}
    return {"stack": stacks["search-workloads"], "plain": stacks["plain-workloads"], "search": searched}


#: A value of a sealed value's shape (a 512-byte RSA-sealed session key, then the AES-GCM ciphertext): no key sealed it.
SEALED_STAND_IN = base64.b64encode((512).to_bytes(2, "big") + bytes(range(256)) * 3).decode()


def _releases_stand_in(stack, env, search, workloads) -> None:
    from vtc_constructs.releases import ClusterReleases, ClusterReleasesProps, ReleaseRoles

    arn = "arn:aws:iam::111111111111:role/"
    ClusterReleases(stack, "releases", ClusterReleasesProps(
        environment="staging", region=env.region, cluster_name="vtc-staging", vpc_id="vpc-0123456789abcdef0",
        vpc_cidr="10.20.0.0/16", kubernetes_version=env.eks.kubernetes_version, workloads=workloads,
        roles=ReleaseRoles(load_balancer_controller=arn + "lbc", cluster_autoscaler=arn + "ca",
                           external_secrets=arn + "eso", adot_collector=arn + "adot",
                           fluent_bit=SEARCH_ROLES["fluent_bit_role_arn"], alertmanager=arn + "am",
                           services=arn + "services"),
        target_group_arns={c: f"arn:aws:elasticloadbalancing:{env.region}:111111111111:targetgroup/vtc-{c}/"
                              f"{'0123456789abcdef' if c == 'blue' else 'fedcba9876543210'}" for c in ("blue", "green")},
        database_host="vtc-staging.cluster.eu-west-1.rds.amazonaws.com", database_cidrs=("10.20.96.0/24",),
        container_log_groups={"application": "/aws/eks/vtc-staging/containers/application",
                              "add-ons": "/aws/eks/vtc-staging/containers/add-ons"},
        page_topic_arn=f"arn:aws:sns:{env.region}:111111111111:page",
        notify_topic_arn=f"arn:aws:sns:{env.region}:111111111111:notify",
        heartbeat_topic_arn=f"arn:aws:sns:{env.region}:111111111111:heartbeat",
        grafana_admin_secret_name="vtc-staging/grafana-admin", load_balancer_cidrs=("10.20.0.0/24", "10.20.1.0/24"),
        search=search))
