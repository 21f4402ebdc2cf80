"""The self-checks of the network's functions (scratchnet.model: He initialisation, ReLU,
softmax, log-softmax, the forward pass, cross-entropy; the graded leaky-ReLU backward rule and
squared-error backward pass): their
cases, and tests particular to them. tests/test_selfcheck.py runs every check's cases: the right
answer passes, each wrong one fails with a reason that names the broken property, a stub is "not
implemented yet"."""

from __future__ import annotations

import numpy as np
from selfcheck_support import verdict

from scratchnet import model, selfcheck

# --- initialisers --------------------------------------------------------------------------------

def glorot(H, rng):
    return {"W1": rng.normal(0, np.sqrt(2 / (784 + H)), (784, H)), "b1": np.zeros(H),
            "W2": rng.normal(0, np.sqrt(2 / (H + 10)), (H, 10)), "b2": np.zeros(10)}


def glorot_uniform(H, rng):
    """The graded exercise's answer: U(-a, a), a = sqrt(6 / (fan_in + fan_out)), biases 0."""
    def weights(fan_in, fan_out):
        a = np.sqrt(6 / (fan_in + fan_out))
        return rng.uniform(-a, a, (fan_in, fan_out))
    return {"W1": weights(784, H), "b1": np.zeros(H), "W2": weights(H, 10), "b2": np.zeros(10)}


def plus_or_minus(H, rng):
    """Right variance 2/(fan_in + fan_out), inside [-a, a], but two values, not uniform."""
    def weights(fan_in, fan_out):
        return rng.choice([-1.0, 1.0], (fan_in, fan_out)) * np.sqrt(2 / (fan_in + fan_out))
    return {"W1": weights(784, H), "b1": np.zeros(H), "W2": weights(H, 10), "b2": np.zeros(10)}


def one_over_fan_in(H, rng):
    return {"W1": rng.normal(0, np.sqrt(1 / 784), (784, H)), "b1": np.zeros(H),
            "W2": rng.normal(0, np.sqrt(1 / H), (H, 10)), "b2": np.zeros(10)}


def uniform_with_he_variance(H, rng):
    """Right variance, wrong distribution: U[-a, a] with a^2/3 = 2/fan_in."""
    return {"W1": rng.uniform(-1, 1, (784, H)) * np.sqrt(6 / 784), "b1": np.zeros(H),
            "W2": rng.uniform(-1, 1, (H, 10)) * np.sqrt(6 / H), "b2": np.zeros(10)}


def fan_out_for_w2(H, rng):
    return {**model.init_he(H, rng), "W2": rng.normal(0, np.sqrt(2 / 10), (H, 10))}


def global_generator(H, rng):
    return model.init_he(H, np.random.default_rng())


def fixed_seed(H, rng):
    return model.init_he(H, np.random.default_rng(0))


def one_column_repeated(H, rng):
    column = rng.normal(0, np.sqrt(2 / 784), (784, 1))
    return {**model.init_he(H, rng), "W1": np.repeat(column, H, axis=1)}


def transposed_w1(H, rng):
    params = model.init_he(H, rng)
    return {**params, "W1": params["W1"].T}



# --- wrong forward and backward passes -------------------------------------------------------

def without_b1(p, X):
    """The forward pass with the first bias forgotten."""
    A1 = model.relu(X @ p["W1"])
    Z2 = A1 @ p["W2"] + p["b2"]
    return {"Z1": X @ p["W1"], "A1": A1, "Z2": Z2, "P": model.softmax(Z2)}


def changed(grads, name, how):
    """The gradients with one of them changed by ``how``."""
    return {**grads, name: how(grads[name])}


def leaky_relu_backward(dA, Z, slope):
    """The answer of the graded exercise (kept here, in the tests, not in the library)."""
    return dA * np.where(Z > 0, 1.0, slope)


