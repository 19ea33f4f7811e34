"""Where the emulator deploy's time goes: ``python benchmarks/deploy_timeline.py [--keep DIR]``. Prints figures,
asserts nothing.

The same steps as the ``deployed`` fixture of tests/conftest.py (the critical path of ``scripts/test.sh``), each
timed: the session synth, the emulator's start, ``prepare``, ``cdktf deploy staging --skip-synth`` (every line it
prints is stamped with the seconds since the deploy started, so ``terraform init``, the plan and each resource's
apply can be told apart), the re-plan, a state pull, and one rollout step (the HTTPS
listener's weights set through its API, as ``environments.rollout`` does). Then the resources that took longest and the phases of the
deploy. ``--keep DIR`` keeps the output folder (with the stamped log) there.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import vtc_constructs  # noqa: E402,F401  (first: the provider loads lazily)
from environments.traffic import Listener  # noqa: E402
from tooling import terraform  # noqa: E402
from tooling.emulator import DEPLOY_PARALLELISM, MotoServer  # noqa: E402
from tooling.paths import CDKTF, tool_env  # noqa: E402

ENVIRONMENT = "staging"
_DONE = re.compile(r"(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)(?:\[[^\]]*\])?: (?:Creation|Modifications) complete after "
                   r"(?:(\d+)m)?(\d+)s")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def stamped(command: list[str], env: dict[str, str], log: Path) -> tuple[int, list[tuple[float, str]]]:
    """Run ``command``, stamping each line of its output with the seconds since it started."""
    started = time.perf_counter()
    lines: list[tuple[float, str]] = []
    with subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as process, open(log, "w") as out:
        for line in process.stdout:
            at = time.perf_counter() - started
            line = _ANSI.sub("", line.rstrip("\n"))
            lines.append((at, line))
            out.write(f"{at:7.1f} {line}\n")
    return process.returncode, lines


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of every child it has waited for (cdktf, Terraform, the
    provider: each waits for its own)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (``/proc/<pid>/stat``)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first(lines: list[tuple[float, str]], text: str) -> float | None:
    return next((at for at, line in lines if text in line), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the output folder here")
    parser.add_argument("--terraform-parallelism", type=int, default=None, metavar="N",
                        help="Terraform's -parallelism for the deploy (default: the emulator deploy's, "
                             "tooling.emulator.DEPLOY_PARALLELISM)")
    args = parser.parse_args()
    from environments.model import load_environments
    from environments.synth import synthesize

    env = next(e for e in load_environments() if e.name == ENVIRONMENT)
    root = Path(args.keep or tempfile.mkdtemp(prefix="deploy-timeline-"))
    root.mkdir(parents=True, exist_ok=True)
    times: dict[str, tuple[float, float, float]] = {}
    mark = (time.perf_counter(), cpu_seconds(), 0.0)
    emulator = MotoServer(log_file=root / "moto.log", account_id=env.account_id).start()

    def lap(name: str) -> None:
        nonlocal mark
        now = (time.perf_counter(), cpu_seconds(), process_cpu_seconds(emulator.pid))
        times[name] = (now[0] - mark[0], now[1] - mark[1], now[2] - mark[2])
        mark = now

    out = synthesize(list(load_environments()), root / "cdktf.out")
    lap("session synth (in process)")
    stack_dir = out / "stacks" / ENVIRONMENT
    with emulator as aws:
        lap("emulator ready (after the synth)")
        aws.prepare(stack_dir, env.region)
        tf_env = dict(aws.environment(), TF_CLI_CONFIG_FILE=str(terraform.mirror_cli_config(root / "cli.tfrc")))
        lap("prepare")
        parallelism = args.terraform_parallelism or DEPLOY_PARALLELISM
        status, lines = stamped([str(CDKTF), "deploy", ENVIRONMENT, "--auto-approve", "--skip-synth", "--output",
                                 str(out), "--terraform-parallelism", str(parallelism)],
                                tool_env(CI="1", **tf_env), root / "cdktf-deploy.log")
        lap("cdktf deploy")
        if status != 0:
            print("\n".join(line for _, line in lines[-60:]))
            print(f"cdktf deploy failed (exit {status}); log: {root / 'cdktf-deploy.log'}")
            return 1
        run = lambda *a, ok=(0,): terraform.run(list(a), stack_dir, env=tf_env, ok=ok)  # noqa: E731
        run("plan", "-input=false", "-detailed-exitcode", "-out=replan.plan", ok=(0, 2))
        lap("re-plan")
        state = json.loads(run("state", "pull").stdout)
        lap("state pull")
        listener = Listener.find(aws.client("elbv2", env.region), f"vtc-{ENVIRONMENT}")
        listener.set_weights(90, 10)
        lap("one weight step (the listener's API, as rollout does)")
        del state

    print(f"output: {root}")
    print("   wall     CPU (this process and what it ran)   CPU (the emulator)")
    for name, (seconds, cpu, emulator_cpu) in times.items():
        print(f"{seconds:7.1f} s  {cpu:7.1f} s  {emulator_cpu:7.1f} s  {name}")
    print("\ncdktf deploy, seconds since it started:")
    for label, text in [("terraform init starts", "Initializing the backend"),
                        ("init done", "Terraform has been successfully initialized"),
                        ("plan printed", "Plan:"), ("first resource created", "Creation complete"),
                        ("apply complete", "Apply complete!")]:
        at = first(lines, text)
        print(f"  {'-' if at is None else f'{at:6.1f}'}  {label}")
    done = []
    for at, line in lines:
        match = _DONE.search(line)
        if match:
            took = int(match.group(2) or 0) * 60 + int(match.group(3))
            done.append((at, took, match.group(1)))
    print("\nslowest resources (finished at, took):")
    for at, took, address in sorted(done, key=lambda d: -d[1])[:15]:
        print(f"  {at:6.1f}  {took:4d} s  {address}")
    print("\nlast to finish:")
    for at, took, address in sorted(done)[-8:]:
        print(f"  {at:6.1f}  {took:4d} s  {address}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
