"""The types of the ``scratchnet`` command's options: each value is checked as argparse reads it.

A bad value raises ``argparse.ArgumentTypeError``, which the parser turns into one usage line
(``scratchnet train: error: argument --epochs: must be ...``) and exit status 2.
"""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    """argparse type: a whole number > 0."""
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def config_setting(text: str) -> tuple[str, object]:
    """argparse type of ``--set FIELD=VALUE``: a field of ``TrainConfig`` and its value, read as
    the field's default is typed (true/false for a flag, none for no patience)."""
    from dataclasses import fields

    from scratchnet.train import TrainConfig

    name, sep, value = text.partition("=")
    known = {f.name: f.default for f in fields(TrainConfig)}
    if not sep or name not in known:
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE with FIELD one of "
                                         f"{', '.join(known)}, got {text!r}")
    default, word = known[name], value.strip().lower()
    if word == "none" and name == "patience":
        return name, None
    if isinstance(default, bool) or word in ("true", "false"):
        if word not in ("true", "false"):
            raise argparse.ArgumentTypeError(f"{name} is true or false, got {value!r}")
        return name, word == "true"
    kind = int if name == "patience" else type(default)
    try:
        return name, kind(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name} must be {kind.__name__}, got {value!r}") from None
