"""Numerical gradient checking (chapter 5): does ``backward`` compute the derivative of ``loss``?

The analytic gradient g = dL/dtheta from the chain rule is compared with central differences

    g_num[j] = (L(theta + eps e_j) - L(theta - eps e_j)) / (2 eps),

whose error is O(eps^2) for smooth L. Run it in float64: in float32 the rounding error of L,
about 1e-7 |L| / eps, swamps the comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], theta: np.ndarray, eps: float = 1e-6,
                       indices: Iterable[tuple[int, ...]] | None = None) -> np.ndarray:
    """Central differences g_num[j] = (f(theta + eps e_j) - f(theta - eps e_j)) / (2 eps).

    ``f`` maps an array shaped like ``theta`` to a number. Every entry j of ``theta`` is
    perturbed, or only those in ``indices`` (the other entries of the result stay nan).
    The perturbation happens in ``theta``'s own floating dtype (integers become float64), so a
    float32 ``theta`` shows float32's limits. ``theta`` is left unchanged; the result has its
    shape and is float64.
    """
    # a private floating-point copy
    theta = np.array(theta, dtype=np.result_type(np.asarray(theta), np.float16))
    g = np.full(theta.shape, np.nan)
    for j in (np.ndindex(theta.shape) if indices is None else indices):
        j = tuple(j)
        saved = theta[j]
        theta[j] = saved + eps
        f_plus = f(theta)
        theta[j] = saved - eps
        f_minus = f(theta)
        theta[j] = saved
        g[j] = (f_plus - f_minus) / (2 * eps)
    return g


def relative_error(a: np.ndarray, b: np.ndarray, tiny: float = 1e-12) -> float:
    """max_j |a_j - b_j| / max(|a_j| + |b_j|, tiny): 0 for equal arrays, 1 for a = -b.

    Scale-free, so one threshold (1e-6 in float64) serves gradients of any size. ``tiny`` is an
    absolute floor: it keeps entries where both are 0 from dividing by zero and, set larger, judges
    entries smaller than itself by their absolute error |a_j - b_j| / tiny (a central difference
    is only known to about machine-epsilon * |L| / eps). nan entries (not checked) are skipped.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    checked = ~(np.isnan(a) | np.isnan(b))
    a, b = a[checked], b[checked]
    if a.size == 0:
        raise ValueError("relative_error: no entry to compare")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), tiny)))
