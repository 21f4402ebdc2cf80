"""The targets' verdicts (scratchnet.targets, which benchmarks/check_targets.py applies), on made-up
results at and around each target (the script itself trains for minutes, so `make targets` runs it,
not the test suite)."""

from __future__ import annotations

import pytest
from script_support import benchmark

from scratchnet import perf, targets
from scratchnet.targets import TARGETS, verdicts

check_targets = benchmark("check_targets")

ACC, SECONDS = TARGETS["mnist"]["test_accuracy"], TARGETS["mnist"]["train_seconds"]


@pytest.mark.parametrize("accuracy, seconds, met", [
    (ACC + 0.006, SECONDS / 6, {"test_accuracy": True, "train_seconds": True}),
    (ACC + 0.006, SECONDS, {"test_accuracy": True, "train_seconds": True}),
    (ACC - 0.0001, SECONDS / 6, {"test_accuracy": False, "train_seconds": True}),
    (ACC, SECONDS, {"test_accuracy": True, "train_seconds": True}),          # equal meets it
    (ACC + 0.01, SECONDS + 0.5, {"test_accuracy": True, "train_seconds": False}),
])
def test_mnist_targets_are_accuracy_and_time(accuracy, seconds, met):
    result = {"test_accuracy": accuracy, "train_seconds": seconds}
    assert verdicts("mnist", result) == met


@pytest.mark.parametrize("offset, ratio, met", [
    (0.002, 1.2, {"test_accuracy": True, "matmul_bound_ratio": True}),
    (0.0, 1.5, {"test_accuracy": True, "matmul_bound_ratio": True}),            # equal meets it
    (-0.0003, 1.51, {"test_accuracy": False, "matmul_bound_ratio": False})])
def test_fashion_targets_are_accuracy_time_and_the_ratio_to_the_matmul_bound(offset, ratio, met):
    target = TARGETS["fashion-mnist"]
    result = {"test_accuracy": target["test_accuracy"] + offset,
              "train_seconds": target["train_seconds"] + 1, "matmul_bound_ratio": ratio}
    assert verdicts("fashion-mnist", result) == {**met, "train_seconds": False}


def test_a_figure_that_was_not_measured_is_not_judged():
    assert verdicts("mnist", {"test_accuracy": 0.99, "train_seconds": None}) == {
        "test_accuracy": True}


def test_the_script_checks_the_librarys_targets_with_the_librarys_verdicts():
    assert check_targets.TARGETS is targets.TARGETS
    assert check_targets.verdicts is targets.verdicts


def test_every_target_is_a_probability_or_a_positive_time_or_ratio():
    for dataset, target in TARGETS.items():
        assert set(target) <= {"test_accuracy", "train_seconds", "matmul_bound_ratio"}, dataset
        assert 0 < target["test_accuracy"] < 1, dataset
        assert target.get("train_seconds", 1) > 0, dataset
        assert target.get("matmul_bound_ratio", 1) >= 1, dataset    # no run beats the bound
    assert targets.BENCH_TARGETS["time_vs_torch"] > 0
    assert 0 < targets.BENCH_TARGETS["percent_of_peak"] <= 100
    assert 0 < targets.BUILD_TARGETS["warm_seconds"] < targets.BUILD_TARGETS["cold_seconds"]


def made_up_run(dataset="fashion-mnist", seconds=30.0, dev=0.9):
    """A ``scratchnet train --json`` line for the default configuration (nothing trained)."""
    config = check_targets.RECOMMENDED[dataset]
    return {"config": config.to_dict(), "n_train": 60_000, "n_dev": 0 if dev is None else 5_000,
            "dev_accuracy": dev, "train_seconds": seconds, "test_accuracy": 0.9123,
            "n_test": 10_000, "source": "local", "blas_threads": 2}


def test_the_matmul_bound_counts_the_runs_products_at_the_peak():
    run = made_up_run()
    config = check_targets.RECOMMENDED["fashion-mnist"]
    bound = check_targets.matmul_bound(run, peak_gflops=200.0)
    flops = perf.run_matmul_flops(60_000, config.epochs, config.batch_size, config.hidden,
                                  evaluated_rows=check_targets.TRAIN_SAMPLE_ROWS + 5_000)
    assert bound["matmul_gflop"] == pytest.approx(flops / 1e9)
    assert bound["matmul_bound_seconds"] == pytest.approx(flops / 200e9)
    assert bound["matmul_bound_ratio"] == pytest.approx(30.0 / (flops / 200e9))
    no_dev = check_targets.matmul_bound(made_up_run(dev=None), peak_gflops=200.0)
    assert no_dev["matmul_gflop"] < bound["matmul_gflop"]          # no dev rows to score


def test_the_report_line_says_where_the_test_accuracy_comes_from():
    for source, where in (("npm", "held-out split"), ("local", "official test set")):
        run = {**made_up_run(), "source": source, "load_average": 0.5}
        run.update(check_targets.matmul_bound(run, 200.0))
        checked = {"result": run, "targets": TARGETS["fashion-mnist"],
                   "met": verdicts("fashion-mnist", run)}
        line = check_targets.describe("fashion-mnist", checked)
        assert where in line and "91.23%" in line
