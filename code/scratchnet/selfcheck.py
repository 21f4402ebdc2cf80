"""Self-checks for the book's coding exercises: is *your* implementation right?

Each ``check_<name>(fn)`` calls the reader's function on fresh random inputs, tests the properties
the book derives (rows of a softmax sum to 1, a gradient agrees with central differences, ...) and
compares with the library on those random inputs. It prints one line and returns a
:class:`CheckResult`::

    ✓ correct: softmax — rows sum to 1, shift-invariant, finite for logits of ±1e4, ...
    ✗ not yet: softmax — rows do not sum to 1 (row 0 sums to 2.3)
    … softmax not implemented yet (it raises NotImplementedError)

The printed line names the property that failed, never the expected array or the reference code.
A check never raises: a build of the student edition, where the exercise stubs still raise
``NotImplementedError``, runs every self-check cell and succeeds.

In a chapter (see the instructor guide for the full exercise markup)::

    from scratchnet import selfcheck
    selfcheck.check_softmax(softmax)

Generic helpers for new checks: :func:`run_checks` (the verdict machinery),
:func:`compare_on_random`, :func:`gradient_matches` and :func:`require`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import model, train
from .gradcheck import numerical_gradient, relative_error

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
    """Fail the current check with ``message`` (what property does not hold) unless ``condition``."""
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


def _array(value, what: str) -> np.ndarray:
    require(value is not None, f"{what} is None (did you forget to return it?)")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} is not an array of numbers (got {type(value).__name__})")


def _shape(value, shape: tuple[int, ...], what: str) -> np.ndarray:
    array = _array(value, what)
    require(array.shape == shape, f"{what} has shape {array.shape}, expected {shape}")
    require(bool(np.all(np.isfinite(array))), f"{what} contains inf or nan")
    return array


def _scalar(value) -> float:
    require(value is not None, "the loss is None (did you forget to return it?)")
    require(np.ndim(value) == 0, f"the loss should be one number, got an array of shape {np.shape(value)}")
    return float(value)


def compare_on_random(fn: Callable, reference: Callable, make_args: Callable[[np.random.Generator], tuple],
                      what: str, trials: int = 3, rtol: float = 1e-5, atol: float = 1e-7,
                      seed: int = 0) -> None:
    """Require ``fn(*args) ≈ reference(*args)`` on ``trials`` fresh random argument tuples.

    Arguments are copied for each call, so an ``fn`` that modifies its input cannot pass by
    accident. The failure message gives the shape and the largest difference, never the values.
    """
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        args = make_args(rng)
        expected = _array(reference(*_copy(args)), "the reference")
        got = _array(fn(*_copy(args)), what)
        require(got.shape == expected.shape, f"{what} has shape {got.shape}, expected {expected.shape}")
        if not np.allclose(got, expected, rtol=rtol, atol=atol):
            worst = float(np.nanmax(np.abs(got - expected))) if np.isfinite(got).all() else math.inf
            raise CheckFailed(f"{what} differs from the right answer on a random input of shape "
                              f"{_describe(args)} (largest difference {worst:.3g})")


def gradient_matches(analytic, f: Callable[[np.ndarray], float], theta: np.ndarray, what: str,
                     tol: float = 1e-6, eps: float = 1e-6) -> float:
    """Require the reader's gradient ``analytic`` to match central differences of ``f`` at theta.

    Uses :func:`scratchnet.gradcheck.numerical_gradient` in float64 and the scale-free
    :func:`~scratchnet.gradcheck.relative_error`; returns the relative error.
    """
    theta = np.asarray(theta, dtype=np.float64)
    analytic = _shape(analytic, theta.shape, what)
    error = relative_error(analytic, numerical_gradient(f, theta, eps=eps))
    require(error < tol, f"{what} disagrees with the numerical gradient "
                         f"(relative error {error:.2g}, should be below {tol:g})")
    return error


def _copy(args: tuple) -> tuple:
    return tuple({k: v.copy() for k, v in a.items()} if isinstance(a, dict)
                 else a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _describe(args: tuple) -> str:
    shapes = [str(a.shape) for a in args if isinstance(a, np.ndarray)]
    return ", ".join(shapes) if shapes else "(parameters)"


def _logits(rng: np.random.Generator, n: int = 5, k: int = 10, scale: float = 3.0) -> np.ndarray:
    return rng.normal(0.0, scale, size=(n, k))


def _labels(rng: np.random.Generator, n: int, k: int = 10) -> np.ndarray:
    return model.one_hot(rng.integers(0, k, size=n), k, dtype=np.float64)


def _small_network(rng: np.random.Generator, n: int = 4, n_in: int = 6, hidden: int = 5):
    """A tiny float64 network (n_in inputs, 10 classes) and batch, for gradient checks."""
    params = model.init_he(hidden, rng, dtype=np.float64, n_in=n_in)
    params = {k: v + rng.normal(0, 0.1, v.shape) for k, v in params.items()}  # non-zero biases
    X = rng.random((n, n_in))
    return params, X, _labels(rng, n)


# --- chapter 3: forward ------------------------------------------------------------------------


def check_relu(fn: Callable[[np.ndarray], np.ndarray], quiet: bool = False) -> CheckResult:
    """``fn(Z)`` should be ReLU(Z) = max(Z, 0), elementwise, for an array of any shape."""
    def zeros_negatives():
        Z = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
        A = _shape(fn(Z.copy()), Z.shape, "relu(Z)")
        require(np.all(A[Z < 0] == 0), "negative inputs must become 0")
        require(np.all(A[Z > 0] == Z[Z > 0]), "positive inputs must pass through unchanged")
        require(A[0, 2] == 0, "ReLU(0) should be 0")

    def keeps_input():
        Z = np.random.default_rng(1).normal(size=(3, 4))
        before = Z.copy()
        fn(Z)
        require(np.array_equal(Z, before), "your function changed its input Z in place")

    return run_checks("relu", [
        zeros_negatives, keeps_input,
        lambda: compare_on_random(fn, model.relu, lambda r: (r.normal(size=(4, 7)),), "relu(Z)"),
    ], "negatives become 0, positives pass, the input is left alone, any shape works", quiet)


def check_softmax(fn: Callable[[np.ndarray], np.ndarray], quiet: bool = False) -> CheckResult:
    """``fn(Z)`` should be the row-wise softmax of an (n, K) array of logits, finite for any logits."""
    def probabilities():
        Z = _logits(np.random.default_rng(2))
        P = _shape(fn(Z.copy()), Z.shape, "softmax(Z)")
        require(bool(np.all(P >= 0)), "some probabilities are negative")
        sums = P.sum(axis=1)
        bad = int(np.argmax(np.abs(sums - 1)))
        require(np.allclose(sums, 1, atol=1e-6), f"rows do not sum to 1 (row {bad} sums to {sums[bad]:.4g}); "
                                                  "normalise each row, not the whole array")
        require(np.array_equal(P.argmax(axis=1), Z.argmax(axis=1)),
                "the largest logit of a row should get the largest probability")

    def shift_invariant():
        Z = _logits(np.random.default_rng(3))
        P = _array(fn(Z.copy()), "softmax(Z)")
        require(np.allclose(_array(fn(Z + 7.5), "softmax(Z + c)"), P, atol=1e-6),
                "adding the same number to every logit of a row changed the probabilities")

    def extreme_logits():
        Z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 - 1.0, -1e4 - 2.0]])
        with np.errstate(all="ignore"):
            P = _array(fn(Z.copy()), "softmax(Z)")
        require(P.shape == Z.shape, f"softmax(Z) has shape {P.shape}, expected {Z.shape}")
        require(bool(np.all(np.isfinite(P))), "logits of ±1e4 give inf or nan (exp overflows or every "
                                              "term underflows); see the section on overflow")

    return run_checks("softmax", [
        probabilities, shift_invariant, extreme_logits,
        lambda: compare_on_random(fn, model.softmax, lambda r: (_logits(r, 6, 10, 5.0),), "softmax(Z)"),
    ], "rows sum to 1, the order of the logits is kept, shift-invariant, finite for logits of ±1e4, "
       "and right on random logits", quiet)


def check_log_softmax(fn: Callable[[np.ndarray], np.ndarray], quiet: bool = False) -> CheckResult:
    """``fn(Z)`` should be log softmax(Z), row-wise, finite for any finite logits."""
    def exp_sums_to_one():
        Z = _logits(np.random.default_rng(4))
        L = _shape(fn(Z.copy()), Z.shape, "log_softmax(Z)")
        require(bool(np.all(L <= 1e-12)), "log-probabilities must be <= 0")
        require(np.allclose(np.exp(L).sum(axis=1), 1, atol=1e-6), "exp of each row does not sum to 1")

    def extreme_logits():
        Z = np.array([[1e4, 0.0, -1e4]])
        with np.errstate(all="ignore"):
            L = _array(fn(Z.copy()), "log_softmax(Z)")
        require(bool(np.all(np.isfinite(L))), "logits of ±1e4 give -inf or nan: never take log(softmax(Z))")
        require(abs(L[0, 2] + 2e4) < 1e-6 * 2e4, "the last entry for logits (1e4, 0, -1e4) should be -2e4")

    return run_checks("log_softmax", [
        exp_sums_to_one, extreme_logits,
        lambda: compare_on_random(fn, model.log_softmax, lambda r: (_logits(r, 6, 10, 5.0),), "log_softmax(Z)"),
    ], "exp of each row sums to 1, finite for logits of ±1e4, right on random logits", quiet)


def check_forward(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(params, X)`` should return the cache {"X", "Z1", "A1", "Z2", "P"} of the forward pass."""
    rng = np.random.default_rng(5)
    params, X, _ = _small_network(rng, n=7)

    def cache_shapes():
        cache = fn({k: v.copy() for k, v in params.items()}, X.copy())
        require(isinstance(cache, dict), f"forward should return a dict, got {type(cache).__name__}")
        missing = [k for k in ("Z1", "A1", "Z2", "P") if k not in cache]
        require(not missing, f"the cache is missing {', '.join(missing)}")
        H = params["W1"].shape[1]
        for key, shape in (("Z1", (7, H)), ("A1", (7, H)), ("Z2", (7, 10)), ("P", (7, 10))):
            _shape(cache[key], shape, f'cache["{key}"]')
        require(np.allclose(_array(cache["P"], "P").sum(axis=1), 1), 'rows of cache["P"] do not sum to 1')

    def each_stage():
        cache = fn({k: v.copy() for k, v in params.items()}, X.copy())
        want = model.forward(params, X)
        for key in ("Z1", "A1", "Z2", "P"):
            require(np.allclose(_array(cache[key], key), want[key], atol=1e-8),
                    f'cache["{key}"] is wrong on a random batch (the stages before it are right)')

    return run_checks("forward", [cache_shapes, each_stage],
                      "Z1, A1, Z2 and P have the right shapes and values on a random batch", quiet)


