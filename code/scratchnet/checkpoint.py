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
import math
import zipfile
import zlib
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
    try:                     # JSON has no nan or infinity: load would refuse such a file
        text = json.dumps(meta, sort_keys=True, allow_nan=False)
    except ValueError as e:
        raise ModelFileError(f"{path}: not written: the metadata holds a number JSON cannot "
                             f"store ({one_line(e)})") from None
    blob = np.frombuffer(text.encode(), dtype=np.uint8)
    content = io.BytesIO()
    np.savez(content, metadata=blob, **{name: params[name] for name in PARAM_NAMES})
    try:
        return write_atomically(path, content.getvalue())
    except OSError as e:
        raise ModelFileError(f"{path}: cannot write ({one_line(e)})") from None


MAX_MODEL_BYTES = 256 << 20
"""The most the arrays of a model file may hold, as its zip directory declares them, checked
before anything is read (H = 16,384 in float64 is 103 MB; the book's largest model is 2 MB)."""

MAX_METADATA_BYTES = 1 << 20      # the JSON metadata (a real model's is about 2 kB)
MAX_METADATA_DEPTH = 16           # nesting of lists and objects in it (a real model's is 3)
MAX_NAME_LENGTH = 64              # characters of a class name
MEMBERS = (*PARAM_NAMES, "metadata")


def load(path: str | Path) -> tuple[Params, dict]:
    """Read a model written by :func:`save`; any problem is a one-line ``ModelFileError``.

    What the file is comes first (a zip archive, not some other kind of file), then its zip
    directory (exactly the five arrays, within ``MAX_MODEL_BYTES``), then each array's header
    (dtype, shape) before its data is read, then the values (:func:`validated`) and the metadata
    (:func:`metadata_problem`): nothing is allocated beyond what a valid model of that size
    needs, and ``allow_pickle`` is never on.
    """
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory, not a model file")
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    kind = file_kind(path)
    if kind is not None:
        raise ModelFileError(f"{path}: {kind}, not a scratchnet model (.npz)")
    arrays = read_members(path)
    params = validated(path, {name: arrays[name] for name in PARAM_NAMES})
    meta = read_metadata(path, arrays["metadata"])
    problem = metadata_problem(meta, params)
    if problem:
        raise ModelFileError(f"{path}: metadata: {problem}")
    return params, meta


