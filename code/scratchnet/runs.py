"""The cache of trained runs: several chapters (and tests) share one seeded run, trained once.

    params, history = runs.train_or_load(config, splits)

A run is trained by ``fast.train`` (the fast path) and stored as a model file
(:mod:`scratchnet.checkpoint`) in ``<cache>/runs/<key>.npz``, where the key (:func:`run_key`)
changes whenever anything that determines the weights changes: the configuration, the training and
dev data, the source of the modules that compute the weights, and the BLAS thread count (a product
split over more threads sums in another order). Same key, same weights bit for bit: the cache
returns exactly what training would.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from scratchnet import (
    augment,
    blas,
    checkpoint,
    data,
    epochs,
    evaluate,
    fast,
    fast_augment,
    model,
    perf,
    train,
)
from scratchnet.data import Splits
from scratchnet.errors import ModelFileError
from scratchnet.model import Params

WEIGHT_MODULES = (model, train, augment, epochs, evaluate, fast, fast_augment, blas)
"""The modules whose source decides the weights a configuration trains to (``evaluate``: the dev
accuracy by which early stopping keeps an epoch)."""
NOT_WEIGHT_MODULES = ("scratchnet", "scratchnet.config_rules", "scratchnet.data",
                      "scratchnet.errors", "scratchnet.files")
"""What those modules import besides each other: reading data (whose bytes are in the key), the
checks of a config's fields, errors and file writing, which compute no weights."""


def run_key(config: train.TrainConfig, splits: Splits) -> str:
    """A key that changes whenever anything that determines the weights changes: the config,
    the training and dev data (bytes), the source of the modules that compute the weights, and
    the BLAS thread count, and the BLAS library momentum's update runs in (none: NumPy's own
    operations, ``fast.momentum_blas``)."""
    library = blas.numpy_blas()
    h = hashlib.sha256(json.dumps({**config.to_dict(), "blas_threads": perf.blas_threads(),
                                   "blas": library and Path(library.path).name},
                                  sort_keys=True).encode())
    for part in (splits.train.X, splits.train.y, splits.dev.X, splits.dev.y):
        h.update(np.ascontiguousarray(part).tobytes())
    for module in WEIGHT_MODULES:
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:24]


def train_or_load(config: train.TrainConfig, splits: Splits, cache_dir: str | Path | None = None,
                  progress: bool = False) -> tuple[Params, train.History]:
    """``fast.train(config, ...)`` on ``splits``, or its saved result when the same run was done
    before (same :func:`run_key`). Returns (params, history), identical bit for bit either way.

    ``cache_dir`` is the folder of saved runs (default ``<scratchnet cache>/runs``); a damaged
    entry is trained again, never trusted.
    """
    folder = Path(cache_dir) if cache_dir is not None else data.cache_dir() / "runs"
    path = folder / f"{run_key(config, splits)}.npz"
    if path.is_file():
        try:
            params, meta = checkpoint.load(path)
            return params, train.History.from_dict(meta["history"])
        except (ModelFileError, KeyError, TypeError):
            path.unlink(missing_ok=True)
    params, history = fast.train(config, *train.training_rows(config, splits), progress=progress)
    checkpoint.save(path, params, {"config": config.to_dict(), "seed": config.seed,
                                   "blas_threads": perf.blas_threads(),
                                   "history": history.to_dict()})
    return params, history
