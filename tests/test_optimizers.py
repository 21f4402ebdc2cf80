"""Adam, momentum and early stopping: the update rules do what their equations say."""

import numpy as np

from scratchnet.model import init_he
from scratchnet.train import TrainConfig, adam_step, momentum_step, sgd


def quadratic_grad(theta, target):
    """f(theta) = 1/2 ||theta - target||^2 has gradient theta - target."""
    return {k: theta[k] - target[k] for k in theta}


def fresh_adam(params):
    zeros = {k: np.zeros_like(v) for k, v in params.items()}
    return {"t": 0, "m": zeros, "v": zeros}


def test_first_adam_step_moves_every_coordinate_by_the_learning_rate_against_the_gradient():
    rng = np.random.default_rng(0)
    params = {"w": rng.normal(size=5)}
    grads = {"w": rng.normal(size=5) * np.array([1e-3, 1, 10, 100, -5])}
    new, state = adam_step(params, grads, fresh_adam(params), lr=0.01)
    # bias correction makes m_hat = g and v_hat = g^2 at t = 1: the step is -lr * sign(g)
    np.testing.assert_allclose(new["w"] - params["w"], -0.01 * np.sign(grads["w"]), rtol=1e-4)
    assert state["t"] == 1


def test_adam_minimises_a_badly_scaled_quadratic():
    target = {"w": np.array([3.0, -2.0, 0.5])}
    scale = np.array([1e-2, 1.0, 1e2])   # gradients of very different sizes
    params, state = {"w": np.zeros(3)}, fresh_adam({"w": np.zeros(3)})
    for _ in range(3000):
        g = {"w": scale * (params["w"] - target["w"])}
        params, state = adam_step(params, g, state, lr=0.01)
    np.testing.assert_allclose(params["w"], target["w"], atol=1e-2)


def test_adam_second_moment_is_an_exponential_average_of_squared_gradients():
    params = {"w": np.zeros(2)}
    state = fresh_adam(params)
    gs = [np.array([1.0, -2.0]), np.array([3.0, 0.5])]
    for g in gs:
        params, state = adam_step(params, {"w": g}, state, lr=0.1, beta1=0.9, beta2=0.99)
    np.testing.assert_allclose(state["m"]["w"], 0.9 * 0.1 * gs[0] + 0.1 * gs[1])
    np.testing.assert_allclose(state["v"]["w"], 0.99 * 0.01 * gs[0] ** 2 + 0.01 * gs[1] ** 2)


def test_momentum_accumulates_velocity():
    params, v = {"w": np.zeros(1)}, {"w": np.zeros(1)}
    g = {"w": np.ones(1)}
    params, v = momentum_step(params, g, v, lr=1.0, mu=0.5)
    params, v = momentum_step(params, g, v, lr=1.0, mu=0.5)
    assert v["w"][0] == -1.5 and params["w"][0] == -2.5


def test_early_stopping_stops_and_returns_the_best_epoch():
    rng = np.random.default_rng(0)
    X = rng.random((200, 784), dtype=np.float32)
    y = rng.integers(0, 10, 200)
    X_dev = rng.random((50, 784), dtype=np.float32)     # noise: no signal
    y_dev = rng.integers(0, 10, 50)
    params = init_he(16, np.random.default_rng(0))
    config = TrainConfig(epochs=50, batch_size=50, lr=0.05, seed=0, patience=3)
    best, history = sgd(params, X, y, config, X_dev, y_dev)
    assert len(history.step) < 50                      # stopped early
    best_epoch = int(np.argmax(history.dev_accuracy))  # first epoch with the best dev accuracy
    assert len(history.step) == best_epoch + 1 + 3     # ... exactly `patience` epochs after it
    dev_acc = np.mean(np.argmax(np.maximum(X_dev @ best["W1"] + best["b1"], 0) @ best["W2"]
                                + best["b2"], axis=1) == y_dev)
    assert dev_acc == history.dev_accuracy[best_epoch]
