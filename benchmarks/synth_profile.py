"""Where one synth goes: ``python benchmarks/synth.py --profile`` (see :func:`main` there) runs :func:`child` in a
fresh process and prints :func:`report`.

The child synthesizes the real environments in one process (no workers), exactly as ``environments/synth.py``'s
``_synthesize_here`` does, and records:

- per phase (start-up and imports, loading the environment files, each stack's constructs, ``app.synth()``): wall
  time, this process's CPU time and the CPU time of jsii's Node processes (read from ``/proc``: CPU time is what
  other work on a shared machine disturbs least);
- every jsii round trip (create, get, set, invoke, static invoke, callback completion ...), counted by kind and
  attributed to the stack and to the innermost construct of this library (``vtc_constructs``, ``environments``)
  being built, and to the line of this library's code that caused it, with the wall time until Node answered;
- with ``--cpu-prof`` (``NODE_OPTIONS`` for the child only), Node's own CPU profile of the synth, grouped into
  token resolution, JSON writing, asset copies, validations (this library's callbacks) and the jsii kernel.

To see the round trips the child wraps the ``send`` method of its own jsii process object (an attribute of that one
instance, in the profiling process only): a normal synth runs none of this, and nothing in jsii's code changes.
"""

from __future__ import annotations

import collections
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
#: Issue 28's goals: a whole synth of the two environments, and one more environment with workers and in one process.
GOAL_WHOLE, GOAL_MARGINAL_WORKERS, GOAL_MARGINAL_ONE_PROCESS = 2.0, 0.12, 0.25
OUR_CODE = (str(REPO / "vtc_constructs") + os.sep, str(REPO / "environments") + os.sep)


