"""Saving and loading a trained network as ``.npz``: four arrays plus JSON metadata, no pickle.

The file holds ``W1``, ``b1``, ``W2``, ``b2`` and ``metadata``, a uint8 array of UTF-8 JSON
(architecture, dataset, preprocessing, seed, metrics, version). Loading uses
``allow_pickle=False`` and checks every shape, dtype and value before the network is used.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from scratchnet import __version__
from scratchnet.errors import ModelFileError
from scratchnet.model import N_CLASSES, N_PIXELS, Params

PARAM_NAMES = ("W1", "b1", "W2", "b2")
PREPROCESSING = "pixels / 255, rows of 784 in row-major 28x28 order"


def save(path, params: Params, metadata: dict) -> Path:
    """Write params and metadata to ``path`` atomically (temp file, then rename)."""
    path = Path(path)
    hidden = params["W1"].shape[1]
    meta = {"format": "scratchnet-model", "version": __version__,
            "architecture": {"layers": [N_PIXELS, hidden, N_CLASSES],
                             "activations": ["relu", "softmax"]},
            "preprocessing": PREPROCESSING, **metadata}
    blob = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise ModelFileError(f"{path}: cannot write here ({_one_line(e)})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, metadata=blob, **{name: params[name] for name in PARAM_NAMES})
        os.chmod(tmp, 0o644)           # mkstemp makes it owner-only; a model is not a secret
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise ModelFileError(f"{path}: cannot write ({_one_line(e)})") from None
        raise
    return path


def load(path) -> tuple[Params, dict]:
    """Read a model written by :func:`save`; any problem is a one-line ``ModelFileError``."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in (*PARAM_NAMES, "metadata") if k not in f.files]
            if missing:
                raise ModelFileError(f"{path}: not a scratchnet model (missing {', '.join(missing)})")
            arrays = {k: f[k] for k in (*PARAM_NAMES, "metadata")}
    except ModelFileError:
        raise
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise ModelFileError(f"{path}: holds pickled objects, which are refused") from None
        raise ModelFileError(f"{path}: malformed .npz ({_one_line(e)})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise ModelFileError(f"{path}: not a readable .npz file ({_one_line(e)})") from None
    try:
        meta = json.loads(arrays.pop("metadata").astype(np.uint8).tobytes().decode())
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{path}: metadata is not valid JSON ({_one_line(e)})") from None
    if not isinstance(meta, dict) or meta.get("format") != "scratchnet-model":
        raise ModelFileError(f"{path}: metadata does not describe a scratchnet model")
    return _validated(path, arrays), meta


def _validated(path: Path, params: Params) -> Params:
    W1, b1, W2, b2 = (params[k] for k in PARAM_NAMES)
    for name, a in params.items():
        if a.dtype not in (np.float32, np.float64):
            raise ModelFileError(f"{path}: {name} has dtype {a.dtype}, expected float32 or float64")
        if not np.all(np.isfinite(a)):
            raise ModelFileError(f"{path}: {name} contains nan or inf")
    if W1.ndim != 2 or W1.shape[0] != N_PIXELS:
        raise ModelFileError(f"{path}: W1 has shape {W1.shape}, expected ({N_PIXELS}, H)")
    hidden = W1.shape[1]
    expected = {"b1": (hidden,), "W2": (hidden, N_CLASSES), "b2": (N_CLASSES,)}
    for name, shape in expected.items():
        if params[name].shape != shape:
            raise ModelFileError(f"{path}: {name} has shape {params[name].shape}, expected {shape}")
    return params


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split()) or type(e).__name__


# --- a cache of trained networks, so several chapters can share one seeded run -------------------


def run_key(config, splits) -> str:
    """A key that changes whenever anything that determines the weights changes: the config,
    the training and dev data (bytes), and the source of the modules that compute the weights."""
    import hashlib

    from scratchnet import augment, model, train

    h = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode())
    for part in (splits.train.X, splits.train.y, splits.dev.X, splits.dev.y):
        h.update(np.ascontiguousarray(part).tobytes())
    for module in (model, train, augment):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:24]


def train_or_load(config, splits, cache_dir=None, progress: bool = False):
    """``train.train(config, ...)`` on ``splits``, or its saved result when the same run was done
    before (same :func:`run_key`). Returns (params, history), identical bit for bit either way."""
    from scratchnet.sources import cache_dir as data_cache_dir
    from scratchnet.train import History, train, training_rows

    folder = Path(cache_dir) if cache_dir is not None else Path(data_cache_dir()) / "runs"
    path = folder / f"{run_key(config, splits)}.npz"
    if path.is_file():
        try:
            params, meta = load(path)
            return params, History(**meta["history"])
        except (ModelFileError, KeyError, TypeError):
            path.unlink(missing_ok=True)       # a damaged cache entry is retrained, not trusted
    params, history = train(config, *training_rows(config, splits), progress=progress)
    save(path, params, {"config": config.to_dict(), "seed": config.seed,
                        "history": history.to_dict()})
    return params, history
