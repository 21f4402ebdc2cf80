"""Reading and writing IDX, the format of the MNIST release (raw or gzip), and bounded file reads.

Every reader checks what it reads and raises ``DataError("<path>: what is wrong")`` — one line
that names the file — for anything it cannot use. Images come back as ``uint8`` arrays of shape
``(n, 28, 28)``, labels as ``uint8`` arrays of shape ``(n,)``.

IDX, as LeCun and Cortes define it: a big-endian header — two zero bytes, a type byte (``0x08``
for unsigned bytes), the number of dimensions — then one 32-bit size per dimension, then the
values in row-major order. Images have magic ``0x00000803`` (n × 28 × 28), labels
``0x00000801`` (n).
"""

import gzip
import math
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from scratchnet import N_CLASSES, SIDE
from scratchnet.errors import DataError, one_line
from scratchnet.files import write_atomically

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
GZIP_MAGIC = b"\x1f\x8b"


MAX_IDX_BYTES = 1 << 30
"""The most an IDX file may hold here (1 GiB: 1.37 million images; MNIST's largest file is 47 MB).
A header that declares more is refused before anything is read: a sanity limit, not a format's."""

MAX_DEFLATE_RATIO = 1032
"""Deflate (gzip) cannot expand data more than about 1032-fold, so a gzip file of s bytes holds at
most 1032 s: a header that declares more is a lie (a truncated or doctored file)."""

CHUNK = 1 << 20   # bytes decompressed at a time


# --------------------------------------------------------------------------------------------
# Bytes on disk
# --------------------------------------------------------------------------------------------

def read_bytes(path: str | Path, max_bytes: int = MAX_IDX_BYTES,
               declared: str = "the most a data file may hold here") -> bytearray:
    """The content of ``path``, decompressed if it is gzip (recognised by its first two bytes).

    The decompression is streamed and stops after ``max_bytes``: longer content is a
    ``DataError`` ("trailing bytes: more than ``max_bytes``, ``declared``") and never more than
    ``max_bytes`` + 1 bytes are held, however far the file would inflate.
    """
    path = Path(path)
    content = bytearray()
    with _content_stream(path) as stream:
        while len(content) <= max_bytes:
            chunk = _read(stream, path, min(CHUNK, max_bytes + 1 - len(content)))
            if not chunk:
                break
            content += chunk
    if not content:
        raise DataError(f"{path}: empty after decompression")
    if len(content) > max_bytes:
        raise DataError(f"{path}: trailing bytes: more than {max_bytes:,} bytes, {declared}")
    return content


def read_start(path: str | Path, n: int) -> bytes:
    """The first ``n`` bytes of ``path``'s content (decompressed if gzip), fewer if shorter."""
    path = Path(path)
    with _content_stream(path) as stream:
        start = b""
        while len(start) < n:
            chunk = _read(stream, path, n - len(start))
            if not chunk:
                break
            start += chunk
    return start


@contextmanager
def _content_stream(path: Path) -> Iterator[BinaryIO]:
    """The file open for reading, through a streaming gzip decoder if it starts with the magic."""
    check_file(path)
    try:
        with open(path, "rb") as raw:
            is_gzip = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            if not is_gzip:
                yield raw
            else:
                with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                    yield stream
    except OSError as error:
        raise DataError(f"{path}: cannot read ({one_line(error)[:160]})") from None


def _read(stream: BinaryIO, path: Path, n: int) -> bytes:
    """Up to ``n`` bytes from ``stream``; a damaged gzip stream is a one-line DataError."""
    try:
        return stream.read(n)
    except EOFError:
        raise DataError(f"{path}: truncated gzip stream (the file ends early)") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as error:
        raise DataError(f"{path}: corrupt gzip data ({one_line(error)[:160]})") from None


