"""Self-checks of chapter 8, evaluation: the confusion matrix and the per-class accuracy, and
(graded) the top-k accuracy."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from scratchnet import evaluate
from scratchnet.selfcheck.harness import (
    CheckResult,
    as_array,
    compare_on_random,
    registered,
    require,
    run_checks,
    shaped,
)


def _counts(value, K: int) -> np.ndarray:
    C = shaped(value, (K, K), "the confusion matrix")
    require(bool(np.all(C == np.round(C))) and bool(np.all(C >= 0)),
            "the confusion matrix should hold counts: whole numbers >= 0")
    return C


@registered
def check_confusion_matrix(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(y_true, y_pred, n_classes)``: C (K, K) with C_jk = #{i: y_i = j, predicted k}."""
    def orientation():
        C = _counts(fn(np.array([0]), np.array([2]), 3), 3)
        require(not (C[2, 0] == 1 and C[0, 2] == 0), "the matrix is transposed: row j is the true "
                                                     "class, column k the predicted class")
        require(C[0, 2] == 1 and C.sum() == 1, "one example of class 0 predicted as 2 should give "
                                               "a single count, in row 0 and column 2")

    def repeated_pairs():
        C = _counts(fn(np.array([1, 1, 1, 2]), np.array([1, 1, 1, 0]), 3), 3)
        require(C[1, 1] == 3, "three examples of class 1 predicted as 1 give a count of "
                              f"{C[1, 1]:g} in that cell, not 3: every example must add 1, also "
                              "when its (true, predicted) pair occurred before")

    def all_classes_present():
        C = as_array(fn(np.array([0, 1, 2]), np.array([0, 1, 2]), 10), "the confusion matrix")
        require(C.shape == (10, 10), "with n_classes = 10 the matrix should be 10 x 10 even when "
                                     f"only three classes occur (got shape {C.shape})")

    def totals():
        rng = np.random.default_rng(21)
        y_true, y_pred = rng.integers(0, 10, 200), rng.integers(0, 10, 200)
        C = _counts(fn(y_true.copy(), y_pred.copy(), 10), 10)
        require(C.sum() == 200, f"the counts add up to {C.sum():g}, not to the n = 200 examples")
        require(np.array_equal(C.sum(axis=1), np.bincount(y_true, minlength=10)),
                "row sums should be the number of examples of each true class")
        require(np.trace(C) == np.sum(y_true == y_pred), "the diagonal should count the correct "
                                                         "predictions")

    def make_args(rng):
        n = int(rng.integers(1, 300))
        return rng.integers(0, 10, n), rng.integers(0, 10, n), 10

    return run_checks("confusion_matrix", [
        orientation, repeated_pairs, all_classes_present, totals,
        lambda: compare_on_random(fn, evaluate.confusion_matrix, make_args, "the confusion matrix",
                                  seed=22),
    ], "rows are true classes, columns predictions, every example counted once, the right size, "
       "right on random labels", quiet)


