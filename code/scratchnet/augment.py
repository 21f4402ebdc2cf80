"""Data augmentation in NumPy: random affine maps (rotation, scale, shift) and elastic distortions.

Each image is resampled at the points of an affine map of the output grid. For the output pixel
at (r, c), measured from the image centre (r0, c0) = (13.5, 13.5), the source point is

    [r_s, c_s]^T = A^{-1} ([r, c]^T - [r0, c0]^T - t) + [r0, c0]^T,
    A = s R(theta),  R(theta) = [[cos theta, -sin theta], [sin theta, cos theta]],

and its intensity is interpolated bilinearly from the four nearest source pixels (zero outside).
An elastic distortion (Simard, Steinkraus & Platt 2003) adds to every source point its own smooth
random displacement d(r, c) = alpha (G_sigma * u)(r, c), white noise u ~ U[-1, 1]^2 per pixel
blurred by a Gaussian of width sigma and scaled by alpha pixels: strokes bend as a hand bends them.
Rows are examples: X (n, 784) in, X' (n, 784) out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from scratchnet import N_PIXELS, SIDE  # images are SIDE x SIDE = N_PIXELS pixels

if TYPE_CHECKING:
    from scratchnet.train import TrainConfig

CENTRE = (SIDE - 1) / 2


def affine_sample_points(theta: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Source coordinates (n, 2, 784) of the maps A_i = s_i R(theta_i), translations t_i (n, 2)."""
    rows, cols = np.indices((SIDE, SIDE)).reshape(2, -1) - CENTRE      # (2, 784), centred
    out = np.stack([rows, cols])[None] - shift[:, :, None]             # (n, 2, 784)
    cos, sin = np.cos(theta)[:, None] / scale[:, None], np.sin(theta)[:, None] / scale[:, None]
    # A^{-1} = R(-theta) / s
    r_src = cos * out[:, 0] + sin * out[:, 1]
    c_src = -sin * out[:, 0] + cos * out[:, 1]
    return np.stack([r_src, c_src], axis=1) + CENTRE


