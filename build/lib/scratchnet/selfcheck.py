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


# --- chapters 7 and 8: mini-batches, learning-rate schedules, confusion matrix (exercises) ------

import warnings as _warnings

from . import evaluate as _evaluate


def _index_batches(fn: Callable, n: int, batch_size: int, seed) -> list[np.ndarray]:
    """The batches of one epoch from the reader's ``fn(n, batch_size, rng)``, as integer arrays."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = fn(n, batch_size, rng)
    require(out is not None, "your function returned None (did you forget to yield or return the batches?)")
    try:
        batches = list(out)
    except TypeError:
        raise CheckFailed(f"the result should be an iterable of index arrays, got {type(out).__name__}")
    arrays = []
    for number, batch in enumerate(batches):
        array = np.asarray(batch)
        require(array.ndim == 1, f"batch {number} has shape {array.shape}: each batch should be a "
                                 "one-dimensional array of row indices")
        require(array.size == 0 or np.issubdtype(array.dtype, np.integer),
                f"batch {number} holds {array.dtype} values: each batch should hold integer row "
                "indices (a boolean mask or a block of rows is not what is asked)")
        arrays.append(array.astype(np.int64))
    return arrays


def check_minibatches(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(n, batch_size, rng)`` should give the index arrays of one epoch: every row once, shuffled."""
    def every_index_once():
        n = 103
        batches = _index_batches(fn, n, 10, 14)
        require(len(batches) > 0, "no batches at all for n = 103")
        everything = np.concatenate(batches)
        require(bool(np.all((everything >= 0) & (everything < n))),
                "some indices lie outside 0 .. n-1")
        counts = np.bincount(everything, minlength=n)
        missing, repeated = int(np.sum(counts == 0)), int(np.sum(counts > 1))
        require(missing == 0 and repeated == 0,
                f"in one epoch of n = {n} rows, {missing} rows never appear and {repeated} appear more "
                "than once: every row must be used exactly once per epoch")

    def batch_sizes():
        for n, size in ((103, 10), (100, 10), (7, 3), (5, 8), (1, 1)):
            sizes = [len(b) for b in _index_batches(fn, n, size, 15)]
            full, rest = divmod(n, size)
            want = [size] * full + ([rest] if rest else [])
            require(sizes == want, f"for n = {n} and batch_size = {size} the batch sizes are {sizes}: "
                                   "all batches should be full except perhaps the last, which holds "
                                   "the remainder (and no batch may be empty)")

    def shuffled():
        n = 100
        batches = _index_batches(fn, n, 10, 16)
        order = np.concatenate(batches)
        require(not np.array_equal(order, np.arange(n)), "the rows come in their original order: "
                                                         "shuffle them")
        runs = sum(bool(np.all(np.diff(np.sort(b)) == 1)) for b in batches)
        require(runs < len(batches), "every batch is a block of consecutive rows: shuffle the rows "
                                     "themselves, not only the order of the batches")

    def uses_the_generator():
        first = np.concatenate(_index_batches(fn, 50, 7, 17))
        again = np.concatenate(_index_batches(fn, 50, 7, 17))
        require(np.array_equal(first, again), "two generators with the same seed gave different batches: "
                                              "draw the order from the rng argument (not np.random)")
        other = np.concatenate(_index_batches(fn, 50, 7, 18))
        require(not np.array_equal(first, other), "generators with different seeds gave the same batches: "
                                                  "draw the order from the rng argument")

    def fresh_order_each_epoch():
        rng = np.random.default_rng(19)
        one = np.concatenate(_index_batches(fn, 60, 8, rng))
        two = np.concatenate(_index_batches(fn, 60, 8, rng))
        require(not np.array_equal(one, two), "two epochs drawn from the same generator have the same "
                                              "order: each call should draw a fresh permutation")

    return run_checks("minibatches", [
        every_index_once, batch_sizes, shuffled, uses_the_generator, fresh_order_each_epoch,
    ], "every row exactly once per epoch, full batches and a remainder, shuffled rows, a fresh order "
       "each epoch, reproducible from the generator", quiet)


def _rate(fn: Callable, epoch: int, epochs: int, base: float, schedule: str) -> float:
    value = fn(epoch, epochs, base, schedule)
    require(value is not None, f"the {schedule} rate is None (did you forget to return it?)")
    require(np.ndim(value) == 0, f"the {schedule} rate should be one number, got shape {np.shape(value)}")
    value = float(value)
    require(math.isfinite(value), f"the {schedule} rate at epoch {epoch} of {epochs} is not finite")
    return value


