"""Synth benchmark: prints figures. ``python benchmarks/synth.py [--runs 7]``, or ``--profile`` for where one synth
goes (``benchmarks/synth_profile.py``: per stack, per construct, per line, jsii round trips, Node's CPU profile).
It checks one thing, and exits 1 when
it fails: the fast path writes every file byte for byte as plain imports do (the test command compares the fast path
with jsii's Node process loading the provider in full, but never imports the whole provider in Python, which costs a
fresh checkout about 30 CPU-seconds of compiling).

Every measurement is a fresh process (as ``cdktf synth`` runs the app), timed from start to exit:

1. full synth of every environment through the fast path (``vtc_constructs/_fastpath``: the AWS provider loaded
   lazily in Python and in jsii's Node process; main.py run as ``cdktf synth`` runs it, cdktf.json's app),
   alternating run by run with the same synth through plain imports (``VTC_EAGER_PROVIDER=1``: what a cdktf user
   writes and runs); medians and minimums, the plain/fast ratio, and the goal
   (issue 28: a full synth of all four stacks at most 2.0 s and at least 6x faster than plain imports);
   then the per-stack split of one more synth (``synth_profile``: wall, Python and Node CPU, jsii round trips);
2. peak memory of each: the summed RSS of the whole process tree (Python, jsii's Node process, synth workers),
   sampled every 10 ms in a run of its own (sampling steals CPU, so timed runs are never sampled);
3. cost growth: 2, 8 and 32 generated environments (variants of the real ones), and the marginal cost of one more,
   with the default worker processes (environments/synth.py) and in one process (``VTC_SYNTH_WORKERS=1``), against
   issue 28's goals (at most 0.12 s with workers, 0.25 s in one process);
4. cold against warm: the first synth with an empty jsii package cache (a fresh ``JSII_RUNTIME_PACKAGE_CACHE_ROOT``;
   the user's own cache is never touched) against a warm one.

Wall time on a shared machine is noisy: the benchmark times a fixed CPU-bound loop (:func:`noise_reference`, about
1.2 s on an idle core here) at its start and end, and prints CPU time (user + system of the whole process tree)
beside every wall figure; compare CPU times between runs on a busy machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import synth_profile  # noqa: E402
from environments.synth import default_workers  # noqa: E402
from tooling.paths import tool_env  # noqa: E402


#: Issue 28's goals: a full synth of all four stacks (two environments) through the fast path, and the marginal
#: cost of one more environment with the default workers and in one process.
GOAL_SECONDS, GOAL_RATIO = synth_profile.GOAL_WHOLE, 6.0
GOAL_MARGINAL_WORKERS = synth_profile.GOAL_MARGINAL_WORKERS
GOAL_MARGINAL_ONE_PROCESS = synth_profile.GOAL_MARGINAL_ONE_PROCESS
NOISE_LOOP = "sum(i * i for i in range(20_000_000))"


def app_arguments() -> list[str]:
    """What ``cdktf synth`` runs, after the interpreter: ``cdktf.json``'s app (``.venv/bin/python -O main.py``)."""
    command = shlex.split(json.loads((REPO / "cdktf.json").read_text())["app"])
    if len(command) < 2 or not command[0].endswith(("python", "python3")) or command[-1] != "main.py":
        raise SystemExit(f"cdktf.json's app is not `<python> [flags] main.py` (got {' '.join(command)!r}): the "
                         "benchmark times main.py as that app runs it; update app_arguments()")
    return command[1:]


#: The fast path runs as ``cdktf synth`` runs it (cdktf.json's app); plain imports as a cdktf user's
#: ``python main.py`` runs.
APP = app_arguments()
APP_FLAGS = APP[:-1]


