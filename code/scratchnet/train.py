"""Training: the seed's full-batch gradient descent, and mini-batch SGD built from parts.

Mini-batch training (chapter 7) is one loop, :func:`sgd_epochs`, over parts a :class:`TrainConfig`
chooses by name:

- the **step**, ``OPTIMIZERS[config.optimizer](config)``: one update of the parameters on a batch
  (forward, backward, the L2 term, then ``momentum_step`` or ``adam_step``);
- the **transform** of each batch, ``augment.augmentation(config)``: random affine maps or elastic
  distortions (digits), random mirror images (clothes), or the batch unchanged;
- the **reader** of the epochs (:mod:`scratchnet.epochs`): ``early_stopping`` when
  ``config.patience`` is set, else ``last_epoch``.

:func:`sgd` puts them together and records a ``History``; :func:`train` starts from a config.
What is measured costs no second pass over the training rows: each epoch's loss and *batch
accuracy* come from the batches' own forward passes, the training accuracy from a fixed sample of
``TRAIN_SAMPLE_ROWS`` rows (all rows only when asked), and the dev accuracy from the dev rows.

These are the readable parts the book shows. ``scratchnet.fast`` has the same parts written for
speed (:data:`READABLE` here, ``fast.FAST`` there); what users and the book run is ``fast.train``.
Rows are examples: X (n, 784) float, y (n,) integer labels.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from tqdm import tqdm  # not tqdm.auto: without ipywidgets it warns on every book page

from scratchnet.augment import Transform, augmentation
from scratchnet.config_rules import config_problems
from scratchnet.epochs import Epoch, History, early_stopping, last_epoch, watch
from scratchnet.evaluate import accuracy_of
from scratchnet.model import INITIALISERS, Params, backward, cross_entropy, forward, one_hot

if TYPE_CHECKING:
    from scratchnet.data import Splits


# --- the seed: full-batch gradient descent (chapter 6) ---------------------------------------


def gradient_descent_step(params: Params, grads: Params, alpha: float) -> Params:
    """theta <- theta - alpha dL/dtheta, for every parameter theta in W1, b1, W2, b2."""
    return {name: params[name] - alpha * grads[name] for name in params}


def gradient_descent(params: Params, X: np.ndarray, y: np.ndarray, *, alpha: float = 0.10,
                     iterations: int = 500, X_dev: np.ndarray | None = None,
                     y_dev: np.ndarray | None = None, every: int = 10,
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


# --- the pieces of mini-batch SGD: batches, L2, momentum, Adam, the schedule (chapters 7, 10) --


def minibatches(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Index arrays of one epoch: a fresh permutation of 0..n-1 cut into batches of batch_size."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def l2_gradient(params: Params, grads: Params, lam: float) -> Params:
    """Gradient of L + (lambda/2)(||W1||^2 + ||W2||^2): lambda W added to dW1, dW2 (not biases)."""
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
    params = {k: params[k] - lr * (m[k] / (1 - beta1 ** t)) / (np.sqrt(v[k] / (1 - beta2 ** t))
                                                                + eps)
              for k in params}
    return params, {"t": t, "m": m, "v": v}


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
    raise ValueError(f"unknown learning-rate schedule {schedule!r}; choose from {SCHEDULES}")


SCHEDULES = ("constant", "step", "cosine")


def batch_gradients(params: Params, Xb: np.ndarray, yb: np.ndarray,
                    lam: float) -> tuple[Params, float, int]:
    """g = dL_B/dtheta + lambda W on one batch; m L_B, the batch's summed loss; and how many of
    its m rows the network gets right, #{i : argmax_k Z2_ik = y_i}.

    One forward and one backward pass on the batch Xb (m, 784) with labels yb (m,), then the L2
    term (``l2_gradient``). Loss and count are of the batch as it goes in, before the step: they
    come free with the forward pass the gradient needs.
    """
    Yb = one_hot(yb, dtype=Xb.dtype)
    cache = forward(params, Xb)
    grads = l2_gradient(params, backward(params, cache, Yb), lam)
    correct = int(np.count_nonzero(cache["Z2"].argmax(axis=1) == yb))
    return grads, cross_entropy(cache["Z2"], Yb) * len(yb), correct


# --- the step of the loop, chosen by name: OPTIMIZERS --------------------------------------


class Optimizer(NamedTuple):
    """An optimiser as the loop of :func:`sgd_epochs` uses it.

    ``start(params)`` is its state before the first batch (the velocity v = 0, or Adam's t, m, v);
    ``step(params, state, Xb, yb, eta)`` trains on one batch at learning rate eta and returns the
    new parameters, the new state, the batch's summed loss m L_B and its count of right answers.
    """

    start: Callable[[Params], Any]
    step: Callable[[Params, Any, np.ndarray, np.ndarray, float],
                   tuple[Params, Any, float, int]]


def zeros_like(params: Params) -> Params:
    """One array of zeros shaped like each parameter."""
    return {name: np.zeros_like(p) for name, p in params.items()}


def momentum(config: TrainConfig) -> Optimizer:
    """SGD with heavy-ball momentum mu = config.momentum (mu = 0: plain SGD), from v = 0.

    Per batch: g = dL_B/dtheta + lambda W, then v <- mu v - eta g;  theta <- theta + v.
    """
    def step(params, velocity, Xb, yb, eta):
        grads, loss, correct = batch_gradients(params, Xb, yb, config.l2)
        params, velocity = momentum_step(params, grads, velocity, eta, config.momentum)
        return params, velocity, loss, correct

    return Optimizer(start=zeros_like, step=step)


def adam(config: TrainConfig) -> Optimizer:
    """Adam with the paper's beta1, beta2, eps (``adam_step``), from t = 0 and m = v = 0.

    Per batch: g = dL_B/dtheta + lambda W, then one ``adam_step`` with g.
    """
    def step(params, state, Xb, yb, eta):
        grads, loss, correct = batch_gradients(params, Xb, yb, config.l2)
        params, state = adam_step(params, grads, state, eta)
        return params, state, loss, correct

    return Optimizer(start=lambda p: {"t": 0, "m": zeros_like(p), "v": zeros_like(p)}, step=step)


OPTIMIZERS: dict[str, Callable[[TrainConfig], Optimizer]] = {"momentum": momentum, "adam": adam}
"""The optimisers of mini-batch SGD by ``TrainConfig.optimizer``; "gd" is the seed's full batch."""

OPTIMIZER_NAMES = ("gd", *OPTIMIZERS)


# --- the loop, and sgd: the loop read by the recorder and early stopping (scratchnet.epochs) ---


def sgd_epochs(params: Params, X: np.ndarray, y: np.ndarray, config: TrainConfig,
               optimizer: Optimizer, transform: Transform) -> Iterator[Epoch]:
    """Mini-batch SGD, one epoch at a time: yields an :class:`Epoch` after each pass over X.

    Epoch e = 0 .. E-1 visits the rows in a fresh order drawn from ``config.seed`` at the rate
    eta_e = learning_rate(e, E, eta, schedule); each batch is transformed, then one
    ``optimizer.step`` updates theta. The epoch's loss and batch accuracy are the means over its
    batches, as each went in. Nothing runs until the next epoch is asked for.
    """
    rng = np.random.default_rng(config.seed)
    state = optimizer.start(params)
    for epoch in range(config.epochs):
        eta = learning_rate(epoch, config.epochs, config.lr, config.schedule)
        losses, right = [], 0
        for idx in minibatches(len(X), config.batch_size, rng):
            params, state, loss, correct = optimizer.step(params, state, transform(X[idx], rng),
                                                          y[idx], eta)
            losses.append(loss)
            right += correct
        yield Epoch(epoch + 1, params, sum(losses) / len(X), right / len(X), eta)


TRAIN_SAMPLE_ROWS = 1000
"""How many training rows the per-epoch training accuracy is measured on: the first rows of X, a
fixed sample (the splits are in a random, stratified order). None in ``sgd``: all rows."""


def sgd(params: Params, X: np.ndarray, y: np.ndarray, config: TrainConfig,
        X_dev: np.ndarray | None = None, y_dev: np.ndarray | None = None, *,
        optimizer: Optimizer | None = None, transform: Transform | None = None,
        accuracy: Callable = accuracy_of, train_eval_rows: int | None = TRAIN_SAMPLE_ROWS,
        progress: bool = False) -> tuple[Params, History]:
    """Mini-batch SGD from ``params`` as ``config`` says: its epochs, recorded, read to the end
    or until early stopping. Returns the parameters and the :class:`History`.

    The step is ``OPTIMIZERS[config.optimizer](config)`` and the transform
    ``augment.augmentation(config)``; ``optimizer``, ``transform`` and ``accuracy`` replace them
    and the accuracy function (the fast path's own). The training accuracy is of the first
    ``train_eval_rows`` rows of X (None: all).
    """
    if config.patience is not None and (X_dev is None or not len(X_dev)):
        raise ValueError("early stopping (patience) watches dev accuracy: it needs X_dev, y_dev")
    if optimizer is None:
        if config.optimizer not in OPTIMIZERS:
            raise ValueError(f"sgd has no optimizer {config.optimizer!r} (the seed's full batch is "
                             f"gradient_descent): choose from {', '.join(map(repr, OPTIMIZERS))}")
        optimizer = OPTIMIZERS[config.optimizer](config)
    if transform is None:
        transform = augmentation(config)
    history = History()
    start = time.perf_counter()
    with tqdm(total=config.epochs, disable=not progress, desc="sgd", unit="epoch") as bar:
        epochs = watch(sgd_epochs(params, X, y, config, optimizer, transform), history,
                       X[:train_eval_rows], y[:train_eval_rows], X_dev, y_dev,
                       accuracy=accuracy, bar=bar)
        if config.patience is not None:
            params = early_stopping(epochs, config.patience)
        else:
            params = last_epoch(epochs)
    history.seconds = time.perf_counter() - start
    return params, history


# --- a whole run from a configuration -------------------------------------------------------


DTYPES = ("float32", "float64")
CHOICES = {"init": tuple(INITIALISERS), "optimizer": OPTIMIZER_NAMES, "schedule": SCHEDULES,
           "dtype": DTYPES}
"""The names each field of a TrainConfig that names a part may take."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (with the data and seed: the weights, bit for bit).

    Every field is checked when the config is made: an unknown name or a value out of range is a
    ``ValueError`` naming the field and the choices.
    """

    hidden: int = 128
    init: str = "he"              # a key of model.INITIALISERS: "he" | "uniform"
    optimizer: str = "momentum"   # "gd" (the seed's full batch) | a key of OPTIMIZERS
    epochs: int = 20              # for "gd": iterations
    batch_size: int = 64          # not used by "gd"
    lr: float = 0.1
    momentum: float = 0.9         # mu of "momentum" (0: plain SGD); not used by "adam"
    l2: float = 0.0
    schedule: str = "cosine"      # one of SCHEDULES
    seed: int = 0
    dtype: str = "float32"
    augment: bool = False         # distort each batch (scratchnet.augment): affine maps, ...
    patience: int | None = None   # early stopping on dev accuracy
    flip: bool = False            # mirror half of each batch left to right (clothes, not digits)
    include_dev: bool = False     # the final fit: train on train + dev, once dev has chosen
    max_degrees: float = 10.0     # with augment: rotations theta ~ U[-d, d] degrees,
    max_scale: float = 0.1        #   scales s ~ U[1 - m, 1 + m],
    max_shift: float = 2.0        #   shifts t ~ U[-k, k]^2 pixels,
    elastic: float = 0.0          #   ... and elastic distortions of alpha pixels (0: none)
    elastic_sigma: float = 4.0    #   smoothed over sigma pixels

    def __post_init__(self) -> None:
        problems = config_problems(self, CHOICES)
        if problems:
            raise ValueError("TrainConfig: " + "; ".join(problems))

    def to_dict(self) -> dict:
        return asdict(self)


SEED_CONFIG = TrainConfig(hidden=10, init="uniform", optimizer="gd", epochs=500, lr=0.10,
                          momentum=0.0, schedule="constant")
"""The seed notebook's run: 784-10-10, uniform init, alpha = 0.10, 500 full-batch iterations."""


def init_params(config: TrainConfig) -> Params:
    """Initial parameters for ``config``, drawn from a generator seeded with ``config.seed``."""
    rng = np.random.default_rng(config.seed)
    return INITIALISERS[config.init](config.hidden, rng, dtype=np.dtype(config.dtype))


def training_rows(config: TrainConfig, splits: Splits) -> tuple:
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


class Parts(NamedTuple):
    """The parts :func:`train` builds a run from: the registry of steps by optimiser name, the
    batch transform a config asks for, and the accuracy function of the history."""

    optimizers: dict[str, Callable[[TrainConfig], Optimizer]]
    augmentation: Callable[[TrainConfig], Transform]
    accuracy: Callable


READABLE = Parts(OPTIMIZERS, augmentation, accuracy_of)
"""The readable parts of this module, the ones the book shows (``fast.FAST``: the fast ones)."""


def train(config: TrainConfig, X: np.ndarray, y: np.ndarray, X_dev: np.ndarray | None = None,
          y_dev: np.ndarray | None = None, progress: bool = False, *, parts: Parts = READABLE,
          train_eval_rows: int | None = TRAIN_SAMPLE_ROWS) -> tuple[Params, History]:
    """Initialise from ``config.seed``, cast X (and X_dev) to ``config.dtype``, and train:
    ``gradient_descent`` for optimizer "gd" (config.epochs iterations), else ``sgd`` with the
    step, transform and accuracy of ``parts`` (readable by default; ``fast.train`` passes
    ``fast.FAST``)."""
    params = init_params(config)
    X = X.astype(config.dtype, copy=False)
    if X_dev is not None:
        X_dev = X_dev.astype(config.dtype, copy=False)
    if config.optimizer == "gd":
        return gradient_descent(params, X, y, alpha=config.lr, iterations=config.epochs,
                                X_dev=X_dev, y_dev=y_dev, progress=progress)
    return sgd(params, X, y, config, X_dev, y_dev,
               optimizer=parts.optimizers[config.optimizer](config),
               transform=parts.augmentation(config), accuracy=parts.accuracy,
               train_eval_rows=train_eval_rows, progress=progress)


RECOMMENDED = {
    "mnist": TrainConfig(hidden=512, epochs=80, batch_size=128, lr=0.2, l2=1e-4, augment=True,
                         elastic=34.0, elastic_sigma=4.0, max_degrees=5.0, max_scale=0.05,
                         max_shift=1.0),
    "fashion-mnist": TrainConfig(hidden=512, epochs=40, batch_size=512, lr=0.2, l2=1e-4,
                                 include_dev=True),
}
"""What ``scratchnet train`` runs with no options, per dataset, chosen on dev data by
``benchmarks/choose_config.py`` (every candidate and its dev accuracy are in
``benchmarks/results/configs.jsonl``)."""
