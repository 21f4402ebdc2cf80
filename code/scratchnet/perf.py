"""How much arithmetic training does, and how fast this machine can do it.

FLOPs are floating-point operations, counting a multiply-add as 2 (the usual convention for
matrix products: C = A B with A (m, k), B (k, n) costs 2 m k n). Elementwise operations count 1
per element (exp included), so the counts are a small lower bound on the real work outside BLAS.
"""

from __future__ import annotations

import os
import time

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_info

from scratchnet import N_CLASSES, N_PIXELS

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""The environment variables that set a BLAS library's thread count, in the order read."""


def blas_threads() -> int:
    """How many threads NumPy's BLAS runs its matrix products with.

    A matrix product split over more threads adds its partial sums in another order, so weights
    are bit-identical only for the same count: the largest ``num_threads`` of the BLAS libraries
    threadpoolctl finds; if it finds none, the first of
    :data:`THREAD_VARIABLES` that is set; else the cores this process may use (BLAS's default).
    """
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    if counts:
        return max(counts)
    for name in THREAD_VARIABLES:
        if os.environ.get(name, "").strip().isdigit() and int(os.environ[name]) > 0:
            return int(os.environ[name])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def matmul_flops(m: int, k: int, n: int) -> int:
    """FLOPs of one matrix product (m, k) @ (k, n): 2 m k n (m k n multiplies and adds)."""
    return 2 * m * k * n


def matmul_peak_gflops(n: int = 2048, repeats: int = 5, dtype: npt.DTypeLike = np.float32,
                       seed: int = 0) -> float:
    """This machine's measured matrix-product speed: best GFLOP/s of ``repeats`` (n, n) @ (n, n).

    A large square product is the best case for BLAS (2n^3 FLOPs for 3n^2 numbers moved: 2n/3 per
    number), so it stands for the peak a training loop, made of the same products, can hope to
    reach.
    """
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n), dtype=dtype)
    B = rng.standard_normal((n, n), dtype=dtype)
    C = np.empty((n, n), dtype=dtype)
    np.matmul(A, B, out=C)                              # warm up: threads, caches, page faults
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(A, B, out=C)
        best = min(best, time.perf_counter() - start)
    return matmul_flops(n, n, n) / best / 1e9


def flops_breakdown(B: int, H: int, n_in: int = N_PIXELS, n_out: int = N_CLASSES) -> dict[str, int]:
    """FLOPs of one SGD step on a batch of B rows, 784-H-10 network, by part.

    forward:   Z1 = X W1 (2 B n_in H), Z2 = A1 W2 (2 B H n_out);
    backward:  dW2 = A1^T dZ2 (2 H B n_out), dA1 = dZ2 W2^T (2 B n_out H),
               dW1 = X^T dZ1 (2 n_in B H);
               no dX: nothing needs the gradient of the pixels (PyTorch skips it too);
    elementwise: 5 on each of the B H hidden entries: + b1, ReLU, 1[Z1 > 0], dA1 * mask, db1;
               8 on each of the B n_out output entries: + b2, the softmax's max, subtract, exp,
               sum and divide, dZ2's division by B, db2. (P - Y subtracts 1 at one entry per row,
               B FLOPs in all, left out like the reductions' one fewer addition per row.)
    update:    per weight g + lambda W (2), v <- mu v - eta g (3), theta + v (1): 6 per weight,
               4 per bias.
    """
    n_weights, n_biases = n_in * H + H * n_out, H + n_out
    return {
        "forward_matmul": matmul_flops(B, n_in, H) + matmul_flops(B, H, n_out),
        "backward_matmul": (matmul_flops(H, B, n_out) + matmul_flops(B, n_out, H)
                            + matmul_flops(n_in, B, H)),
        "elementwise": 5 * B * H + 8 * B * n_out,
        "update": 6 * n_weights + 4 * n_biases,
    }


def flops_per_step(B: int, H: int, n_in: int = N_PIXELS, n_out: int = N_CLASSES) -> int:
    """Total FLOPs of one SGD step (see :func:`flops_breakdown` for what is counted)."""
    return sum(flops_breakdown(B, H, n_in, n_out).values())


