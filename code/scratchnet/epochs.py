"""What reads the epochs of training: the History they are recorded in, and when to stop.

``train.sgd_epochs`` trains one :class:`Epoch` at a time and trains the next only when it is asked
for. The readers here ask: :func:`watch` records each epoch in a :class:`History` and passes on its
parameters and dev accuracy; :func:`early_stopping` stops asking once the dev accuracy has not
improved for ``patience`` epochs, :func:`last_epoch` reads to the end.

A step may update the parameters in place (the fast path's do): an epoch's parameters are then
overwritten by the next epoch's, so a reader that keeps them for later keeps a copy.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import numpy as np
from tqdm import tqdm  # not tqdm.auto: without ipywidgets it warns on every book page

from scratchnet.errors import TrainingError
from scratchnet.evaluate import accuracy_of
from scratchnet.model import Params


@dataclass
class History:
    """What training measured: one entry per evaluation point (iteration or epoch)."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    dev_accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    """Mini-batch SGD: the share of each epoch's (transformed) batches the network got right as
    they went in, before their steps; nan for the full-batch loop."""
    seconds: float = 0.0
    """Wall time of the training loop alone (no data loading, no set-up)."""

    def record(self, step: int, loss: float, train_accuracy: float, dev_accuracy: float,
               learning_rate: float, batch_accuracy: float = math.nan) -> None:
        """Append one evaluation point; a loss that is nan or infinite ends training with a
        ``TrainingError`` (every training loop records through here)."""
        if not math.isfinite(loss):
            raise TrainingError(f"the loss became {float(loss)} at step {int(step)} (learning "
                                f"rate {float(learning_rate):g}): training diverged; try a "
                                "smaller learning rate")
        self.step.append(int(step))
        self.loss.append(float(loss))
        self.train_accuracy.append(float(train_accuracy))
        self.dev_accuracy.append(float(dev_accuracy))
        self.learning_rate.append(float(learning_rate))
        self.batch_accuracy.append(float(batch_accuracy))

    def to_dict(self) -> dict:
        """The fields as JSON values: a measurement not taken (nan: no dev rows, or the full-batch
        loop's batch accuracy) is ``None``, JSON's null, since JSON has no nan."""
        return {name: [None if isinstance(x, float) and math.isnan(x) else x for x in value]
                if isinstance(value, list) else value for name, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, fields: dict) -> History:
        """The History that ``to_dict`` gave ``fields``: each ``None`` in a list is nan again."""
        return cls(**{name: [math.nan if x is None else x for x in value]
                      if isinstance(value, list) else value for name, value in fields.items()})


class Epoch(NamedTuple):
    """One pass over the training rows: its number e = 1, 2, ..., the parameters after it, the
    mean loss (1/n) sum_B m_B L_B of its batches, their accuracy (1/n) sum_B #right_B (each
    batch as it went in), and its learning rate eta."""

    number: int
    params: Params
    loss: float
    batch_accuracy: float
    learning_rate: float


def watch(epochs: Iterable[Epoch], history: History, X: np.ndarray, y: np.ndarray,
          X_dev: np.ndarray | None = None, y_dev: np.ndarray | None = None, *,
          accuracy: Callable = accuracy_of,
          bar: tqdm | None = None) -> Iterator[tuple[Params, float]]:
    """Record each epoch in ``history`` (its loss and batch accuracy, the accuracy on X and on
    the dev rows, nan without, its rate) and pass on (theta_e, a_e): its parameters and its dev
    accuracy. X is what the training accuracy is measured on: a fixed sample of rows, or all."""
    for epoch in epochs:
        dev = accuracy(epoch.params, X_dev, y_dev) if X_dev is not None else math.nan
        history.record(epoch.number, epoch.loss, accuracy(epoch.params, X, y), dev,
                       epoch.learning_rate, epoch.batch_accuracy)
        if bar is not None:
            bar.update()
            bar.set_postfix(loss=f"{epoch.loss:.4f}", dev=f"{dev:.4f}")
        yield epoch.params, dev


def early_stopping(epochs: Iterable[tuple[Params, float]], patience: int) -> Params:
    """Read (theta_e, a_e) epoch by epoch; stop at the first e with e - e_hat >= p.

    e_hat = argmax_{e' <= e} a_e' is the best epoch so far (the first of equals: only a strictly
    higher dev accuracy counts), p = ``patience``. Returns theta_{e_hat}, not the last parameters:
    a copy of them, as a later step may overwrite the arrays it was given.
    """
    best, best_dev, since_best = None, -1.0, 0
    for params, dev in epochs:
        if dev > best_dev:
            best, best_dev, since_best = copy.deepcopy(params), dev, 0
        else:
            since_best += 1
            if since_best >= patience:
                break
    return best


def last_epoch(epochs: Iterable[tuple[Params, float]]) -> Params:
    """Read every epoch; return the parameters after the last."""
    params = None
    for params, _ in epochs:  # noqa: B007 (the loop's last value is the answer)
        pass
    return params
