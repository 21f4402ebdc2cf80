"""The self-check harness: the verdict machinery, the registry of checks, helpers for new checks.

A check is a function ``check_<name>(fn, quiet=False) -> CheckResult`` (a graded exercise's check
also takes ``seed``, which the grader draws afresh) defined in the module of its
chapter and registered in :data:`CHECKS` by the decorator :func:`registered`. It runs a list of
steps with :func:`run_checks`; a step fails with :func:`require`, which raises :class:`CheckFailed`
with the reader-facing reason. :func:`compare_on_random` and :func:`gradient_matches` compare the
reader's function with the library on random inputs and with central differences entry by entry
(:func:`gradient_close`: as a whole, for the graded checks' fresh random inputs); the other
helpers check what the reader returned (:func:`as_array`, :func:`shaped`) and make random inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from scratchnet import model
from scratchnet.gradcheck import numerical_gradient, relative_error
from scratchnet.model import Params

CORRECT, WRONG, NOT_IMPLEMENTED = "correct", "not yet", "not implemented"


@dataclass
class CheckResult:
    """The outcome of one self-check: ``status`` is "correct", "not yet" or "not implemented"."""

    name: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == CORRECT

    def __bool__(self) -> bool:
        return self.passed

    def verdict(self) -> str:
        """The one line the check prints."""
        if self.status == CORRECT:
            return f"✓ correct: {self.name} — {self.message}"
        if self.status == NOT_IMPLEMENTED:
            return f"… {self.name} not implemented yet ({self.message})"
        return f"✗ not yet: {self.name} — {self.message}"

    def __str__(self) -> str:
        return self.verdict()

    def _ipython_display_(self) -> None:
        """The verdict is already printed; a check as a cell's last line shows nothing more."""


class CheckFailed(Exception):
    """Raised inside a check by :func:`require`; its message is the reader-facing reason."""


def require(condition: bool, message: str) -> None:
    """Fail the current check with ``message`` (the property that does not hold) unless
    ``condition``."""
    if not condition:
        raise CheckFailed(message)


def run_checks(name: str, steps: Sequence[Callable[[], None]], passed: str,
               quiet: bool = False) -> CheckResult:
    """Run ``steps`` in order; the first that fails decides the verdict. Never raises.

    A step fails by raising :class:`CheckFailed` (use :func:`require`). The reader's
    ``NotImplementedError`` means "not implemented yet"; any other exception from the reader's
    code is reported as "not yet" with its type and message.
    """
    try:
        for step in steps:
            step()
        result = CheckResult(name, CORRECT, passed)
    except NotImplementedError:
        result = CheckResult(name, NOT_IMPLEMENTED, "it raises NotImplementedError")
    except CheckFailed as failure:
        result = CheckResult(name, WRONG, str(failure))
    except Exception as error:  # the reader's code raised: say what, not where in our code
        text = str(error).splitlines()[0] if str(error) else ""
        result = CheckResult(name, WRONG, f"your function raised {type(error).__name__}"
                             + (f": {text[:200]}" if text else ""))
    if not quiet:
        print(result.verdict())
    return result


Check = Callable[..., CheckResult]

CHECKS: dict[str, Check] = {}
"""Every self-check by the name of the function it checks, in the order of the chapters."""


def registered(check: Check) -> Check:
    """Decorator: list ``check_<name>`` in :data:`CHECKS` under ``<name>``."""
    CHECKS[check.__name__.removeprefix("check_")] = check
    return check


# --- what the reader returned ---------------------------------------------------------------


def as_array(value: object, what: str) -> np.ndarray:
    require(value is not None, f"{what} is None (did you forget to return it?)")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} is not an array of numbers (got "
                          f"{type(value).__name__})") from None


def shaped(value: object, shape: tuple[int, ...], what: str) -> np.ndarray:
    array = as_array(value, what)
    require(array.shape == shape, f"{what} has shape {array.shape}, expected {shape}")
    require(bool(np.all(np.isfinite(array))), f"{what} contains inf or nan")
    return array


# --- comparing with the library -----------------------------------------------------------


