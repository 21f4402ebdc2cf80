"""Self-checks of chapter 7, training: mini-batches, momentum, L2 and the learning-rate schedule."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from scratchnet import train
from scratchnet.selfcheck.harness import (
    CheckFailed,
    CheckResult,
    as_array,
    params_and_grads,
    registered,
    require,
    require_same_params,
    run_checks,
)


def _index_batches(fn: Callable, n: int, batch_size: int, seed) -> list[np.ndarray]:
    """The batches of one epoch from the reader's ``fn(n, batch_size, rng)``, as integer arrays."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = fn(n, batch_size, rng)
    require(out is not None, "your function returned None (did you forget to yield or return the "
                             "batches?)")
    try:
        batches = list(out)
    except TypeError:
        raise CheckFailed("the result should be an iterable of index arrays, got "
                          f"{type(out).__name__}") from None
    arrays = []
    for number, batch in enumerate(batches):
        array = np.asarray(batch)
        require(array.ndim == 1, f"batch {number} has shape {array.shape}: each batch should be a "
                                 "one-dimensional array of row indices")
        require(array.size == 0 or np.issubdtype(array.dtype, np.integer),
                f"batch {number} holds {array.dtype} values: each batch should hold integer row "
                "indices (a boolean mask or a block of rows is not what is asked)")
        arrays.append(array.astype(np.int64))
    return arrays