def noise_reference() -> float:
    """Wall time (s) of a fixed CPU-bound loop in a fresh Python: about 1.2 s on an idle core of this machine; more
    means other work is taking CPU from every figure."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", NOISE_LOOP], check=True)
    return time.perf_counter() - start


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def tree_rss_kib(pid: int) -> int:
    """Summed resident memory of ``pid`` and all its descendants (KiB); 0 once they are gone."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def measure(args: list[str], env: dict[str, str], *, memory: bool = False, cpu: list[float] | None = None
            ) -> tuple[float, int]:
    """Wall time (s) of one run of ``python <args>`` in the repo, and with ``memory`` its peak tree RSS (MiB).

    Sampling the process tree every 10 ms costs CPU that the synth then lacks (most on a busy 2-core machine with
    several synth processes), so a run is either timed or sampled, never both: the times come from unsampled runs.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, *args], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_kib(process.pid))
            stop.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory:
        sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:  # user + system CPU of the reaped process tree: less sensitive to other work than wall time
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    stop.set()
    if memory:
        sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{stderr[-2000:]}")
    return elapsed, peak // 1024


def peak_memory(args: list[str], env: dict[str, str]) -> int:
    """Peak summed RSS (MiB) of the whole process tree, from a run of its own."""
    return measure(args, env, memory=True)[1]


def synth_many(count: int, outdir: str) -> None:
    """Child mode: synthesize ``count`` environments generated from the real ones."""
    import vtc_constructs  # noqa: F401  (first, installs the fast path, exactly as main.py does)
    from environments.synth import synthesize

    synthesize(generated_environments(count), outdir)


def generated_environments(count: int) -> list:
    """``count`` environments made from the real ones (staging, production, staging, ...), each renamed."""
    from environments.model import load_environments

    real = load_environments()
    envs = []
    for i in range(count):
        base = real[i % len(real)]
        name = f"{base.name[:4]}{i}"
        # Every part named after the environment (``vtc-<name>``) is renamed with it.
        parts = {field.name: dataclasses.replace(value, name=f"vtc-{name}")
                 for field in dataclasses.fields(base)
                 if dataclasses.is_dataclass(value := getattr(base, field.name))
                 and getattr(value, "name", None) == f"vtc-{base.name}"}
        parts["network"] = dataclasses.replace(parts.get("network", base.network), vpc_cidr=f"10.{100 + i}.0.0/16")
        state = dataclasses.replace(base.state, key=f"bench/{name}/terraform.tfstate")
        envs.append(dataclasses.replace(base, name=name, state=state, **parts))
    return envs


def profile_once(scratch: Path, *, cpu_profile: bool = False, count: int = 0) -> tuple[dict, dict | None]:
    """One profiled synth in a fresh process (``synth_profile.child``): the real environments, or ``count`` generated
    ones; with ``cpu_profile``, Node's CPU profile of it too (``--cpu-prof`` through ``NODE_OPTIONS``, for that
    process only)."""
    report, profiles = scratch / "profile.json", scratch / "cpu-profiles"
    shutil.rmtree(profiles, ignore_errors=True)
    extra = {"NODE_OPTIONS": f"--cpu-prof --cpu-prof-dir={profiles}"} if cpu_profile else {}
    measure([*APP_FLAGS, __file__, "--child-profile", str(scratch / "profiled"), str(report), str(count)], tool_env(**extra))
    shutil.rmtree(scratch / "profiled", ignore_errors=True)
    return json.loads(report.read_text()), synth_profile.node_profile(profiles) if cpu_profile else None


def digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the hash of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each full-synth variant (default 7)")
    parser.add_argument("--scale-runs", type=int, default=3, help="runs of each environment count (default 3)")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold and warm runs each (default 3; 0 skips them)")
    parser.add_argument("--no-scale", action="store_true", help="skip the cost-growth figures (about 2 minutes)")
    parser.add_argument("--profile", action="store_true",
                        help="only profile one synth (per stack, construct and line; Node's CPU profile) and print it")
    parser.add_argument("--child-many", nargs=2, metavar=("COUNT", "OUTDIR"), help=argparse.SUPPRESS)
    parser.add_argument("--profile-environments", type=int, default=0, metavar="N",
                        help="with --profile: N environments generated from the real ones (default: the real ones)")
    parser.add_argument("--child-profile", nargs=3, metavar=("OUTDIR", "REPORT", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_many:
        synth_many(int(args.child_many[0]), args.child_many[1])
        return
    if args.child_profile:
        outdir, report, count = args.child_profile
        synth_profile.child(outdir, report, int(count))
        return
    if args.profile:
        scratch = Path(tempfile.mkdtemp(prefix="vtc-profile-"))
        try:
            print(f"synth profile, one process: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
                  f"noise reference {noise_reference():.2f} s (about 1.2 s when idle)")
            measure([*APP, "--outdir", str(scratch / "warm")], tool_env())  # caches warm
            result, node = profile_once(scratch, cpu_profile=True, count=args.profile_environments)
            print(synth_profile.report(result, node))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return

    scratch = Path(tempfile.mkdtemp(prefix="vtc-bench-"))
    try:
        env = tool_env()
        eager_env = tool_env(VTC_EAGER_PROVIDER="1")
        print(f"synth benchmark: {os.cpu_count()} cores, python {sys.version.split()[0]}, each figure a fresh process; "
              f"load average {os.getloadavg()[0]:.1f} at the start (other work on the machine slows every figure)")
        noise_start = noise_reference()
        print(f"noise reference at the start: {noise_start:.2f} s (`python -c '{NOISE_LOOP}'`; about 1.2 s when "
              "idle: the more above, the noisier every wall time below)")

        # Warm-up: fills the jsii package cache and the OS page cache for both paths.
        measure([*APP, "--outdir", str(scratch / "warm")], env)
        measure(["main.py", "--outdir", str(scratch / "warm")], eager_env)

        fast, plain, fast_cpu, plain_cpu = [], [], [], []
        for i in range(args.runs):  # alternating, so drift on the machine hits both alike
            fast.append(measure([*APP, "--outdir", str(scratch / f"fast{i}")], env, cpu=fast_cpu))
            plain.append(measure(["main.py", "--outdir", str(scratch / f"plain{i}")], eager_env, cpu=plain_cpu))
        fast_t, plain_t = median([t for t, _ in fast]), median([t for t, _ in plain])
        fast_files, plain_files = digest(scratch / "fast0"), digest(scratch / "plain0")
        different = sorted(name for name in fast_files.keys() | plain_files.keys()
                           if fast_files.get(name) != plain_files.get(name))
        fast_m = peak_memory([*APP, "--outdir", str(scratch / "fast-memory")], env)
        plain_m = peak_memory(["main.py", "--outdir", str(scratch / "plain-memory")], eager_env)
        print(f"\nfull synth, all four stacks (staging, production and their workloads stacks; {args.runs} runs "
              "each, alternating; peak RSS from one more run each):")
        print(f"  fast path:      median {fast_t:6.2f} s  (min {min(t for t, _ in fast):.2f}, "
              f"max {max(t for t, _ in fast):.2f})  peak RSS {fast_m:5d} MiB")
        print(f"  plain imports:  median {plain_t:6.2f} s  (min {min(t for t, _ in plain):.2f}, "
              f"max {max(t for t, _ in plain):.2f})  peak RSS {plain_m:5d} MiB")
        ratio = plain_t / fast_t
        met = fast_t <= GOAL_SECONDS and ratio >= GOAL_RATIO
        print(f"  fast/plain: plain imports take {ratio:.1f}x as long (wall-time medians; minimums "
              f"{min(t for t, _ in plain) / min(t for t, _ in fast):.1f}x)")
        print(f"  CPU time (user + system, all processes): fast median {median(fast_cpu):.2f} s, plain median "
              f"{median(plain_cpu):.2f} s")
        print(f"  goal (fast <= {GOAL_SECONDS} s median and >= {GOAL_RATIO:.0f}x): {verdict(met)} (wall time: noisy "
              "on a busy machine; the CPU times above are the steadier comparison)")
        print(f"  output: {len(fast_files)} files, " + (
            "byte for byte the same through both paths" if not different else
            f"DIFFERENT through the two paths: {', '.join(different[:10])}"))
        if different:
            raise SystemExit(1)

        result, _ = profile_once(scratch)
        print("\nper-stack split of one more synth, one process (benchmarks/synth.py --profile for the detail):")
        print("\n".join(synth_profile.report(result, None).splitlines()[:len(result["phases"]) + 3]))
        print("\n".join(synth_profile.floor_lines(result, result["phases"])))

        one_process = tool_env(VTC_SYNTH_WORKERS="1")
        workers = f"default workers: {default_workers(8)} for 8, {default_workers(32)} for 32 environments"
        goals = {workers: GOAL_MARGINAL_WORKERS, "one process": GOAL_MARGINAL_ONE_PROCESS}
        scale = () if args.no_scale else ((workers, env), ("one process", one_process))
        for label, run_env in scale:
            print(f"\ncost growth, fast path, {label} ({args.scale_runs} runs each):")
            sizes, cpu_sizes = {}, {}
            for count in (2, 8, 32):
                cpu: list[float] = []
                runs = [measure([*APP_FLAGS, __file__, "--child-many", str(count), str(scratch / f"many{count}-{i}")], run_env,
                                cpu=cpu) for i in range(args.scale_runs)]
                sizes[count], cpu_sizes[count] = median([t for t, _ in runs]), median(cpu)
                memory = peak_memory([__file__, "--child-many", str(count), str(scratch / f"many{count}-m")], run_env)
                print(f"  {count:2d} environments: median {sizes[count]:6.2f} s  (CPU {cpu_sizes[count]:6.2f} s)  "
                      f"peak RSS {memory:5d} MiB")
            marginal, goal = (sizes[32] - sizes[2]) / 30, goals[label]
            print(f"  marginal cost of one more environment: {marginal:.3f} s ((t32 - t2) / 30; CPU "
                  f"{(cpu_sizes[32] - cpu_sizes[2]) / 30:.3f} s)  goal <= {goal} s: {verdict(marginal <= goal)}")

        if args.cold_runs > 0:
            print(f"\ncold against warm jsii package cache, fast path ({args.cold_runs} runs each; "
                  f"load average {os.getloadavg()[0]:.1f}):")
            cold = []
            for i in range(args.cold_runs):
                cold_env = tool_env(JSII_RUNTIME_PACKAGE_CACHE_ROOT=str(scratch / f"jsii-cache-{i}"))
                cold.append(measure([*APP, "--outdir", str(scratch / f"cold{i}")], cold_env)[0])
            warm = [measure([*APP, "--outdir", str(scratch / f"warm{i}")], env)[0]
                    for i in range(args.cold_runs)]
            print(f"  cold (empty cache): median {median(cold):6.2f} s  (min {min(cold):.2f})")
            print(f"  warm:               median {median(warm):6.2f} s  (min {min(warm):.2f})")
        print(f"\nnoise reference at the end: {noise_reference():.2f} s (at the start: {noise_start:.2f} s; about 1.2 s "
              "when idle)")
    finally:  # also when a run fails
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