def _per_class(fn: Callable, C: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 for an absent class: reader's choice
        with np.errstate(all="ignore"):
            value = fn(C.copy())
    array = as_array(value, "the per-class accuracy")
    require(array.shape == (len(C),), f"the per-class accuracy has shape {array.shape}, expected "
                                      f"({len(C)},): one number per class")
    return array


@registered
def check_per_class_accuracy(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(C)``: acc_j = C_jj / sum_k C_jk for each class j (nan for an absent class)."""
    def rows_not_columns():
        C = np.array([[8, 2, 0], [1, 12, 0], [1, 3, 6]])
        acc = _per_class(fn, C)
        require(bool(np.all(np.isfinite(acc))), "every class occurs here, so every accuracy "
                                                "should be a finite number")
        columns = np.diag(C) / C.sum(axis=0)
        require(not np.allclose(acc, columns), "you divided by the column sums (how often a class "
                                               "was predicted); divide by the row sums (how many "
                                               "examples the class has)")
        require(not np.allclose(acc, np.diag(C) / C.sum()), "you divided by the number of all "
                                                             "examples; divide by the size of "
                                                             "each class")
        require(bool(np.all((acc >= 0) & (acc <= 1))), "an accuracy lies between 0 and 1")
        require(np.allclose(acc, np.diag(C) / C.sum(axis=1)), "the per-class accuracy is wrong on "
                                                              "a 3 x 3 matrix")

    def absent_class():
        C = np.array([[5, 1, 0], [0, 0, 0], [2, 0, 4]])
        acc = _per_class(fn, C)
        require(bool(np.isnan(acc[1])), "class 1 has no examples, so it has no accuracy: return "
                                        f"nan for it (got {acc[1]:.3g})")
        require(bool(np.all(np.isfinite(acc[[0, 2]]))), "the classes that do occur should get "
                                                        "finite accuracies")

    def make_args(rng):
        K = int(rng.integers(2, 12))
        return (rng.integers(0, 30, (K, K)) + np.eye(K, dtype=np.int64),)

    return run_checks("per_class_accuracy", [
        rows_not_columns, absent_class,
        lambda: compare_on_random(fn, evaluate.per_class_accuracy, make_args,
                                  "the per-class accuracy", seed=23),
    ], "divides the diagonal by the row sums, nan for a class without examples, right on random "
       "matrices", quiet)


@registered
def check_top_k_accuracy(fn: Callable, quiet: bool = False, seed: int = 0) -> CheckResult:
    """``fn(P, y, k)``: the share of rows i whose true class y_i is among the k most probable,
    that is, fewer than k classes have a probability strictly above P[i, y_i]."""
    rng = np.random.default_rng(seed)

    def value(P, y, k, what="the top-k accuracy"):
        P_in, y_in = P.copy(), y.copy()
        got = as_array(fn(P, y, k), what)
        require(got.shape == (), f"{what} should be one number, got shape {got.shape}")
        require(np.array_equal(P, P_in) and np.array_equal(y, y_in),
                "your function changed its input P or y")
        return float(got)

    def random_case():
        n, K = int(rng.integers(20, 200)), int(rng.integers(3, 12))
        Z = rng.normal(0, 2, (n, K))
        P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        return P, rng.integers(0, K, n), K

    def known_values():
        P = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])
        y = np.array([2, 1])
        got = [value(P, y, k) for k in (1, 2, 3)]
        require(np.allclose(got, [0.0, 0.5, 1.0]), "on two rows whose true classes come third "
                "and second, the top-1, -2, -3 accuracies are 0, 0.5, 1 (got "
                f"{', '.join(f'{g:.3g}' for g in got)})")

    def ties():
        P, y = np.array([[0.4, 0.4, 0.2]]), np.array([1])
        require(value(P, y, 1) == 1.0, "with a tie at the top, the true class counts as top-1: "
                                       "no class has a strictly larger probability")

    def top_1_is_accuracy_and_k_is_everything():
        P, y, K = random_case()
        require(np.isclose(value(P, y, 1), evaluate.accuracy(y, P.argmax(axis=1))),
                "the top-1 accuracy should be the ordinary accuracy of the most probable class")
        require(value(P, y, K) == 1.0, f"with k = K = {K} every true class is among the top k")

    def grows_with_k():
        P, y, K = random_case()
        got = [value(P, y, k) for k in range(1, K + 1)]
        require(all(a <= b for a, b in zip(got, got[1:], strict=False)),
                "the top-k accuracy should never fall as k grows")
        counts = np.bincount((P > P[np.arange(len(y)), y][:, None]).sum(axis=1), minlength=K)
        require(np.allclose(np.diff([0.0, *got]), counts / len(y)),
                "the top-k accuracy is wrong on random probabilities (the share added at each k "
                "should be that of rows whose true class has rank k)")

    def invariant_to_order():
        P, y, K = random_case()
        rows, columns = rng.permutation(len(y)), rng.permutation(K)
        relabel = np.argsort(columns)                     # class c moves to column relabel[c]
        k = int(rng.integers(1, K))
        require(np.isclose(value(P, y, k), value(P[rows][:, columns], relabel[y[rows]], k)),
                "reordering the rows, or renaming the classes, changed the top-k accuracy")

    return run_checks("top_k_accuracy", [known_values, ties, top_1_is_accuracy_and_k_is_everything,
                                         grows_with_k, invariant_to_order],
                      "known values, ties, top-1 = accuracy, top-K = 1, grows with k, and "
                      "unchanged by reordering rows or classes", quiet)