def node_cpu_seconds() -> float:
    """User + system CPU time of every descendant of this process (jsii's Node processes), from ``/proc``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, stack = 0.0, [os.getpid()]
    while stack:
        pid = stack.pop()
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    stack.extend(int(child) for child in children.read().split())
            if pid != os.getpid():
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                # utime, stime, cutime, cstime (fields 14-17; the tail after the command starts at field 3)
                total += sum(int(value) for value in fields[11:15]) / ticks
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


class Recorder:
    """Counts and times jsii round trips; :meth:`phase` marks what is being built."""

    def __init__(self) -> None:
        self.phases: list[dict[str, Any]] = []
        self.stack = "(start-up)"
        self.calls: collections.Counter = collections.Counter()  # (stack, construct, kind, site) -> count
        self.seconds: collections.Counter = collections.Counter()  # the same keys -> exclusive wall time
        self._depth_elapsed: list[float] = []
        self._reads: set[tuple[str, str]] = set()
        self._mark = self._now()

    @staticmethod
    def _now() -> tuple[float, float, float]:
        return time.perf_counter(), time.process_time(), node_cpu_seconds()

    def phase(self, name: str) -> None:
        """End the current phase (recording its figures) and start ``name``."""
        now = self._now()
        if self.stack != "(start-up)":  # reported from the child's own figures (before the recorder existed)
            self.phases.append({"phase": self.stack, "wall": now[0] - self._mark[0],
                                "python_cpu": now[1] - self._mark[1], "node_cpu": now[2] - self._mark[2]})
        self.stack, self._mark = name, self._now()

    def install(self) -> None:
        import jsii

        process = jsii.kernel.provider._process
        send = process.send

        def counted_send(request, response_type):  # the signature of _NodeProcess.send
            kind = type(request).__name__.removesuffix("Request") or type(request).__name__
            what = getattr(request, "property", None) or getattr(request, "method", None) or \
                getattr(request, "fqn", "")
            if kind == "Get":  # the same property of the same object read again: a read that could be kept
                read = (request.objref.ref, request.property)
                kind = "Get (again)" if read in self._reads else "Get"
                self._reads.add(read)
            construct, site = self._where(sys._getframe(1))
            key = (self.stack, construct, kind, f"{site} [{what}]")
            self.calls[key] += 1
            self._depth_elapsed.append(0.0)
            start = time.perf_counter()
            try:
                return send(request, response_type)
            finally:
                elapsed = time.perf_counter() - start
                nested = self._depth_elapsed.pop()
                self.seconds[key] += elapsed - nested  # callbacks' own round trips are counted on their own
                if self._depth_elapsed:
                    self._depth_elapsed[-1] += elapsed

        process.send = counted_send

    @staticmethod
    def _where(frame) -> tuple[str, str]:
        """The innermost construct of this library being built (class and id), and the innermost line of its code."""
        construct = site = None
        while frame is not None and (construct is None or site is None):
            filename = frame.f_code.co_filename
            if filename.startswith(OUR_CODE):
                if site is None:
                    site = f"{os.path.relpath(filename, REPO)}:{frame.f_lineno} {frame.f_code.co_name}"
                if construct is None and frame.f_code.co_name == "__init__":
                    owner = frame.f_locals.get("self")
                    ident = frame.f_locals.get("id")
                    if owner is not None and hasattr(type(owner), "node"):
                        construct = type(owner).__name__ + (f" {ident!r}" if isinstance(ident, str) else "")
            frame = frame.f_back
        return construct or "(outside this library's constructs)", site or "(outside this library's code)"

    def result(self) -> dict[str, Any]:
        return {"phases": self.phases,
                "calls": [[*key, count, self.seconds[key]] for key, count in self.calls.items()]}


def child(outdir: str, report_path: str, count: int = 0) -> None:
    """Synthesize the real environments (or ``count`` generated from them: ``benchmarks/synth.py``'s
    ``generated_environments``) in this process, as ``environments/synth.py`` does, recording figures."""
    started = time.perf_counter()
    import vtc_constructs  # noqa: F401  (first, as main.py: the fast path; starts jsii's kernel)

    recorder = Recorder()
    recorder.install()
    startup_wall = time.perf_counter() - started
    recorder.phase("(load environments)")
    from cdktf import App

    from environments.model import load_environments
    from environments.stack import PlatformStack, WorkloadsStack

    if count:
        from benchmarks.synth import generated_environments

        envs = generated_environments(count)
    else:
        envs = load_environments()
    app = App(outdir=outdir, stack_traces=False)
    for env in envs:  # as environments/synth.py's _synthesize_here
        recorder.phase(env.name)
        platform = PlatformStack(app, env)
        recorder.phase(env.workloads_stack_name)
        WorkloadsStack(app, env, platform)
    recorder.phase("app.synth()")
    app.synth()
    recorder.phase("(end)")
    result = recorder.result()
    result["startup_wall"] = startup_wall  # imports and jsii's start, before the recorder existed
    result["startup_python_cpu"] = time.process_time()  # minus the phases, in report()
    result["stacks"] = [name for env in envs for name in env.stack_names]
    result["environments"] = [list(env.stack_names) for env in envs]
    result["elements"] = {name: output_elements(Path(outdir) / "stacks" / name / "cdk.tf.json")
                          for name in result["stacks"]}
    Path(report_path).write_text(json.dumps(result))


def output_elements(stack_json: Path) -> int:
    """Terraform elements in a synthesized stack (resources, data sources, outputs, providers, variables): each is
    one object in jsii's Node process, created by one round trip."""
    document = json.loads(stack_json.read_text())
    blocks = [*document.get("resource", {}).values(), *document.get("data", {}).values()]
    return (sum(len(block) for block in blocks) + len(document.get("output", {})) +
            sum(len(entries) if isinstance(entries, list) else 1 for entries in document.get("provider", {}).values()) +
            len(document.get("variable", {})))


# --- Node's CPU profile ----------------------------------------------------------------------------------------------

#: Categories of Node's samples, by priority: a sample counts for the first category whose test matches any frame of
#: its stack (function name, script URL).
NODE_CATEGORIES = (
    ("kernel waiting for Python (blocking read of the next request)", lambda f, u: f == "readSync"),
    ("loading modules (assemblies, the provider's resource modules)", lambda f, u: f in ("_Kernel_load",
                                                                                         "wrapModuleLoad")),
    ("garbage collection", lambda f, u: f == "(garbage collector)"),
    ("synth: asset copies", lambda f, u: f in ("copySync", "copyFileSync", "cpSync", "copyDir")),
    ("synth: asset hashing", lambda f, u: "hash" in f.lower() and "cdktf" in u),
    ("synth: JSON writing (files)", lambda f, u: f in ("writeFileSync", "writeJsonSync")),
    ("synth: this library's validations (replacement safety: toTerraform again)",
     lambda f, u: f == "runAllValidations"),
    ("synth: prepareStack (aspects, cross-stack references)", lambda f, u: f == "prepareStack"),
    ("synth: toTerraform (resolving tokens)", lambda f, u: f == "toTerraform"),
    ("synth: other", lambda f, u: f == "synth" and "cdktf" in u),
    ("constructs: create (constructors run in Node)", lambda f, u: f == "_Kernel_create"),
    ("constructs: get / set / invoke / static invoke", lambda f, u: f in ("get", "set", "invoke", "sinvoke",
                                                                         "sget", "_Kernel_ensureSync")),
    ("kernel: writing responses", lambda f, u: f == "writeSync"),
    ("kernel: request handling (JSON, marshalling)", lambda f, u: f == "processRequest"),
)
RELAY = "relay process (jsii-runtime.js: passes every message on)"


