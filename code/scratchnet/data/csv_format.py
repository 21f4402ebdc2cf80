"""Reading Kaggle-style CSV files of digits: one image per row, label first (if there is one).

Every reader checks what it reads and raises ``DataError("<path>: what is wrong")`` — one line
that names the file, and the line and column of the first bad value — for anything it cannot use.
Images come back as ``uint8`` arrays of shape ``(n, 28, 28)``, labels as ``uint8`` arrays of shape
``(n,)``. A file is read in chunks, so memory stays that of the images (``MAX_CSV_ROWS``,
``MAX_CSV_LINE`` bound it). The file may be gzip-compressed whatever its name.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from scratchnet import N_CLASSES, N_PIXELS, SIDE
from scratchnet.data.formats import check_file, is_gzip
from scratchnet.errors import DataError, one_line

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
                             compression="gzip" if is_gzip(path) else None)
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
    check_file(path)
    opener = gzip.open if is_gzip(path) else open
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


def _is_number(text) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True