def check_file(path: Path) -> None:
    """A one-line DataError unless ``path`` is a file with content."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file")


# --------------------------------------------------------------------------------------------
# IDX
# --------------------------------------------------------------------------------------------

def idx_shape(content: bytes, path: str | Path) -> tuple[int, ...]:
    """The array shape an IDX header declares, (n, 28, 28) or (n,), once its magic number, its
    number of dimensions and its image size are checked; ``content`` may be the header alone."""
    if len(content) < 4:
        raise DataError(f"{path}: {len(content)} bytes, too short for an IDX header")
    zeros, dtype_code, ndim = bytes(content[:2]), content[2], content[3]
    magic = int.from_bytes(content[:4], "big")
    if zeros != b"\0\0" or dtype_code != 0x08:
        raise DataError(f"{path}: wrong IDX magic 0x{magic:08x} (expected 0x{IMAGES_MAGIC:08x} "
                        f"for images or 0x{LABELS_MAGIC:08x} for labels)")
    if ndim not in (1, 3):
        raise DataError(f"{path}: IDX array with {ndim} dimensions, expected 3 (images n×28×28) "
                        "or 1 (labels n)")
    header = 4 + 4 * ndim
    if len(content) < header:
        raise DataError(f"{path}: truncated IDX header ({len(content)} of {header} bytes)")
    shape = struct.unpack(f">{ndim}I", content[4:header])
    if ndim == 3 and shape[1:] != (SIDE, SIDE):
        raise DataError(f"{path}: images are {shape[1]}×{shape[2]} pixels, expected 28×28")
    if shape[0] == 0:
        raise DataError(f"{path}: header says 0 {'images' if ndim == 3 else 'labels'}: no data")
    return shape


def parse_idx(content: bytes, path: str | Path) -> np.ndarray:
    """Decode IDX bytes into an image array ``(n, 28, 28)`` or a label array ``(n,)``.

    ``path`` only names the file in error messages.
    """
    shape = idx_shape(content, path)        # magic, dimensions, 28×28 (a header's checks)
    header = 4 + 4 * len(shape)
    expected = int(np.prod(shape))
    found = len(content) - header
    if found != expected:
        what = "truncated" if found < expected else "trailing bytes"
        raise DataError(f"{path}: {what}: header says {'×'.join(map(str, shape))} = "
                        f"{expected:,} values but the file holds {found:,}")
    array = np.frombuffer(content, dtype=np.uint8, offset=header).reshape(shape).copy()
    if len(shape) == 1:
        _check_labels(array, path)
    return array


def idx_content(path: str | Path) -> bytearray:
    """The bytes of an IDX file (decompressed), read only as far as its header declares.

    The header is read first and checked (:func:`idx_shape`); a declared size that the file on
    disk cannot hold (raw: other than its length; gzip: beyond ``MAX_DEFLATE_RATIO`` times it) or
    that exceeds ``MAX_IDX_BYTES`` is refused before anything else is read, and decompression
    stops at the declared size, so memory stays that of a legitimate file of this header.
    """
    path = Path(path)
    shape = idx_shape(read_start(path, 16), path)
    header = 4 + 4 * len(shape)
    expected, on_disk = math.prod(shape), path.stat().st_size
    claim = f"header says {'×'.join(map(str, shape))} = {expected:,} values"
    if header + expected > MAX_IDX_BYTES:
        raise DataError(f"{path}: {claim}, more than the {MAX_IDX_BYTES:,} bytes an IDX file may "
                        "hold here (MAX_IDX_BYTES)")
    if not is_gzip(path):
        if on_disk != header + expected:
            found = on_disk - header
            what = "truncated" if found < expected else "trailing bytes"
            raise DataError(f"{path}: {what}: {claim} but the file holds {found:,}")
    elif header + expected > MAX_DEFLATE_RATIO * on_disk:
        raise DataError(f"{path}: truncated: {claim} but a gzip file of {on_disk:,} bytes holds "
                        f"at most {MAX_DEFLATE_RATIO * on_disk:,}")
    return read_bytes(path, header + expected, declared="the size its IDX header declares")


def is_gzip(path: Path) -> bool:
    """Whether the file starts with the gzip magic bytes (its name may say otherwise)."""
    with open(path, "rb") as raw:
        return raw.read(2) == GZIP_MAGIC


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file, raw or gzip: images ``uint8 (n, 28, 28)`` or labels ``uint8 (n,)``.

    Raises ``DataError("<path>: ...")`` for a missing, empty, truncated or corrupt file, a wrong
    magic number, images that are not 28×28, a length that does not match the header, or a label
    outside 0–9. The file is read only as far as its header declares (:func:`idx_content`).
    """
    return parse_idx(idx_content(path), path)


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a ``uint8`` array of shape ``(n, 28, 28)`` or ``(n,)``."""
    array = np.asarray(array)
    if array.dtype != np.uint8 or array.ndim not in (1, 3):
        raise ValueError(f"IDX needs uint8 images (n, 28, 28) or labels (n,), got "
                         f"{array.dtype} {array.shape}")
    magic = LABELS_MAGIC if array.ndim == 1 else IMAGES_MAGIC
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def idx_file_content(path: str | Path, array: np.ndarray) -> bytes:
    """What :func:`write_idx` writes to ``path``: IDX bytes, gzip-compressed if it ends in .gz."""
    content = idx_bytes(array)
    if str(path).endswith(".gz"):
        content = gzip.compress(content, compresslevel=6, mtime=0)  # 9 is 10× slower, 2% smaller
    return content


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, atomically; gzip-compressed when ``path`` ends in .gz."""
    write_atomically(path, idx_file_content(path, array))


def read_images_labels(images_path: str | Path,
                       labels_path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read IDX images ``(n, 28, 28)`` and labels ``(n,)``, which must agree on n."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3:
        raise DataError(f"{images_path}: holds labels (1-D), expected images (n×28×28)")
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: holds images (n×28×28), expected labels (1-D)")
    if len(images) != len(labels):
        raise DataError(f"{labels_path}: {len(labels):,} labels for {len(images):,} images "
                        f"in {Path(images_path).name}")
    return images, labels


def _check_labels(labels: np.ndarray, path) -> None:
    outside = labels >= N_CLASSES
    if outside.any():
        index = int(np.argmax(outside))
        raise DataError(f"{path}: label {labels[index]} at index {index} outside 0–9")
