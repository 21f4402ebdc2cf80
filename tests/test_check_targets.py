"""benchmarks/check_targets.py's verdicts, on made-up results (the script itself trains for minutes,
so `make targets` runs it, not the test suite)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "check_targets.py"
spec = importlib.util.spec_from_file_location("check_targets", SCRIPT)
check_targets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_targets)


@pytest.mark.parametrize("accuracy, seconds, met", [
    (0.9760, 14.0, {"test_accuracy": True, "train_seconds": True}),
    (0.9699, 14.0, {"test_accuracy": False, "train_seconds": True}),
    (0.9700, 90.0, {"test_accuracy": True, "train_seconds": True}),
    (0.9800, 90.5, {"test_accuracy": True, "train_seconds": False}),
])
def test_mnist_targets_are_accuracy_and_time(accuracy, seconds, met):
    result = {"test_accuracy": accuracy, "train_seconds": seconds}
    assert check_targets.verdicts("mnist", result) == met


@pytest.mark.parametrize("accuracy, met", [(0.9020, True), (0.9000, True), (0.8997, False)])
def test_fashion_target_is_accuracy_only(accuracy, met):
    result = {"test_accuracy": accuracy, "train_seconds": 1e6}
    assert check_targets.verdicts("fashion-mnist", result) == {"test_accuracy": met}


def test_the_targets_are_the_issues():
    assert check_targets.TARGETS == {"mnist": {"test_accuracy": 0.970, "train_seconds": 90.0},
                                     "fashion-mnist": {"test_accuracy": 0.900}}