def bilinear(images: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear interpolation: I(r, c) = sum over the 4 neighbours (r_j, c_j) of
    (1 - |r - r_j|)(1 - |c - c_j|) I[r_j, c_j], with I = 0 outside the image.

    images (n, 28, 28), points (n, 2, m) -> values (n, m).
    """
    n = len(images)
    r, c = points[:, 0], points[:, 1]
    r0, c0 = np.floor(r).astype(np.int64), np.floor(c).astype(np.int64)
    fr, fc = r - r0, c - c0
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))                   # zero border
    flat = padded.reshape(n, -1)
    width = SIDE + 2
    base = np.arange(n)[:, None]

    def pick(dr, dc):
        rr = np.clip(r0 + dr + 1, 0, width - 1)
        cc = np.clip(c0 + dc + 1, 0, width - 1)
        return flat[base, rr * width + cc]

    return ((1 - fr) * (1 - fc) * pick(0, 0) + (1 - fr) * fc * pick(0, 1)
            + fr * (1 - fc) * pick(1, 0) + fr * fc * pick(1, 1))


def random_maps(n: int, rng: np.random.Generator, max_degrees: float, max_scale: float,
                max_shift: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n random affine maps: theta ~ U[-d, d] degrees (in radians), s ~ U[1 - m, 1 + m],
    t ~ U[-k, k]^2 pixels, drawn in that order. Returns theta (n,), s (n,), t (n, 2)."""
    theta = np.deg2rad(rng.uniform(-max_degrees, max_degrees, n))
    scale = rng.uniform(1 - max_scale, 1 + max_scale, n)
    shift = rng.uniform(-max_shift, max_shift, (n, 2))
    return theta, scale, shift


def random_affine(X: np.ndarray, rng: np.random.Generator, max_degrees: float = 10.0,
                  max_scale: float = 0.1, max_shift: float = 2.0) -> np.ndarray:
    """Apply to each row its own random map: theta ~ U[-d, d] degrees, s ~ U[1 - m, 1 + m],
    t ~ U[-k, k]^2 pixels. X (n, 784) -> (n, 784) of the same dtype."""
    n = len(X)
    points = affine_sample_points(*random_maps(n, rng, max_degrees, max_scale, max_shift))
    out = bilinear(X.reshape(n, SIDE, SIDE), points)
    return np.clip(out, 0, 1).astype(X.dtype)


def gaussian_matrix(sigma: float, side: int = SIDE) -> np.ndarray:
    """K (side, side) with K_ij = exp(-(i - j)^2 / (2 sigma^2)) / (sqrt(2 pi) sigma).

    The 2-D Gaussian blur is separable: G_sigma * u = K u K^T blurs along the columns of u, then
    along its rows (K is symmetric), with u taken as zero outside the image.
    """
    i = np.arange(side)
    return np.exp(-(i[:, None] - i[None, :]) ** 2 / (2 * sigma ** 2)) / (np.sqrt(2 * np.pi) * sigma)


def elastic_field(u: np.ndarray, alpha: float, sigma: float) -> np.ndarray:
    """The displacements d = alpha K u K^T of white noise u (n, 2, 28, 28), one field per row
    and per coordinate (rows, columns): (n, 2, 784) in pixels."""
    K = gaussian_matrix(sigma)
    return (alpha * (K @ u @ K.T)).reshape(len(u), 2, N_PIXELS)


def random_elastic(X: np.ndarray, rng: np.random.Generator, alpha: float = 34.0,
                   sigma: float = 4.0, max_degrees: float = 5.0, max_scale: float = 0.05,
                   max_shift: float = 1.0) -> np.ndarray:
    """An elastic distortion of each row on top of its own small affine map:

    p_s = A^{-1}(p - p0 - t) + p0 + d(p),   d = alpha (G_sigma * u),   u ~ U[-1, 1]^(2 x 28 x 28),

    the map's theta, s, t drawn as in ``random_affine``, then u (float32); bilinear interpolation
    at p_s, clipped to [0, 1]. X (n, 784) -> (n, 784) of the same dtype.
    """
    n = len(X)
    maps = random_maps(n, rng, max_degrees, max_scale, max_shift)
    u = 2 * rng.random((n, 2, SIDE, SIDE), dtype=np.float32) - 1
    points = affine_sample_points(*maps) + elastic_field(u, alpha, sigma)
    out = bilinear(X.reshape(n, SIDE, SIDE), points)
    return np.clip(out, 0, 1).astype(X.dtype)


def shift_images(X: np.ndarray, dr: int, dc: int) -> np.ndarray:
    """Move every image by (dr, dc) whole pixels, filling with 0: X'[r, c] = X[r - dr, c - dc]."""
    img = X.reshape(-1, SIDE, SIDE)
    out = np.zeros_like(img)
    rs = slice(max(dr, 0), SIDE + min(dr, 0))
    cs = slice(max(dc, 0), SIDE + min(dc, 0))
    rd = slice(max(-dr, 0), SIDE + min(-dr, 0))
    cd = slice(max(-dc, 0), SIDE + min(-dc, 0))
    out[:, rs, cs] = img[:, rd, cd]
    return out.reshape(X.shape)


def rotate_images(X: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate every image by the same angle about its centre (bilinear, zero outside)."""
    n = len(X)
    points = affine_sample_points(np.full(n, np.deg2rad(degrees)), np.ones(n), np.zeros((n, 2)))
    return bilinear(X.reshape(n, SIDE, SIDE), points).astype(X.dtype)


def flip_horizontal(X: np.ndarray) -> np.ndarray:
    """Mirror every image left to right: X'[r, c] = X[r, 27 - c]. X (n, 784) -> (n, 784).

    Right for clothes (a mirrored shirt is a shirt), wrong for digits (a mirrored 2 is no digit),
    so training uses it only when asked (``TrainConfig.flip``, off by default).
    """
    return X.reshape(-1, SIDE, SIDE)[:, :, ::-1].reshape(X.shape)


def random_flip(X: np.ndarray, rng: np.random.Generator, p: float = 0.5) -> np.ndarray:
    """Mirror each row left to right with probability p (one uniform draw per row); a new array."""
    flip = rng.random(len(X)) < p
    out = X.copy()
    out[flip] = flip_horizontal(X[flip])
    return out


# --- the transform of each batch that a training configuration asks for ----------------------


Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]
"""A map batch -> batch, Xb (m, 784) -> Xb' (m, 784), drawing any randomness from the loop's rng."""


def augmentation(config: TrainConfig) -> Transform:
    """The batch transform ``config`` asks for. With ``augment``: random affine maps of the images
    within ``max_degrees``, ``max_scale``, ``max_shift`` (:func:`random_affine`), or, when
    ``elastic`` (alpha) > 0, elastic distortions on top of such maps (:func:`random_elastic`), for
    digits. With ``flip``, then, half the rows mirrored left to right (:func:`random_flip`, for
    clothes). Else none."""
    ranges = {"max_degrees": config.max_degrees, "max_scale": config.max_scale,
              "max_shift": config.max_shift}

    def transform(Xb, rng):
        if config.augment and config.elastic > 0:
            Xb = random_elastic(Xb, rng, config.elastic, config.elastic_sigma, **ranges)
        elif config.augment:
            Xb = random_affine(Xb, rng, **ranges)
        if config.flip:
            Xb = random_flip(Xb, rng)
        return Xb

    return transform