def compare_on_random(fn: Callable, reference: Callable,
                      make_args: Callable[[np.random.Generator], tuple], what: str,
                      trials: int = 3, rtol: float = 1e-5, atol: float = 1e-7,
                      seed: int = 0) -> None:
    """Require ``fn(*args) ≈ reference(*args)`` on ``trials`` fresh random argument tuples.

    Arguments are copied for each call, so an ``fn`` that modifies its input cannot pass by
    accident. The failure message gives the shape and the largest difference, never the values.
    """
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        args = make_args(rng)
        expected = as_array(reference(*_copy(args)), "the reference")
        got = as_array(fn(*_copy(args)), what)
        require(got.shape == expected.shape, f"{what} has shape {got.shape}, expected "
                                             f"{expected.shape}")
        if not np.allclose(got, expected, rtol=rtol, atol=atol):
            worst = float(np.nanmax(np.abs(got - expected))) if np.isfinite(got).all() else math.inf
            raise CheckFailed(f"{what} differs from the right answer on a random input of shape "
                              f"{_describe(args)} (largest difference {worst:.3g})")


def gradient_matches(analytic: object, f: Callable[[np.ndarray], float], theta: np.ndarray,
                     what: str, tol: float = 1e-6, eps: float = 1e-6) -> float:
    """Require the reader's gradient ``analytic`` to match central differences of ``f`` at theta.

    Uses :func:`scratchnet.gradcheck.numerical_gradient` in float64 and the scale-free
    :func:`~scratchnet.gradcheck.relative_error`; returns the relative error.
    """
    theta = np.asarray(theta, dtype=np.float64)
    analytic = shaped(analytic, theta.shape, what)
    error = relative_error(analytic, numerical_gradient(f, theta, eps=eps))
    require(error < tol, f"{what} disagrees with the numerical gradient "
                         f"(relative error {error:.2g}, should be below {tol:g})")
    return error


def gradient_close(analytic: object, f: Callable[[np.ndarray], float], theta: np.ndarray,
                   what: str, tol: float = 1e-6, eps: float = 1e-5) -> float:
    """Require the reader's gradient ``analytic`` to match central differences of ``f`` at theta
    as a whole: the norm-wise relative error ||a - g|| / (||a|| + ||g||) below ``tol``.

    For checks on fresh random inputs (the graded exercises), where an entry-wise relative error
    is at the mercy of entries near 0; the check's own property steps look at the entries.
    Returns the error.
    """
    theta = np.asarray(theta, dtype=np.float64)
    analytic = shaped(analytic, theta.shape, what)
    numerical = numerical_gradient(f, theta, eps=eps)
    scale = np.linalg.norm(analytic) + np.linalg.norm(numerical)
    error = float(np.linalg.norm(analytic - numerical) / scale) if scale > 0 else 0.0
    require(error < tol, f"{what} disagrees with the numerical gradient "
                         f"(relative error {error:.2g}, should be below {tol:g})")
    return error


def _copy(args: tuple) -> tuple:
    return tuple({k: v.copy() for k, v in a.items()} if isinstance(a, dict)
                 else a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _describe(args: tuple) -> str:
    shapes = [str(a.shape) for a in args if isinstance(a, np.ndarray)]
    return ", ".join(shapes) if shapes else "(parameters)"


# --- random inputs ------------------------------------------------------------------------


def random_logits(rng: np.random.Generator, n: int = 5, k: int = 10,
                  scale: float = 3.0) -> np.ndarray:
    """Logits Z (n, k) drawn from N(0, scale^2)."""
    return rng.normal(0.0, scale, size=(n, k))


def random_one_hot(rng: np.random.Generator, n: int, k: int = 10) -> np.ndarray:
    return model.one_hot(rng.integers(0, k, size=n), k, dtype=np.float64)


def small_network(rng: np.random.Generator, n: int = 4, n_in: int = 6,
                  hidden: int = 5) -> tuple[Params, np.ndarray, np.ndarray]:
    """A tiny float64 network (n_in inputs, 10 classes) and batch, for gradient checks."""
    params = model.init_he(hidden, rng, dtype=np.float64, n_in=n_in)
    params = {k: v + rng.normal(0, 0.1, v.shape) for k, v in params.items()}  # non-zero biases
    X = rng.random((n, n_in))
    return params, X, random_one_hot(rng, n)


def params_and_grads(rng: np.random.Generator) -> tuple[Params, Params]:
    """A small network's parameters and random gradients of the same shapes."""
    params, _, _ = small_network(rng)
    return params, {k: rng.normal(size=v.shape) for k, v in params.items()}


def require_same_params(got: object, want: Params, what: str) -> None:
    """Require ``got`` to be a dict with every parameter of ``want``, of its shape and value."""
    require(isinstance(got, dict), f"{what} should be a dict of parameters, got "
                                   f"{type(got).__name__}")
    for name in want:
        require(name in got, f"{what} is missing {name}")
        value = shaped(got[name], want[name].shape, f"{what}[{name!r}]")
        require(np.allclose(value, want[name], atol=1e-10), f"{what}[{name!r}] is wrong on a "
                                                            "random step")
