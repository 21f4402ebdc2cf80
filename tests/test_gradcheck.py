"""scratchnet.gradcheck: central differences and the relative error, and that they catch a wrong
gradient."""

import numpy as np
import pytest

from scratchnet.gradcheck import numerical_gradient, relative_error
from scratchnet.model import backward, forward, init_he, loss, one_hot


def test_numerical_gradient_of_a_quadratic_is_exact_up_to_rounding():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    def f(t):
        return 0.5 * t @ A @ t              # gradient A t

    theta = np.array([0.3, -1.2])
    assert relative_error(numerical_gradient(f, theta), A @ theta) < 1e-8


def test_numerical_gradient_leaves_theta_unchanged_and_keeps_its_shape():
    theta = np.arange(6.0).reshape(2, 3)
    before = theta.copy()
    g = numerical_gradient(lambda t: float(np.sum(np.sin(t))), theta)
    assert g.shape == theta.shape
    np.testing.assert_array_equal(theta, before)
    np.testing.assert_allclose(g, np.cos(theta), rtol=1e-8)


def test_numerical_gradient_on_a_subset_leaves_the_rest_nan():
    g = numerical_gradient(lambda t: float(np.sum(t ** 2)), np.ones((3, 3)),
                           indices=[(0, 1), (2, 2)])
    assert np.isnan(g).sum() == 7
    np.testing.assert_allclose(g[[0, 2], [1, 2]], [2.0, 2.0], rtol=1e-8)


def test_relative_error_is_zero_for_equal_arrays_one_for_opposite_and_safe_at_zero():
    a = np.array([1.0, -2.0, 0.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_relative_error_skips_unchecked_nan_entries():
    assert relative_error(np.array([1.0, np.nan]), np.array([1.0, 5.0])) == 0.0
    with pytest.raises(ValueError):
        relative_error(np.array([np.nan]), np.array([1.0]))


def small_net(seed=0, n=5, hidden=4, n_in=6, n_out=3):
    rng = np.random.default_rng(seed)
    params = init_he(hidden, rng, dtype=np.float64, n_in=n_in, n_out=n_out)
    params = {k: v + 0.1 * rng.standard_normal(v.shape)      # nonzero biases
              for k, v in params.items()}
    X = rng.random((n, n_in))
    Y = one_hot(rng.integers(0, n_out, n), n_out, dtype=np.float64)
    return params, X, Y


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2"])
def test_backward_passes_the_gradient_check(name):
    params, X, Y = small_net()
    grads = backward(params, forward(params, X), Y)
    g_num = numerical_gradient(lambda t: loss({**params, name: t}, X, Y), params[name])
    assert relative_error(g_num, grads[name]) < 1e-6


@pytest.mark.parametrize("mistake", ["forgot 1/n", "forgot ReLU'", "rows reversed", "sign"])
def test_gradient_check_detects_a_wrong_gradient(mistake):
    params, X, Y = small_net()
    cache = forward(params, X)
    n = len(X)
    dZ2 = cache["P"] - Y
    if mistake != "forgot 1/n":
        dZ2 = dZ2 / n
    dA1 = dZ2 @ params["W2"].T
    dZ1 = dA1 if mistake == "forgot ReLU'" else dA1 * (cache["Z1"] > 0)
    wrong = {"forgot 1/n": ("W2", cache["A1"].T @ dZ2),
             "forgot ReLU'": ("W1", X.T @ dZ1),
             "rows reversed": ("W1", (X.T @ dZ1)[::-1]),
             "sign": ("b2", -dZ2.sum(axis=0))}
    name, g = wrong[mistake]
    g_num = numerical_gradient(lambda t: loss({**params, name: t}, X, Y), params[name])
    assert relative_error(g_num, g) > 1e-2


def test_numerical_gradient_perturbs_in_the_dtype_of_theta():
    seen = []
    numerical_gradient(lambda t: seen.append(t.dtype) or float(t.sum()), np.ones(2, np.float32))
    numerical_gradient(lambda t: seen.append(t.dtype) or float(t.sum()), [1, 2])
    assert set(seen[:4]) == {np.dtype(np.float32)} and set(seen[4:]) == {np.dtype(np.float64)}


def test_float32_is_too_coarse_for_the_gradient_check_and_float64_is_not():
    params, X, Y = small_net()
    grads = backward(params, forward(params, X), Y)
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    g32 = numerical_gradient(lambda t: loss({**p32, "b2": t}, X32, Y32), p32["b2"], eps=1e-6)
    g64 = numerical_gradient(lambda t: loss({**params, "b2": t}, X, Y), params["b2"], eps=1e-6)
    assert relative_error(g64, grads["b2"]) < 1e-6 < relative_error(g32, grads["b2"])
