"""benchmarks/bench_torch.py, run small (the first 1,024 Fashion-MNIST images, one epoch, two runs).

What is checked is how it measures, never how fast the machine was: every run is a process of its
own, only the PyTorch process imports torch, the fast and readable loops end with the same weights,
the best-run figures are computed from the best run, and without torch the comparison says "not
run" instead of giving a ratio. Then its report, on made-up results: the verdicts follow from the
best runs and the targets, the figures and the table the book glues show a dash for whatever was not
measured, and a disturbed peak or a busy machine is flagged. The CLI's run (all 60,000 images, left
out of the small run) is checked to get the workload's configuration and rows.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from script_support import benchmark

from scratchnet import checkpoint, cli, fast, perf, targets, train

pytestmark = pytest.mark.slow   # each test starts processes: make test-fast leaves them out

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


def test_a_quick_run_on_some_rows_leaves_the_cli_out(bench):
    out, _ = bench
    assert "cli" not in out["results"] and out["cli_run"] is False
    assert out["cli_matches_fast"] is None
    assert bench_torch.verdicts(out) == {"ratio_to_torch": "not run", "percent_of_peak": "not run"}


def test_best_figures_come_from_the_fastest_run(bench):
    out, _ = bench
    flops = perf.flops_per_epoch(ROWS, 128, 256, evaluated_rows=train.TRAIN_SAMPLE_ROWS)
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
        assert "PyTorch" in stdout           # the report's table has its column (a quick run
        assert "cli" not in out["results"]   # with --rows leaves out the CLI, which it judges)
    else:
        assert not out["torch_run"] and "torch" not in out["results"]
        assert out["ratio_to_torch"] is None
        assert "PyTorch not installed: comparison not run" in stdout


# --- the report: verdicts, figures and the table, on made-up results (no benchmark run) ----------

bench_torch = benchmark("bench_torch")


def made_up_results(ratio: float, percent: float, step_percent: float = 50.0,
                    load: float = 0.5, torch: bool = True) -> dict:
    """A bench_torch.py result whose best runs give the fast/torch time ratio ``ratio`` and
    ``percent`` % of a 100 GFLOP/s peak; its medians are worse (1.5x the ratio, half the share), so
    a verdict read off the medians would differ. Single steps reach ``step_percent`` % of the peak;
    the load average at the end is ``load`` on 2 cores."""
    names = ("cli", "scratchnet", "fast", "torch") if torch else ("cli", "scratchnet", "fast")
    result = {"seconds_median": 1.0, "seconds_best": 0.9, "gflops_per_s": 10.0,
              "percent_of_peak": 20.0, "gflops_per_s_best": 11.0, "percent_of_peak_best": 22.0,
              "test_accuracy": 0.8125}
    results = {name: dict(result) for name in names}
    results["cli"].update(percent_of_peak=percent / 2, percent_of_peak_best=percent)
    steps = {name: {"best": 0.004, "median": 0.005, "gflops_per_s_best": step_percent,
                    "percent_of_peak_best": step_percent} for name in names if name != "cli"}
    out = {"repeats": 3, "peak_gflops": 100.0, "torch_run": torch,
           "machine": {"torch": "2.x" if torch else None, "numpy": "2.y", "threads": 2,
                       "cpu_count": 2, "load_average": [load, load, load]},
           "workload": {"layers": [784, 256, 10], "batch_size": 128, "epochs": 1,
                        "train_images": 60000, "flops": 7.4e10},
           "results": results, "single_steps": steps, "fast_matches_readable": 0.0,
           "cli_matches_fast": 0.0, "ratio_to_torch": None}
    if torch:
        for step in steps.values():
            step["ratio_to_torch_best"] = 0.9
        out.update(ratio_to_torch={"scratchnet": 1.3, "fast": 0.7, "cli": ratio * 1.5},
                   ratio_to_torch_best={"scratchnet": 1.2, "fast": 0.65, "cli": ratio},
                   torch_vs_fast_max_weight_difference=0.0123)
    return out


@pytest.mark.parametrize("value, target, at_most, expected", [
    (0.53, 0.8, True, "met"), (0.8, 0.8, True, "met"), (0.81, 0.8, True, "not met"),
    (71.0, 60.0, False, "met"), (60.0, 60.0, False, "met"), (59.9, 60.0, False, "not met"),
    (None, 0.8, True, "not run")])
def test_a_verdict_follows_from_the_value_and_the_target(value, target, at_most, expected):
    assert bench_torch.verdict(value, target, at_most) == expected


RATIO, PEAK = targets.BENCH_TARGETS["time_vs_torch"], targets.BENCH_TARGETS["percent_of_peak"]


@pytest.mark.parametrize("ratio, percent, expected", [(0.53, 71.0, ("met", "met")),
                                                      (1.25, 12.5, ("not met", "not met")),
                                                      (RATIO, PEAK, ("met", "met")),
                                                      (RATIO + 0.01, PEAK, ("not met", "met")),
                                                      (0.5, PEAK - 0.1, ("met", "not met"))])
def test_the_verdicts_are_read_off_the_best_runs(ratio, percent, expected):
    out = made_up_results(ratio, percent)
    assert tuple(bench_torch.verdicts(out).values()) == expected
    s = bench_torch.summary(out)
    assert (s["status"], s["why"], s["verdict_ratio"], s["verdict_peak"]) == ("run", "", *expected)
    assert float(s["ratio"]) == ratio and float(s["percent"]) == percent


def test_without_pytorch_nothing_is_judged_and_no_figure_is_shown():
    for out, problem in ((None, "PyTorch is not installed"),
                         (made_up_results(0.5, 70.0, torch=False), "")):
        s = bench_torch.summary(out, problem)
        assert s["status"] == "not run" and s["why"] == problem
        assert s["verdict_ratio"] == s["verdict_peak"] == "not run"
        measured = {k: v for k, v in s.items() if k not in
                    ("status", "why", "verdict_ratio", "verdict_peak", "target_ratio",
                     "target_peak")}
        assert set(measured.values()) == {bench_torch.NOT_MEASURED}, measured
    table = bench_torch.results_table(None)
    assert set(table.to_numpy().ravel()) == {bench_torch.NOT_MEASURED}
    assert list(table.columns) == ["CLI", "sgd", "fast", "PyTorch"]


def test_the_targets_are_the_librarys_and_judged_on_the_cli():
    assert bench_torch.TARGETS == {"ratio_to_torch": targets.BENCH_TARGETS["time_vs_torch"],
                                   "percent_of_peak": targets.BENCH_TARGETS["percent_of_peak"]}
    s = bench_torch.summary(None)
    assert (float(s["target_ratio"]), float(s["target_peak"])) == tuple(
        targets.BENCH_TARGETS.values())
    assert bench_torch.JUDGED == "cli"


def test_the_cli_run_trains_the_workloads_configuration_on_the_workloads_rows(monkeypatch):
    seen = {}

    def fake_train(config, X, y, X_dev=None, y_dev=None, progress=False, train_eval_rows=None):
        seen.update(config=config, X=X, y=y, rows=train_eval_rows)
        return train.init_params(config), train.History(seconds=0.0)

    monkeypatch.setattr(fast, "train", fake_train)
    monkeypatch.setattr(checkpoint, "save", lambda *a, **k: None)
    assert cli.main([*bench_torch.cli_arguments(3), "--no-progress", "--out", "/dev/null"]) == 0
    assert seen["config"] == bench_torch.sgd_config(3)
    X, y, _, _, _ = bench_torch.load_fashion_mnist()
    assert np.array_equal(seen["X"], X) and np.array_equal(seen["y"], y) and len(y) == 60_000
    assert seen["rows"] == train.TRAIN_SAMPLE_ROWS


@pytest.mark.parametrize("step_percent, load, disturbed, busy", [(50.0, 0.5, "no", "no"),
                                                                 (120.0, 8.2, "yes", "yes"),
                                                                 (100.0, 2.0, "no", "no"),
                                                                 (100.1, 2.1, "yes", "yes")])
def test_a_step_above_the_peak_and_a_load_above_the_cores_are_flagged(step_percent, load,
                                                                       disturbed, busy):
    out = made_up_results(0.5, 70.0, step_percent=step_percent, load=load)
    assert bench_torch.peak_disturbed(out) == (disturbed == "yes")
    s = bench_torch.summary(out)
    assert (s["disturbed"], s["busy"], s["load"]) == (disturbed, busy, f"{load:.1f}")


def test_the_results_table_shows_each_implementations_figures():
    out = made_up_results(0.53, 71.0)
    table = bench_torch.results_table(out)
    assert list(table.index) == list(bench_torch.ROWS)
    assert table.loc["best time / PyTorch", "CLI"] == "0.53"
    assert table.loc["median / PyTorch", "CLI"] == "0.80"     # 1.5 x 0.53
    assert table.loc["best step (ms)", "CLI"] == bench_torch.NOT_MEASURED
    assert table.loc["max |w − fast's|", "CLI"] == "0"
    assert table.loc["best time / PyTorch", "PyTorch"] == bench_torch.NOT_MEASURED
    assert table.loc["best % of peak", "CLI"] == "71.0"
    assert table.loc["test accuracy (%)", "PyTorch"] == "81.25"
    assert table.loc["best step (ms)", "sgd"] == "4.00"
    assert table.loc["max |w − fast's|", "PyTorch"] == "0.01"
    assert table.loc["max |w − fast's|", "fast"] == bench_torch.NOT_MEASURED
    no_torch = bench_torch.results_table(made_up_results(0.5, 70.0, torch=False))
    assert list(no_torch.columns) == ["CLI", "sgd", "fast"]
    assert set(no_torch.loc["best time / PyTorch"]) == {bench_torch.NOT_MEASURED}


def test_run_for_book_without_pytorch_says_so_and_runs_nothing(monkeypatch):
    monkeypatch.setattr(bench_torch, "torch_installed", lambda: False)
    monkeypatch.setattr(bench_torch.subprocess, "run", lambda *a, **k: pytest.fail("ran"))
    assert bench_torch.run_for_book(["--epochs", "1"], timeout=1) == \
        (None, "PyTorch is not installed")


def test_run_for_book_reports_a_failed_run_in_a_few_words(monkeypatch):
    monkeypatch.setattr(bench_torch, "torch_installed", lambda: True)
    out, problem = bench_torch.run_for_book(["--epochs", "not-a-number"], timeout=60)
    assert out is None and problem.startswith("it failed (") and len(problem) < 100


def test_the_report_reads_the_benchmarks_real_output(bench):
    """summary and results_table on this script's own JSON (not a made-up one): every figure of an
    implementation that ran is a number; a comparison with PyTorch only where it ran."""
    out, _ = bench
    table = bench_torch.results_table(out)
    assert list(table.columns) == [bench_torch.LABELS[n] for n in out["results"]]
    for label in ("best time (s)", "best GFLOP/s", "best % of peak", "test accuracy (%)"):
        assert all(float(v) > 0 for v in table.loc[label]), label
    assert float(table.loc["best time (s)", "fast"]) == pytest.approx(
        out["results"]["fast"]["seconds_best"], abs=0.005)
    s = bench_torch.summary(out)
    if torch_installed():                    # compared, but --rows leaves out the CLI it judges
        assert s["status"] == "not run" and "cli" not in out["results"]
        assert float(table.loc["best time / PyTorch", "fast"]) > 0
    else:
        assert s["status"] == "not run" and s["ratio"] == bench_torch.NOT_MEASURED
        assert set(table.loc["best time / PyTorch"]) == {bench_torch.NOT_MEASURED}
