"""The rules the fields of a training configuration obey, checked when a ``TrainConfig`` is made.

:func:`config_problems` lists every rule a config breaks, one line each, so that a bad value is a
``ValueError`` naming the field and what it may be, never a run that silently does something else.
The names a field may take (initialisers, optimisers, schedules, dtypes) belong to the modules that
define them; ``scratchnet.train`` passes them in. No imports from the rest of the package.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

WHOLE, FINITE, YES_NO = "a whole number", "a finite number", "True or False"


def is_whole(value: Any, least: int) -> bool:
    """An integer (not a bool) >= ``least``."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= least


def is_finite(value: Any) -> bool:
    """A finite real number (not a bool)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def config_problems(config: Any, choices: dict[str, tuple]) -> list[str]:
    """What is wrong with ``config``, one line each; an empty list for a valid config.

    ``choices`` maps each field that names a part to the names it may take.
    """
    problems = [f"unknown {name} {getattr(config, name)!r}; choose from "
                + ", ".join(map(repr, allowed))
                for name, allowed in choices.items() if getattr(config, name) not in allowed]
    checks = [("hidden", is_whole(config.hidden, 1), f"{WHOLE} >= 1"),
              ("epochs", is_whole(config.epochs, 1), f"{WHOLE} >= 1"),
              ("batch_size", is_whole(config.batch_size, 1), f"{WHOLE} >= 1"),
              ("seed", is_whole(config.seed, 0), f"{WHOLE} >= 0"),
              ("patience", config.patience is None or is_whole(config.patience, 1),
               f"None or {WHOLE} >= 1"),
              ("lr", is_finite(config.lr) and config.lr > 0, f"{FINITE} > 0"),
              ("momentum", is_finite(config.momentum) and 0 <= config.momentum < 1, "in [0, 1)"),
              ("l2", is_finite(config.l2) and config.l2 >= 0, f"{FINITE} >= 0"),
              *((name, is_finite(getattr(config, name)) and getattr(config, name) >= 0,
                 f"{FINITE} >= 0")
                for name in ("max_degrees", "max_shift", "elastic")),
              ("max_scale", is_finite(config.max_scale) and 0 <= config.max_scale < 1,
               "in [0, 1)"),
              ("elastic_sigma", is_finite(config.elastic_sigma) and config.elastic_sigma > 0,
               f"{FINITE} > 0"),
              *((name, isinstance(getattr(config, name), bool), YES_NO)
                for name in ("augment", "flip", "include_dev"))]
    problems += [f"{name} = {getattr(config, name)!r} is not {what}"
                 for name, ok, what in checks if not ok]
    if config.optimizer == "gd":        # the seed's loop has none of these: refuse, never ignore
        unused = [name for name, on in (("momentum", config.momentum != 0), ("l2", config.l2 != 0),
                                        ("schedule", config.schedule != "constant"),
                                        ("augment", config.augment), ("flip", config.flip),
                                        ("patience", config.patience is not None)) if on]
        if unused:
            problems.append(f"optimizer 'gd' (the seed's full-batch loop) does not use "
                            f"{', '.join(unused)}: set momentum=0, l2=0, schedule='constant', "
                            "and no augment, flip or patience")
    return problems
