"""Training: the seed's full-batch gradient descent, and mini-batch SGD with momentum.

Both return the trained parameters and a :class:`History` of the loss and the train/dev accuracy.
Rows are examples: X (n, 784) float, y (n,) integer labels.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
from tqdm import tqdm  # not tqdm.auto: without ipywidgets it warns on every book page

from scratchnet.augment import random_affine, random_flip
from scratchnet.model import INITIALISERS, Params, backward, cross_entropy, forward, one_hot, predict


@dataclass
class History:
    """What training measured: one entry per evaluation point (iteration or epoch)."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    dev_accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    seconds: float = 0.0
    """Wall time of the training loop alone (no data loading, no set-up)."""

    def record(self, step, loss, train_accuracy, dev_accuracy, learning_rate):
        self.step.append(int(step))
        self.loss.append(float(loss))
        self.train_accuracy.append(float(train_accuracy))
        self.dev_accuracy.append(float(dev_accuracy))
        self.learning_rate.append(float(learning_rate))

    def to_dict(self) -> dict:
        return asdict(self)


def accuracy_of(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose predicted label argmax_k P_ik equals y_i (nan for no rows)."""
    return float(np.mean(predict(params, X) == y)) if len(y) else math.nan


# --- the seed: full-batch gradient descent (chapter 6) ---------------------------------------


def gradient_descent_step(params: Params, grads: Params, alpha: float) -> Params:
    """theta <- theta - alpha dL/dtheta, for every parameter theta in W1, b1, W2, b2."""
    return {name: params[name] - alpha * grads[name] for name in params}


def gradient_descent(params: Params, X: np.ndarray, y: np.ndarray, *, alpha: float = 0.10,
                     iterations: int = 500, X_dev=None, y_dev=None, every: int = 10,
                     progress: bool = False) -> tuple[Params, History]:
    """The seed's training loop: every iteration uses the whole training set.

    Repeats ``iterations`` times: forward, backward, theta <- theta - alpha dL/dtheta.
    Every ``every`` iterations (and after the last) records loss and train/dev accuracy,
    as the seed printed them.
    """
    Y = one_hot(y, dtype=X.dtype)
    history = History()
    start = time.perf_counter()
    for i in tqdm(range(1, iterations + 1), disable=not progress, desc="gradient descent"):
        cache = forward(params, X)
        params = gradient_descent_step(params, backward(params, cache, Y), alpha)
        if i % every == 0 or i == iterations:
            history.record(i, cross_entropy(cache["Z2"], Y), accuracy_of(params, X, y),
                           accuracy_of(params, X_dev, y_dev) if X_dev is not None else math.nan,
                           alpha)
    history.seconds = time.perf_counter() - start
    return params, history


# --- mini-batch SGD with momentum, L2 and a schedule (chapter 7) -----------------------------


def l2_gradient(params: Params, grads: Params, lam: float) -> Params:
    """Gradient of L + (lambda/2)(||W1||^2 + ||W2||^2): adds lambda W to dW1 and dW2 (not biases)."""
    if lam == 0:
        return grads
    return {name: g + lam * params[name] if name.startswith("W") else g
            for name, g in grads.items()}


def momentum_step(params: Params, grads: Params, velocity: Params, lr: float,
                  mu: float) -> tuple[Params, Params]:
    """v <- mu v - eta dL/dtheta;  theta <- theta + v  (heavy-ball momentum, Polyak 1964)."""
    velocity = {name: mu * velocity[name] - lr * grads[name] for name in params}
    params = {name: params[name] + velocity[name] for name in params}
    return params, velocity


def learning_rate(epoch: int, epochs: int, base: float, schedule: str) -> float:
    """eta_e for epoch e = 0 .. E-1.

    constant: eta_e = eta;  step: eta_e = eta * 0.1^floor(2e/E) (x0.1 half-way);
    cosine: eta_e = eta * (1 + cos(pi e / E)) / 2.
    """
    if schedule == "constant":
        return base
    if schedule == "step":
        return base * 0.1 ** (2 * epoch // epochs)
    if schedule == "cosine":
        return base * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
    raise ValueError(f"unknown learning-rate schedule {schedule!r}")


SCHEDULES = ("constant", "step", "cosine")


def minibatches(n: int, batch_size: int, rng: np.random.Generator):
    """Index arrays of one epoch: a fresh permutation of 0..n-1 cut into batches of batch_size."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def adam_step(params: Params, grads: Params, state: dict, lr: float, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8) -> tuple[Params, dict]:
    """Adam (Kingma & Ba 2015), step t = 1, 2, ...:

    m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2;
    theta <- theta - eta (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps).
    ``state`` holds t, m and v; a new state is returned.
    """
    t = state["t"] + 1
    m = {k: beta1 * state["m"][k] + (1 - beta1) * g for k, g in grads.items()}
    v = {k: beta2 * state["v"][k] + (1 - beta2) * g * g for k, g in grads.items()}
    params = {k: params[k] - lr * (m[k] / (1 - beta1 ** t)) / (np.sqrt(v[k] / (1 - beta2 ** t)) + eps)
              for k in params}
    return params, {"t": t, "m": m, "v": v}


def sgd(params: Params, X: np.ndarray, y: np.ndarray, *, epochs: int = 20, batch_size: int = 64,
        lr: float = 0.1, momentum: float = 0.9, l2: float = 0.0, schedule: str = "cosine",
        seed: int = 0, X_dev=None, y_dev=None, optimizer: str = "momentum",
        augment: bool = False, patience: int | None = None, flip: bool = False,
        train_eval_rows: int | None = None, progress: bool = False) -> tuple[Params, History]:
    """Mini-batch SGD: per batch, backward then a ``momentum_step`` (or an ``adam_step``).

    Each epoch visits the training rows in a new order drawn from ``seed``; the learning rate of
    epoch e is ``learning_rate(e, epochs, lr, schedule)``. With ``augment``, each batch is
    replaced by a random affine map of itself (:func:`scratchnet.augment.random_affine`); with
    ``flip``, then half its rows, drawn at random, are mirrored left to right
    (:func:`scratchnet.augment.random_flip`: for clothes, not digits). With
    ``patience``, training stops once dev accuracy has not improved for that many epochs, and the
    parameters of the best epoch are returned (early stopping). Records loss and accuracies per epoch;
    the training accuracy on the first ``train_eval_rows`` rows of X (all rows by default: a smaller
    number saves time on large sets, and never changes the weights).
    """
    if X_dev is None and patience is not None:
        raise ValueError("early stopping (patience) watches dev accuracy: it needs X_dev, y_dev")
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown learning-rate schedule {schedule!r}; choose from {SCHEDULES}")
    rng = np.random.default_rng(seed)
    Y = one_hot(y, dtype=X.dtype)
    zeros = {name: np.zeros_like(p) for name, p in params.items()}
    velocity, adam = zeros, {"t": 0, "m": zeros, "v": zeros}
    best, best_dev, since_best = params, -1.0, 0
    history = History()
    start = time.perf_counter()
    bar = tqdm(total=epochs, disable=not progress, desc="sgd", unit="epoch")
    for epoch in range(epochs):
        eta = learning_rate(epoch, epochs, lr, schedule)
        losses = []
        for idx in minibatches(len(X), batch_size, rng):
            Xb = random_affine(X[idx], rng) if augment else X[idx]
            if flip:
                Xb = random_flip(Xb, rng)
            cache = forward(params, Xb)
            grads = l2_gradient(params, backward(params, cache, Y[idx]), l2)
            if optimizer == "adam":
                params, adam = adam_step(params, grads, adam, eta)
            else:
                params, velocity = momentum_step(params, grads, velocity, eta, momentum)
            losses.append(cross_entropy(cache["Z2"], Y[idx]) * len(idx))
        dev = accuracy_of(params, X_dev, y_dev) if X_dev is not None else math.nan
        train_acc = accuracy_of(params, X[:train_eval_rows], y[:train_eval_rows])
        history.record(epoch + 1, sum(losses) / len(X), train_acc, dev, eta)
        bar.update()
        bar.set_postfix(loss=f"{history.loss[-1]:.4f}", dev=f"{dev:.4f}")
        if patience is not None:
            if dev > best_dev:
                best, best_dev, since_best = params, dev, 0
            else:
                since_best += 1
                if since_best >= patience:
                    break
    bar.close()
    history.seconds = time.perf_counter() - start
    return (best if patience is not None else params), history


# --- a whole run from a configuration -------------------------------------------------------


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (with the data and seed: the weights, bit for bit)."""

    hidden: int = 128
    init: str = "he"              # "he" | "uniform"
    optimizer: str = "sgd"        # "sgd" (mini-batch, momentum) | "adam" | "gd" (the seed's full batch)
    epochs: int = 20              # for "gd": iterations
    batch_size: int = 64
    lr: float = 0.1
    momentum: float = 0.9
    l2: float = 0.0
    schedule: str = "cosine"
    seed: int = 0
    dtype: str = "float32"
    augment: bool = False         # random affine maps of each batch (scratchnet.augment)
    patience: int | None = None   # early stopping on dev accuracy
    flip: bool = False            # mirror half of each batch left to right (clothes, not digits)
    include_dev: bool = False     # the final fit: train on train + dev, once dev has chosen

    def to_dict(self) -> dict:
        return asdict(self)


SEED_CONFIG = TrainConfig(hidden=10, init="uniform", optimizer="gd", epochs=500, lr=0.10,
                          momentum=0.0, schedule="constant")
"""The seed notebook's run: 784-10-10, uniform init, alpha = 0.10, 500 full-batch iterations."""


def init_params(config: TrainConfig) -> Params:
    """Initial parameters for ``config``, drawn from a generator seeded with ``config.seed``."""
    rng = np.random.default_rng(config.seed)
    return INITIALISERS[config.init](config.hidden, rng, dtype=np.dtype(config.dtype))


def training_rows(config: TrainConfig, splits) -> tuple:
    """The rows a run of ``config`` trains on, and the dev rows it reports: (X, y, X_dev, y_dev).

    Normally X, y = the train split and X_dev, y_dev = the dev split. With ``config.include_dev``
    (the final fit, once the dev split has chosen the configuration) the dev rows join the training
    rows, X = [X_train; X_dev] (dev last), and no dev rows are left to report: (X, y, None, None).
    The test split is never among them.
    """
    if not config.include_dev:
        return splits.train.X, splits.train.y, splits.dev.X, splits.dev.y
    return (np.concatenate([splits.train.X, splits.dev.X]),
            np.concatenate([splits.train.y, splits.dev.y]), None, None)


def train(config: TrainConfig, X: np.ndarray, y: np.ndarray, X_dev=None, y_dev=None,
          progress: bool = False) -> tuple[Params, History]:
    """Initialise from ``config.seed`` and train with ``config.optimizer``; X is cast to config.dtype."""
    params = init_params(config)
    X = X.astype(config.dtype, copy=False)
    if X_dev is not None:
        X_dev = X_dev.astype(config.dtype, copy=False)
    if config.optimizer == "gd":
        return gradient_descent(params, X, y, alpha=config.lr, iterations=config.epochs,
                                X_dev=X_dev, y_dev=y_dev, progress=progress)
    if config.optimizer in ("sgd", "adam"):
        return sgd(params, X, y, epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
                   momentum=config.momentum, l2=config.l2, schedule=config.schedule,
                   seed=config.seed, X_dev=X_dev, y_dev=y_dev,
                   optimizer="adam" if config.optimizer == "adam" else "momentum",
                   augment=config.augment, patience=config.patience, flip=config.flip,
                   progress=progress)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")


RECOMMENDED = {
    "mnist": TrainConfig(hidden=256, epochs=40, batch_size=64, lr=0.05, l2=1e-4, augment=True),
    "fashion-mnist": TrainConfig(hidden=512, epochs=40, batch_size=128, lr=0.05, l2=1e-4,
                                 include_dev=True),
}
"""What ``scratchnet train`` runs with no options, per dataset."""