def flops_forward(n: int, H: int, n_in: int = N_PIXELS, n_out: int = N_CLASSES) -> int:
    """FLOPs of predicting n rows: Z1 = X W1 + b1, ReLU, Z2 = A1 W2 + b2 (all accuracy needs)."""
    return matmul_flops(n, n_in, H) + matmul_flops(n, H, n_out) + 2 * n * H + n * n_out


def flops_per_epoch(n: int, B: int, H: int, n_in: int = N_PIXELS, n_out: int = N_CLASSES,
                    evaluated_rows: int = 0) -> int:
    """FLOPs of one epoch of ``sgd``: ceil(n/B) steps (the last on n mod B rows) + evaluation.

    ``evaluated_rows``: rows predicted after the epoch for the history (n for train accuracy,
    plus the dev rows).
    """
    full, rest = divmod(n, B)
    steps = full * flops_per_step(B, H, n_in, n_out)
    if rest:
        steps += flops_per_step(rest, H, n_in, n_out)
    return steps + flops_forward(evaluated_rows, H, n_in, n_out)


def run_matmul_flops(n: int, epochs: int, B: int, H: int, evaluated_rows: int = 0,
                     n_in: int = N_PIXELS, n_out: int = N_CLASSES) -> int:
    """FLOPs of the matrix products alone of ``epochs`` epochs of ``sgd`` on n rows in batches of
    B, 784-H-10: per step the three forward and backward products of X and W1 and the small ones
    of W2 (``flops_breakdown``'s ``forward_matmul`` + ``backward_matmul``), the last step of each
    epoch on n mod B rows; and per epoch the two products of a forward pass over
    ``evaluated_rows`` rows (the training sample and the dev rows the history measures).

    Divided by the measured matmul peak, it is the least time the run could take: every FLOP of
    it at the speed of the best large product.
    """
    def products(rows):
        parts = flops_breakdown(rows, H, n_in, n_out)
        return parts["forward_matmul"] + parts["backward_matmul"]

    full, rest = divmod(n, B)
    per_epoch = full * products(B) + (products(rest) if rest else 0)
    per_epoch += matmul_flops(evaluated_rows, n_in, H) + matmul_flops(evaluated_rows, H, n_out)
    return epochs * per_epoch


def matmul_intensity(m: int, k: int, n: int, itemsize: int = 4) -> float:
    """Arithmetic intensity of (m, k) @ (k, n) that reads both operands and writes the result once:
    I = 2 m k n / (itemsize (m k + k n + m n)) FLOP per byte (4 bytes a float32 number)."""
    return matmul_flops(m, k, n) / (itemsize * (m * k + k * n + m * n))


def roof_gflops(intensity: float, peak: float, bandwidth: float) -> float:
    """The roofline: R(I) = min(R_peak, beta I), the fastest rate (GFLOP/s) a computation of
    intensity I (FLOP per byte) can reach with peak R_peak (GFLOP/s) and bandwidth beta (GB/s)."""
    return min(peak, bandwidth * intensity)


def bound(intensity: float, peak: float, bandwidth: float) -> str:
    """Which side of the ridge point I* = R_peak / beta a computation of intensity I is on:
    ``"compute-bound"`` if I >= I* (its roof is the peak), else ``"memory-bound"``."""
    return "compute-bound" if intensity >= peak / bandwidth else "memory-bound"


def rates_above_peak(rates: dict[str, float], peak: float) -> list[str]:
    """The names of the achieved rates (GFLOP/s) above the measured peak, in their order.

    No training step can beat the best matrix product of the same machine, so each name here says
    that other jobs slowed the peak measurement down, not that the step was fast.
    """
    return [name for name, rate in rates.items() if rate > peak]


def machine_busy(load_average: float, cores: int) -> bool:
    """Whether more jobs wanted a core (the load average) than there are cores: then timings
    are inflated and noisy."""
    return load_average > cores


def max_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """max over the parameters k of max |a_k - b_k|: how far apart two sets of weights ended up."""
    return max(float(np.abs(a[k].astype(np.float64) - b[k]).max()) for k in a)
