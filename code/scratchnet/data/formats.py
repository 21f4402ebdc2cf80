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
import math
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from scratchnet import N_CLASSES, N_PIXELS, SIDE
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
    _check_file(path)
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
    if not _is_gzip(path):
        if on_disk != header + expected:
            found = on_disk - header
            what = "truncated" if found < expected else "trailing bytes"
            raise DataError(f"{path}: {what}: {claim} but the file holds {found:,}")
    elif header + expected > MAX_DEFLATE_RATIO * on_disk:
        raise DataError(f"{path}: truncated: {claim} but a gzip file of {on_disk:,} bytes holds "
                        f"at most {MAX_DEFLATE_RATIO * on_disk:,}")
    return read_bytes(path, header + expected, declared="the size its IDX header declares")


def _is_gzip(path: Path) -> bool:
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


# --------------------------------------------------------------------------------------------
# Kaggle CSV: one image per row, label first (if there is one), then 784 pixels
# --------------------------------------------------------------------------------------------

CSV_CHUNK_ROWS = 1000
"""Rows parsed at a time: a chunk of text and its numbers, never the whole file, is in memory."""

MAX_CSV_ROWS = 1_000_000
"""The most rows a CSV may have here (784 MB of pixels): a sanity limit, checked before the
images are allocated."""

MAX_CSV_LINE = 1 << 16
"""The longest line accepted, in bytes (a row of 785 numbers up to 255 needs at most 3,140)."""


def csv_has_labels(path: str | Path) -> bool:
    """False for a Kaggle competition ``test.csv``, whose header starts with a pixel column."""
    with open(path, encoding="utf-8", errors="replace") as file:
        first = file.readline().split(",")[0].strip().strip('"').lower()
    return not first.startswith("pixel")


