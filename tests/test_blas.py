"""scratchnet.blas: gemm and axpy of NumPy's own OpenBLAS compute what NumPy computes, and refuse
arrays they would read or write outside of."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet import blas

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.fixture(scope="module")
def lib() -> blas.Blas:
    found = blas.numpy_blas()
    # The lock installs NumPy's wheel from PyPI, which bundles scipy-openblas64: it must be found.
    assert found is not None, "NumPy's bundled OpenBLAS was not found"
    return found


def test_numpy_blas_is_the_library_numpy_runs_on(lib):
    assert "openblas" in lib.path.lower()
    assert blas.numpy_blas() is lib                # looked up once


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("trans_a", [False, True], ids=["A", "A^T"])
@pytest.mark.parametrize("alpha, beta", [(1.0, 0.0), (-0.05, 0.9), (2.5, 1.0)])
def test_gemm_is_alpha_op_a_times_b_plus_beta_c(lib, dtype, trans_a, alpha, beta):
    rng = np.random.default_rng(0)
    M, K, N = 37, 53, 11
    A = rng.standard_normal((K, M) if trans_a else (M, K)).astype(dtype)
    B = rng.standard_normal((K, N)).astype(dtype)
    C = rng.standard_normal((M, N)).astype(dtype)
    expected = alpha * ((A.T if trans_a else A) @ B) + beta * C
    lib.gemm(alpha, A, B, beta, C, trans_a=trans_a)
    assert np.abs(C - expected).max() <= TOLERANCE[dtype] * np.abs(expected).max()


@pytest.mark.parametrize("dtype", DTYPES)
def test_axpy_is_alpha_x_plus_y(lib, dtype):
    rng = np.random.default_rng(1)
    x, y = (rng.standard_normal((40, 7)).astype(dtype) for _ in range(2))
    expected = -0.3 * x + y
    lib.axpy(-0.3, x, y)
    assert np.abs(y - expected).max() <= TOLERANCE[dtype]


def test_gemm_on_the_rows_of_a_larger_buffer_leaves_the_rest_alone(lib):
    """The fast path multiplies the first m rows of its workspace: the rows after are not read."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((10, 6)).astype(np.float32)
    D = rng.standard_normal((10, 4)).astype(np.float32)
    C = np.zeros((6, 4), np.float32)
    lib.gemm(1.0, X[:7], D[:7], 0.0, C, trans_a=True)
    assert np.allclose(C, X[:7].T @ D[:7], atol=1e-5)
    assert not np.allclose(C, X.T @ D, atol=1e-3)


@pytest.mark.parametrize("call, message", [
    (lambda lib, f: lib.gemm(1.0, f((3, 4)), f((5, 2)), 0.0, f((3, 2))), "shapes"),
    (lambda lib, f: lib.gemm(1.0, f((3, 4)), f((4, 2)), 0.0, f((3, 2)), trans_a=True), "shapes"),
    (lambda lib, f: lib.gemm(1.0, f((3, 4)), f((4, 2)), 0.0, f((2, 3)).T), "C-contiguous"),
    (lambda lib, f: lib.gemm(1.0, f((3, 4)), f((4, 2)).astype(np.float64), 0.0, f((3, 2))),
     "one dtype"),
    (lambda lib, f: lib.gemm(1.0, f((3, 4)).astype(np.int64), f((4, 2)), 0.0, f((3, 2))),
     "one dtype"),
    (lambda lib, f: lib.gemm(1.0, f((12,)), f((4, 2)), 0.0, f((3, 2))), "matrices"),
    (lambda lib, f: lib.axpy(1.0, f((3, 4)), f((4, 3))), "shapes"),
    (lambda lib, f: lib.axpy(1.0, f((3, 4))[:, ::2], f((3, 2))), "C-contiguous"),
])
def test_arrays_blas_would_misread_are_refused_before_the_call(lib, call, message):
    with pytest.raises(ValueError, match=message):
        call(lib, lambda shape: np.ones(shape, np.float32))


def test_a_library_without_the_routines_gives_none():
    class Empty:                                     # a loaded library with no such symbols
        pass
    assert blas.bind(Empty(), "empty") is None
