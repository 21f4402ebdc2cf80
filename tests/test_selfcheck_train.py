"""The self-checks of the training functions (scratchnet.train: the gradient-descent step,
mini-batches, the momentum step, the L2 gradient, the learning-rate schedules): their cases, and
tests particular to them. tests/test_selfcheck.py runs every check's cases: the right answer
passes, each wrong one fails with a reason that names the broken property, a stub is "not
implemented yet"."""

from __future__ import annotations

import math

import numpy as np
from selfcheck_support import verdict

from scratchnet import selfcheck, train

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
    order = np.random.permutation(n)  # noqa: NPY002 (the mistake under test)
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
    table = {"constant": lambda: base,
             "step": lambda: train.learning_rate(epoch, epochs, base, "step"),
             "cosine": lambda: train.learning_rate(epoch, epochs, base, "cosine")}
    return table[schedule]()


def no_return(epoch, epochs, base, schedule):
    train.learning_rate(epoch, epochs, base, schedule)



# (check, right implementation, [(wrong implementation, words expected in the reason), ...])
CASES = {
    "gradient_descent_step": (selfcheck.check_gradient_descent_step, train.gradient_descent_step, [
        (lambda p, g, a: {k: p[k] + a * g[k] for k in p}, "uphill"),
        (lambda p, g, a: {k: p[k] - g[k] for k in p}, "wrong on a random step"),
    ]),
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
    "momentum_step": (selfcheck.check_momentum_step, train.momentum_step, [
        (lambda p, g, v, lr, mu: train.gradient_descent_step(p, g, lr), "pair"),
        (lambda p, g, v, lr, mu: train.momentum_step(p, g, v, lr, 1 - mu), "velocity after step 2"),
        (lambda p, g, v, lr, mu: (train.gradient_descent_step(p, g, lr), v),
         "velocity after step 1"),
    ]),
    "l2_gradient": (selfcheck.check_l2_gradient, train.l2_gradient, [
        (lambda p, g, lam: {k: g[k] + lam * p[k] for k in g}, "weights only"),
        (lambda p, g, lam: {k: g[k] + 2 * lam * p[k] if k[0] == "W" else g[k] for k in g},
         "penalised"),
    ]),
    "learning_rate": (selfcheck.check_learning_rate, train.learning_rate, [
        (cosine_from_one, "start at the base rate"),
        (cosine_without_half, "start at the base rate"),
        (step_a_tenth_too_late, "e >= E/2"),
        (unknown_is_constant, "should raise ValueError (got 0.1)"),
        (unknown_is_a_key_error, "not KeyError"),
        (no_return, "None"),
    ]),
}


def test_a_list_of_lists_is_accepted_as_batches(capsys):
    result, printed = verdict(selfcheck.check_minibatches, a_list_of_lists, capsys)
    assert result.passed, printed
