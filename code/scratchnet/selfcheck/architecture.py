"""Self-checks of chapter 2, architecture: He initialisation, and (graded) Glorot's uniform
initialisation."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from scratchnet.selfcheck.harness import CheckResult, registered, require, run_checks, shaped


@registered
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
        require(isinstance(params, dict), "return a dict of parameters, got "
                                          f"{type(params).__name__}")
        missing = [k for k in shapes if k not in params]
        require(not missing, f"the parameters {', '.join(missing)} are missing")
        out = {}
        for name, shape in shapes.items():
            out[name] = shaped(params[name], shape, f'params["{name}"]')
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
                "two generators with the same seed gave different weights: draw every number from "
                "rng")
        require(not np.array_equal(one["W1"], other["W1"]),
                "generators with different seeds gave the same weights: draw from rng, not a "
                "fixed seed")
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
                    f"the variance of {name} is {ratio:.3g} times what He's rule asks for its "
                    "fan-in")
            kurtosis = float(np.mean((W - W.mean()) ** 4) / W.var() ** 2)
            require(abs(kurtosis - 3) < 8 * math.sqrt(24.0 / size),
                    f"the weights of {name} are not normally distributed (a normal distribution "
                    f"has kurtosis 3, yours {kurtosis:.2f})")

    return run_checks("init_he", [lambda: draw(20), biases, uses_rng, statistics],
                      "right shapes, zero biases, all drawn from rng, and weights with mean 0, "
                      "variance 2/fan_in and a normal shape", quiet)


@registered
def check_init_glorot_uniform(fn: Callable, quiet: bool = False, seed: int = 0) -> CheckResult:
    """``fn(n_hidden, rng)`` should return Glorot-uniform params: W ~ U(-a, a) with
    a = sqrt(6 / (fan_in + fan_out)), so Var(w) = 2 / (fan_in + fan_out); biases 0.

    Shapes W1 (784, H), b1 (H,), W2 (H, 10), b2 (10,); every random number drawn from ``rng``.
    The statistics are of large draws (H from 300 to 600, drawn from ``seed``).
    """
    rng = np.random.default_rng(seed)
    H = int(rng.integers(300, 601))
    shapes = {"W1": (784, H), "b1": (H,), "W2": (H, 10), "b2": (10,)}
    fans = {"W1": (784, H), "W2": (H, 10)}

    def draw(draw_seed: int) -> dict:
        params = fn(H, np.random.default_rng(draw_seed))
        require(isinstance(params, dict), "return a dict of parameters, got "
                                          f"{type(params).__name__}")
        missing = [k for k in shapes if k not in params]
        require(not missing, f"the parameters {', '.join(missing)} are missing")
        return {name: shaped(params[name], shape, f'params["{name}"]')
                for name, shape in shapes.items()}

    seeds = [int(s) for s in rng.integers(0, 2**31, size=3)]

    def biases():
        params = draw(seeds[0])
        for name in ("b1", "b2"):
            require(np.all(params[name] == 0), f"the biases {name} should start at 0")

    def uses_rng():
        one, again, other = draw(seeds[1]), draw(seeds[1]), draw(seeds[2])
        require(all(np.array_equal(one[k], again[k]) for k in shapes),
                "two generators with the same seed gave different weights: draw every number from "
                "rng")
        require(not np.array_equal(one["W1"], other["W1"]),
                "generators with different seeds gave the same weights: draw from rng, not a "
                "fixed seed")

    def statistics():
        params = draw(seeds[0])
        for name, (fan_in, fan_out) in fans.items():
            W, a = params[name], math.sqrt(6.0 / (fan_in + fan_out))
            require(abs(W.mean()) < 6 * math.sqrt(W.var() / W.size),
                    f"the weights of {name} do not have mean 0 (mean {W.mean():.3g})")
            ratio = W.var() / (2.0 / (fan_in + fan_out))
            require(abs(ratio - 1) < 8 * math.sqrt(0.8 / W.size),
                    f"the variance of {name} is {ratio:.3g} times 2/(fan_in + fan_out)")
            require(np.abs(W).max() <= a * (1 + 1e-12),
                    f"some weights of {name} lie outside [-a, a] with a = sqrt(6/(fan_in + "
                    "fan_out)): a uniform distribution has no tails")
            kurtosis = float(np.mean((W - W.mean()) ** 4) / W.var() ** 2)
            require(abs(kurtosis - 1.8) < 8 * math.sqrt(1.4 / W.size),   # 8 standard errors
                    f"the weights of {name} are not uniformly distributed (a uniform distribution "
                    f"has kurtosis 1.8, yours {kurtosis:.2f})")

    return run_checks("init_glorot_uniform", [lambda: draw(seeds[0]), biases, uses_rng,
                                              statistics],
                      "right shapes, zero biases, all drawn from rng, and weights uniform on "
                      "[-a, a] with variance 2/(fan_in + fan_out)", quiet)
