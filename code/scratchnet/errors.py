"""The one exception type the library raises for bad input, and the one-line form of a message.

Every message is a single line that names the file (or argument) and what is wrong with it,
so the CLI can print it as it is and exit non-zero without a traceback. :func:`strict_json` is
the one way the CLI writes JSON.
"""

from __future__ import annotations

import json
import math

import numpy as np


class ScratchnetError(Exception):
    """Bad input: a file, a dataset or an argument the library cannot use."""


class DataError(ScratchnetError):
    """A data file that is missing, corrupt or malformed: ``DataError("path: what is wrong")``."""


class ModelFileError(ScratchnetError):
    """A saved model file that is malformed, unsafe (pickle-bearing) or inconsistent."""


class TrainingError(ScratchnetError):
    """Training that cannot succeed: the loss became nan or infinite (the run diverged)."""


def one_line(error: BaseException | str) -> str:
    """The text of ``error`` on one line: each run of white space (newlines too) becomes a space.

    An exception without a message is named by its type (``EOFError``), so the line is never empty.
    """
    text = " ".join(str(error).split())
    if not text and isinstance(error, BaseException):
        return type(error).__name__
    return text


def strict_json(value: object, **options: object) -> str:
    """``value`` as strict JSON, the form tools can parse: every nan or infinite float becomes
    null (``json.dumps`` would write ``NaN``, which is not JSON), and ``allow_nan`` is off."""
    return json.dumps(finite_or_none(value), allow_nan=False, **options)


def finite_or_none(value: object) -> object:
    """``value`` with each float that is nan or infinite (NumPy's too) replaced by None."""
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(item) for item in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
