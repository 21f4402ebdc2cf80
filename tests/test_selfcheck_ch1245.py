"""The cases of the self-checks added for the exercises of chapters 1, 2, 4 and 5, and tests
particular to them. tests/test_selfcheck.py runs every check's cases: the right answer passes,
each wrong one fails with a reason that names the broken property, a stub is "not implemented yet"."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet import data, model, selfcheck
from selfcheck_support import verdict


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


# --- initialisers --------------------------------------------------------------------------------

def glorot(H, rng):
    return {"W1": rng.normal(0, np.sqrt(2 / (784 + H)), (784, H)), "b1": np.zeros(H),
            "W2": rng.normal(0, np.sqrt(2 / (H + 10)), (H, 10)), "b2": np.zeros(10)}


def one_over_fan_in(H, rng):
    return {"W1": rng.normal(0, np.sqrt(1 / 784), (784, H)), "b1": np.zeros(H),
            "W2": rng.normal(0, np.sqrt(1 / H), (H, 10)), "b2": np.zeros(10)}


def uniform_with_he_variance(H, rng):
    """Right variance, wrong distribution: U[-a, a] with a^2/3 = 2/fan_in."""
    return {"W1": rng.uniform(-1, 1, (784, H)) * np.sqrt(6 / 784), "b1": np.zeros(H),
            "W2": rng.uniform(-1, 1, (H, 10)) * np.sqrt(6 / H), "b2": np.zeros(10)}


def fan_out_for_w2(H, rng):
    return {**model.init_he(H, rng), "W2": rng.normal(0, np.sqrt(2 / 10), (H, 10))}


def global_generator(H, rng):
    return model.init_he(H, np.random.default_rng())


def fixed_seed(H, rng):
    return model.init_he(H, np.random.default_rng(0))


def one_column_repeated(H, rng):
    column = rng.normal(0, np.sqrt(2 / 784), (784, 1))
    return {**model.init_he(H, rng), "W1": np.repeat(column, H, axis=1)}


def transposed_w1(H, rng):
    params = model.init_he(H, rng)
    return {**params, "W1": params["W1"].T}


CASES = {
    "read_csv": (selfcheck.check_read_csv, data.read_csv, [
        (without_validation, "pixel value of 256 was accepted"),
        (transposed, "rows and columns are swapped"),
        (always_skips_the_first_line, "no header and"),
        (int64_arrays, "uint8"),
        (flat_images, "images have shape"),
        (lambda path: data.read_csv(path)[0], "pair"),
    ]),
    "init_he": (selfcheck.check_init_he, model.init_he, [
        (model.init_uniform, "biases b1 should start at 0"),
        (glorot, "variance of W1"),
        (one_over_fan_in, "variance of W1"),
        (fan_out_for_w2, "variance of W2"),
        (uniform_with_he_variance, "not normally distributed"),
        (global_generator, "same seed gave different weights"),
        (fixed_seed, "different seeds gave the same weights"),
        (one_column_repeated, "identical"),
        (transposed_w1, "shape"),
        (lambda H, rng: list(model.init_he(H, rng).values()), "dict"),
    ]),
}


def test_the_new_checks_are_listed_in_checks():
    for name, (check, _, _) in CASES.items():
        assert selfcheck.CHECKS[name] is check


def test_init_he_passes_whatever_the_dtype(capsys):
    result, printed = verdict(selfcheck.check_init_he,
                              lambda H, rng: model.init_he(H, rng, dtype=np.float64), capsys)
    assert result.passed, printed


@pytest.mark.parametrize("name", CASES)
def test_a_crashing_function_is_reported_not_raised(name, capsys):
    def crashes(*args):
        raise KeyError("oops")

    result, printed = verdict(CASES[name][0], crashes, capsys)
    assert result.status == "not yet" and "raised KeyError" in printed


def test_read_csv_check_accepts_any_exception_for_a_bad_file(capsys):
    """A reader may refuse a bad file with ValueError, DataError or its own error class."""
    def strict(path):
        try:
            return data.read_csv(path)
        except Exception as error:
            raise ValueError(str(error)) from None

    result, printed = verdict(selfcheck.check_read_csv, strict, capsys)
    assert result.passed, printed


def test_the_verdicts_never_print_the_data(capsys):
    for name, (check, _, wrong) in CASES.items():
        for fn, _ in wrong:
            check(fn)
            printed = capsys.readouterr().out
            assert "array(" not in printed and "[[" not in printed and "0 0 0" not in printed, printed