def node_profile(folder: Path) -> dict[str, Any]:
    """Node's CPU profiles in ``folder`` (``--cpu-prof``, one per Node process: jsii's relay and its kernel), grouped:
    sampled seconds by category (idle samples left out) and the functions with the most self time in the kernel."""
    by_category: collections.Counter = collections.Counter()
    by_function: collections.Counter = collections.Counter()
    for path in folder.glob("*.cpuprofile"):
        profile = json.loads(path.read_text())
        nodes = {node["id"]: node for node in profile["nodes"]}
        parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", ())}
        kernel = any("program.js" in node["callFrame"]["url"] for node in profile["nodes"])
        category_of: dict[int, int] = {}  # node id -> index of the best category on its stack (len: none)

        def best(node_id: int) -> int:
            if node_id not in category_of:
                frame = nodes[node_id]["callFrame"]
                own = next((index for index, (_name, test) in enumerate(NODE_CATEGORIES)
                            if test(frame["functionName"], frame["url"])), len(NODE_CATEGORIES))
                category_of[node_id] = min(own, best(parent[node_id])) if node_id in parent else own
            return category_of[node_id]

        for node_id, delta in zip(profile["samples"], profile["timeDeltas"]):
            frame = nodes[node_id]["callFrame"]
            if frame["functionName"] == "(idle)":
                continue
            seconds = max(delta, 0) / 1e6
            if not kernel:
                by_category[RELAY] += seconds
                continue
            index = best(node_id)
            by_category[NODE_CATEGORIES[index][0] if index < len(NODE_CATEGORIES) else
                        "kernel: start-up and other"] += seconds
            where = frame["url"].rsplit("node_modules/", 1)[-1].rsplit("/", 1)[-1] or "(native)"
            by_function[f"{frame['functionName'] or '(anonymous)'}  {where}:{frame['lineNumber'] + 1}"] += seconds
    return {"total": sum(by_category.values()), "categories": by_category.most_common(),
            "functions": by_function.most_common(12)}


# --- the report ------------------------------------------------------------------------------------------------------


def _tally(calls, key) -> tuple[collections.Counter, collections.Counter]:
    """Round trips and their seconds summed by ``key(stack, construct, kind, site)`` over the profile's calls."""
    counts: collections.Counter = collections.Counter()
    seconds: collections.Counter = collections.Counter()
    for stack, construct, kind, site, count, spent in calls:
        counts[key(stack, construct, kind, site)] += count
        seconds[key(stack, construct, kind, site)] += spent
    return counts, seconds

def floor_lines(result: dict[str, Any], phases: list[dict[str, Any]]) -> list[str]:
    """The part of one environment's cost that no way of writing the constructs removes while every element of the
    output is a jsii object: the round trips of its Creates (one per element) and its share of ``app.synth()``.
    Measured on the last environment built (the provider's modules and jsii's caches are warm by then, as for every
    environment but the first)."""
    if not result.get("environments") or not result.get("elements"):
        return []
    creates: collections.Counter = collections.Counter()
    create_seconds: collections.Counter = collections.Counter()
    for stack, _construct, kind, _site, count, seconds in result["calls"]:
        if kind == "Create":
            creates[stack] += count
            create_seconds[stack] += seconds
    walls = {p["phase"]: p["wall"] for p in phases}
    stacks = result["environments"][-1]
    synth_share = walls.get("app.synth()", 0.0) / len(result["environments"])
    elements = sum(result["elements"][name] for name in stacks)
    built = sum(walls.get(name, 0.0) for name in stacks)
    floor = sum(create_seconds[name] for name in stacks) + synth_share
    goal = GOAL_MARGINAL_ONE_PROCESS
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    startup = result.get("startup_wall", 0.0)
    all_creates = sum(create_seconds[name] for names in result["environments"] for name in names)
    whole = startup + all_creates + walls.get("app.synth()", 0.0)
    return [
        f"\nfloor of one environment ({' + '.join(stacks)}, built last), one process:",
        f"  elements in its output (resources, data sources, outputs, providers): "
        + " + ".join(str(result["elements"][name]) for name in stacks) + f" = {elements}",
        f"  its Creates: {sum(creates[name] for name in stacks)} round trips, "
        f"{sum(create_seconds[name] for name in stacks):.2f} s until Node answered; its share of app.synth(): "
        f"{synth_share:.2f} s",
        f"  built in {built:.2f} s + {synth_share:.2f} s synth = {built + synth_share:.2f} s; with this library's "
        f"own Python time and every other round trip at zero: {floor:.2f} s "
        f"({1000 * floor / max(elements, 1):.2f} ms per element)",
        f"  against the one-process goal of {goal} s per environment: "
        + ("within reach" if floor <= goal else f"out of reach while each element is one jsii object "
                                                f"(at most {int(goal * max(elements, 1) / floor)} elements fit)"),
        f"  with workers on this machine's {cores} cores (environments side by side; one is never split), at best "
        f"{floor / cores:.2f} s per more environment, against the "
        f"goal of {GOAL_MARGINAL_WORKERS} s: " + ("within reach" if floor / cores <= GOAL_MARGINAL_WORKERS else
                                                 "out of reach"),
        f"  the whole synth at that floor: start-up {startup:.2f} s + every environment's Creates "
        f"{all_creates:.2f} s + app.synth() {walls.get('app.synth()', 0.0):.2f} s = {whole:.2f} s against the goal of "
        f"{GOAL_WHOLE} s: " + ("within reach" if whole <= GOAL_WHOLE else "out of reach"),
    ]