def check_learning_rate(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(epoch, epochs, base, schedule)``: eta_e for epoch e = 0 .. E-1 ("constant", "step", "cosine")."""
    def constant():
        rates = [_rate(fn, e, 12, 0.3, "constant") for e in range(12)]
        require(all(abs(r - 0.3) < 1e-12 for r in rates), "the constant schedule should return the "
                                                          "base rate in every epoch")

    def cosine_shape():
        E, base = 20, 0.25
        rates = np.array([_rate(fn, e, E, base, "cosine") for e in range(E)])
        require(abs(rates[0] - base) < 1e-12, "the cosine schedule should start at the base rate in "
                                              "epoch e = 0 (epochs are counted from 0)")
        require(abs(rates[E // 2] - base / 2) < 1e-12, "half-way (e = E/2) the cosine rate should be "
                                                       "half the base rate")
        require(bool(np.all(np.diff(rates) < 0)), "the cosine rate should fall from every epoch to the next")
        require(bool(np.all(rates > 0)), "the cosine rate should stay above 0 in epochs 0 .. E-1")

    def step_shape():
        for E in (10, 7):
            rates = np.array([_rate(fn, e, E, 0.2, "step") for e in range(E)])
            first = np.arange(E) < E / 2
            require(np.allclose(rates[first], 0.2, rtol=1e-12),
                    f"with E = {E} the step schedule should keep the base rate for e < E/2")
            require(np.allclose(rates[~first], 0.02, rtol=1e-12),
                    f"with E = {E} the step schedule should use a tenth of the base rate for e >= E/2")

    def random_settings():
        rng = np.random.default_rng(20)
        for _ in range(20):
            E = int(rng.integers(1, 60))
            e, base = int(rng.integers(0, E)), float(rng.uniform(0.001, 1.0))
            for schedule in ("constant", "step", "cosine"):
                got, want = _rate(fn, e, E, base, schedule), train.learning_rate(e, E, base, schedule)
                require(abs(got - want) <= 1e-9 * base, f"the {schedule} rate is wrong on a random "
                                                         f"setting (epoch {e} of {E})")

    def unknown_schedule():
        try:
            value = fn(0, 10, 0.1, "linear")
        except ValueError:
            return
        except NotImplementedError:
            raise
        except Exception as error:
            raise CheckFailed(f"an unknown schedule name should raise ValueError, not {type(error).__name__}")
        raise CheckFailed(f"an unknown schedule name should raise ValueError (got {value!r})")

    return run_checks("learning_rate", [
        constant, cosine_shape, step_shape, random_settings, unknown_schedule,
    ], "constant, step and cosine rates are right from epoch 0 to E-1, and an unknown schedule "
       "raises ValueError", quiet)


def _counts(value, K: int) -> np.ndarray:
    C = _shape(value, (K, K), "the confusion matrix")
    require(bool(np.all(C == np.round(C))) and bool(np.all(C >= 0)),
            "the confusion matrix should hold counts: whole numbers >= 0")
    return C


def check_confusion_matrix(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(y_true, y_pred, n_classes)`` should return C (K, K), C_jk = #{i: y_i = j, predicted k}."""
    def orientation():
        C = _counts(fn(np.array([0]), np.array([2]), 3), 3)
        require(not (C[2, 0] == 1 and C[0, 2] == 0), "the matrix is transposed: row j is the true "
                                                     "class, column k the predicted class")
        require(C[0, 2] == 1 and C.sum() == 1, "one example of class 0 predicted as 2 should give a "
                                               "single count, in row 0 and column 2")

    def repeated_pairs():
        C = _counts(fn(np.array([1, 1, 1, 2]), np.array([1, 1, 1, 0]), 3), 3)
        require(C[1, 1] == 3, f"three examples of class 1 predicted as 1 give a count of {C[1, 1]:g} "
                              "in that cell, not 3: every example must add 1, also when its (true, "
                              "predicted) pair occurred before")

    def all_classes_present():
        C = _array(fn(np.array([0, 1, 2]), np.array([0, 1, 2]), 10), "the confusion matrix")
        require(C.shape == (10, 10), f"with n_classes = 10 the matrix should be 10 x 10 even when only "
                                     f"three classes occur (got shape {C.shape})")

    def totals():
        rng = np.random.default_rng(21)
        y_true, y_pred = rng.integers(0, 10, 200), rng.integers(0, 10, 200)
        C = _counts(fn(y_true.copy(), y_pred.copy(), 10), 10)
        require(C.sum() == 200, f"the counts add up to {C.sum():g}, not to the n = 200 examples")
        require(np.array_equal(C.sum(axis=1), np.bincount(y_true, minlength=10)),
                "row sums should be the number of examples of each true class")
        require(np.trace(C) == np.sum(y_true == y_pred), "the diagonal should count the correct "
                                                         "predictions")

    def make_args(rng):
        n = int(rng.integers(1, 300))
        return rng.integers(0, 10, n), rng.integers(0, 10, n), 10

    return run_checks("confusion_matrix", [
        orientation, repeated_pairs, all_classes_present, totals,
        lambda: compare_on_random(fn, _evaluate.confusion_matrix, make_args, "the confusion matrix",
                                  seed=22),
    ], "rows are true classes, columns predictions, every example counted once, the right size, "
       "right on random labels", quiet)


def _per_class(fn: Callable, C: np.ndarray) -> np.ndarray:
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 for an absent class is the reader's choice
        with np.errstate(all="ignore"):
            value = fn(C.copy())
    array = _array(value, "the per-class accuracy")
    require(array.shape == (len(C),), f"the per-class accuracy has shape {array.shape}, expected "
                                      f"({len(C)},): one number per class")
    return array


def check_per_class_accuracy(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(C)`` should return acc_j = C_jj / sum_k C_jk for each class j (nan for an absent class)."""
    def rows_not_columns():
        C = np.array([[8, 2, 0], [1, 12, 0], [1, 3, 6]])
        acc = _per_class(fn, C)
        require(bool(np.all(np.isfinite(acc))), "every class occurs here, so every accuracy should be "
                                                "a finite number")
        columns = np.diag(C) / C.sum(axis=0)
        require(not np.allclose(acc, columns), "you divided by the column sums (how often a class was "
                                               "predicted); divide by the row sums (how many examples "
                                               "the class has)")
        require(not np.allclose(acc, np.diag(C) / C.sum()), "you divided by the number of all "
                                                             "examples; divide by the size of each class")
        require(bool(np.all((acc >= 0) & (acc <= 1))), "an accuracy lies between 0 and 1")
        require(np.allclose(acc, np.diag(C) / C.sum(axis=1)), "the per-class accuracy is wrong on a "
                                                               "3 x 3 matrix")

    def absent_class():
        C = np.array([[5, 1, 0], [0, 0, 0], [2, 0, 4]])
        acc = _per_class(fn, C)
        require(bool(np.isnan(acc[1])), f"class 1 has no examples, so it has no accuracy: return nan for "
                                        f"it (got {acc[1]:.3g})")
        require(bool(np.all(np.isfinite(acc[[0, 2]]))), "the classes that do occur should get finite "
                                                        "accuracies")

    def make_args(rng):
        K = int(rng.integers(2, 12))
        return (rng.integers(0, 30, (K, K)) + np.eye(K, dtype=np.int64),)

    return run_checks("per_class_accuracy", [
        rows_not_columns, absent_class,
        lambda: compare_on_random(fn, _evaluate.per_class_accuracy, make_args, "the per-class accuracy",
                                  seed=23),
    ], "divides the diagonal by the row sums, nan for a class without examples, right on random "
       "matrices", quiet)


CHECKS.update({name[len("check_"):]: f for name, f in globals().items() if name.startswith("check_")})


# --- chapters 1 and 2: data and architecture (exercise self-checks, appended) -------------------


def _csv_text(rng: np.random.Generator, n: int, header: str | None):
    """A Kaggle-style CSV of n random digits: (text, images uint8 (n, 28, 28), labels uint8 (n,))."""
    images = np.where(rng.random((n, 784)) < 0.6, 0, rng.integers(1, 256, size=(n, 784)))
    images[0, :3] = (255, 0, 1)                      # the extremes appear in every file
    labels = rng.permutation(10)[:n] if n <= 10 else rng.integers(0, 10, size=n)
    lines = [] if header is None else [header]
    lines += [",".join(map(str, [label, *row])) for label, row in zip(labels, images)]
    return "\n".join(lines) + "\n", images.reshape(n, 28, 28).astype(np.uint8), labels.astype(np.uint8)


def check_read_csv(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(path)`` should read a Kaggle-style CSV into (images uint8 (n, 28, 28), labels uint8 (n,)).

    Layouts: header ``label,pixel0,…,pixel783``, header ``label,pixel1,…,pixel784``, or no header.
    It must refuse (raise any exception) a row without 785 values, a value that is not a whole
    number, a pixel outside 0–255, a label outside 0–9, and a file without data rows.
    """
    import tempfile
    from pathlib import Path

    headers = {"a 'label,pixel0,…,pixel783' header": "label," + ",".join(f"pixel{j}" for j in range(784)),
               "a 'label,pixel1,…,pixel784' header": "label," + ",".join(f"pixel{j}" for j in range(1, 785)),
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
                    f"images and labels should be uint8 (got {got_images.dtype} and {got_labels.dtype})")
            require(np.array_equal(got_labels, labels), f"for a file with {what} the labels are wrong")
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
                      "non-integers, pixels outside 0–255, labels outside 0–9 and empty files", quiet)


def check_init_he(fn: Callable, quiet: bool = False) -> CheckResult:
    """``fn(n_hidden, rng)`` should return He-initialised params: W ~ N(0, 2/fan_in), b = 0.

    Shapes W1 (784, H), b1 (H,), W2 (H, 10), b2 (10,); every random number drawn from ``rng``.
    The check looks at statistics of one large draw (H = 500), so a right answer passes with
    overwhelming probability and never by luck of the seed.
    """
    H = 500
    shapes = {"W1": (784, H), "b1": (H,), "W2": (H, 10), "b2": (10,)}

    def draw(seed: int) -> dict:
        params = fn(H, np.random.default_rng(seed))
        require(isinstance(params, dict), f"return a dict of parameters, got {type(params).__name__}")
        missing = [k for k in shapes if k not in params]
        require(not missing, f"the parameters {', '.join(missing)} are missing")
        out = {}
        for name, shape in shapes.items():
            out[name] = _shape(params[name], shape, f'params["{name}"]')
            require(np.issubdtype(np.asarray(params[name]).dtype, np.floating),
                    f'params["{name}"] should hold floating-point numbers')
        return out

    def biases():
        params = draw(16)
        for name in ("b1", "b2"):
            require(np.all(params[name] == 0), f"the biases {name} should start at 0")

    def uses_rng():
        one, again, other = draw(17), draw(17), draw(18)
        require(all(np.array_equal(one[k], again[k]) for k in shapes),
                "two generators with the same seed gave different weights: draw every number from rng")
        require(not np.array_equal(one["W1"], other["W1"]),
                "generators with different seeds gave the same weights: draw from rng, not a fixed seed")
        W1 = one["W1"]
        require(not np.allclose(W1[:, 0], W1[:, 1]) and not np.allclose(W1[0], W1[1]),
                "some rows or columns of W1 are identical: draw every weight independently")

    def statistics():
        params = draw(19)
        for name, fan_in in (("W1", 784), ("W2", H)):
            W = params[name]
            target, size = 2.0 / fan_in, W.size
            require(abs(W.mean()) < 6 * math.sqrt(W.var() / size),
                    f"the weights of {name} do not have mean 0 (mean {W.mean():.3g})")
            ratio = W.var() / target
            tolerance = 8 * math.sqrt(2.0 / size)            # 8 standard errors of the variance
            require(abs(ratio - 1) < tolerance,
                    f"the variance of {name} is {ratio:.3g} times what He's rule asks for its fan-in")
            kurtosis = float(np.mean((W - W.mean()) ** 4) / W.var() ** 2)
            require(abs(kurtosis - 3) < 8 * math.sqrt(24.0 / size),
                    f"the weights of {name} are not normally distributed (a normal distribution "
                    f"has kurtosis 3, yours {kurtosis:.2f})")

    return run_checks("init_he", [lambda: draw(20), biases, uses_rng, statistics],
                      "right shapes, zero biases, all drawn from rng, and weights with mean 0, "
                      "variance 2/fan_in and a normal shape", quiet)


CHECKS.update({"read_csv": check_read_csv, "init_he": check_init_he})