def squared_error_backward(params, cache, Y, jacobian="full"):
    """The answer of the graded exercise: the backward pass of (1/2n) sum ||p_i - y_i||^2.
    Wrong answers: ``jacobian="none"`` forgets the softmax's Jacobian, ``"diagonal"`` keeps only
    its diagonal p (1 - p)."""
    X, Z1, A1, P = cache["X"], cache["Z1"], cache["A1"], cache["P"]
    dP = (P - Y) / len(X)
    dZ2 = {"full": P * (dP - (dP * P).sum(axis=1, keepdims=True)), "none": dP,
           "diagonal": P * (1 - P) * dP}[jacobian]
    dA1 = dZ2 @ params["W2"].T
    dZ1 = dA1 * (Z1 > 0)
    return {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": A1.T @ dZ2, "b2": dZ2.sum(axis=0)}


# (check, right implementation, [(wrong implementation, words expected in the reason), ...])
CASES = {
    "relu": (selfcheck.check_relu, model.relu, [
        (lambda Z: np.abs(Z), "negative inputs"),
        (lambda Z: np.maximum(Z, 0.1), "negative inputs"),
        (lambda Z: np.maximum(Z, 0, out=Z), "changed its input"),
    ]),
    "softmax": (selfcheck.check_softmax, model.softmax, [
        (lambda Z: np.exp(Z), "rows do not sum to 1"),
        (lambda Z: np.exp(Z) / np.exp(Z).sum(), "rows do not sum to 1"),
        (lambda Z: np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True), "±1e4"),
        (lambda Z: np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum(axis=1, keepdims=True), "±1e4"),
        (lambda Z: np.exp(-Z) / np.exp(-Z).sum(axis=1, keepdims=True), "largest logit"),
        (lambda Z: model.softmax(Z)[:, :-1], "shape"),
        (lambda Z: None, "None"),
    ]),
    "log_softmax": (selfcheck.check_log_softmax, model.log_softmax, [
        (lambda Z: np.log(model.softmax(Z)), "log(softmax"),
        (lambda Z: Z - Z.max(axis=1, keepdims=True), "does not sum to 1"),
    ]),
    "forward": (selfcheck.check_forward, model.forward, [
        (without_b1, 'cache["Z1"] is wrong'),
        (lambda p, X: {k: v for k, v in model.forward(p, X).items() if k != "A1"}, "missing A1"),
        (lambda p, X: model.forward(p, X)["P"], "should return a dict"),
    ]),
    "cross_entropy": (selfcheck.check_cross_entropy, model.cross_entropy, [
        (lambda Z, Y: -(Y * model.log_softmax(Z)).sum(), "repeated"),
        (lambda Z, Y: -(Y * np.log(model.softmax(Z))).sum() / len(Z), "±1e4"),
        (lambda Z, Y: -(Y * model.log_softmax(Z)).sum(axis=1) / len(Z), "one number"),
        (lambda Z, Y: -(Y * model.log_softmax(Z)).sum() / Z.size, "log 10"),
        (lambda Z, Y: model.cross_entropy(1.1 * Z, Y), "differs from the right answer"),
    ]),
    "leaky_relu_backward": (selfcheck.check_leaky_relu_backward, leaky_relu_backward, [
        (lambda dA, Z, s: model.relu_backward(dA, Z), "slope"),
        (lambda dA, Z, s: dA * np.where(Z > 0, 1.0, 0.01), "slope"),
        (lambda dA, Z, s: np.where(Z > 0, Z, s * Z), "mask comes from Z"),
        (lambda dA, Z, s: leaky_relu_backward(Z, dA, s), "mask comes from Z"),
        (lambda dA, Z, s: dA * np.where(dA > 0, 1.0, s), "mask comes from Z"),
        (lambda dA, Z, s: np.multiply(dA, np.where(Z > 0, 1.0, s), out=dA), "changed its input"),
        (lambda dA, Z, s: 2 * leaky_relu_backward(dA, Z, s), "passes unchanged"),
    ]),
    "squared_error_backward": (selfcheck.check_squared_error_backward, squared_error_backward, [
        (model.backward, "gradients of the cross-entropy"),
        (lambda p, c, Y: squared_error_backward(p, c, Y, jacobian="none"), "cross-entropy"),
        (lambda p, c, Y: squared_error_backward(p, c, Y, jacobian="diagonal"), "sum to 0"),
        (lambda p, c, Y: changed(squared_error_backward(p, c, Y), "W1", lambda g: 2 * g),
         "dW1 disagrees"),
        (lambda p, c, Y: changed(squared_error_backward(p, c, Y), "W2", lambda g: g.T),
         "dW2 has shape"),
        (lambda p, c, Y: {k: v for k, v in squared_error_backward(p, c, Y).items()
                          if k != "b1"}, "b1"),
        (lambda p, c, Y: squared_error_backward(p, {**c, "Z1": -c["Z1"]}, Y), "disagrees"),
    ]),
    "init_glorot_uniform": (selfcheck.check_init_glorot_uniform, glorot_uniform, [
        (glorot, "no tails"),
        (plus_or_minus, "not uniformly distributed"),
        (lambda H, rng: {k: v * 1.2 for k, v in glorot_uniform(H, rng).items()}, "variance"),
        (lambda H, rng: {**glorot_uniform(H, rng), "b1": np.full(H, 0.1)}, "biases b1"),
        (lambda H, rng: glorot_uniform(H, np.random.default_rng(0)), "different seeds"),
        (lambda H, rng: glorot_uniform(H, np.random.default_rng()), "same seed"),
        (uniform_with_he_variance, "variance of W1"),
        (lambda H, rng: {**glorot_uniform(H, rng), "W2": glorot_uniform(H, rng)["W2"].T},
         "shape"),
    ]),
    "init_he": (selfcheck.check_init_he, model.init_he, [
        (model.init_uniform, "biases b1 should start at 0"),
        (glorot, "variance of W1"),
        (one_over_fan_in, "variance of W1"),
        (fan_out_for_w2, "variance of W2"),
        (uniform_with_he_variance, "not normally distributed"),
        (global_generator, "same seed gave different weights"),
        (fixed_seed, "different seeds gave the same weights"),
        (one_column_repeated, "identical"),
        (transposed_w1, "shape"),
        (lambda H, rng: list(model.init_he(H, rng).values()), "dict"),
    ]),
}


def test_init_he_passes_whatever_the_dtype(capsys):
    result, printed = verdict(selfcheck.check_init_he,
                              lambda H, rng: model.init_he(H, rng, dtype=np.float64), capsys)
    assert result.passed, printed