# --- chapter 4: loss ---------------------------------------------------------------------------


def check_cross_entropy(fn: Callable[[np.ndarray, np.ndarray], float], quiet: bool = False) -> CheckResult:
    """``fn(Z2, Y)`` should be the mean cross-entropy of one-hot Y under softmax(Z2), from the logits."""
    def scalar_and_uniform():
        value = _scalar(fn(np.zeros((4, 10)), np.eye(10)[[0, 3, 5, 9]]))
        require(abs(float(value) - math.log(10)) < 1e-6,
                f"equal logits should give a loss of log 10 = 2.302585 (got {float(value):.7g})")

    def mean_not_sum():
        rng = np.random.default_rng(6)
        Z, Y = _logits(rng, 3), _labels(rng, 3)
        one, two = _scalar(fn(Z.copy(), Y.copy())), _scalar(fn(np.vstack([Z, Z]), np.vstack([Y, Y])))
        require(abs(one - two) < 1e-9 * max(1, abs(one)),
                "the loss changed when the batch was repeated twice: average over the n examples")

    def extreme_logits():
        Z = np.array([[1e4, 0.0, -1e4] + [0.0] * 7, [-1e4, 1e4] + [0.0] * 8])
        Y = np.eye(10)[[2, 1]]
        with np.errstate(all="ignore"):
            value = _scalar(fn(Z, Y))
        require(math.isfinite(value), "logits of ±1e4 give an inf or nan loss: work from log-softmax")

    return run_checks("cross_entropy", [
        mean_not_sum, scalar_and_uniform, extreme_logits,
        lambda: compare_on_random(fn, model.cross_entropy, lambda r: (_logits(r, 8), _labels(r, 8)),
                                  "the loss", rtol=1e-6),
    ], "one number, log 10 for equal logits, a mean over examples, finite for logits of ±1e4, "
       "right on random batches", quiet)


