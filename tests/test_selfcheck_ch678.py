"""The cases of the self-checks added for the exercises of chapters 6, 7 and 8, and tests
particular to them. tests/test_selfcheck.py runs every check's cases: the right answer passes,
each wrong one fails with a reason that names the broken property, a stub is "not implemented yet"."""

from __future__ import annotations

import math

import numpy as np

from scratchnet import evaluate, selfcheck, train
from selfcheck_support import verdict


# --- wrong mini-batch iterators ----------------------------------------------------------------

def in_order(n, batch_size, rng):
    order = np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def with_replacement(n, batch_size, rng):
    order = rng.integers(0, n, n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def drops_the_remainder(n, batch_size, rng):
    order = rng.permutation(n)
    for start in range(0, n - batch_size + 1, batch_size):
        yield order[start:start + batch_size]


def shuffles_only_the_batches(n, batch_size, rng):
    full = n // batch_size
    for block in rng.permutation(full):
        yield np.arange(block * batch_size, (block + 1) * batch_size)
    if n % batch_size:
        yield np.arange(full * batch_size, n)


def global_generator(n, batch_size, rng):
    order = np.random.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def same_order_every_epoch(n, batch_size, rng):
    order = np.random.default_rng(0).permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def boolean_masks(n, batch_size, rng):
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        mask = np.zeros(n, dtype=bool)
        mask[order[start:start + batch_size]] = True
        yield mask


def a_list_of_lists(n, batch_size, rng):
    order = rng.permutation(n).tolist()
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


# --- wrong learning-rate schedules --------------------------------------------------------------

def cosine_from_one(epoch, epochs, base, schedule):
    if schedule == "cosine":
        return base * 0.5 * (1 + math.cos(math.pi * (epoch + 1) / epochs))
    return train.learning_rate(epoch, epochs, base, schedule)


def cosine_without_half(epoch, epochs, base, schedule):
    if schedule == "cosine":
        return base * (1 + math.cos(math.pi * epoch / epochs))
    return train.learning_rate(epoch, epochs, base, schedule)


def step_a_tenth_too_late(epoch, epochs, base, schedule):
    if schedule == "step":
        return base * (0.1 if epoch > epochs / 2 else 1.0)
    return train.learning_rate(epoch, epochs, base, schedule)


def unknown_is_constant(epoch, epochs, base, schedule):
    if schedule in train.SCHEDULES:
        return train.learning_rate(epoch, epochs, base, schedule)
    return base


def unknown_is_a_key_error(epoch, epochs, base, schedule):
    table = {"constant": lambda: base, "step": lambda: train.learning_rate(epoch, epochs, base, "step"),
             "cosine": lambda: train.learning_rate(epoch, epochs, base, "cosine")}
    return table[schedule]()


def no_return(epoch, epochs, base, schedule):
    train.learning_rate(epoch, epochs, base, schedule)


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


# (check, right implementation, [(wrong implementation, words expected in the reason), ...])
CASES = {
    "minibatches": (selfcheck.check_minibatches, train.minibatches, [
        (in_order, "original order"),
        (with_replacement, "exactly once"),
        (drops_the_remainder, "exactly once"),
        (shuffles_only_the_batches, "consecutive rows"),
        (global_generator, "same seed"),
        (same_order_every_epoch, "different seeds"),
        (boolean_masks, "integer row indices"),
        (lambda n, b, rng: None, "returned None"),
    ]),
    "learning_rate": (selfcheck.check_learning_rate, train.learning_rate, [
        (cosine_from_one, "start at the base rate"),
        (cosine_without_half, "start at the base rate"),
        (step_a_tenth_too_late, "e >= E/2"),
        (unknown_is_constant, "should raise ValueError (got 0.1)"),
        (unknown_is_a_key_error, "not KeyError"),
        (no_return, "None"),
    ]),
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
}


def test_the_new_checks_are_listed_by_name():
    assert set(CASES) <= set(selfcheck.CHECKS)
    for name, (check, _, _) in CASES.items():
        assert selfcheck.CHECKS[name] is check


def test_a_list_of_lists_is_accepted_as_batches(capsys):
    result, printed = verdict(selfcheck.check_minibatches, a_list_of_lists, capsys)
    assert result.passed, printed


def test_a_per_class_accuracy_that_warns_on_an_absent_class_still_passes_quietly(capsys):
    def plain(C):
        return np.diag(C) / C.sum(axis=1)   # 0/0 = nan with a RuntimeWarning

    result, printed = verdict(selfcheck.check_per_class_accuracy, plain, capsys)
    assert result.passed, printed


def test_the_confusion_verdict_never_prints_a_matrix(capsys):
    result, printed = verdict(selfcheck.check_confusion_matrix, fancy_index_plus_equals, capsys)
    assert "[" not in printed and "array" not in printed
