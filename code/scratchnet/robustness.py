"""Looking inside the trained network: robustness, a reject option, calibration, a PCA map.

Rows are examples: X (n, 784), P (n, K) predicted probabilities, y (n,) true labels.
"""

from __future__ import annotations

import numpy as np


def add_noise(X: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """X'_ij = clip(X_ij + epsilon_ij, 0, 1), epsilon_ij ~ N(0, sigma^2) independently per pixel."""
    return np.clip(X + rng.normal(0.0, sigma, X.shape), 0, 1).astype(X.dtype)


def confidence(P: np.ndarray) -> np.ndarray:
    """c_i = max_k P_ik, the probability the network gives its own prediction."""
    return P.max(axis=1)


def coverage_accuracy(P: np.ndarray, y: np.ndarray,
                      thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reject option: answer only when c_i >= tau. For each threshold tau returns

    coverage(tau) = (1/n) #{i : c_i >= tau}   and   accuracy(tau) = accuracy on those answered
    (nan when none is answered).
    """
    c = confidence(P)
    right = P.argmax(axis=1) == y
    answered = c[None, :] >= np.asarray(thresholds)[:, None]           # (T, n)
    coverage = answered.mean(axis=1)
    with np.errstate(invalid="ignore"):
        acc = (answered & right).sum(axis=1) / answered.sum(axis=1)
    return coverage, acc


def reliability(P: np.ndarray, y: np.ndarray,
                n_bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin predictions by confidence into n_bins equal-width bins B_m of [0, 1].

    Returns per bin: mean confidence conf(B_m), accuracy acc(B_m), count |B_m| (nan when empty).
    """
    c = confidence(P)
    right = (P.argmax(axis=1) == y).astype(float)
    bins = np.minimum((c * n_bins).astype(int), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore"):
        conf = np.bincount(bins, weights=c, minlength=n_bins) / count
        acc = np.bincount(bins, weights=right, minlength=n_bins) / count
    return conf, acc, count


def expected_calibration_error(P: np.ndarray, y: np.ndarray, n_bins: int = 10) -> float:
    """ECE = sum_m (|B_m| / n) |acc(B_m) - conf(B_m)| (Guo et al. 2017)."""
    conf, acc, count = reliability(P, y, n_bins)
    used = count > 0
    return float(np.sum(count[used] / count.sum() * np.abs(acc[used] - conf[used])))


def pca(A: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Principal components by SVD: centre A (n, d) to A_c = A - mean, A_c = U S V^T;
    returns the coordinates A_c V_k (n, k) and the fraction of variance each explains,
    S_j^2 / sum S^2.
    """
    centred = A - A.mean(axis=0)
    U, S, Vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ Vt[:k].T, (S[:k] ** 2) / np.sum(S ** 2)


def confidence_gap(P: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The confidence gap g = (1/n) sum_i (c_i - right_i), mean confidence minus accuracy, with
    right_i = 1 if argmax_k P_ik = y_i (else 0), and its standard error
    SE(g) = sd(c_i - right_i) / sqrt(n), sd the sample standard deviation.

    g > 0: the network is more confident than it is right (overconfident); g < 0: underconfident.
    """
    d = confidence(P) - (P.argmax(axis=1) == y)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def calibration_direction(gap: float, se: float, k: float = 2.0) -> str:
    """The word for a confidence gap g with standard error se: 'overconfident' if g > k se,
    'underconfident' if g < -k se, and 'calibrated' (on average, within the noise) otherwise."""
    if gap > k * se:
        return "overconfident"
    if gap < -k * se:
        return "underconfident"
    return "calibrated"


def more_or_less(a: float, b: float, decimals: int) -> str:
    """'more' if a > b, 'less' if a < b, 'as much' if the two agree when rounded to ``decimals``
    decimals: the word for comparing two numbers a page shows at that precision."""
    if round(a, decimals) == round(b, decimals):
        return "as much"
    return "more" if a > b else "less"
