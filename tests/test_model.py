"""scratchnet.model: the network's forward pass, loss and gradients, proved and checked.

Three kinds of evidence that ``backward`` is right:
1. SymPy derives the gradients symbolically and the book's formulas come out equal to them;
2. SymPy's exact derivative of the whole loss, evaluated at a point, equals ``backward``;
3. central differences on a 784-H-10 net in float64 agree to a relative error < 1e-6.
(The small-net check and the detection of wrong gradients live in test_gradcheck.py.)
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from scratchnet.gradcheck import numerical_gradient, relative_error
from scratchnet.model import (
    N_CLASSES,
    N_PIXELS,
    backward,
    count_parameters,
    cross_entropy,
    forward,
    init_he,
    init_uniform,
    log_softmax,
    loss,
    one_hot,
    predict,
    predict_proba,
    relu,
    relu_backward,
    softmax,
)

PARAM_NAMES = ("W1", "b1", "W2", "b2")


def random_net(hidden=6, n=8, seed=1, dtype=np.float64):
    """A 784-H-10 net with nonzero biases, n random 'images' in [0, 1] and one-hot labels."""
    rng = np.random.default_rng(seed)
    params = init_he(hidden, rng, dtype=dtype)
    params = {k: (v + 0.1 * rng.standard_normal(v.shape)).astype(dtype) for k, v in params.items()}
    X = rng.random((n, N_PIXELS)).astype(dtype)
    y = rng.integers(0, N_CLASSES, n)
    return params, X, y, one_hot(y, dtype=dtype)


# --- 3. finite differences on the real input width ---------------------------------------------


@pytest.mark.parametrize("name", PARAM_NAMES)
def test_backward_matches_central_differences_for_every_entry_of_every_parameter(name):
    params, X, _, Y = random_net()
    analytic = backward(params, forward(params, X), Y)[name]
    numeric = numerical_gradient(lambda t: loss({**params, name: t}, X, Y), params[name])
    assert analytic.shape == params[name].shape
    assert relative_error(numeric, analytic) < 1e-6


def test_gradients_are_not_trivially_zero():
    """Guards the check above: a dead network (all-zero gradients) would pass it vacuously."""
    params, X, _, Y = random_net()
    grads = backward(params, forward(params, X), Y)
    for name in PARAM_NAMES:
        assert np.count_nonzero(grads[name]) > grads[name].size // 4, name


# --- 1. symbolic proofs -------------------------------------------------------------------------


@pytest.mark.parametrize("K", [2, 3, 4])
def test_sympy_proves_cross_entropy_of_softmax_has_gradient_softmax_minus_one_hot(K):
    z = sp.symbols(f"z0:{K}", real=True)
    denom = sum(sp.exp(zj) for zj in z)
    p = [sp.exp(zk) / denom for zk in z]
    for c in range(K):                       # the true class
        L = -sp.log(p[c])                    # -sum_k y_k log p_k with y = one-hot(c)
        for k in range(K):
            dL = sp.diff(L, z[k])
            assert sp.simplify(dL - (p[k] - (1 if k == c else 0))) == 0


def test_sympy_proves_mean_cross_entropy_over_a_batch_has_gradient_p_minus_y_over_n():
    n, K = 2, 3
    Z = sp.Matrix(n, K, lambda i, k: sp.Symbol(f"z{i}{k}", real=True))
    labels = [2, 0]
    P = sp.Matrix(n, K, lambda i, k: sp.exp(Z[i, k]) / sum(sp.exp(Z[i, j]) for j in range(K)))
    Y = sp.Matrix(n, K, lambda i, k: 1 if labels[i] == k else 0)
    L = -sum(Y[i, k] * sp.log(P[i, k]) for i in range(n) for k in range(K)) / n
    for i in range(n):
        for k in range(K):
            assert sp.simplify(sp.diff(L, Z[i, k]) - (P[i, k] - Y[i, k]) / n) == 0


def test_sympy_derivative_of_relu_is_the_indicator_that_relu_backward_applies():
    z = sp.Symbol("z", real=True)
    d = sp.diff(sp.Max(z, 0), z)
    assert d == sp.Heaviside(z)
    assert d.subs(z, sp.Rational(3, 2)) == 1 and d.subs(z, -sp.Rational(3, 2)) == 0
    Z = np.array([[-2.0, -0.5, 0.25, 3.0], [1e-3, -1e-3, 7.0, -7.0]])
    dA = np.arange(1.0, 9.0).reshape(2, 4)
    expected = dA * np.vectorize(lambda v: float(d.subs(z, v)))(Z)
    np.testing.assert_array_equal(relu_backward(dA, Z), expected)


def symbolic_net(n=2, d=3, H=2, K=2):
    """Small symbolic matrices: X (n,d), W1 (d,H), b1 (1,H), W2 (H,K), b2 (1,K), upstream G
    (n,K)."""
    def mat(name, r, c):
        return sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{name}_{i}{j}", real=True))
    X, W1, b1, W2, b2, G = (mat("x", n, d), mat("w1", d, H), mat("b1", 1, H), mat("w2", H, K),
                            mat("b2", 1, K), mat("g", n, K))
    ones = sp.ones(n, 1)
    Z1 = X * W1 + ones * b1
    A1 = Z1.applyfunc(lambda v: sp.Max(v, 0))
    Z2 = A1 * W2 + ones * b2
    # Chain rule = linearisation: near a point, L changes as sum_ik G_ik dZ2_ik with G = dL/dZ2.
    L = sum(G[i, k] * Z2[i, k] for i in range(n) for k in range(K))
    return dict(X=X, W1=W1, b1=b1, W2=W2, b2=b2, G=G, Z1=Z1, A1=A1, L=L, ones=ones)


def gradient(L, M):
    return M.applyfunc(lambda m: sp.diff(L, m))


def test_sympy_proves_the_chain_rule_terms_for_the_second_layer():
    s = symbolic_net()
    assert sp.simplify(gradient(s["L"], s["W2"]) - s["A1"].T * s["G"]) == sp.zeros(*s["W2"].shape)
    assert sp.simplify(gradient(s["L"], s["b2"]) - s["ones"].T * s["G"]) == sp.zeros(*s["b2"].shape)


def test_sympy_proves_the_chain_rule_terms_for_the_first_layer():
    s = symbolic_net()
    dA1 = s["G"] * s["W2"].T
    dZ1 = dA1.multiply_elementwise(s["Z1"].applyfunc(sp.Heaviside))
    assert sp.simplify(gradient(s["L"], s["W1"]) - s["X"].T * dZ1) == sp.zeros(*s["W1"].shape)
    assert sp.simplify(gradient(s["L"], s["b1"]) - s["ones"].T * dZ1) == sp.zeros(*s["b1"].shape)


def test_backward_equals_sympys_exact_derivative_of_the_whole_loss():
    """The symbolic loss of a tiny 3-2-2 net, differentiated by SymPy, evaluated where backward
    is."""
    n, d, H, K = 2, 3, 2, 2
    rng = np.random.default_rng(7)
    params = init_he(H, rng, dtype=np.float64, n_in=d, n_out=K)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    Xn = rng.random((n, d))
    yn = np.array([1, 0])
    grads = backward(params, forward(params, Xn), one_hot(yn, K, dtype=np.float64))

    sym = {k: sp.Matrix(*(v.shape if v.ndim == 2 else (1, v.size)),
                        lambda i, j, k=k: sp.Symbol(f"{k}_{i}{j}", real=True))
           for k, v in params.items()}
    ones = sp.ones(n, 1)
    A1 = (sp.Matrix(Xn) * sym["W1"] + ones * sym["b1"]).applyfunc(lambda v: sp.Max(v, 0))
    Z2 = A1 * sym["W2"] + ones * sym["b2"]
    L = -sum(Z2[i, yn[i]] - sp.log(sum(sp.exp(Z2[i, j]) for j in range(K))) for i in range(n)) / n
    point = {sym[k][idx]: float(v.reshape(sym[k].shape)[idx])
             for k, v in params.items() for idx in np.ndindex(sym[k].shape)}
    for k in PARAM_NAMES:
        exact = np.array([[float(sp.diff(L, s).subs(point)) for s in row]
                          for row in sym[k].tolist()]).reshape(params[k].shape)
        np.testing.assert_allclose(grads[k], exact, rtol=1e-12, atol=1e-14, err_msg=k)


# --- numerical stability ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_survives_logits_of_1e4(dtype):
    Z = np.array([[1e4, -1e4, 0.0],
                  [-1e4, -1e4, 1e4],
                  [1e4, 1e4, -1e4],
                  [-1e4, -1e4, -1e4]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow to 0 is fine
        P = softmax(Z)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(P, [[1, 0, 0], [0, 0, 1], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]],
                               atol=1e-6)


def test_softmax_is_shift_invariant_and_rows_sum_to_one():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((5, 10))
    P = softmax(Z)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(softmax(Z + 123.0), P, rtol=1e-12)
    np.testing.assert_allclose(P, np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True), rtol=1e-12)


def test_log_softmax_equals_log_of_softmax_and_stays_finite_at_1e4():
    Z = np.array([[0.5, -1.0, 2.0], [1e4, -1e4, 0.0]])
    np.testing.assert_allclose(log_softmax(Z)[0], np.log(softmax(Z[:1]))[0], rtol=1e-12)
    assert np.all(np.isfinite(log_softmax(Z)))
    np.testing.assert_allclose(log_softmax(Z)[1], [0.0, -2e4, -1e4])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_finite_for_a_confidently_wrong_logit_of_1e4(dtype):
    Z2 = np.array([[1e4, -1e4, 0.0]], dtype=dtype)
    Y = one_hot(np.array([1]), 3, dtype=dtype)          # true class has logit -1e4
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        L = cross_entropy(Z2, Y)
    assert np.isfinite(L)
    assert L == pytest.approx(2e4, rel=1e-6)


@pytest.mark.parametrize("Z2, label, expected", [
    ([[1e4, -1e4, 0.0]], 0, 0.0),                       # confidently right
    ([[1e4, 1e4, 1e4]], 2, np.log(3)),                  # all equal and huge
    ([[-1e4, -1e4, -1e4]], 0, np.log(3)),               # all equal and very negative
    ([[-1e4, 0.0, 1e4]], 1, 1e4),
])
def test_cross_entropy_never_returns_inf_or_nan_for_extreme_logits(Z2, label, expected):
    L = cross_entropy(np.array(Z2), one_hot(np.array([label]), 3, dtype=np.float64))
    assert np.isfinite(L)
    assert L == pytest.approx(expected, abs=1e-9)


def test_cross_entropy_is_the_mean_negative_log_probability_of_the_true_class():
    rng = np.random.default_rng(3)
    Z2 = rng.standard_normal((6, 10))
    y = rng.integers(0, 10, 6)
    expected = -np.mean(np.log(softmax(Z2)[np.arange(6), y]))
    assert cross_entropy(Z2, one_hot(y, dtype=np.float64)) == pytest.approx(expected, rel=1e-12)


# --- shapes and the pieces -------------------------------------------------------------------


def test_forward_returns_every_intermediate_with_the_right_shape():
    params, X, _, _ = random_net(hidden=7, n=5)
    cache = forward(params, X)
    assert cache["X"] is X
    assert cache["Z1"].shape == cache["A1"].shape == (5, 7)
    assert cache["Z2"].shape == cache["P"].shape == (5, 10)
    np.testing.assert_array_equal(cache["A1"], np.maximum(cache["Z1"], 0))
    np.testing.assert_allclose(cache["Z2"], cache["A1"] @ params["W2"] + params["b2"])


def test_backward_returns_gradients_shaped_like_the_parameters():
    params, X, _, Y = random_net(hidden=7, n=5)
    grads = backward(params, forward(params, X), Y)
    assert set(grads) == set(PARAM_NAMES)
    for name in PARAM_NAMES:
        assert grads[name].shape == params[name].shape


def test_float32_in_float32_out():
    params, X, _, Y = random_net(dtype=np.float32)
    cache = forward(params, X)
    assert cache["P"].dtype == np.float32
    assert all(g.dtype == np.float32 for g in backward(params, cache, Y).values())


def test_forward_and_backward_leave_their_inputs_unchanged():
    params, X, _, Y = random_net()
    before = {k: v.copy() for k, v in params.items()}
    X0 = X.copy()
    backward(params, forward(params, X), Y)
    for k in PARAM_NAMES:
        np.testing.assert_array_equal(params[k], before[k])
    np.testing.assert_array_equal(X, X0)


def test_predict_is_the_argmax_of_predict_proba():
    params, X, _, _ = random_net(n=20)
    P = predict_proba(params, X)
    assert P.shape == (20, 10)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_array_equal(predict(params, X), P.argmax(axis=1))
    assert predict(params, X).shape == (20,)


def test_relu_zeroes_negatives_and_keeps_positives():
    np.testing.assert_array_equal(relu(np.array([-2.0, -0.0, 0.0, 0.5, 3.0])), [0, 0, 0, 0.5, 3])


def test_one_hot_has_a_single_one_in_the_labels_column():
    Y = one_hot(np.array([3, 0, 9]))
    assert Y.shape == (3, 10) and Y.dtype == np.float32
    np.testing.assert_array_equal(Y.sum(axis=1), 1)
    np.testing.assert_array_equal(Y.argmax(axis=1), [3, 0, 9])


# --- initialisation --------------------------------------------------------------------------


def test_he_init_has_variance_two_over_fan_in_and_zero_biases():
    H = 256
    params = init_he(H, np.random.default_rng(0))
    assert {k: v.shape for k, v in params.items()} == {
        "W1": (784, H), "b1": (H,), "W2": (H, 10), "b2": (10,)}
    assert all(v.dtype == np.float32 for v in params.values())
    # W1 has 200,704 draws: the sample variance is within ~0.3% of 2/784; W2's 2,560 within ~3%.
    assert params["W1"].var() == pytest.approx(2 / 784, rel=0.02)
    assert params["W2"].var() == pytest.approx(2 / H, rel=0.10)
    assert abs(params["W1"].mean()) < 0.01 * np.sqrt(2 / 784)
    np.testing.assert_array_equal(params["b1"], 0)
    np.testing.assert_array_equal(params["b2"], 0)


def test_uniform_init_draws_every_parameter_from_minus_half_to_half():
    params = init_uniform(256, np.random.default_rng(0))
    assert {k: v.shape for k, v in params.items()} == {
        "W1": (784, 256), "b1": (256,), "W2": (256, 10), "b2": (10,)}
    for name, v in params.items():
        assert v.dtype == np.float32
        assert v.min() >= -0.5 and v.max() <= 0.5, name
        assert v.std() > 0.1, name                  # not constant: U[-0.5, 0.5] has sd 0.289
    W1 = params["W1"]
    assert W1.var() == pytest.approx(1 / 12, rel=0.02)
    assert abs(W1.mean()) < 0.005
    assert W1.min() < -0.499 and W1.max() > 0.499   # the whole interval is used


def test_init_is_determined_by_the_generator_seed():
    for init in (init_he, init_uniform):
        a, b, c = (init(16, np.random.default_rng(s)) for s in (5, 5, 6))
        assert all(np.array_equal(a[k], b[k]) for k in PARAM_NAMES)
        assert not np.array_equal(a["W1"], c["W1"])


@pytest.mark.parametrize("H, expected", [(10, 7960), (128, 101_770), (256, 203_530)])
def test_count_parameters_is_784H_plus_H_plus_10H_plus_10(H, expected):
    assert count_parameters(init_he(H, np.random.default_rng(0))) == expected
    assert expected == 784 * H + H + 10 * H + 10
