"""The project's accuracy and time targets (issue 5), stated once.

``benchmarks/check_targets.py`` checks the first two against ``scratchnet train``'s defaults; the
book's chapters glue them from here, and the tests read them from here.
"""

from __future__ import annotations

TARGETS: dict[str, dict[str, float]] = {
    "mnist": {"test_accuracy": 0.970, "train_seconds": 90.0},
    "fashion-mnist": {"test_accuracy": 0.900},
}
"""Per dataset, for ``scratchnet train`` with its defaults: the held-out test accuracy at least,
and (MNIST) the training loop's wall time in seconds at most."""

BENCH_TARGETS: dict[str, float] = {"time_vs_torch": 0.8, "percent_of_peak": 60.0}
"""The fast path against PyTorch (``benchmarks/bench_torch.py``): ``sgd_fast``'s training time at
most 0.8 times PyTorch's, and at least 60% of this machine's measured matrix-product peak."""


def verdicts(dataset: str, result: dict[str, float]) -> dict[str, bool]:
    """For each target of ``dataset``: did ``result`` (``test_accuracy``, ``train_seconds``) meet
    it?

    Accuracy meets its target when at least equal to it, time when at most equal to it.
    """
    target = TARGETS[dataset]
    met = {"test_accuracy": result["test_accuracy"] >= target["test_accuracy"]}
    if "train_seconds" in target:
        met["train_seconds"] = result["train_seconds"] <= target["train_seconds"]
    return met
