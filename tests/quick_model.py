"""Helpers shared by the test modules (not a test file): the real data, a quickly trained model,
and small random data with a learnable labelling.

The first two are computed once per test session (``functools.cache``) so the suite trains only one
model.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from scratchnet import N_CLASSES, N_PIXELS, data
from scratchnet.train import TrainConfig, train

QUICK_CONFIG = TrainConfig(hidden=64, epochs=3, batch_size=64, lr=0.05, momentum=0.9, l2=1e-4,
                           schedule="cosine", seed=0)
"""A small fast variant of RECOMMENDED["mnist"] (no augmentation, 3 epochs of 784-64-10): ~93%."""


@functools.cache
def mnist_splits() -> data.Splits:
    """scratchnet.data's seeded train/dev/test split of MNIST (offline: 8,000/1,000/1,000), the
    one every chapter uses."""
    return data.load_and_split("mnist")[1]


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


def toy_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n random float32 'images' (n, 784) labelled by a random linear teacher: learnable, fast."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, N_PIXELS)).astype(np.float32)
    y = (X @ rng.standard_normal((N_PIXELS, N_CLASSES))).argmax(axis=1)
    return X, y
