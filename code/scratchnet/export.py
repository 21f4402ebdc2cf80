"""Exporting a trained network for the browser: one binary file the demo page's JavaScript reads.

Layout of the file (all little-endian)::

    bytes 0..7     magic  b"SCRNTWEB"
    bytes 8..11    uint32 N, the length of the JSON header in bytes
    bytes 12..     the header, UTF-8 JSON, padded with spaces so the arrays start at a multiple of 4
    then           W1, b1, W2, b2 as float32, each row-major (C order), one after the other

The header says where each array is (``{"name", "shape", "offset", "count"}``, ``offset`` in bytes
from the start of the file), plus the architecture and free metadata. ``W1`` is (784, H) with rows
indexed by pixel, exactly as in :mod:`scratchnet.model`: the page computes z1_j = sum_i x_i W1[i, j]
+ b1_j from ``W1[i * H + j]``. Float32 keeps the file small (about 0.8 MB for H = 256) and loses
nothing: the network is trained in float32.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from scratchnet import N_CLASSES, N_PIXELS, __version__
from scratchnet.checkpoint import PARAM_NAMES, validated
from scratchnet.errors import ModelFileError, one_line
from scratchnet.files import write_atomically
from scratchnet.model import Params

MAGIC = b"SCRNTWEB"
FORMAT = "scratchnet-web-model"


def export_web(path: str | Path, params: Params, metadata: dict | None = None) -> Path:
    """Write ``params`` as float32 with a JSON header to ``path`` (atomically); returns the path."""
    path = Path(path)
    arrays = {name: np.ascontiguousarray(params[name], dtype="<f4") for name in PARAM_NAMES}
    hidden = arrays["W1"].shape[1]
    header = {"format": FORMAT, "version": __version__, "dtype": "float32", "byteorder": "little",
              "architecture": {"layers": [N_PIXELS, hidden, N_CLASSES],
                               "activations": ["relu", "softmax"]},
              "metadata": metadata or {}, "arrays": []}
    # The offsets depend on the header's length and the header lists the offsets: lay out the
    # arrays after a header of a fixed, generous length, then pad the real header to it.
    reserved = len(json.dumps(header).encode()) + 200 * len(PARAM_NAMES)
    start = -(-(len(MAGIC) + 4 + reserved) // 4) * 4
    offset = start
    for name, a in arrays.items():
        header["arrays"].append({"name": name, "shape": list(a.shape), "offset": offset,
                                 "count": int(a.size)})
        offset += a.nbytes
    text = json.dumps(header).encode()
    text += b" " * (start - len(MAGIC) - 4 - len(text))
    assert len(MAGIC) + 4 + len(text) == start
    blob = (MAGIC + struct.pack("<I", len(text)) + text
            + b"".join(a.tobytes() for a in arrays.values()))
    return write_atomically(path, blob)     # readable by everyone, as a site asset must be


def read_web(path: str | Path) -> tuple[Params, dict]:
    """Read a file written by :func:`export_web`: (params as float32 arrays, header)."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as e:
        raise ModelFileError(f"{path}: cannot read ({e.strerror or e})") from None
    if blob[:len(MAGIC)] != MAGIC or len(blob) < len(MAGIC) + 4:
        raise ModelFileError(f"{path}: not a scratchnet web model (bad magic)")
    (n,) = struct.unpack_from("<I", blob, len(MAGIC))
    try:
        header = json.loads(blob[len(MAGIC) + 4:len(MAGIC) + 4 + n].decode())
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{path}: header is not valid JSON ({one_line(e)})") from None
    if header.get("format") != FORMAT:
        raise ModelFileError(f"{path}: header does not describe a scratchnet web model")
    params = {}
    for entry in header["arrays"]:
        end = entry["offset"] + 4 * entry["count"]
        if end > len(blob):
            raise ModelFileError(f"{path}: truncated ({entry['name']} ends past the file)")
        a = np.frombuffer(blob, dtype="<f4", count=entry["count"], offset=entry["offset"])
        params[entry["name"]] = a.reshape(entry["shape"]).astype(np.float32)
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ModelFileError(f"{path}: missing {', '.join(missing)}")
    return validated(path, params), header
