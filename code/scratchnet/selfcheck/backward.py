"""Self-checks of chapter 5, the backward pass: the graded exercises, whose answers neither the
chapter nor the library gives — the leaky ReLU's backward rule, and the whole backward pass for a
squared-error loss. Both are checked against central differences of the function they
differentiate, on random inputs drawn from ``seed`` (the grader passes a fresh one)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scratchnet import model
from scratchnet.selfcheck.harness import (
    CheckResult,
    as_array,
    gradient_close,
    registered,
    require,
    run_checks,
    shaped,
    small_network,
)


def leaky_relu(Z: np.ndarray, slope: float) -> np.ndarray:
    """The leaky ReLU of the architecture chapter's exercise: a = max(z, s z), 0 <= s < 1."""
    return np.maximum(Z, slope * Z)


@registered
def check_leaky_relu_backward(fn: Callable[[np.ndarray, np.ndarray, float], np.ndarray],
                              quiet: bool = False, seed: int = 0) -> CheckResult:
    """``fn(dA, Z, slope)`` should be dL/dZ for A = max(Z, slope Z), given dL/dA: dA where
    Z > 0 and slope dA where Z < 0, checked against central differences for several slopes."""
    rng = np.random.default_rng(seed)

    def gradient():
        for slope in (0.01, float(rng.uniform(0.05, 0.5)), 0.0):
            Z = rng.normal(size=(int(rng.integers(3, 7)), int(rng.integers(4, 9))))
            Z[np.abs(Z) < 0.05] = 0.5         # away from the kink at 0, where the slope jumps
            dA = rng.choice([-1.0, 1.0], size=Z.shape) * rng.uniform(0.5, 1.5, size=Z.shape)
            inputs = (dA.copy(), Z.copy())
            got = shaped(fn(dA, Z, slope), Z.shape, "leaky_relu_backward(dA, Z, slope)")
            require(np.array_equal(dA, inputs[0]) and np.array_equal(Z, inputs[1]),
                    "your function changed its input dA or Z: compute a new array")
            require(np.allclose(got[Z > 0], dA[Z > 0]), "where Z > 0 the gradient passes "
                                                        "unchanged: dL/dZ = dL/dA there")
            require(np.allclose(got[Z < 0], slope * dA[Z < 0]),
                    f"where Z < 0 the gradient is the slope times dL/dA (slope {slope:g})")
            gradient_close(got, lambda z, s=slope, d=dA: float(np.sum(d * leaky_relu(z, s))), Z,
                           f"leaky_relu_backward(dA, Z, {slope:g})")

    def argument_order():
        Z, dA = np.array([[1.0, -1.0]]), np.array([[-3.0, 2.0]])
        got = as_array(fn(dA, Z, 0.1), "leaky_relu_backward(dA, Z, 0.1)")
        mixed_up = ([[-0.3, 2.0]], [[1.0, -0.1]], [[0.1, -1.0]])  # a mask from dA, values from Z
        require(got.shape != Z.shape or not any(np.allclose(got, m) for m in mixed_up),
                "the mask comes from Z (the second argument), the values from dA (the first)")

    return run_checks("leaky_relu_backward", [argument_order, gradient],
                      "matches the numerical gradient for slopes 0, 0.01 and a random one", quiet)


def squared_error(params: model.Params, X: np.ndarray, Y: np.ndarray) -> float:
    """L = (1 / 2n) sum_i ||p_i - y_i||^2, with P = softmax(Z2) of the chapter's network."""
    P = model.forward(params, X)["P"]
    return float(0.5 * np.sum((P - Y) ** 2) / len(X))


@registered
def check_squared_error_backward(fn: Callable, quiet: bool = False,
                                 seed: int = 0) -> CheckResult:
    """``fn(params, cache, Y)`` should return dL/dW1, dL/db1, dL/dW2, dL/db2 of the squared error
    (1/2n) sum_i ||p_i - y_i||^2 of the softmax outputs, every entry gradient-checked."""
    rng = np.random.default_rng(seed)
    params, X, Y = small_network(rng, n=int(rng.integers(3, 7)))

    def call():
        cache = model.forward(params, X)
        grads = fn({k: v.copy() for k, v in params.items()},
                   {k: v.copy() for k, v in cache.items()}, Y.copy())
        require(isinstance(grads, dict), "return a dict of gradients, got "
                                         f"{type(grads).__name__}")
        missing = [k for k in ("W2", "b2", "W1", "b1") if k not in grads]
        require(not missing, f"the gradients of {', '.join(missing)} are missing")
        return grads, cache

    def not_the_cross_entropy():
        grads, cache = call()
        ce = model.backward(params, cache, Y)
        require(not all(np.allclose(as_array(grads[k], f"d{k}"), ce[k]) for k in ce),
                "these are the gradients of the cross-entropy: the loss here is the squared error")

    def bias_sums_to_zero():
        grads, _ = call()
        db2 = shaped(grads["b2"], params["b2"].shape, "db2")
        require(abs(db2.sum()) < 1e-10 * max(1.0, np.abs(db2).sum()),
                "db2 should sum to 0: softmax ignores a shift of the logits, so every row of dZ2 "
                "sums to 0 (did you multiply by the softmax's Jacobian?)")

    def each_gradient():
        grads, _ = call()
        for name in ("b2", "W2", "b1", "W1"):     # in the order backpropagation computes them
            def loss_of(theta, name=name):
                return squared_error({**params, name: theta}, X, Y)
            gradient_close(grads[name], loss_of, params[name], f"d{name}")

    return run_checks("squared_error_backward", [not_the_cross_entropy, bias_sums_to_zero,
                                                 each_gradient],
                      "dW1, db1, dW2 and db2 all match the numerical gradient of the squared "
                      "error", quiet)
