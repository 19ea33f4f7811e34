"""The synth benchmark's profile (benchmarks/synth_profile.py): how it groups what it measured. Cheap: no synth, no
jsii; the figures themselves come from ``python benchmarks/synth.py --profile``."""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks import synth_profile
from tooling.paths import REPO


def _frame(name: str, url: str = "") -> dict:
    return {"functionName": name, "url": url, "lineNumber": 0}


def test_node_samples_are_grouped_by_the_highest_priority_category_on_their_stack(tmp_path):
    kernel = {"nodes": [
        {"id": 1, "callFrame": _frame("(root)"), "children": [2, 6, 7]},
        {"id": 2, "callFrame": _frame("run", "file:///tmp/x/lib/program.js"), "children": [3, 5]},
        {"id": 3, "callFrame": _frame("synth", "file:///n/node_modules/cdktf/lib/app.js"), "children": [4]},
        {"id": 4, "callFrame": _frame("copyFileSync", "node:fs")},
        {"id": 5, "callFrame": _frame("readSync", "node:fs")},
        {"id": 6, "callFrame": _frame("(idle)")},
        {"id": 7, "callFrame": _frame("(garbage collector)")},
    ], "samples": [4, 4, 5, 6, 7, 3], "timeDeltas": [1000, 1000, 4000, 9000, 2000, 500]}
    relay = {"nodes": [{"id": 1, "callFrame": _frame("(root)"), "children": [2]},
                       {"id": 2, "callFrame": _frame("writeBuffer")}],
             "samples": [2], "timeDeltas": [3000]}
    (tmp_path / "kernel.cpuprofile").write_text(json.dumps(kernel))
    (tmp_path / "relay.cpuprofile").write_text(json.dumps(relay))
    found = dict(synth_profile.node_profile(tmp_path)["categories"])
    assert found == {"synth: asset copies": 0.002, "kernel waiting for Python (blocking read of the next request)": 0.004,
                     "garbage collection": 0.002, "synth: other": 0.0005, synth_profile.RELAY: 0.003}  # idle left out


def test_the_report_splits_round_trips_by_stack_construct_and_line():
    result = {"startup_wall": 1.0, "startup_python_cpu": 1.0, "stacks": ["staging", "staging-workloads"],
              "phases": [{"phase": "staging", "wall": 0.5, "python_cpu": 0.2, "node_cpu": 0.25},
                         {"phase": "staging-workloads", "wall": 0.1, "python_cpu": 0.05, "node_cpu": 0.04},
                         {"phase": "app.synth()", "wall": 0.3, "python_cpu": 0.01, "node_cpu": 0.3}],
              "calls": [["staging", "Network 'network'", "Create", "vtc_constructs/network.py:1 __init__ [Vpc]", 7, 0.01],
                        ["staging", "Network 'network'", "Get (again)", "vtc_constructs/network.py:2 f [id]", 3, 0.002],
                        ["staging-workloads", "ClusterReleases 'releases'", "Create", "x.py:3 g [Release]", 2, 0.004]]}
    text = synth_profile.report(result, None)
    assert "stack staging " in text and "stack staging-workloads" in text and "app.synth()" in text
    assert "staging: Create 7, Get (again) 3" in text
    assert "   10 (0.01 s)  staging: Network 'network'" in text
    assert "Get (again)  vtc_constructs/network.py:2 f [id]" in text
    total = next(line for line in text.splitlines() if line.strip().startswith("total after start-up"))
    assert total.split()[-5:] == ["0.26", "0.59", "12", "(0.02", "s)"], total  # Python and Node CPU, round trips


def test_the_benchmark_offers_the_profile():
    help_text = subprocess.run([sys.executable, "benchmarks/synth.py", "--help"], cwd=REPO, capture_output=True,
                               text=True, check=True).stdout
    assert "--profile" in help_text and "--no-scale" in help_text


def test_the_floor_counts_one_environment_s_creates_and_synth_share(tmp_path):
    stack = tmp_path / "cdk.tf.json"
    stack.write_text(json.dumps({"resource": {"aws_vpc": {"a": {}, "b": {}}, "aws_eip": {"c": {}}},
                                 "data": {"aws_iam_policy_document": {"d": {}}}, "output": {"o": {}},
                                 "provider": {"aws": [{}], "helm": [{}, {"alias": "x"}]}, "terraform": {}}))
    assert synth_profile.output_elements(stack) == 8  # 3 resources, 1 data source, 1 output, 3 provider blocks
    phases = [{"phase": name, "wall": wall, "python_cpu": 0.0, "node_cpu": 0.0}
              for name, wall in (("production", 1.0), ("production-workloads", 0.1), ("staging", 0.6),
                                 ("staging-workloads", 0.1), ("app.synth()", 0.4))]
    result = {"environments": [["production", "production-workloads"], ["staging", "staging-workloads"]],
              "startup_wall": 0.8,
              "elements": {"production": 400, "production-workloads": 20, "staging": 380, "staging-workloads": 20},
              "calls": [["production", "X", "Create", "s", 420, 0.5], ["staging", "X", "Create", "s", 380, 0.19],
                        ["staging-workloads", "Y", "Create", "s", 20, 0.01], ["staging", "X", "Get", "s", 300, 0.3]]}
    text = "\n".join(synth_profile.floor_lines(result, phases))
    assert "380 + 20 = 400" in text  # the last environment's elements
    assert "its Creates: 400 round trips, 0.20 s" in text and "app.synth(): 0.20 s" in text
    assert "with this library's own Python time and every other round trip at zero: 0.40 s" in text
    assert "out of reach" in text and "at most 250 elements fit" in text
    assert "start-up 0.80 s + every environment's Creates 0.70 s + app.synth() 0.40 s = 1.90 s" in text
    result["calls"][1][-1] = 0.01
    assert "within reach" in "\n".join(synth_profile.floor_lines(result, phases))  # 0.01 + 0.01 + 0.2 s <= 0.25 s
