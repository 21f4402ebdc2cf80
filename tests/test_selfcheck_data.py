"""The self-check of the CSV reader (scratchnet.data.read_csv): its cases, and tests particular
to it. tests/test_selfcheck.py runs every check's cases: the right answer passes, each wrong one
fails with a reason that names the broken property, a stub is "not implemented yet"."""

from __future__ import annotations

import numpy as np
from selfcheck_support import verdict

from scratchnet import data, selfcheck

# --- CSV readers -------------------------------------------------------------------------------

def _loadtxt(path, skip):
    return np.loadtxt(path, delimiter=",", skiprows=skip, dtype=np.int64, ndmin=2)


def has_header(path):
    with open(path) as file:
        return file.read(1).isalpha()


def without_validation(path):
    """Right on good files, but 256 wraps round to 0 and a label of 10 passes."""
    values = _loadtxt(path, 1 if has_header(path) else 0)
    return values[:, 1:].astype(np.uint8).reshape(-1, 28, 28), values[:, 0].astype(np.uint8)


def transposed(path):
    images, labels = data.read_csv(path)
    return images.transpose(0, 2, 1), labels


def always_skips_the_first_line(path):
    values = _loadtxt(path, 1)
    return values[:, 1:].astype(np.uint8).reshape(-1, 28, 28), values[:, 0].astype(np.uint8)


def int64_arrays(path):
    images, labels = data.read_csv(path)
    return images.astype(np.int64), labels.astype(np.int64)


def flat_images(path):
    images, labels = data.read_csv(path)
    return images.reshape(len(images), -1), labels



# (check, right implementation, [(wrong implementation, words expected in the reason), ...])
CASES = {
    "read_csv": (selfcheck.check_read_csv, data.read_csv, [
        (without_validation, "pixel value of 256 was accepted"),
        (transposed, "rows and columns are swapped"),
        (always_skips_the_first_line, "no header and"),
        (int64_arrays, "uint8"),
        (flat_images, "images have shape"),
        (lambda path: data.read_csv(path)[0], "pair"),
    ]),
}


def test_read_csv_check_accepts_any_exception_for_a_bad_file(capsys):
    """A reader may refuse a bad file with ValueError, DataError or its own error class."""
    def strict(path):
        try:
            return data.read_csv(path)
        except Exception as error:
            raise ValueError(str(error)) from None

    result, printed = verdict(selfcheck.check_read_csv, strict, capsys)
    assert result.passed, printed