# --- chapter 5: backward ---------------------------------------------------------------------


def check_relu_backward(fn: Callable[[np.ndarray, np.ndarray], np.ndarray], quiet: bool = False) -> CheckResult:
    """``fn(dA, Z)`` should be dL/dZ = dA ⊙ 1[Z > 0], checked against central differences."""
    def gradient():
        rng = np.random.default_rng(7)
        Z = rng.normal(size=(4, 6))
        Z[np.abs(Z) < 0.05] = 0.5  # keep away from the kink at 0, where the derivative jumps
        dA = rng.normal(size=Z.shape)
        got = _shape(fn(dA.copy(), Z.copy()), Z.shape, "relu_backward(dA, Z)")
        require(np.all(got[Z < 0] == 0), "the gradient must be 0 where Z < 0 (that unit was off)")
        gradient_matches(got, lambda z: float(np.sum(dA * model.relu(z))), Z, "relu_backward(dA, Z)")

    def argument_order():
        Z, dA = np.array([[1.0, -1.0]]), np.array([[-3.0, 2.0]])
        got = _array(fn(dA, Z), "relu_backward(dA, Z)")
        require(not np.allclose(got, Z * (dA > 0)), "the mask comes from Z (the second argument), "
                                                    "the values from dA (the first)")

    return run_checks("relu_backward", [argument_order, gradient],
                      "matches the numerical gradient; zero where the unit was off", quiet)


