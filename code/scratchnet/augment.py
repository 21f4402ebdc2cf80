"""Data augmentation in NumPy: small random affine maps (rotation, scale, shift) of digit images.

Each image is resampled at the points of an affine map of the output grid. For the output pixel
at (r, c), measured from the image centre (r0, c0) = (13.5, 13.5), the source point is

    [r_s, c_s]^T = A^{-1} ([r, c]^T - [r0, c0]^T - t) + [r0, c0]^T,
    A = s R(theta),  R(theta) = [[cos theta, -sin theta], [sin theta, cos theta]],

and its intensity is interpolated bilinearly from the four nearest source pixels (zero outside).
Rows are examples: X (n, 784) in, X' (n, 784) out.
"""

from __future__ import annotations

import numpy as np

from scratchnet import SIDE  # images are SIDE x SIDE pixels

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


def random_affine(X: np.ndarray, rng: np.random.Generator, max_degrees: float = 10.0,
                  max_scale: float = 0.1, max_shift: float = 2.0) -> np.ndarray:
    """Apply to each row its own random map: theta ~ U[-d, d] degrees, s ~ U[1 - m, 1 + m],
    t ~ U[-k, k]^2 pixels. X (n, 784) -> (n, 784) of the same dtype."""
    n = len(X)
    theta = np.deg2rad(rng.uniform(-max_degrees, max_degrees, n))
    scale = rng.uniform(1 - max_scale, 1 + max_scale, n)
    shift = rng.uniform(-max_shift, max_shift, (n, 2))
    points = affine_sample_points(theta, scale, shift)
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
