"""benchmarks/bench_torch.py, run small (the first 1,024 Fashion-MNIST images, one epoch, one run).

What is checked is how it measures, never how fast the machine was: every run is a process of its
own, only the PyTorch process imports torch, the fast and readable loops end with the same weights,
the best-run figures are computed from the best run, and without torch the comparison says "not
run" instead of giving a ratio.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scratchnet import perf

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench_torch.py"
ROWS = 1024


def torch_installed() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    done = subprocess.run([sys.executable, str(BENCH), "--epochs", "1", "--repeats", "2",
                           "--rows", str(ROWS), "--peak-size", "256", "--threads", "1",
                           "--json", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(out.read_text()), done.stdout


def test_every_run_is_a_process_of_its_own(bench):
    out, _ = bench
    pids = [pid for r in out["results"].values() for pid in r["processes"]]
    assert len(pids) == len(set(pids)) == 2 * len(out["results"])
    assert os.getpid() not in pids
    assert out["one_process_per_run"] is True


def test_only_the_torch_process_imports_torch(bench):
    out, _ = bench
    assert out["results"]["scratchnet"]["torch_imported"] is False
    assert out["results"]["fast"]["torch_imported"] is False
    if "torch" in out["results"]:
        assert out["results"]["torch"]["torch_imported"] is True


def test_fast_and_readable_loops_end_with_the_same_weights(bench):
    out, _ = bench
    assert out["fast_matches_readable"] == 0
    assert out["workload"]["train_images"] == ROWS


def test_best_figures_come_from_the_fastest_run(bench):
    out, _ = bench
    flops = perf.flops_per_epoch(ROWS, 128, 256, evaluated_rows=ROWS)
    assert out["workload"]["flops"] == flops
    for r in out["results"].values():
        assert r["seconds_best"] == min(r["seconds_all"]) <= r["seconds_median"]
        assert r["gflops_per_s_best"] == pytest.approx(flops / r["seconds_best"] / 1e9)
        assert r["percent_of_peak_best"] == pytest.approx(
            100 * r["gflops_per_s_best"] / out["peak_gflops"])
    assert out["peak_gflops"] == max(out["peak_gflops_before_after"])


def test_torch_comparison_is_run_exactly_when_torch_is_installed(bench):
    out, stdout = bench
    if torch_installed():
        assert out["torch_run"] and "torch" in out["results"]
        best = out["results"]["torch"]["seconds_best"]
        assert out["ratio_to_torch_best"]["fast"] == pytest.approx(
            out["results"]["fast"]["seconds_best"] / best)
        assert "not run" not in stdout
    else:
        assert not out["torch_run"] and "torch" not in out["results"]
        assert out["ratio_to_torch"] is None
        assert "PyTorch not installed: comparison not run" in stdout
