"""Saving and loading a trained network as ``.npz``: four arrays plus JSON metadata, no pickle.

The file holds ``W1``, ``b1``, ``W2``, ``b2`` and ``metadata``, a uint8 array of UTF-8 JSON
(architecture, dataset, preprocessing, seed, metrics, version). Loading uses
``allow_pickle=False`` and checks every shape, dtype and value before the network is used.
:func:`fingerprint` names a network by its weights, so two runs can be compared at a glance.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from scratchnet import N_CLASSES, N_PIXELS, __version__
from scratchnet.errors import ModelFileError, one_line
from scratchnet.files import write_atomically
from scratchnet.model import Params

PARAM_NAMES = ("W1", "b1", "W2", "b2")
PREPROCESSING = "pixels / 255, rows of 784 in row-major 28x28 order"


def save(path: str | Path, params: Params, metadata: dict) -> Path:
    """Write params and metadata to ``path`` atomically (``scratchnet.files.write_atomically``)."""
    path = Path(path)
    hidden = params["W1"].shape[1]
    meta = {"format": "scratchnet-model", "version": __version__,
            "architecture": {"layers": [N_PIXELS, hidden, N_CLASSES],
                             "activations": ["relu", "softmax"]},
            "preprocessing": PREPROCESSING, **metadata}
    blob = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    content = io.BytesIO()
    np.savez(content, metadata=blob, **{name: params[name] for name in PARAM_NAMES})
    try:
        return write_atomically(path, content.getvalue())
    except OSError as e:
        raise ModelFileError(f"{path}: cannot write ({one_line(e)})") from None


def load(path: str | Path) -> tuple[Params, dict]:
    """Read a model written by :func:`save`; any problem is a one-line ``ModelFileError``."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in (*PARAM_NAMES, "metadata") if k not in f.files]
            if missing:
                raise ModelFileError(f"{path}: not a scratchnet model "
                                     f"(missing {', '.join(missing)})")
            arrays = {k: f[k] for k in (*PARAM_NAMES, "metadata")}
    except ModelFileError:
        raise
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise ModelFileError(f"{path}: holds pickled objects, which are refused") from None
        raise ModelFileError(f"{path}: malformed .npz ({one_line(e)})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise ModelFileError(f"{path}: not a readable .npz file ({one_line(e)})") from None
    try:
        meta = json.loads(arrays.pop("metadata").astype(np.uint8).tobytes().decode())
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{path}: metadata is not valid JSON ({one_line(e)})") from None
    if not isinstance(meta, dict) or meta.get("format") != "scratchnet-model":
        raise ModelFileError(f"{path}: metadata does not describe a scratchnet model")
    return validated(path, arrays), meta


def validated(path: str | Path, params: Params) -> Params:
    """``params`` if they are a 784-H-10 network of finite float32/float64 arrays, else a
    ``ModelFileError`` naming ``path`` (the file they were read from) and what is wrong."""
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


def fingerprint(params: Params) -> str:
    """The first 12 hex digits of the SHA-256 of all weights: equal fingerprints, equal networks.

    The arrays are hashed by name, in sorted order, as their raw bytes (so dtype counts too).
    """
    h = hashlib.sha256()
    for name in sorted(params):
        h.update(np.ascontiguousarray(params[name]).tobytes())
    return h.hexdigest()[:12]
