"""The self-checks of the evaluation functions (scratchnet.evaluate: the confusion matrix and the
per-class accuracy; the graded top-k accuracy): their cases, and tests particular to them.
tests/test_selfcheck.py runs every check's cases: the right answer passes, each wrong one fails
with a reason that names the broken property, a stub is "not implemented yet"."""

from __future__ import annotations

import numpy as np
from selfcheck_support import verdict

from scratchnet import evaluate, selfcheck

# --- wrong confusion matrices and per-class accuracies ------------------------------------------

def fancy_index_plus_equals(y_true, y_pred, n_classes):
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    C[y_true, y_pred] += 1            # repeated (j, k) pairs are counted once
    return C


def transposed(y_true, y_pred, n_classes):
    return evaluate.confusion_matrix(y_true, y_pred, n_classes).T


def sized_by_the_labels(y_true, y_pred, n_classes):
    K = int(max(y_true.max(), y_pred.max())) + 1
    C = np.zeros((K, K), dtype=np.int64)
    np.add.at(C, (y_true, y_pred), 1)
    return C


def fractions(y_true, y_pred, n_classes):
    return evaluate.confusion_matrix(y_true, y_pred, n_classes) / len(y_true)


def precision(C):
    return np.diag(C) / C.sum(axis=0)


def zero_for_absent(C):
    totals = C.sum(axis=1)
    return np.diag(C) / np.maximum(totals, 1)


def overall_share(C):
    return np.diag(C) / C.sum()


def top_k_accuracy(P, y, k):
    """The graded exercise's answer (kept in the tests, not the library)."""
    above = (P > P[np.arange(len(y)), y][:, None]).sum(axis=1)
    return float(np.mean(above < k))


def top_k_by_argsort(P, y, k):
    """Ties broken by position, not in the true class's favour."""
    best = np.argsort(-P, axis=1, kind="stable")[:, :k]
    return float(np.mean((best == y[:, None]).any(axis=1)))


# (check, right implementation, [(wrong implementation, words expected in the reason), ...])
CASES = {
    "confusion_matrix": (selfcheck.check_confusion_matrix, evaluate.confusion_matrix, [
        (fancy_index_plus_equals, "every example must add 1"),
        (transposed, "transposed"),
        (sized_by_the_labels, "even when only three classes occur"),
        (fractions, "whole numbers"),
    ]),
    "per_class_accuracy": (selfcheck.check_per_class_accuracy, evaluate.per_class_accuracy, [
        (precision, "column sums"),
        (overall_share, "number of all examples"),
        (zero_for_absent, "return nan"),
        (lambda C: np.diag(C), "between 0 and 1"),
        (lambda C: (np.diag(C) / C.sum(axis=1))[:-1], "one number per class"),
    ]),
    "top_k_accuracy": (selfcheck.check_top_k_accuracy, top_k_accuracy, [
        (lambda P, y, k: top_k_accuracy(P, y, k - 1), "top-1, -2, -3"),
        (lambda P, y, k: top_k_accuracy(P, y, k) * len(y), "top-1, -2, -3"),
        (lambda P, y, k: np.full(len(y), top_k_accuracy(P, y, k)), "one number"),
        (top_k_by_argsort, "tie at the top"),
        (lambda P, y, k: top_k_accuracy(P, y, min(k, 2)), "top-1, -2, -3"),
        (lambda P, y, k: top_k_accuracy(np.sort(P, axis=1), y, k), "top-1, -2, -3"),
        (lambda P, y, k: float(np.mean((P >= P[np.arange(len(y)), y][:, None]).sum(axis=1) <= k)),
         "tie at the top"),
    ]),
}


def test_a_per_class_accuracy_that_warns_on_an_absent_class_still_passes_quietly(capsys):
    def plain(C):
        return np.diag(C) / C.sum(axis=1)   # 0/0 = nan with a RuntimeWarning

    result, printed = verdict(selfcheck.check_per_class_accuracy, plain, capsys)
    assert result.passed, printed


def test_the_confusion_verdict_never_prints_a_matrix(capsys):
    result, printed = verdict(selfcheck.check_confusion_matrix, fancy_index_plus_equals, capsys)
    assert "[" not in printed and "array" not in printed