def report(result: dict[str, Any], node: dict[str, Any] | None, top: int = 12) -> str:
    """The figures of one profiled synth as text."""
    lines = []
    phases = result["phases"]
    python_cpu_phases = sum(p["python_cpu"] for p in phases)
    lines.append("phases (one process, no workers): wall s / Python CPU s / Node CPU s / jsii round trips "
                 "(exclusive wall s until Node answered)")
    calls_by_stack: collections.Counter = collections.Counter()
    wait_by_stack: collections.Counter = collections.Counter()
    for stack, _construct, _kind, _site, count, seconds in result["calls"]:
        calls_by_stack[stack] += count
        wait_by_stack[stack] += seconds
    lines.append(f"  {'start-up (imports, jsii kernel, assemblies)':46s} {result['startup_wall']:6.2f}   "
                 f"{result['startup_python_cpu'] - python_cpu_phases:6.2f}       -")
    for p in phases:
        name = p["phase"]
        label = f"stack {name}" if name in result["stacks"] else name
        lines.append(f"  {label:46s} {p['wall']:6.2f}   {p['python_cpu']:6.2f}   {p['node_cpu']:6.2f}   "
                     f"{calls_by_stack[name]:5d} ({wait_by_stack[name]:.2f} s)")
    total_calls = sum(calls_by_stack.values())
    lines.append(f"  {'total after start-up':46s} {sum(p['wall'] for p in phases):6.2f}   {python_cpu_phases:6.2f}   "
                 f"{sum(p['node_cpu'] for p in phases):6.2f}   {total_calls:5d} ({sum(wait_by_stack.values()):.2f} s)")

    kinds, _ = _tally(result["calls"], lambda stack, construct, kind, site: (stack, kind))
    lines.append("\njsii round trips by kind, per stack:")
    for stack in [p["phase"] for p in phases if calls_by_stack[p["phase"]]]:
        parts = ", ".join(f"{kind} {count}" for (s, kind), count in kinds.most_common() if s == stack)
        lines.append(f"  {stack}: {parts}")

    constructs, construct_seconds = _tally(result["calls"], lambda stack, construct, kind, site: (stack, construct))
    lines.append(f"\njsii round trips by construct of this library being built (innermost; top {top}):")
    for (stack, construct), count in constructs.most_common(top):
        lines.append(f"  {count:5d} ({construct_seconds[(stack, construct)]:.2f} s)  {stack}: {construct}")
    sites, site_seconds = _tally(result["calls"], lambda stack, construct, kind, site: (kind, site))
    lines.append(f"\njsii round trips by kind, line of this library's code and [property, method or type] (all "
                 f"stacks; top {top * 2}; 'Get (again)': a property of an object read before):")
    for (kind, site), count in sites.most_common(top * 2):
        lines.append(f"  {count:5d} ({site_seconds[(kind, site)]:.2f} s)  {kind:12s} {site}")
    lines.extend(floor_lines(result, phases))
    if node is not None and node["total"]:
        lines.append(f"\nNode CPU profile (--cpu-prof; whole run, start-up included), {node['total']:.2f} s sampled "
                     "in jsii's Node processes (idle left out; the profiler itself adds some), by category:")
        for name, seconds in node["categories"]:
            lines.append(f"  {seconds:6.2f} s  {name}")
        lines.append("  kernel functions with the most self time:")
        for name, seconds in node["functions"]:
            lines.append(f"    {seconds:6.3f} s  {name}")
    return "\n".join(lines)
