"""scratchnet.train: determinism, learning on real MNIST, and the pieces of the update rules."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from quick_model import QUICK_CONFIG, mnist_splits, quick_model, toy_data
from scratchnet.model import backward, forward, init_uniform, one_hot
from scratchnet.train import (SEED_CONFIG, History, TrainConfig, accuracy_of, gradient_descent,
                              gradient_descent_step, init_params, l2_gradient, learning_rate,
                              minibatches, momentum_step, sgd, train, training_rows)

NAMES = ("W1", "b1", "W2", "b2")
N = 240                         # rows of toy data


SMALL_SGD = TrainConfig(hidden=16, epochs=3, batch_size=32, lr=0.05, momentum=0.9, l2=1e-4)
SMALL_GD = replace(SEED_CONFIG, epochs=15)


# --- determinism ------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [SMALL_SGD, SMALL_GD], ids=["sgd", "gd"])
def test_same_seed_and_data_give_bit_identical_weights(config):
    X, y = toy_data(N)
    a, ha = train(config, X, y, X[:50], y[:50])
    b, hb = train(config, X, y, X[:50], y[:50])
    for k in NAMES:
        assert np.array_equal(a[k], b[k]), k
    assert ha.loss == hb.loss and ha.dev_accuracy == hb.dev_accuracy


@pytest.mark.parametrize("config", [SMALL_SGD, SMALL_GD], ids=["sgd", "gd"])
def test_a_different_seed_gives_different_weights(config):
    X, y = toy_data(N)
    a, _ = train(config, X, y)
    b, _ = train(replace(config, seed=config.seed + 1), X, y)
    for k in ("W1", "W2"):
        assert not np.array_equal(a[k], b[k]), k


def test_the_sgd_seed_also_fixes_the_order_of_the_minibatches():
    X, y = toy_data(N)
    p0 = init_params(SMALL_SGD)
    kw = dict(epochs=2, batch_size=32, lr=0.05, momentum=0.9)
    a, _ = sgd(p0, X, y, seed=1, **kw)
    b, _ = sgd(p0, X, y, seed=1, **kw)
    c, _ = sgd(p0, X, y, seed=2, **kw)                  # same start, other shuffle
    assert np.array_equal(a["W1"], b["W1"])
    assert not np.array_equal(a["W1"], c["W1"])


def test_training_is_float32_by_default():
    X, y = toy_data(N)
    params, _ = train(SMALL_SGD, X.astype(np.float64), y)
    assert all(params[k].dtype == np.float32 for k in NAMES)


def test_init_params_draws_from_the_configs_seed_and_initialiser():
    p = init_params(SEED_CONFIG)
    q = init_uniform(10, np.random.default_rng(SEED_CONFIG.seed))
    assert all(np.array_equal(p[k], q[k]) for k in NAMES)
    assert p["W1"].shape == (784, 10)


# --- learning on real data ----------------------------------------------------------------------


def test_the_quick_config_reaches_90_percent_on_held_out_mnist_within_seconds():
    splits = mnist_splits()
    params, history, cpu_seconds = quick_model()
    assert QUICK_CONFIG.epochs <= 3
    assert len(splits.test.y) >= 1000
    test_accuracy = accuracy_of(params, splits.test.X, splits.test.y)
    assert test_accuracy >= 0.90, test_accuracy
    assert history.dev_accuracy[-1] >= 0.90
    assert cpu_seconds < 15          # ~3 s of CPU on 2 cores (wall time varies with the load)
    assert history.loss[-1] < history.loss[0]


def test_the_seeds_gradient_descent_decreases_the_loss_on_real_digits():
    s = mnist_splits()
    X, y = s.train.X[:2000], s.train.y[:2000]
    params = init_params(SEED_CONFIG)
    _, history = gradient_descent(params, X, y, alpha=SEED_CONFIG.lr, iterations=20, every=1)
    assert history.step == list(range(1, 21))
    assert np.all(np.diff(history.loss) < 0), history.loss
    assert history.loss[-1] < 0.9 * history.loss[0]
    assert history.train_accuracy[-1] > 0.15         # above chance (0.1) already


def test_sgd_with_one_full_batch_and_no_momentum_is_one_gradient_descent_step():
    X, y = toy_data(64)
    X = X.astype(np.float64)
    params = init_uniform(8, np.random.default_rng(0), dtype=np.float64)
    by_sgd, _ = sgd(params, X, y, epochs=1, batch_size=len(X), lr=0.3, momentum=0.0,
                    schedule="constant")
    grads = backward(params, forward(params, X), one_hot(y, dtype=np.float64))
    by_gd = gradient_descent_step(params, grads, 0.3)
    for k in NAMES:
        np.testing.assert_allclose(by_sgd[k], by_gd[k], rtol=1e-12, atol=1e-14)


# --- the pieces ---------------------------------------------------------------------------------


def test_gradient_descent_step_subtracts_alpha_times_the_gradient():
    params = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([0.5])}
    grads = {"W1": np.array([[10.0, -20.0]]), "b1": np.array([1.0])}
    new = gradient_descent_step(params, grads, 0.1)
    np.testing.assert_allclose(new["W1"], [[0.0, 4.0]])
    np.testing.assert_allclose(new["b1"], [0.4])
    np.testing.assert_array_equal(params["W1"], [[1.0, 2.0]])   # the input is not modified


@pytest.mark.parametrize("schedule, at_start, half_way", [
    ("constant", 1.0, 1.0),
    ("step", 1.0, 0.1),
    ("cosine", 1.0, 0.5),
])
def test_learning_rate_schedules_at_the_start_and_half_way(schedule, at_start, half_way):
    E, base = 10, 0.2
    assert learning_rate(0, E, base, schedule) == pytest.approx(base * at_start)
    assert learning_rate(E // 2, E, base, schedule) == pytest.approx(base * half_way)
    rates = [learning_rate(e, E, base, schedule) for e in range(E)]
    assert all(r > 0 for r in rates)
    assert all(a >= b for a, b in zip(rates, rates[1:]))          # never increases


def test_step_schedule_drops_tenfold_exactly_at_half_way():
    assert learning_rate(4, 10, 1.0, "step") == 1.0
    assert learning_rate(5, 10, 1.0, "step") == pytest.approx(0.1)
    assert learning_rate(9, 10, 1.0, "step") == pytest.approx(0.1)


def test_cosine_schedule_follows_half_a_cosine():
    for e in range(8):
        assert learning_rate(e, 8, 0.1, "cosine") == pytest.approx(
            0.1 * (1 + math.cos(math.pi * e / 8)) / 2)


def test_an_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="linear"):
        learning_rate(0, 10, 0.1, "linear")
    X, y = toy_data(16)
    with pytest.raises(ValueError, match="linear"):
        sgd(init_params(SMALL_SGD), X, y, epochs=1, schedule="linear")


def test_l2_gradient_adds_lambda_w_to_the_weights_only():
    rng = np.random.default_rng(0)
    params = {k: rng.standard_normal(s) for k, s in
              {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}.items()}
    grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
    out = l2_gradient(params, grads, 0.01)
    np.testing.assert_allclose(out["W1"], grads["W1"] + 0.01 * params["W1"])
    np.testing.assert_allclose(out["W2"], grads["W2"] + 0.01 * params["W2"])
    np.testing.assert_array_equal(out["b1"], grads["b1"])
    np.testing.assert_array_equal(out["b2"], grads["b2"])
    assert l2_gradient(params, grads, 0.0) == grads


def test_l2_gradient_is_the_gradient_of_half_lambda_times_the_squared_weights():
    """d/dW (lambda/2)||W||^2 = lambda W: with zero data gradient only the penalty remains."""
    params = {"W1": np.array([[3.0, -4.0]]), "b1": np.array([5.0])}
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    out = l2_gradient(params, zero, 0.5)
    np.testing.assert_allclose(out["W1"], [[1.5, -2.0]])
    np.testing.assert_allclose(out["b1"], [0.0])


def test_momentum_step_updates_velocity_then_parameters():
    params = {"W1": np.array([1.0, 2.0])}
    grads = {"W1": np.array([0.5, -1.0])}
    velocity = {"W1": np.array([0.1, 0.2])}
    new, v = momentum_step(params, grads, velocity, lr=0.1, mu=0.9)
    np.testing.assert_allclose(v["W1"], [0.9 * 0.1 - 0.1 * 0.5, 0.9 * 0.2 + 0.1 * 1.0])  # v <- mu v - eta g
    np.testing.assert_allclose(new["W1"], params["W1"] + v["W1"])                         # theta <- theta + v
    np.testing.assert_array_equal(params["W1"], [1.0, 2.0])
    np.testing.assert_array_equal(velocity["W1"], [0.1, 0.2])


def test_momentum_with_mu_zero_is_plain_gradient_descent():
    params = {"W1": np.array([1.0, 2.0]), "b1": np.array([3.0])}
    grads = {"W1": np.array([0.5, -1.0]), "b1": np.array([2.0])}
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    new, _ = momentum_step(params, grads, zero, lr=0.1, mu=0.0)
    expected = gradient_descent_step(params, grads, 0.1)
    for k in params:
        np.testing.assert_allclose(new[k], expected[k])


def test_momentum_accumulates_a_constant_gradient_towards_lr_over_one_minus_mu():
    params, v = {"w": np.array([0.0])}, {"w": np.array([0.0])}
    g = {"w": np.array([1.0])}
    for _ in range(200):
        params, v = momentum_step(params, g, v, lr=0.1, mu=0.9)
    assert v["w"][0] == pytest.approx(-0.1 / (1 - 0.9))


def test_minibatches_visit_every_row_once_per_epoch_in_a_shuffled_order():
    batches = list(minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    order = np.concatenate(batches)
    assert sorted(order) == list(range(10))
    assert not np.array_equal(order, np.arange(10))


# --- History --------------------------------------------------------------------------------


def test_sgd_history_records_one_entry_per_epoch_with_the_schedules_rates():
    X, y = toy_data(N)
    _, h = sgd(init_params(SMALL_SGD), X, y, epochs=4, batch_size=32, lr=0.01, schedule="step",
               X_dev=X[:40], y_dev=y[:40])
    assert h.step == [1, 2, 3, 4]
    assert h.learning_rate == pytest.approx([0.01, 0.01, 0.001, 0.001])
    assert len(h.loss) == len(h.train_accuracy) == len(h.dev_accuracy) == 4
    assert all(0 <= a <= 1 for a in h.train_accuracy + h.dev_accuracy)
    assert all(np.isfinite(h.loss)) and h.loss[-1] < h.loss[0]
    assert h.seconds > 0


def test_history_dev_accuracy_is_nan_without_dev_data():
    X, y = toy_data(64)
    _, h = sgd(init_params(SMALL_SGD), X, y, epochs=2, batch_size=32)
    assert all(math.isnan(a) for a in h.dev_accuracy)


def test_early_stopping_without_dev_rows_is_refused():
    X, y = toy_data(64)
    with pytest.raises(ValueError, match="dev"):
        sgd(init_params(SMALL_SGD), X, y, epochs=2, batch_size=32, patience=1)


# --- which rows a run trains on ---------------------------------------------------------------


def test_a_run_trains_on_the_train_split_and_reports_the_dev_split():
    s = mnist_splits()
    X, y, X_dev, y_dev = training_rows(SMALL_SGD, s)
    assert X is s.train.X and y is s.train.y and X_dev is s.dev.X and y_dev is s.dev.y


def test_the_final_fit_trains_on_train_then_dev_and_reports_no_dev_rows():
    s = mnist_splits()
    X, y, X_dev, y_dev = training_rows(replace(SMALL_SGD, include_dev=True), s)
    n_train, n_dev = len(s.train.y), len(s.dev.y)
    assert X.shape == (n_train + n_dev, 784) and y.shape == (n_train + n_dev,)
    assert np.array_equal(X[:n_train], s.train.X) and np.array_equal(X[n_train:], s.dev.X)
    assert np.array_equal(y[:n_train], s.train.y) and np.array_equal(y[n_train:], s.dev.y)
    assert X_dev is None and y_dev is None
    test_rows = {row.tobytes() for row in s.test.X}
    assert not any(row.tobytes() in test_rows for row in X)     # the test split stays out


def test_gradient_descent_records_every_tenth_iteration_and_the_last():
    X, y = toy_data(64)
    _, h = gradient_descent(init_params(SEED_CONFIG), X, y, alpha=0.1, iterations=25,
                            X_dev=X, y_dev=y)
    assert h.step == [10, 20, 25]
    assert h.learning_rate == [0.1, 0.1, 0.1]
    assert h.train_accuracy == h.dev_accuracy       # dev = train here


def test_history_to_dict_holds_every_field():
    h = History()
    h.record(1, np.float32(2.5), 0.5, 0.25, 0.1)
    d = h.to_dict()
    assert d == {"step": [1], "loss": [2.5], "train_accuracy": [0.5], "dev_accuracy": [0.25],
                 "learning_rate": [0.1], "seconds": 0.0}
    assert type(d["loss"][0]) is float


def test_accuracy_of_is_nan_for_no_rows():
    params = init_params(SMALL_SGD)
    assert math.isnan(accuracy_of(params, np.zeros((0, 784), np.float32), np.zeros(0, int)))
