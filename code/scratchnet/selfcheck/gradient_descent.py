"""Self-checks of chapter 6, gradient descent: one step downhill."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scratchnet import train
from scratchnet.selfcheck.harness import (
    CheckResult,
    params_and_grads,
    registered,
    require,
    require_same_params,
    run_checks,
)


@registered
def check_gradient_descent_step(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(params, grads, alpha)`` should return new params θ − α ∂L/∂θ, inputs left alone."""
    def one_step():
        params, grads = params_and_grads(np.random.default_rng(9))
        before = {k: v.copy() for k, v in params.items()}
        new = fn(params, grads, 0.3)
        require(all(np.array_equal(params[k], before[k]) for k in params),
                "your function changed params in place: return new arrays")
        require_same_params(new, train.gradient_descent_step(before, grads, 0.3), "the new params")

    def downhill():
        params, grads = params_and_grads(np.random.default_rng(10))
        new = fn({k: v.copy() for k, v in params.items()}, grads, 0.1)
        moved = sum(float(np.sum((new[k] - params[k]) * grads[k])) for k in params)
        require(moved < 0, "the step goes uphill: subtract the gradient")

    return run_checks("gradient_descent_step", [downhill, one_step],
                      "steps downhill by alpha times the gradient and returns new arrays", quiet)
