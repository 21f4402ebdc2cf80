"""Self-checks of chapter 5, the backward pass: ReLU's derivative and every gradient, checked
against central differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scratchnet import model
from scratchnet.selfcheck.harness import (
    CheckResult,
    as_array,
    gradient_matches,
    registered,
    require,
    run_checks,
    shaped,
    small_network,
)


@registered
def check_relu_backward(fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
                        quiet: bool = False) -> CheckResult:
    """``fn(dA, Z)`` should be dL/dZ = dA ⊙ 1[Z > 0], checked against central differences."""
    def gradient():
        rng = np.random.default_rng(7)
        Z = rng.normal(size=(4, 6))
        Z[np.abs(Z) < 0.05] = 0.5  # keep away from the kink at 0, where the derivative jumps
        dA = rng.normal(size=Z.shape)
        got = shaped(fn(dA.copy(), Z.copy()), Z.shape, "relu_backward(dA, Z)")
        require(np.all(got[Z < 0] == 0), "the gradient must be 0 where Z < 0 (that unit was off)")
        gradient_matches(got, lambda z: float(np.sum(dA * model.relu(z))), Z, "relu_backward(dA, "
                                                                              "Z)")

    def argument_order():
        Z, dA = np.array([[1.0, -1.0]]), np.array([[-3.0, 2.0]])
        got = as_array(fn(dA, Z), "relu_backward(dA, Z)")
        require(not np.allclose(got, Z * (dA > 0)), "the mask comes from Z (the second argument), "
                                                    "the values from dA (the first)")

    return run_checks("relu_backward", [argument_order, gradient],
                      "matches the numerical gradient; zero where the unit was off", quiet)


@registered
def check_backward(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(params, cache, Y)`` should return dL/dW1, dL/db1, dL/dW2, dL/db2 (gradient-checked)."""
    rng = np.random.default_rng(8)
    params, X, Y = small_network(rng)

    def each_gradient():
        cache = model.forward(params, X)
        grads = fn({k: v.copy() for k, v in params.items()},
                   {k: v.copy() for k, v in cache.items()}, Y.copy())
        require(isinstance(grads, dict), "backward should return a dict, got "
                                         f"{type(grads).__name__}")
        missing = [k for k in ("W2", "b2", "W1", "b1") if k not in grads]
        require(not missing, f"the gradients of {', '.join(missing)} are missing")
        for name in ("b2", "W2", "b1", "W1"):  # in the order backpropagation computes them
            def loss_of(theta, name=name):
                return model.loss({**params, name: theta}, X, Y)
            gradient_matches(grads[name], loss_of, params[name], f"d{name}")

    return run_checks("backward", [each_gradient],
                      "dW1, db1, dW2 and db2 all match the numerical gradient of the loss", quiet)