def file_kind(path: Path) -> str | None:
    """None for a zip archive (what an .npz is); else what the file is, from its first bytes."""
    with open(path, "rb") as file:
        start = file.read(512)
    if start[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return None
    kinds = {b"\x93NUMPY": "a single NumPy array (.npy)", b"\x89HDF": "an HDF5 file",
             b"\x1f\x8b": "a gzip file", b"\x89PNG": "a PNG picture",
             b"\xff\xd8\xff": "a JPEG picture", b"%PDF": "a PDF document"}
    for magic, kind in kinds.items():
        if start.startswith(magic):
            return kind
    if not start:
        return "an empty file"
    if start[0] == 0x80 and len(start) > 1 and 2 <= start[1] <= 5:
        return "a Python pickle (refused: loading one can run code)"
    try:
        text = start.decode("utf-8")
    except UnicodeDecodeError as error:       # the 512 bytes may end inside a character
        text = start[:error.start].decode("utf-8") if error.start > len(start) - 4 else None
    if text is not None and all(c.isprintable() or c.isspace() for c in text):
        return "a text file"
    return f"not a zip archive (it starts with 0x{start[:4].hex()})"


def read_members(path: Path) -> dict[str, np.ndarray]:
    """The five arrays of the .npz at ``path``, each read only after its zip entry and its .npy
    header have been checked against what a scratchnet model holds."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = member_infos(path, archive)
            return {name: read_member(path, archive, info) for name, info in infos.items()}
    except zipfile.BadZipFile as error:
        raise ModelFileError(f"{path}: a damaged zip archive ({one_line(error)})") from None
    except (EOFError, zlib.error, OSError, NotImplementedError, RuntimeError) as error:
        raise ModelFileError(f"{path}: an unreadable zip archive ({one_line(error)})") from None


def member_infos(path: Path, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The zip entries of the five arrays, once the directory is checked: the right names, no
    duplicates, no encryption, sizes within bounds and possible for their compressed sizes."""
    names = [info.filename for info in archive.infolist()]
    if not names or any(not name.endswith(".npy") for name in names):
        others = ", ".join(n for n in names if not n.endswith(".npy"))[:120] or "nothing"
        raise ModelFileError(f"{path}: a zip archive that is not an .npz (it holds {others})")
    stems = [name.removesuffix(".npy") for name in names]
    if len(set(stems)) != len(stems):
        raise ModelFileError(f"{path}: an .npz that holds an array twice")
    missing = [k for k in MEMBERS if k not in stems]
    if missing:
        raise ModelFileError(f"{path}: not a scratchnet model (missing {', '.join(missing)}; "
                             f"it holds {', '.join(stems)[:120]})")
    extra = [k for k in stems if k not in MEMBERS]
    if extra:
        raise ModelFileError(f"{path}: not a scratchnet model (it also holds "
                             f"{', '.join(extra)[:120]})")
    infos = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
    declared = sum(info.file_size for info in infos.values())
    if declared > MAX_MODEL_BYTES:
        raise ModelFileError(f"{path}: its arrays declare {declared:,} bytes, more than the "
                             f"{MAX_MODEL_BYTES:,} a model may hold here (MAX_MODEL_BYTES)")
    if infos["metadata"].file_size > MAX_METADATA_BYTES + 4096:          # + its .npy header
        raise ModelFileError(f"{path}: metadata declares {infos['metadata'].file_size:,} bytes, "
                             f"more than the {MAX_METADATA_BYTES:,} a model's may have")
    for name, info in infos.items():
        if info.flag_bits & 0x1:
            raise ModelFileError(f"{path}: {name} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{path}: {name} uses zip compression method "
                                 f"{info.compress_type}; an .npz is stored or deflated")
        if info.file_size > 1032 * max(info.compress_size, 1) + 1024:
            raise ModelFileError(f"{path}: {name} declares {info.file_size:,} bytes, more than "
                                 f"its {info.compress_size:,} compressed bytes can hold")
    return infos


def read_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One array: its .npy header is read and checked (no object dtype, a size that is the
    entry's) before its data, which is then read into an array of exactly that size."""
    name = info.filename.removesuffix(".npy")
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read_header is None:
                raise ValueError(f".npy format version {version[0]}.{version[1]}")
            shape, fortran_order, dtype = read_header(member)
        except ValueError as error:
            raise ModelFileError(f"{path}: {name} is not a readable .npy array "
                                 f"({one_line(error)[:120]})") from None
        if dtype.hasobject:
            raise ModelFileError(f"{path}: {name} holds pickled objects, which are refused")
        count = math.prod(shape)
        header = member.tell()
        if header + count * dtype.itemsize != info.file_size:
            raise ModelFileError(f"{path}: {name}'s header says {dtype} {shape} "
                                 f"({count * dtype.itemsize:,} bytes) but its entry holds "
                                 f"{info.file_size - header:,}")
        content = member.read(count * dtype.itemsize)
    if len(content) != count * dtype.itemsize:
        raise ModelFileError(f"{path}: {name} is truncated")
    array = np.frombuffer(content, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran_order else "C").copy()


def read_metadata(path: Path, blob: np.ndarray) -> dict:
    """The metadata array (UTF-8 JSON bytes) as a dict, checked for kind, size and nesting."""
    if blob.dtype != np.uint8 or blob.ndim != 1:
        raise ModelFileError(f"{path}: metadata is {blob.dtype} {blob.shape}, expected the "
                             "bytes (uint8, 1-D) of a JSON text")
    if blob.size > MAX_METADATA_BYTES:
        raise ModelFileError(f"{path}: metadata is {blob.size:,} bytes, more than the "
                             f"{MAX_METADATA_BYTES:,} a model's may have")

    def no_constant(name):
        raise ValueError(f"{name} is not a JSON number")
    try:
        meta = json.loads(blob.tobytes().decode(), parse_constant=no_constant)
    except RecursionError:
        raise ModelFileError(f"{path}: metadata is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{path}: metadata is not valid JSON ({one_line(e)[:120]})") from None
    if not isinstance(meta, dict) or meta.get("format") != "scratchnet-model":
        raise ModelFileError(f"{path}: metadata does not describe a scratchnet model")
    if depth(meta) > MAX_METADATA_DEPTH:
        raise ModelFileError(f"{path}: metadata is nested more than {MAX_METADATA_DEPTH} deep")
    return meta


def depth(value: object) -> int:
    """How deeply lists and dicts nest in a JSON value (a number or a string: 0)."""
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def metadata_problem(meta: dict, params: Params) -> str | None:
    """What is wrong with the metadata of a model with ``params`` (None: nothing): the fields
    the library reads must have the right types, and the architecture and class names must fit
    the arrays."""
    hidden, n_out = params["W1"].shape[1], params["b2"].shape[0]
    if not isinstance(meta.get("version"), str):
        return "version is not a string"
    architecture = meta.get("architecture")
    if not isinstance(architecture, dict) or architecture.get("layers") != [N_PIXELS, hidden,
                                                                             n_out]:
        return (f"architecture is {json.dumps(architecture)[:80]}, but the arrays are a "
                f"{N_PIXELS}-{hidden}-{n_out} network")
    for field in ("dataset", "config", "metrics", "history"):
        if field in meta and not isinstance(meta[field], dict):
            return f"{field} is a {type(meta[field]).__name__}, expected an object"
    metrics = meta.get("metrics", {})
    for name, value in metrics.items():
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            return f"metrics.{name} is {json.dumps(value)[:40]}, expected a number or null"
    dataset = meta.get("dataset", {})
    if "name" in dataset and not isinstance(dataset["name"], str):
        return "dataset.name is not a string"
    names = dataset.get("class_names")
    if names is not None:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return "dataset.class_names is not a list of strings"
        if len(names) != n_out:
            return f"{len(names)} class names for an output layer of {n_out} classes"
        if any(not n.strip() or len(n) > MAX_NAME_LENGTH for n in names):
            return f"a class name is empty or longer than {MAX_NAME_LENGTH} characters"
    return None


def validated(path: str | Path, params: Params) -> Params:
    """``params`` if they are a 784-H-10 network of finite float32/float64 arrays (all of one
    dtype, in the machine's byte order), else a ``ModelFileError`` naming ``path`` (the file they
    were read from) and what is wrong."""
    W1, b1, W2, b2 = (params[k] for k in PARAM_NAMES)
    for name, a in params.items():
        if a.dtype.kind != "f" or a.dtype.itemsize not in (4, 8):
            raise ModelFileError(f"{path}: {name} has dtype {a.dtype}, expected float32 or float64")
    if len({a.dtype.itemsize for a in params.values()}) > 1:
        raise ModelFileError(f"{path}: the arrays mix dtypes ("
                             + ", ".join(f"{k} {a.dtype}" for k, a in params.items()) + ")")
    if W1.ndim != 2 or W1.shape[0] != N_PIXELS or W1.shape[1] == 0:
        raise ModelFileError(f"{path}: W1 has shape {W1.shape}, expected ({N_PIXELS}, H), H > 0")
    hidden = W1.shape[1]
    expected = {"b1": (hidden,), "W2": (hidden, N_CLASSES), "b2": (N_CLASSES,)}
    for name, shape in expected.items():
        if params[name].shape != shape:
            raise ModelFileError(f"{path}: {name} has shape {params[name].shape}, expected {shape}")
    params = {k: a.astype(a.dtype.newbyteorder("="), copy=False) for k, a in params.items()}
    for name, a in params.items():
        if not np.all(np.isfinite(a)):
            raise ModelFileError(f"{path}: {name} contains nan or inf")
    return params


def fingerprint(params: Params) -> str:
    """The first 12 hex digits of the SHA-256 of all weights: equal fingerprints, equal networks.

    The arrays are hashed by name, in sorted order, as their raw bytes (so dtype counts too).
    """
    h = hashlib.sha256()
    for name in sorted(params):
        h.update(np.ascontiguousarray(params[name]).tobytes())
    return h.hexdigest()[:12]