def read_csv(path: str | Path, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Read a Kaggle-style CSV of labelled images: images ``uint8 (n, 28, 28)``, labels ``uint8
    (n,)``.

    Three layouts are accepted, label first in each: a ``label,pixel0,…,pixel783`` header
    (Digit Recognizer), a ``label,pixel1,…,pixel784`` header (Fashion-MNIST), or no header at all.
    The file is read in chunks (:func:`read_csv_rows`), so memory stays that of the images.
    """
    images, labels, layout = read_csv_rows(path, progress)
    if labels is None:
        first = layout.split(",")[0]
        what = (f"first column is {first!r}, expected 'label'" if layout.startswith("pixel")
                else f"{N_PIXELS} columns, expected {1 + N_PIXELS} (label + 784 pixels)")
        raise DataError(f"{path}: {what} (a Kaggle test file without labels?)")
    return images, labels


def read_csv_rows(path: str | Path, progress: bool = False
                  ) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Read any Kaggle-style CSV of digits: images ``uint8 (n, 28, 28)``, labels ``uint8 (n,)``
    (None for a file of pixels only, like Kaggle's ``test.csv``), and its layout in words.

    A first pass (:func:`csv_shape`) checks every line's number of values and counts the rows;
    the images are then parsed ``CSV_CHUNK_ROWS`` rows at a time with pandas into one
    preallocated array, each chunk checked (whole numbers, pixels in 0–255, labels in 0–9) with
    the line and column of the first bad value. ``progress`` shows a bar (tqdm) over the rows.
    """
    import pandas as pd  # pandas takes a while to import; only CSV users pay for it
    from tqdm import tqdm

    path = Path(path)
    n_rows, header = csv_shape(path)
    n_columns = len(header)
    labelled = n_columns == 1 + N_PIXELS
    has_header = not all(_is_number(cell) for cell in header)
    layout = (f"{header[0]},{header[1]},…,{header[-1]}" if has_header
              else f"no header, {'label first' if labelled else 'pixels only'}")
    if has_header and labelled != (header[0].lower() == "label"):
        raise DataError(f"{path}: first column is {header[0]!r} of {n_columns}, expected "
                        + ("'label' (label + 784 pixels)" if labelled else "a pixel (784 pixels)"))
    images = np.empty((n_rows, N_PIXELS), dtype=np.uint8)
    labels = np.empty(n_rows, dtype=np.uint8) if labelled else None
    first_line = 2 if has_header else 1
    try:
        chunks = pd.read_csv(path, header=0 if has_header else None, chunksize=CSV_CHUNK_ROWS,
                             compression="gzip" if _starts_with_gzip_magic(path) else None)
        with tqdm(total=n_rows, unit="row", desc=path.name, disable=not progress) as bar:
            start = 0
            for chunk in chunks:
                values = _numeric_values(chunk, path, first_line + start)
                pixels = values[:, 1:] if labelled else values
                _check_range(pixels, 0, 255, "pixel value", path, first_line + start,
                             column_offset=1 if labelled else 0)
                images[start:start + len(values)] = pixels
                if labelled:
                    _check_range(values[:, :1], 0, N_CLASSES - 1, "label", path,
                                 first_line + start, column_offset=0)
                    labels[start:start + len(values)] = values[:, 0]
                start += len(values)
                bar.update(len(values))
    except DataError:
        raise
    except EOFError:
        raise DataError(f"{path}: truncated gzip stream (the file ends early)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError,
            OSError, zlib.error) as error:
        raise DataError(f"{path}: cannot parse CSV: {one_line(error)[:160]}") from None
    if start != n_rows:
        raise DataError(f"{path}: {start:,} rows parsed, {n_rows:,} counted (blank lines?)")
    return images.reshape(-1, SIDE, SIDE), labels, layout


def csv_shape(path: str | Path) -> tuple[int, list[str]]:
    """The number of data rows of a CSV and its first line's cells, after checking every line.

    Every line must have as many values as the first, and the first 784 (pixels only) or 785
    (label first); blank lines may only end the file; a line longer than ``MAX_CSV_LINE`` bytes
    or more than ``MAX_CSV_ROWS`` rows are refused. One line at a time is held.
    """
    path = Path(path)
    _check_file(path)
    opener = gzip.open if _starts_with_gzip_magic(path) else open
    n_lines, first, blank_at = 0, None, None
    try:
        with opener(path, "rb") as file:
            while line := file.readline(MAX_CSV_LINE + 1):
                if len(line) > MAX_CSV_LINE and not line.endswith(b"\n"):
                    raise DataError(f"{path}: line {n_lines + 1} is longer than "
                                    f"{MAX_CSV_LINE:,} bytes: not a row of numbers")
                n_lines += 1
                if not line.strip():
                    blank_at = blank_at or n_lines
                    continue
                if blank_at is not None:
                    raise DataError(f"{path}: line {blank_at} is blank")
                n_values = line.count(b",") + 1
                if first is None:
                    first = line.decode("utf-8", errors="replace").strip().split(",")
                    first = [cell.strip().strip('"') for cell in first]
                    if n_values not in (N_PIXELS, 1 + N_PIXELS):
                        raise DataError(f"{path}: {n_values} columns, expected {1 + N_PIXELS} "
                                        f"(label + 784 pixels) or {N_PIXELS} (pixels only)")
                elif n_values != len(first):
                    raise DataError(f"{path}: line {n_lines} has {n_values} values, expected "
                                    f"{len(first)}")
                if n_lines > MAX_CSV_ROWS + 1:
                    raise DataError(f"{path}: more than {MAX_CSV_ROWS:,} rows, the most a CSV "
                                    "may have here (MAX_CSV_ROWS)")
    except EOFError:
        raise DataError(f"{path}: truncated gzip stream (the file ends early)") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as error:
        raise DataError(f"{path}: corrupt gzip data ({one_line(error)[:160]})") from None
    if first is None:
        raise DataError(f"{path}: no data rows (only blank lines)")
    n_rows = (blank_at or n_lines + 1) - 1 - (not all(_is_number(c) for c in first))
    if n_rows == 0:
        raise DataError(f"{path}: no data rows")
    return n_rows, first


def _starts_with_gzip_magic(path: Path) -> bool:
    with open(path, "rb") as raw:
        return raw.read(2) == GZIP_MAGIC


def _numeric_values(table, path, first_line: int) -> np.ndarray:
    """The table as an int64 array, or a DataError naming the first cell that is not an integer."""
    import pandas as pd

    if all(pd.api.types.is_integer_dtype(t) for t in table.dtypes):   # the usual case: fast
        return table.to_numpy(dtype=np.int64)
    numbers = table.apply(pd.to_numeric, errors="coerce")
    bad = numbers.isna().to_numpy()
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
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


def _check_range(values, low, high, what, path, first_line, column_offset):
    outside = (values < low) | (values > high)
    if outside.any():
        row, col = map(int, np.argwhere(outside)[0])
        raise DataError(f"{path}: line {row + first_line}, column {col + column_offset + 1}: "
                        f"{what} {values[row, col]} outside {low}–{high}")


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
