"""The fast path's batch transform: the distortions of ``scratchnet.augment`` in float32.

The readable maps compute every source point and every interpolation in float64. Here
:func:`distort_fast` draws the same random numbers in the same order and computes the same map,
p_s = A^{-1}(p - p0 - t) + p0 (+ alpha K u K^T for elastic distortions), in float32, and
:func:`bilinear_fast` reads the four neighbours of every point from one zero-padded copy of the
batch. Pixels agree with the readable ones to rounding (``DISTORTION_TOLERANCE``), not bit for bit.
:func:`augmentation_fast` is the transform ``scratchnet.fast`` trains with. Rows are examples:
X (n, 784) in, X' (n, 784) out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from scratchnet import SIDE
from scratchnet.augment import CENTRE, Transform, gaussian_matrix, random_flip, random_maps

if TYPE_CHECKING:
    from scratchnet.train import TrainConfig

PAD = SIDE + 3
"""Side of the zero-padded image :func:`bilinear_fast` reads: one zero row (column) before, two
after, so that every neighbour of a point clipped to [-1, 28] is inside."""


GRID = (np.indices((SIDE, SIDE)).reshape(2, -1) - CENTRE).astype(np.float32)
"""The pixel coordinates p - p0 of the output image, rows and columns (2, 784), centred."""

DISTORTION_TOLERANCE = 1e-5
"""How far (per pixel, pixels in [0, 1]) the float32 distortions of :func:`distort_fast` may be
from the readable float64 ones: rounding of the coordinates, not a different map
(``tests/test_fast.py`` checks it)."""


def sample_points_fast(theta: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``augment.affine_sample_points`` in float32: p_s = A^{-1}(p - p0 - t) + p0, (n, 2, 784).

    Each coordinate is written into its place (a product, then the other term added), so no
    (n, 784) temporary is made for the sum; the operations, and so the numbers, are unchanged.
    """
    rows, cols = GRID
    shift = shift.astype(np.float32)
    r, c = rows[None] - shift[:, :1], cols[None] - shift[:, 1:]
    cos = (np.cos(theta) / scale).astype(np.float32)[:, None]        # A^{-1} = R(-theta) / s
    sin = (np.sin(theta) / scale).astype(np.float32)[:, None]
    points = np.empty((len(theta), 2, SIDE * SIDE), dtype=np.float32)
    np.multiply(cos, r, out=points[:, 0])
    points[:, 0] += sin * c                                          # cos r + sin c
    np.multiply(cos, c, out=points[:, 1])
    points[:, 1] -= sin * r                                          # cos c - sin r
    points += np.float32(CENTRE)
    return points


def bilinear_fast(X: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``augment.bilinear`` on flat indices: I = (1 - f_r)[(1 - f_c) I00 + f_c I01]
    + f_r[(1 - f_c) I10 + f_c I11], written as top + f_r (bottom - top).

    Points are clipped to [-1, 28] first (the image is 0 there and beyond), and the four
    neighbours read with ``np.take`` from one zero-padded copy of the batch.
    X (n, 784), points (n, 2, 784) -> (n, 784).
    """
    n = len(X)
    padded = np.zeros((n, PAD, PAD), dtype=X.dtype)
    padded[:, 1:SIDE + 1, 1:SIDE + 1] = X.reshape(n, SIDE, SIDE)
    points = np.clip(points, -1, SIDE)
    base = np.floor(points)
    f_r, f_c = points[:, 0] - base[:, 0], points[:, 1] - base[:, 1]
    k = base[:, 0] * np.float32(PAD)          # the flat index of I00, exact in float32 (< 2^24)
    k += base[:, 1]
    k += (PAD + 1 + PAD * PAD * np.arange(n, dtype=np.float32))[:, None]
    k = k.astype(np.intp)
    flat = padded.reshape(-1)
    i00, i01, i10, i11 = (flat.take(k + d) for d in (0, 1, PAD, PAD + 1))
    i01 -= i00                                # top = I00 + f_c (I01 - I00), in place
    i01 *= f_c
    i01 += i00
    i11 -= i10                                # bottom = I10 + f_c (I11 - I10)
    i11 *= f_c
    i11 += i10
    i11 -= i01                                # top + f_r (bottom - top)
    i11 *= f_r
    i11 += i01
    return i11


def distort_fast(X: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float,
                 max_degrees: float, max_scale: float, max_shift: float) -> np.ndarray:
    """``augment.random_elastic`` (alpha > 0) or ``augment.random_affine`` (alpha = 0) in float32:
    the same random draws in the same order, the same map p_s = A^{-1}(p - p0 - t) + p0
    + alpha K u K^T, clipped to [0, 1]. X (n, 784) -> (n, 784) of the same dtype."""
    n = len(X)
    points = sample_points_fast(*random_maps(n, rng, max_degrees, max_scale, max_shift))
    if alpha > 0:
        u = rng.random((n, 2, SIDE, SIDE), dtype=np.float32)
        u *= 2
        u -= 1
        K = gaussian_matrix(sigma).astype(np.float32)
        points += (np.float32(alpha) * (K @ u @ K)).reshape(n, 2, SIDE * SIDE)
    out = bilinear_fast(X, points)
    np.clip(out, 0, 1, out=out)
    return out.astype(X.dtype, copy=False)


def augmentation_fast(config: TrainConfig) -> Transform:
    """``augment.augmentation`` with :func:`distort_fast` for the affine maps and elastic
    distortions; the flip is the readable one (it only copies rows)."""
    def transform(Xb, rng):
        if config.augment:
            Xb = distort_fast(Xb, rng, config.elastic, config.elastic_sigma, config.max_degrees,
                              config.max_scale, config.max_shift)
        if config.flip:
            Xb = random_flip(Xb, rng)
        return Xb

    return transform
