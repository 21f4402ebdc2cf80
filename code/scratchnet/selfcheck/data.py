"""Self-checks of chapter 1, data: reading a Kaggle-style CSV of digits."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from scratchnet.selfcheck.harness import CheckFailed, CheckResult, registered, require, run_checks


def _csv_text(rng: np.random.Generator, n: int, header: str | None):
    """A Kaggle-style CSV of n random digits: (text, images (n, 28, 28), labels (n,)), uint8."""
    images = np.where(rng.random((n, 784)) < 0.6, 0, rng.integers(1, 256, size=(n, 784)))
    images[0, :3] = (255, 0, 1)                      # the extremes appear in every file
    labels = rng.permutation(10)[:n] if n <= 10 else rng.integers(0, 10, size=n)
    lines = [] if header is None else [header]
    lines += [",".join(map(str, [label, *row])) for label, row in zip(labels, images, strict=True)]
    text = "\n".join(lines) + "\n"
    return text, images.reshape(n, 28, 28).astype(np.uint8), labels.astype(np.uint8)


@registered
def check_read_csv(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(path)`` should read a Kaggle-style CSV into (images (n, 28, 28), labels (n,)), uint8.

    Layouts: header ``label,pixel0,…,pixel783``, header ``label,pixel1,…,pixel784``, or no header.
    It must refuse (raise any exception) a row without 785 values, a value that is not a whole
    number, a pixel outside 0–255, a label outside 0–9, and a file without data rows.
    """
    pixels0, pixels1 = (",".join(f"pixel{j}" for j in range(k, 784 + k)) for k in (0, 1))
    headers = {"a 'label,pixel0,…,pixel783' header": "label," + pixels0,
               "a 'label,pixel1,…,pixel784' header": "label," + pixels1,
               "no header": None}

    def read(text: str):
        with tempfile.TemporaryDirectory(prefix="scratchnet-selfcheck-") as folder:
            path = Path(folder) / "digits.csv"
            path.write_text(text)
            return fn(path)

    def layouts():
        rng = np.random.default_rng(14)
        for what, header in headers.items():
            text, images, labels = _csv_text(rng, int(rng.integers(3, 8)), header)
            out = read(text)
            require(isinstance(out, tuple) and len(out) == 2,
                    f"for a file with {what}, return a pair (images, labels)")
            got_images, got_labels = (np.asarray(a) for a in out)
            n = len(labels)
            require(got_images.shape == (n, 28, 28), f"for a file with {what} and {n} digits the "
                    f"images have shape {got_images.shape}, expected {(n, 28, 28)}")
            require(got_labels.shape == (n,), f"for a file with {what} and {n} digits the labels "
                    f"have shape {got_labels.shape}, expected {(n,)}")
            require(got_images.dtype == np.uint8 and got_labels.dtype == np.uint8,
                    f"images and labels should be uint8 (got {got_images.dtype} and "
                    f"{got_labels.dtype})")
            require(np.array_equal(got_labels, labels), f"for a file with {what} the labels are "
                                                        "wrong")
            if not np.array_equal(got_images, images):
                transposed = np.array_equal(got_images, images.transpose(0, 2, 1))
                raise CheckFailed(f"for a file with {what} the images are wrong" + (
                    ": rows and columns are swapped (pixel 28r + c is row r, column c)"
                    if transposed else ""))

    def refuses_bad_files():
        rng = np.random.default_rng(15)
        header = headers["a 'label,pixel0,…,pixel783' header"]
        good = _csv_text(rng, 4, header)[0].splitlines()

        def edited(row: int, column: int, value: str | None) -> str:
            lines = list(good)
            cells = lines[row].split(",")
            if value is None:
                del cells[column]
            else:
                cells[column] = value
            lines[row] = ",".join(cells)
            return "\n".join(lines) + "\n"

        bad = {"a row with 784 values instead of 785": edited(2, 400, None),
               "a pixel value of 256": edited(3, 500, "256"),
               "a pixel value of -1": edited(1, 10, "-1"),
               "a label of 10": edited(2, 0, "10"),
               "a pixel value of 12.5": edited(1, 300, "12.5"),
               "a value 'x' that is not a number": edited(4, 600, "x"),
               "a header and no data rows": header + "\n"}
        for what, text in bad.items():
            try:
                read(text)
            except NotImplementedError:
                raise
            except Exception:
                continue
            raise CheckFailed(f"a file with {what} was accepted: raise an error for it")

    return run_checks("read_csv", [layouts, refuses_bad_files],
                      "reads all three layouts exactly (uint8, row-major) and refuses short rows, "
                      "non-integers, pixels outside 0–255, labels outside 0–9 and empty "
                      "files", quiet)
