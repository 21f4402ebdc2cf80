"""Helpers shared by the test modules (not a test file): the real data and a quickly trained model.

Both are computed once per test session (``functools.cache``) so the suite trains only one model.
"""

from __future__ import annotations

import functools
import time
from dataclasses import replace

from scratchnet import data
from scratchnet.train import RECOMMENDED, TrainConfig, train

QUICK_CONFIG: TrainConfig = replace(RECOMMENDED["mnist"], hidden=128, epochs=3)
"""The recommended MNIST configuration cut to 3 epochs of a 784-128-10 net: ~93% in a few seconds."""


@functools.cache
def mnist_splits() -> data.Splits:
    """scratchnet.data's seeded train/dev/test split of MNIST (offline: 8,000/1,000/1,000)."""
    return data.split(data.load("mnist"), seed=0)


@functools.cache
def quick_model():
    """(params, history, cpu_seconds) of QUICK_CONFIG trained on the train split, dev monitored.

    cpu_seconds is the process CPU time of training: unlike wall time (history.seconds) it does
    not grow when other jobs share the machine.
    """
    s = mnist_splits()
    start = time.process_time()
    params, history = train(QUICK_CONFIG, s.train.X, s.train.y, s.dev.X, s.dev.y)
    return params, history, time.process_time() - start