def check_backward(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(params, cache, Y)`` should return dL/dW1, dL/db1, dL/dW2, dL/db2 (gradient-checked)."""
    rng = np.random.default_rng(8)
    params, X, Y = _small_network(rng)

    def each_gradient():
        cache = model.forward(params, X)
        grads = fn({k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in cache.items()}, Y.copy())
        require(isinstance(grads, dict), f"backward should return a dict, got {type(grads).__name__}")
        missing = [k for k in ("W2", "b2", "W1", "b1") if k not in grads]
        require(not missing, f"the gradients of {', '.join(missing)} are missing")
        for name in ("b2", "W2", "b1", "W1"):  # in the order backpropagation computes them
            def loss_of(theta, name=name):
                return model.loss({**params, name: theta}, X, Y)
            gradient_matches(grads[name], loss_of, params[name], f"d{name}")

    return run_checks("backward", [each_gradient],
                      "dW1, db1, dW2 and db2 all match the numerical gradient of the loss", quiet)


# --- chapters 6 and 7: optimisation -------------------------------------------------------------


def _params_and_grads(rng: np.random.Generator):
    params, _, _ = _small_network(rng)
    return params, {k: rng.normal(size=v.shape) for k, v in params.items()}


def _compare_dicts(got, want: dict, what: str) -> None:
    require(isinstance(got, dict), f"{what} should be a dict of parameters, got {type(got).__name__}")
    for name in want:
        require(name in got, f"{what} is missing {name}")
        value = _shape(got[name], want[name].shape, f"{what}[{name!r}]")
        require(np.allclose(value, want[name], atol=1e-10), f"{what}[{name!r}] is wrong on a random step")


def check_gradient_descent_step(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(params, grads, alpha)`` should return new params θ − α ∂L/∂θ, leaving the inputs alone."""
    def one_step():
        params, grads = _params_and_grads(np.random.default_rng(9))
        before = {k: v.copy() for k, v in params.items()}
        new = fn(params, grads, 0.3)
        require(all(np.array_equal(params[k], before[k]) for k in params),
                "your function changed params in place: return new arrays")
        _compare_dicts(new, train.gradient_descent_step(before, grads, 0.3), "the new params")

    def downhill():
        params, grads = _params_and_grads(np.random.default_rng(10))
        new = fn({k: v.copy() for k, v in params.items()}, grads, 0.1)
        moved = sum(float(np.sum((new[k] - params[k]) * grads[k])) for k in params)
        require(moved < 0, "the step goes uphill: subtract the gradient")

    return run_checks("gradient_descent_step", [downhill, one_step],
                      "steps downhill by alpha times the gradient and returns new arrays", quiet)


def check_momentum_step(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(params, grads, velocity, lr, mu)`` should return (params, velocity) after one heavy-ball step."""
    def no_momentum_is_gradient_descent():
        params, grads = _params_and_grads(np.random.default_rng(11))
        zero = {k: np.zeros_like(v) for k, v in params.items()}
        out = fn({k: v.copy() for k, v in params.items()}, grads, zero, 0.2, 0.0)
        require(isinstance(out, tuple) and len(out) == 2, "return a pair (params, velocity)")
        _compare_dicts(out[0], train.gradient_descent_step(params, grads, 0.2),
                       "with mu = 0 the new params (plain gradient descent)")

    def three_steps():
        rng = np.random.default_rng(12)
        params, _ = _params_and_grads(rng)
        mine = ref = (params, {k: np.zeros_like(v) for k, v in params.items()})
        for step in range(3):
            grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
            mine = fn({k: v.copy() for k, v in mine[0].items()}, grads,
                      {k: v.copy() for k, v in mine[1].items()}, 0.1, 0.9)
            ref = train.momentum_step(ref[0], grads, ref[1], 0.1, 0.9)
            _compare_dicts(mine[1], ref[1], f"the velocity after step {step + 1}")
            _compare_dicts(mine[0], ref[0], f"the params after step {step + 1}")

    return run_checks("momentum_step", [no_momentum_is_gradient_descent, three_steps],
                      "mu = 0 is plain gradient descent, and three steps with mu = 0.9 match", quiet)


def check_l2_gradient(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(params, grads, lam)``: gradient of L + (λ/2)(‖W1‖² + ‖W2‖²); biases not penalised."""
    def penalty():
        params, grads = _params_and_grads(np.random.default_rng(13))
        out = fn(params, {k: v.copy() for k, v in grads.items()}, 0.01)
        require(isinstance(out, dict), f"return a dict of gradients, got {type(out).__name__}")
        for b in ("b1", "b2"):
            require(b in out and np.allclose(_array(out[b], b), grads[b]), f"the gradient of {b} "
                    "changed: the penalty is on the weights only")
        _compare_dicts(out, train.l2_gradient(params, grads, 0.01), "the penalised gradients")

    return run_checks("l2_gradient", [penalty], "adds lambda W to dW1 and dW2 and leaves the biases", quiet)


CHECKS = {name[len("check_"):]: f for name, f in globals().items() if name.startswith("check_")}
"""Every self-check by the name of the function it checks."""
