"""Self-checks of chapter 4, the loss: cross-entropy from the logits."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from scratchnet import model
from scratchnet.selfcheck.harness import (
    CheckResult,
    compare_on_random,
    random_logits,
    random_one_hot,
    registered,
    require,
    run_checks,
)


def _scalar(value) -> float:
    require(value is not None, "the loss is None (did you forget to return it?)")
    require(np.ndim(value) == 0, "the loss should be one number, got an array of shape "
                                 f"{np.shape(value)}")
    return float(value)


@registered
def check_cross_entropy(fn: Callable[[np.ndarray, np.ndarray], float],
                        quiet: bool = False) -> CheckResult:
    """``fn(Z2, Y)`` should be the mean cross-entropy of one-hot Y under softmax(Z2), from the
    logits."""
    def scalar_and_uniform():
        value = _scalar(fn(np.zeros((4, 10)), np.eye(10)[[0, 3, 5, 9]]))
        require(abs(float(value) - math.log(10)) < 1e-6,
                f"equal logits should give a loss of log 10 = 2.302585 (got {float(value):.7g})")

    def mean_not_sum():
        rng = np.random.default_rng(6)
        Z, Y = random_logits(rng, 3), random_one_hot(rng, 3)
        one = _scalar(fn(Z.copy(), Y.copy()))
        two = _scalar(fn(np.vstack([Z, Z]), np.vstack([Y, Y])))
        require(abs(one - two) < 1e-9 * max(1, abs(one)),
                "the loss changed when the batch was repeated twice: average over the n examples")

    def extreme_logits():
        Z = np.array([[1e4, 0.0, -1e4] + [0.0] * 7, [-1e4, 1e4] + [0.0] * 8])
        Y = np.eye(10)[[2, 1]]
        with np.errstate(all="ignore"):
            value = _scalar(fn(Z, Y))
        require(math.isfinite(value), "logits of ±1e4 give an inf or nan loss: work from "
                                      "log-softmax")

    return run_checks("cross_entropy", [
        mean_not_sum, scalar_and_uniform, extreme_logits,
        lambda: compare_on_random(fn, model.cross_entropy,
                                  lambda r: (random_logits(r, 8), random_one_hot(r, 8)),
                                  "the loss", rtol=1e-6),
    ], "one number, log 10 for equal logits, a mean over examples, finite for logits of ±1e4, "
       "right on random batches", quiet)