@registered
def check_minibatches(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(n, batch_size, rng)``: the index arrays of one epoch, every row once, shuffled."""
    def every_index_once():
        n = 103
        batches = _index_batches(fn, n, 10, 14)
        require(len(batches) > 0, "no batches at all for n = 103")
        everything = np.concatenate(batches)
        require(bool(np.all((everything >= 0) & (everything < n))),
                "some indices lie outside 0 .. n-1")
        counts = np.bincount(everything, minlength=n)
        missing, repeated = int(np.sum(counts == 0)), int(np.sum(counts > 1))
        require(missing == 0 and repeated == 0,
                f"in one epoch of n = {n} rows, {missing} rows never appear and {repeated} appear "
                "more than once: every row must be used exactly once per epoch")

    def batch_sizes():
        for n, size in ((103, 10), (100, 10), (7, 3), (5, 8), (1, 1)):
            sizes = [len(b) for b in _index_batches(fn, n, size, 15)]
            full, rest = divmod(n, size)
            want = [size] * full + ([rest] if rest else [])
            require(sizes == want, f"for n = {n} and batch_size = {size} the batch sizes are "
                                   f"{sizes}: all batches should be full except perhaps the last, "
                                   "which holds the remainder (and no batch may be empty)")

    def shuffled():
        n = 100
        batches = _index_batches(fn, n, 10, 16)
        order = np.concatenate(batches)
        require(not np.array_equal(order, np.arange(n)), "the rows come in their original order: "
                                                         "shuffle them")
        runs = sum(bool(np.all(np.diff(np.sort(b)) == 1)) for b in batches)
        require(runs < len(batches), "every batch is a block of consecutive rows: shuffle the rows "
                                     "themselves, not only the order of the batches")

    def uses_the_generator():
        first = np.concatenate(_index_batches(fn, 50, 7, 17))
        again = np.concatenate(_index_batches(fn, 50, 7, 17))
        require(np.array_equal(first, again), "two generators with the same seed gave different "
                                              "batches: draw the order from the rng argument (not "
                                              "np.random)")
        other = np.concatenate(_index_batches(fn, 50, 7, 18))
        require(not np.array_equal(first, other), "generators with different seeds gave the same "
                                                  "batches: draw the order from the rng argument")

    def fresh_order_each_epoch():
        rng = np.random.default_rng(19)
        one = np.concatenate(_index_batches(fn, 60, 8, rng))
        two = np.concatenate(_index_batches(fn, 60, 8, rng))
        require(not np.array_equal(one, two), "two epochs drawn from the same generator have the "
                                              "same order: each call should draw a fresh "
                                              "permutation")

    return run_checks("minibatches", [
        every_index_once, batch_sizes, shuffled, uses_the_generator, fresh_order_each_epoch,
    ], "every row exactly once per epoch, full batches and a remainder, shuffled rows, a fresh "
       "order each epoch, reproducible from the generator", quiet)


@registered
def check_momentum_step(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(params, grads, velocity, lr, mu)``: (params, velocity) after one heavy-ball step."""
    def no_momentum_is_gradient_descent():
        params, grads = params_and_grads(np.random.default_rng(11))
        zero = {k: np.zeros_like(v) for k, v in params.items()}
        out = fn({k: v.copy() for k, v in params.items()}, grads, zero, 0.2, 0.0)
        require(isinstance(out, tuple) and len(out) == 2, "return a pair (params, velocity)")
        require_same_params(out[0], train.gradient_descent_step(params, grads, 0.2),
                       "with mu = 0 the new params (plain gradient descent)")

    def three_steps():
        rng = np.random.default_rng(12)
        params, _ = params_and_grads(rng)
        mine = ref = (params, {k: np.zeros_like(v) for k, v in params.items()})
        for step in range(3):
            grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
            mine = fn({k: v.copy() for k, v in mine[0].items()}, grads,
                      {k: v.copy() for k, v in mine[1].items()}, 0.1, 0.9)
            ref = train.momentum_step(ref[0], grads, ref[1], 0.1, 0.9)
            require_same_params(mine[1], ref[1], f"the velocity after step {step + 1}")
            require_same_params(mine[0], ref[0], f"the params after step {step + 1}")

    return run_checks("momentum_step", [no_momentum_is_gradient_descent, three_steps],
                      "mu = 0 is plain gradient descent, and three steps with mu = 0.9 "
                      "match", quiet)


@registered
def check_l2_gradient(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(params, grads, lam)``: gradient of L + (λ/2)(‖W1‖² + ‖W2‖²); biases not penalised."""
    def penalty():
        params, grads = params_and_grads(np.random.default_rng(13))
        out = fn(params, {k: v.copy() for k, v in grads.items()}, 0.01)
        require(isinstance(out, dict), f"return a dict of gradients, got {type(out).__name__}")
        for b in ("b1", "b2"):
            require(b in out and np.allclose(as_array(out[b], b), grads[b]), f"the gradient of {b} "
                    "changed: the penalty is on the weights only")
        require_same_params(out, train.l2_gradient(params, grads, 0.01), "the penalised gradients")

    return run_checks("l2_gradient", [penalty], "adds lambda W to dW1 and dW2 and leaves the "
                                                "biases", quiet)


def _rate(fn: Callable, epoch: int, epochs: int, base: float, schedule: str) -> float:
    value = fn(epoch, epochs, base, schedule)
    require(value is not None, f"the {schedule} rate is None (did you forget to return it?)")
    require(np.ndim(value) == 0, f"the {schedule} rate should be one number, got shape "
                                 f"{np.shape(value)}")
    value = float(value)
    require(math.isfinite(value), f"the {schedule} rate at epoch {epoch} of {epochs} is not finite")
    return value


@registered
def check_learning_rate(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(epoch, epochs, base, schedule)``: eta_e for epoch e = 0 .. E-1 of a schedule
    "constant", "step" or "cosine"."""
    def constant():
        rates = [_rate(fn, e, 12, 0.3, "constant") for e in range(12)]
        require(all(abs(r - 0.3) < 1e-12 for r in rates), "the constant schedule should return the "
                                                          "base rate in every epoch")

    def cosine_shape():
        E, base = 20, 0.25
        rates = np.array([_rate(fn, e, E, base, "cosine") for e in range(E)])
        require(abs(rates[0] - base) < 1e-12, "the cosine schedule should start at the base rate "
                                              "in epoch e = 0 (epochs are counted from 0)")
        require(abs(rates[E // 2] - base / 2) < 1e-12, "half-way (e = E/2) the cosine rate should "
                                                       "be half the base rate")
        require(bool(np.all(np.diff(rates) < 0)), "the cosine rate should fall from every epoch "
                                                  "to the next")
        require(bool(np.all(rates > 0)), "the cosine rate should stay above 0 in epochs 0 .. E-1")

    def step_shape():
        for E in (10, 7):
            rates = np.array([_rate(fn, e, E, 0.2, "step") for e in range(E)])
            first = np.arange(E) < E / 2
            require(np.allclose(rates[first], 0.2, rtol=1e-12),
                    f"with E = {E} the step schedule should keep the base rate for e < E/2")
            require(np.allclose(rates[~first], 0.02, rtol=1e-12),
                    f"with E = {E} the step schedule should use a tenth of the base rate for e >= "
                    "E/2")

    def random_settings():
        rng = np.random.default_rng(20)
        for _ in range(20):
            E = int(rng.integers(1, 60))
            e, base = int(rng.integers(0, E)), float(rng.uniform(0.001, 1.0))
            for schedule in ("constant", "step", "cosine"):
                got = _rate(fn, e, E, base, schedule)
                want = train.learning_rate(e, E, base, schedule)
                require(abs(got - want) <= 1e-9 * base, f"the {schedule} rate is wrong on a random "
                                                         f"setting (epoch {e} of {E})")

    def unknown_schedule():
        try:
            value = fn(0, 10, 0.1, "linear")
        except ValueError:
            return
        except NotImplementedError:
            raise
        except Exception as error:
            raise CheckFailed("an unknown schedule name should raise ValueError, not "
                              f"{type(error).__name__}") from None
        raise CheckFailed(f"an unknown schedule name should raise ValueError (got {value!r})")

    return run_checks("learning_rate", [
        constant, cosine_shape, step_shape, random_settings, unknown_schedule,
    ], "constant, step and cosine rates are right from epoch 0 to E-1, and an unknown schedule "
       "raises ValueError", quiet)
