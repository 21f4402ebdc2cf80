"""Reading and writing the two file formats MNIST comes in: IDX (raw or gzip) and Kaggle CSV.

Every reader checks what it reads and raises ``DataError("<path>: what is wrong")`` — one line
that names the file — for anything it cannot use. Images come back as ``uint8`` arrays of shape
``(n, 28, 28)``, labels as ``uint8`` arrays of shape ``(n,)``.

IDX, as LeCun and Cortes define it: a big-endian header — two zero bytes, a type byte (``0x08``
for unsigned bytes), the number of dimensions — then one 32-bit size per dimension, then the
values in row-major order. Images have magic ``0x00000803`` (n × 28 × 28), labels
``0x00000801`` (n).
"""

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from scratchnet import N_CLASSES, N_PIXELS, SIDE
from scratchnet.errors import DataError, one_line
from scratchnet.files import write_atomically

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
GZIP_MAGIC = b"\x1f\x8b"


# --------------------------------------------------------------------------------------------
# Bytes on disk
# --------------------------------------------------------------------------------------------

def read_bytes(path: str | Path) -> bytes:
    """The content of ``path``, decompressed if it is gzip (recognised by its first two bytes)."""
    path = Path(path)
    _check_file(path)
    raw = path.read_bytes()
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        content = gzip.decompress(raw)
    except EOFError:
        raise DataError(f"{path}: truncated gzip stream (the file ends early)") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as error:
        raise DataError(f"{path}: corrupt gzip data ({one_line(error)[:160]})") from None
    if not content:
        raise DataError(f"{path}: empty after decompression")
    return content


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file")


# --------------------------------------------------------------------------------------------
# IDX
# --------------------------------------------------------------------------------------------

def parse_idx(content: bytes, path: str | Path) -> np.ndarray:
    """Decode IDX bytes into an image array ``(n, 28, 28)`` or a label array ``(n,)``.

    ``path`` only names the file in error messages.
    """
    if len(content) < 4:
        raise DataError(f"{path}: {len(content)} bytes, too short for an IDX header")
    zeros, dtype_code, ndim = content[:2], content[2], content[3]
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
    expected = int(np.prod(shape))
    found = len(content) - header
    if found != expected:
        what = "truncated" if found < expected else "trailing bytes"
        raise DataError(f"{path}: {what}: header says {'×'.join(map(str, shape))} = "
                        f"{expected:,} values but the file holds {found:,}")
    array = np.frombuffer(content, dtype=np.uint8, offset=header).reshape(shape).copy()
    if ndim == 1:
        _check_labels(array, path)
    return array


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file, raw or gzip: images ``uint8 (n, 28, 28)`` or labels ``uint8 (n,)``.

    Raises ``DataError("<path>: ...")`` for a missing, empty, truncated or corrupt file, a wrong
    magic number, images that are not 28×28, a length that does not match the header, or a label
    outside 0–9.
    """
    return parse_idx(read_bytes(path), path)


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


# --------------------------------------------------------------------------------------------
# Kaggle CSV: one image per row, label first, then 784 pixels
# --------------------------------------------------------------------------------------------

def csv_has_labels(path: str | Path) -> bool:
    """False for a Kaggle competition ``test.csv``, whose header starts with a pixel column."""
    with open(path, encoding="utf-8", errors="replace") as file:
        first = file.readline().split(",")[0].strip().strip('"').lower()
    return not first.startswith("pixel")


def read_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a Kaggle-style CSV into images ``uint8 (n, 28, 28)`` and labels ``uint8 (n,)``.

    Three layouts are accepted, label first in each: a ``label,pixel0,…,pixel783`` header
    (Digit Recognizer), a ``label,pixel1,…,pixel784`` header (Fashion-MNIST), or no header at all.
    Line numbers in error messages count from 1 at the top of the file.
    """
    import pandas as pd  # pandas takes a while to import; only CSV users pay for it

    path = Path(path)
    _check_file(path)
    try:
        first_cell = pd.read_csv(path, header=None, nrows=1, usecols=[0], dtype=str).iat[0, 0]
        has_header = not _is_number(first_cell)
        if has_header and str(first_cell).strip().lower() != "label":
            raise DataError(f"{path}: first column is {first_cell!r}, expected 'label' "
                            "(a Kaggle test file without labels?)")
        table = pd.read_csv(path, header=0 if has_header else None)
    except DataError:
        raise
    except EOFError:
        raise DataError(f"{path}: truncated gzip stream (the file ends early)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError,
            OSError, zlib.error) as error:
        raise DataError(f"{path}: cannot parse CSV: {one_line(error)[:160]}") from None
    if table.shape[1] != 1 + N_PIXELS:
        raise DataError(f"{path}: {table.shape[1]} columns, expected {1 + N_PIXELS} "
                        "(label + 784 pixels)")
    if len(table) == 0:
        raise DataError(f"{path}: no data rows")
    values = _numeric_values(table, path, first_line=2 if has_header else 1)
    labels, pixels = values[:, 0], values[:, 1:]
    _check_range(pixels, 0, 255, "pixel value", path, has_header, column_offset=1)
    _check_range(labels[:, None], 0, N_CLASSES - 1, "label", path, has_header, column_offset=0)
    images = pixels.astype(np.uint8).reshape(-1, SIDE, SIDE)
    return images, labels.astype(np.uint8)


def _numeric_values(table, path, first_line: int) -> np.ndarray:
    """The table as an int64 array, or a DataError naming the first cell that is not an integer."""
    import pandas as pd

    numbers = table.apply(pd.to_numeric, errors="coerce")
    bad = numbers.isna().to_numpy()
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        missing = table.iloc[row].isna().to_numpy()
        if missing[col:].all():  # pandas pads a short row with NaN
            raise DataError(f"{path}: line {row + first_line} has {col} values, expected "
                            f"{table.shape[1]} (label + 784 pixels)")
        cell = table.iat[row, col]
        what = "missing value" if pd.isna(cell) else f"non-numeric value {str(cell)[:20]!r}"
        raise DataError(f"{path}: line {row + first_line}, column {col + 1} "
                        f"({table.columns[col]}): {what}")
    values = numbers.to_numpy(dtype=np.float64)
    fractional = values != np.round(values)
    if fractional.any():
        row, col = map(int, np.argwhere(fractional)[0])
        raise DataError(f"{path}: line {row + first_line}, column {col + 1}: "
                        f"{values[row, col]:g} is not a whole number")
    return values.astype(np.int64)


def _check_range(values, low, high, what, path, has_header, column_offset):
    outside = (values < low) | (values > high)
    if outside.any():
        row, col = map(int, np.argwhere(outside)[0])
        line = row + (2 if has_header else 1)
        raise DataError(f"{path}: line {line}, column {col + column_offset + 1}: {what} "
                        f"{values[row, col]} outside {low}–{high}")


def _check_labels(labels: np.ndarray, path) -> None:
    outside = labels >= N_CLASSES
    if outside.any():
        index = int(np.argmax(outside))
        raise DataError(f"{path}: label {labels[index]} at index {index} outside 0–9")


def _is_number(text) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True
