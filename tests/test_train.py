"""scratchnet.train: determinism, learning on real MNIST, the pieces of the update rules, and how a
TrainConfig chooses them (the step, the batch transform, early stopping)."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from quick_model import QUICK_CONFIG, mnist_splits, quick_model, toy_data

from scratchnet import train as train_module
from scratchnet.augment import augmentation, random_affine, random_flip
from scratchnet.epochs import History, early_stopping, last_epoch
from scratchnet.evaluate import accuracy_of
from scratchnet.model import backward, forward, init_uniform, one_hot
from scratchnet.train import (
    SEED_CONFIG,
    Optimizer,
    TrainConfig,
    adam_step,
    gradient_descent,
    gradient_descent_step,
    init_params,
    l2_gradient,
    learning_rate,
    minibatches,
    momentum_step,
    sgd,
    sgd_epochs,
    train,
    training_rows,
)

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
    config = TrainConfig(epochs=2, batch_size=32, lr=0.05, momentum=0.9, seed=1)
    a, _ = sgd(p0, X, y, config)
    b, _ = sgd(p0, X, y, config)
    c, _ = sgd(p0, X, y, replace(config, seed=2))       # same start, other shuffle
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
    by_sgd, _ = sgd(params, X, y, TrainConfig(epochs=1, batch_size=len(X), lr=0.3, momentum=0.0,
                                              schedule="constant"))
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
    assert all(a >= b for a, b in zip(rates, rates[1:], strict=False))    # never increases


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
    with pytest.raises(ValueError, match="linear"):
        TrainConfig(schedule="linear")


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
    # v <- mu v - eta g, then theta <- theta + v
    np.testing.assert_allclose(v["W1"], [0.9 * 0.1 - 0.1 * 0.5, 0.9 * 0.2 + 0.1 * 1.0])
    np.testing.assert_allclose(new["W1"], params["W1"] + v["W1"])
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
    _, h = sgd(init_params(SMALL_SGD), X, y,
               TrainConfig(epochs=4, batch_size=32, lr=0.01, schedule="step"), X[:40], y[:40])
    assert h.step == [1, 2, 3, 4]
    assert h.learning_rate == pytest.approx([0.01, 0.01, 0.001, 0.001])
    assert len(h.loss) == len(h.train_accuracy) == len(h.dev_accuracy) == 4
    assert all(0 <= a <= 1 for a in h.train_accuracy + h.dev_accuracy)
    assert all(np.isfinite(h.loss)) and h.loss[-1] < h.loss[0]
    assert h.seconds > 0


def test_history_dev_accuracy_is_nan_without_dev_data():
    X, y = toy_data(64)
    _, h = sgd(init_params(SMALL_SGD), X, y, TrainConfig(epochs=2, batch_size=32))
    assert all(math.isnan(a) for a in h.dev_accuracy)


def test_early_stopping_without_dev_rows_is_refused():
    X, y = toy_data(64)
    config = TrainConfig(epochs=2, batch_size=32, patience=1)
    with pytest.raises(ValueError, match="dev"):
        sgd(init_params(SMALL_SGD), X, y, config)
    with pytest.raises(ValueError, match="dev"):
        sgd(init_params(SMALL_SGD), X, y, config, X[:0], y[:0])     # no dev rows at all


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
    h.record(1, np.float32(2.5), 0.5, 0.25, 0.1, np.float64(0.75))
    h.record(2, 2.0, 0.5, 0.25, 0.1)
    d = h.to_dict()
    assert {k: v for k, v in d.items() if k != "batch_accuracy"} == {
        "step": [1, 2], "loss": [2.5, 2.0], "train_accuracy": [0.5, 0.5],
        "dev_accuracy": [0.25, 0.25], "learning_rate": [0.1, 0.1], "seconds": 0.0}
    assert d["batch_accuracy"] == [0.75, None]      # nan (not measured) is JSON's null
    assert type(d["loss"][0]) is float and type(d["batch_accuracy"][0]) is float
    json.dumps(d, allow_nan=False)                  # a model file's metadata can hold it
    back = History.from_dict(d)
    assert back.loss == h.loss and back.batch_accuracy[0] == 0.75
    assert math.isnan(back.batch_accuracy[1])



# --- TrainConfig: one name per choice, checked when it is made -----------------------------------


@pytest.mark.parametrize("field, value, choices", [
    ("optimizer", "sgd", "'gd', 'momentum', 'adam'"),       # the old name of "momentum"
    ("optimizer", "Adam", "'gd', 'momentum', 'adam'"),
    ("schedule", "linear", "'constant', 'step', 'cosine'"),
    ("init", "glorot", "'uniform', 'he'"),
    ("dtype", "float16", "'float32', 'float64'"),
])
def test_an_unknown_name_is_refused_when_the_config_is_made_naming_the_choices(field, value,
                                                                             choices):
    with pytest.raises(ValueError) as error:
        TrainConfig(**{field: value})
    message = str(error.value)
    assert f"unknown {field} {value!r}" in message and choices in message
    assert "\n" not in message


@pytest.mark.parametrize("field, value", [
    ("hidden", 0), ("hidden", 12.0), ("epochs", -1), ("batch_size", 0), ("seed", -1),
    ("patience", 0), ("lr", 0.0), ("lr", math.inf), ("momentum", 1.0), ("momentum", -0.1),
    ("l2", -1e-4), ("l2", math.nan), ("augment", 1), ("flip", "yes"), ("include_dev", None),
])
def test_a_value_out_of_range_is_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"^TrainConfig: {field} = "):
        TrainConfig(**{field: value})


def test_the_full_batch_loop_refuses_what_it_would_ignore():
    with pytest.raises(ValueError, match="'gd'.*momentum, schedule"):
        TrainConfig(optimizer="gd")                       # momentum 0.9 and cosine by default
    for extra in (dict(l2=1e-4), dict(augment=True), dict(flip=True), dict(patience=2)):
        with pytest.raises(ValueError, match=next(iter(extra))):
            replace(SEED_CONFIG, **extra)
    assert replace(SEED_CONFIG, epochs=3).optimizer == "gd"


def test_the_optimizer_names_are_the_registrys_and_the_seeds():
    assert set(train_module.OPTIMIZERS) == {"momentum", "adam"}
    assert train_module.OPTIMIZER_NAMES == ("gd", "momentum", "adam")
    assert TrainConfig().optimizer == "momentum"
    assert {c.optimizer for c in train_module.RECOMMENDED.values()} <= set(train_module.OPTIMIZERS)


def test_sgd_refuses_the_full_batch_optimizer_by_name():
    X, y = toy_data(32)
    with pytest.raises(ValueError, match="'gd'.*gradient_descent.*'momentum', 'adam'"):
        sgd(init_params(SEED_CONFIG), X, y, SEED_CONFIG)


def test_replace_checks_the_new_value_too():
    with pytest.raises(ValueError, match="unknown optimizer"):
        replace(SMALL_SGD, optimizer="rmsprop")


# --- the parts of mini-batch SGD: the step, the transform, early stopping -------------------------


def reference_sgd(params, X, y, config, X_dev=None, y_dev=None):
    """Mini-batch SGD written as one loop with flags, as train.sgd was before its parts: the
    specification the parts must reproduce bit for bit."""
    rng = np.random.default_rng(config.seed)
    Y = one_hot(y, dtype=X.dtype)
    zeros = {k: np.zeros_like(p) for k, p in params.items()}
    velocity, adam_state = zeros, {"t": 0, "m": zeros, "v": zeros}
    best, best_dev, since_best = params, -1.0, 0
    for epoch in range(config.epochs):
        eta = learning_rate(epoch, config.epochs, config.lr, config.schedule)
        for idx in minibatches(len(X), config.batch_size, rng):
            Xb = random_affine(X[idx], rng) if config.augment else X[idx]
            if config.flip:
                Xb = random_flip(Xb, rng)
            grads = l2_gradient(params, backward(params, forward(params, Xb), Y[idx]), config.l2)
            if config.optimizer == "adam":
                params, adam_state = adam_step(params, grads, adam_state, eta)
            else:
                params, velocity = momentum_step(params, grads, velocity, eta, config.momentum)
        if config.patience is not None:
            dev = accuracy_of(params, X_dev, y_dev)
            if dev > best_dev:
                best, best_dev, since_best = params, dev, 0
            else:
                since_best += 1
                if since_best >= config.patience:
                    break
    return best if config.patience is not None else params


PART_CONFIGS = {
    "momentum": SMALL_SGD,
    "plain": replace(SMALL_SGD, momentum=0.0, schedule="step"),
    "adam": replace(SMALL_SGD, optimizer="adam", lr=1e-3, l2=1e-3),
    "augment": replace(SMALL_SGD, augment=True),
    "flip": replace(SMALL_SGD, flip=True),
    "augment+flip+adam": replace(SMALL_SGD, augment=True, flip=True, optimizer="adam", lr=1e-3),
    "early": replace(SMALL_SGD, epochs=12, schedule="constant", lr=0.2, patience=2),
    "early+augment": replace(SMALL_SGD, epochs=12, schedule="constant", patience=2, augment=True),
}


@pytest.mark.parametrize("config", PART_CONFIGS.values(), ids=PART_CONFIGS)
def test_the_parts_give_the_weights_of_the_one_loop_with_flags_bit_for_bit(config):
    X, y = toy_data(N)
    X_dev, y_dev = toy_data(60, seed=5)
    params = init_params(config)
    by_parts, _ = sgd(params, X, y, config, X_dev, y_dev)
    by_flags = reference_sgd(params, X, y, config, X_dev, y_dev)
    for k in NAMES:
        assert np.array_equal(by_parts[k], by_flags[k]), k


def test_no_augmentation_hands_the_batch_over_unchanged_and_draws_nothing():
    Xb = toy_data(20)[0]
    rng = np.random.default_rng(3)
    assert augmentation(SMALL_SGD)(Xb, rng) is Xb
    assert rng.random() == np.random.default_rng(3).random()


@pytest.mark.parametrize("augment, flip", [(True, False), (False, True), (True, True)])
def test_the_transform_applies_the_affine_maps_then_the_flip_from_the_loops_generator(augment,
                                                                                      flip):
    Xb = toy_data(30)[0]
    expected, rng = Xb, np.random.default_rng(4)
    if augment:
        expected = random_affine(expected, rng)
    if flip:
        expected = random_flip(expected, rng)
    transform = augmentation(replace(SMALL_SGD, augment=augment, flip=flip))
    assert np.array_equal(transform(Xb, np.random.default_rng(4)), expected)


def reading(values):
    """(params, dev) pairs from dev accuracies, the params a label; and the list of those read."""
    read = []

    def pairs():
        for e, dev in enumerate(values, start=1):
            read.append(e)
            yield f"theta_{e}", dev

    return pairs(), read


@pytest.mark.parametrize("devs, patience, best, stop", [
    ([0.1, 0.2, 0.3, 0.25, 0.2, 0.4], 2, 3, 5),       # e_hat = 3, stops at 3 + 2
    ([0.5, 0.5, 0.5, 0.5], 3, 1, 4),                  # ties do not count: the first of equals
    ([0.1, 0.2, 0.3], 5, 3, 3),                       # the limit comes first: min(e_hat + p, E)
    ([0.3, 0.1, 0.4, 0.2, 0.1, 0.0], 1, 1, 2),
])
def test_early_stopping_returns_the_best_epoch_and_reads_exactly_p_epochs_after_it(devs, patience,
                                                                                  best, stop):
    epochs, read = reading(devs)
    assert early_stopping(epochs, patience) == f"theta_{best}"
    assert read == list(range(1, stop + 1))


def test_last_epoch_reads_every_epoch():
    epochs, read = reading([0.3, 0.1, 0.2])
    assert last_epoch(epochs) == "theta_3" and read == [1, 2, 3]


def test_an_early_stopped_run_returns_the_weights_of_a_run_that_ends_at_its_best_epoch():
    X, y = toy_data(N)
    X_dev, y_dev = toy_data(60, seed=5)
    config = PART_CONFIGS["early"]                    # constant rate: epoch e does not depend on E
    stopped, history = sgd(init_params(config), X, y, config, X_dev, y_dev)
    best_epoch = history.step[int(np.argmax(history.dev_accuracy))]
    assert best_epoch < history.step[-1] < config.epochs, "the run should stop early"
    short = replace(config, epochs=best_epoch, patience=None)
    ended, _ = sgd(init_params(config), X, y, short, X_dev, y_dev)
    for k in NAMES:
        assert np.array_equal(stopped[k], ended[k]), k


def test_the_epochs_are_trained_only_when_asked_for():
    X, y = toy_data(64)
    steps = []
    momentum = train_module.OPTIMIZERS["momentum"](SMALL_SGD)

    def counting(*args):
        steps.append(1)
        return momentum.step(*args)

    epochs = sgd_epochs(init_params(SMALL_SGD), X, y, replace(SMALL_SGD, epochs=5),
                        Optimizer(momentum.start, counting), augmentation(SMALL_SGD))
    assert steps == []
    first = next(epochs)
    assert first.number == 1 and len(steps) == 2      # 64 rows in batches of 32
    assert first.learning_rate == learning_rate(0, 5, SMALL_SGD.lr, SMALL_SGD.schedule)
