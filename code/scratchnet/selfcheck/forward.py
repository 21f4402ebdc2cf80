"""Self-checks of chapter 3, the forward pass: ReLU, softmax, log-softmax, forward."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scratchnet import model
from scratchnet.selfcheck.harness import (
    CheckResult,
    as_array,
    compare_on_random,
    random_logits,
    registered,
    require,
    run_checks,
    shaped,
    small_network,
)


@registered
def check_relu(fn: Callable[[np.ndarray], np.ndarray], quiet: bool = False) -> CheckResult:
    """``fn(Z)`` should be ReLU(Z) = max(Z, 0), elementwise, for an array of any shape."""
    def zeros_negatives():
        Z = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
        A = shaped(fn(Z.copy()), Z.shape, "relu(Z)")
        require(np.all(A[Z < 0] == 0), "negative inputs must become 0")
        require(np.all(A[Z > 0] == Z[Z > 0]), "positive inputs must pass through unchanged")
        require(A[0, 2] == 0, "ReLU(0) should be 0")

    def keeps_input():
        Z = np.random.default_rng(1).normal(size=(3, 4))
        before = Z.copy()
        fn(Z)
        require(np.array_equal(Z, before), "your function changed its input Z in place")

    return run_checks("relu", [
        zeros_negatives, keeps_input,
        lambda: compare_on_random(fn, model.relu, lambda r: (r.normal(size=(4, 7)),), "relu(Z)"),
    ], "negatives become 0, positives pass, the input is left alone, any shape works", quiet)


@registered
def check_softmax(fn: Callable[[np.ndarray], np.ndarray], quiet: bool = False) -> CheckResult:
    """``fn(Z)`` should be the row-wise softmax of (n, K) logits, finite for any logits."""
    def probabilities():
        Z = random_logits(np.random.default_rng(2))
        P = shaped(fn(Z.copy()), Z.shape, "softmax(Z)")
        require(bool(np.all(P >= 0)), "some probabilities are negative")
        sums = P.sum(axis=1)
        bad = int(np.argmax(np.abs(sums - 1)))
        require(np.allclose(sums, 1, atol=1e-6), f"rows do not sum to 1 (row {bad} sums to "
                                                 f"{sums[bad]:.4g}); "
                                                  "normalise each row, not the whole array")
        require(np.array_equal(P.argmax(axis=1), Z.argmax(axis=1)),
                "the largest logit of a row should get the largest probability")

    def shift_invariant():
        Z = random_logits(np.random.default_rng(3))
        P = as_array(fn(Z.copy()), "softmax(Z)")
        require(np.allclose(as_array(fn(Z + 7.5), "softmax(Z + c)"), P, atol=1e-6),
                "adding the same number to every logit of a row changed the probabilities")

    def extreme_logits():
        Z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 - 1.0, -1e4 - 2.0]])
        with np.errstate(all="ignore"):
            P = as_array(fn(Z.copy()), "softmax(Z)")
        require(P.shape == Z.shape, f"softmax(Z) has shape {P.shape}, expected {Z.shape}")
        require(bool(np.all(np.isfinite(P))), "logits of ±1e4 give inf or nan (exp overflows or "
                                              "every term underflows); see the section on overflow")

    return run_checks("softmax", [
        probabilities, shift_invariant, extreme_logits,
        lambda: compare_on_random(fn, model.softmax, lambda r: (random_logits(r, 6, 10, 5.0),),
                                  "softmax(Z)"),
    ], "rows sum to 1, the order of the logits is kept, shift-invariant, finite for logits of "
       "±1e4, and right on random logits", quiet)


@registered
def check_log_softmax(fn: Callable[[np.ndarray], np.ndarray], quiet: bool = False) -> CheckResult:
    """``fn(Z)`` should be log softmax(Z), row-wise, finite for any finite logits."""
    def exp_sums_to_one():
        Z = random_logits(np.random.default_rng(4))
        L = shaped(fn(Z.copy()), Z.shape, "log_softmax(Z)")
        require(bool(np.all(L <= 1e-12)), "log-probabilities must be <= 0")
        require(np.allclose(np.exp(L).sum(axis=1), 1, atol=1e-6), "exp of each row does not sum "
                                                                  "to 1")

    def extreme_logits():
        Z = np.array([[1e4, 0.0, -1e4]])
        with np.errstate(all="ignore"):
            L = as_array(fn(Z.copy()), "log_softmax(Z)")
        require(bool(np.all(np.isfinite(L))), "logits of ±1e4 give -inf or nan: never take "
                                              "log(softmax(Z))")
        require(abs(L[0, 2] + 2e4) < 1e-6 * 2e4, "the last entry for logits (1e4, 0, -1e4) should "
                                                 "be -2e4")

    return run_checks("log_softmax", [
        exp_sums_to_one, extreme_logits,
        lambda: compare_on_random(fn, model.log_softmax,
                                  lambda r: (random_logits(r, 6, 10, 5.0),), "log_softmax(Z)"),
    ], "exp of each row sums to 1, finite for logits of ±1e4, right on random logits", quiet)


@registered
def check_forward(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(params, X)`` should return the forward pass's cache {"X", "Z1", "A1", "Z2", "P"}."""
    rng = np.random.default_rng(5)
    params, X, _ = small_network(rng, n=7)

    def cache_shapes():
        cache = fn({k: v.copy() for k, v in params.items()}, X.copy())
        require(isinstance(cache, dict), "forward should return a dict, got "
                                         f"{type(cache).__name__}")
        missing = [k for k in ("Z1", "A1", "Z2", "P") if k not in cache]
        require(not missing, f"the cache is missing {', '.join(missing)}")
        H = params["W1"].shape[1]
        for key, shape in (("Z1", (7, H)), ("A1", (7, H)), ("Z2", (7, 10)), ("P", (7, 10))):
            shaped(cache[key], shape, f'cache["{key}"]')
        require(np.allclose(as_array(cache["P"], "P").sum(axis=1), 1), 'rows of cache["P"] do not '
                                                                       'sum to 1')

    def each_stage():
        cache = fn({k: v.copy() for k, v in params.items()}, X.copy())
        want = model.forward(params, X)
        for key in ("Z1", "A1", "Z2", "P"):
            require(np.allclose(as_array(cache[key], key), want[key], atol=1e-8),
                    f'cache["{key}"] is wrong on a random batch (the stages before it are right)')

    return run_checks("forward", [cache_shapes, each_stage],
                      "Z1, A1, Z2 and P have the right shapes and values on a random batch", quiet)
