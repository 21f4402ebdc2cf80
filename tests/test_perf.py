"""scratchnet.perf's roofline and its readings of measured numbers, on cases whose answer is known.

The FLOP counts are tested in test_fast.py; here: intensity, roof, which side of the ridge, which
rates are impossible, when the machine was busy, and how far two sets of weights are apart.
"""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet import perf


def test_matmul_intensity_is_flops_over_the_bytes_of_three_matrices():
    # (2, 3) @ (3, 4): 48 FLOPs; 6 + 12 + 8 = 26 numbers of 4 bytes
    assert perf.matmul_intensity(2, 3, 4) == pytest.approx(48 / 104)
    assert perf.matmul_intensity(2, 3, 4, itemsize=8) == pytest.approx(48 / 208)
    # the book's big product, by hand in its exercise: 51,380,224 / 1,335,296
    assert perf.matmul_intensity(128, 784, 256) == pytest.approx(51_380_224 / 1_335_296)
    # only the set of sizes matters: X W1 and X^T dZ1 have one intensity
    assert perf.matmul_intensity(784, 128, 256) == perf.matmul_intensity(128, 784, 256)


@pytest.mark.parametrize("intensity, roof, side", [(1.0, 10.0, "memory-bound"),
                                                   (9.99, 99.9, "memory-bound"),
                                                   (10.0, 100.0, "compute-bound"),
                                                   (38.5, 100.0, "compute-bound")])
def test_the_roof_and_the_side_of_the_ridge_point(intensity, roof, side):
    peak, bandwidth = 100.0, 10.0                          # ridge point at 10 FLOP per byte
    assert perf.roof_gflops(intensity, peak, bandwidth) == pytest.approx(roof)
    assert perf.bound(intensity, peak, bandwidth) == side


def test_rates_above_the_peak_are_named_in_order():
    rates = {"readable, epoch": 40.0, "fast, step": 120.0, "X W1 alone": 100.0, "fast": 101.0}
    assert perf.rates_above_peak(rates, 100.0) == ["fast, step", "fast"]
    assert perf.rates_above_peak(rates, 200.0) == []


@pytest.mark.parametrize("load, cores, busy", [(0.3, 2, False), (2.0, 2, False), (2.01, 2, True),
                                               (11.3, 2, True), (7.9, 8, False)])
def test_a_machine_is_busy_when_more_jobs_want_a_core_than_there_are(load, cores, busy):
    assert perf.machine_busy(load, cores) is busy


def test_max_difference_is_the_largest_gap_over_all_parameters():
    a = {"W": np.array([[1.0, 2.0]], dtype=np.float32), "b": np.zeros(3, dtype=np.float32)}
    b = {"W": np.array([[1.0, 2.5]], dtype=np.float64), "b": np.array([0.0, -0.75, 0.0])}
    assert perf.max_difference(a, b) == 0.75
    assert perf.max_difference(a, a) == 0.0
    tiny = {"W": a["W"], "b": np.array([0, 0, np.float32(2.0**-24)], dtype=np.float32)}
    assert perf.max_difference(a, tiny) == 2.0**-24          # float32 bits are not rounded away


def test_blas_threads_is_what_threadpoolctl_reports():
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="blas"):
        assert perf.blas_threads() == 1


def test_where_threadpoolctl_finds_no_blas_blas_threads_reads_the_environment(monkeypatch):
    monkeypatch.setattr(perf, "threadpool_info", lambda: [])
    for name in perf.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert perf.blas_threads() == 3
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "5")              # read first
    assert perf.blas_threads() == 5
    for name in perf.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert perf.blas_threads() >= 1


def test_the_matmul_flops_of_a_run_are_its_steps_products_and_its_evaluations():
    B, H = 128, 256
    step = 2 * B * 784 * H + 2 * B * H * 10 + 2 * H * B * 10 + 2 * B * 10 * H + 2 * 784 * B * H
    last = step * 44 // B                                   # 300 = 2 * 128 + 44 rows
    evaluation = 2 * 1500 * 784 * H + 2 * 1500 * H * 10
    assert perf.run_matmul_flops(300, 3, B, H, evaluated_rows=1500) == 3 * (
        2 * step + last + evaluation)
    assert perf.run_matmul_flops(256, 1, B, H) == 2 * step
