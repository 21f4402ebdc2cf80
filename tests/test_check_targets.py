"""The targets' verdicts (scratchnet.targets, which benchmarks/check_targets.py applies), on made-up
results at and around each target (the script itself trains for minutes, so `make targets` runs it,
not the test suite)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from scratchnet import targets
from scratchnet.targets import TARGETS, verdicts

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "check_targets.py"
spec = importlib.util.spec_from_file_location("check_targets", SCRIPT)
check_targets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_targets)

ACC, SECONDS = TARGETS["mnist"]["test_accuracy"], TARGETS["mnist"]["train_seconds"]


@pytest.mark.parametrize("accuracy, seconds, met", [
    (ACC + 0.006, SECONDS / 6, {"test_accuracy": True, "train_seconds": True}),
    (ACC - 0.0001, SECONDS / 6, {"test_accuracy": False, "train_seconds": True}),
    (ACC, SECONDS, {"test_accuracy": True, "train_seconds": True}),          # equal meets it
    (ACC + 0.01, SECONDS + 0.5, {"test_accuracy": True, "train_seconds": False}),
])
def test_mnist_targets_are_accuracy_and_time(accuracy, seconds, met):
    result = {"test_accuracy": accuracy, "train_seconds": seconds}
    assert verdicts("mnist", result) == met


@pytest.mark.parametrize("offset, met", [(0.002, True), (0.0, True), (-0.0003, False)])
def test_fashion_target_is_accuracy_only(offset, met):
    result = {"test_accuracy": TARGETS["fashion-mnist"]["test_accuracy"] + offset,
              "train_seconds": 1e6}
    assert verdicts("fashion-mnist", result) == {"test_accuracy": met}


def test_the_script_checks_the_librarys_targets_with_the_librarys_verdicts():
    assert check_targets.TARGETS is targets.TARGETS
    assert check_targets.verdicts is targets.verdicts


def test_every_target_is_a_probability_or_a_positive_time():
    for dataset, target in TARGETS.items():
        assert set(target) <= {"test_accuracy", "train_seconds"}, dataset
        assert 0 < target["test_accuracy"] < 1, dataset
        assert target.get("train_seconds", 1) > 0, dataset
    assert targets.BENCH_TARGETS["time_vs_torch"] > 0
    assert 0 < targets.BENCH_TARGETS["percent_of_peak"] <= 100
