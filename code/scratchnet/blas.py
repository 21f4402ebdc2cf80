"""Two BLAS routines NumPy does not expose, called in the OpenBLAS that NumPy itself runs on.

    gemm   C <- alpha op(A) B + beta C     (op(A) = A or A^T)
    axpy   y <- alpha x + y

``np.matmul`` computes C = A B and nothing more; BLAS's matrix product also scales what C held and
adds it, in the same pass over C. ``fast.momentum_blas`` uses that to fold the momentum update
v <- mu v - eta X^T dZ into the product that computes the gradient.

NumPy's wheels from PyPI ship OpenBLAS built with 64-bit integers, its symbols renamed
(``scipy_cblas_sgemm64_``). threadpoolctl finds that library among those the process has loaded
(the same one, and the same thread pool, as every ``np.matmul``); :func:`numpy_blas` returns
``None`` when NumPy runs on another BLAS (a conda build on MKL, Accelerate), and the fast path then
keeps NumPy's own operations. Every call checks dtypes, shapes and memory layout first: a BLAS call
given a wrong shape would read or write outside the arrays.
"""

from __future__ import annotations

import ctypes
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112        # the CBLAS enums CblasRowMajor, ...
SYMBOL_FORMS = ("scipy_cblas_{}64_", "cblas_{}64_")   # 64-bit integer builds only
PREFIXES = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}


@dataclass(frozen=True)
class Blas:
    """gemm and axpy of one BLAS library, for float32 ("s") and float64 ("d") arrays."""

    path: str
    routines: dict            # (prefix, name) -> ctypes function

    def gemm(self, alpha: float, A: np.ndarray, B: np.ndarray, beta: float, C: np.ndarray,
             trans_a: bool = False) -> None:
        """C <- alpha op(A) B + beta C in place; op(A) = A^T if ``trans_a``. All three arrays
        C-contiguous, of one dtype; op(A) is (M, K), B (K, N), C (M, N)."""
        prefix = self._prefix(A, B, C)
        if not A.ndim == B.ndim == C.ndim == 2:
            raise ValueError("gemm: A, B and C must be matrices")
        M, N = C.shape
        K = A.shape[0] if trans_a else A.shape[1]
        if (A.shape[1] if trans_a else A.shape[0]) != M or B.shape != (K, N):
            raise ValueError(f"gemm: shapes op(A) {A.shape[::-1] if trans_a else A.shape}, "
                             f"B {B.shape}, C {C.shape} do not fit")
        self.routines[prefix, "gemm"](
            ROW_MAJOR, TRANS if trans_a else NO_TRANS, NO_TRANS, M, N, K, alpha,
            A.ctypes.data, max(A.shape[1], 1), B.ctypes.data, max(N, 1), beta,
            C.ctypes.data, max(N, 1))

    def axpy(self, alpha: float, x: np.ndarray, y: np.ndarray) -> None:
        """y <- alpha x + y in place, element by element; x and y of one shape."""
        prefix = self._prefix(x, y)
        if x.shape != y.shape:
            raise ValueError(f"axpy: shapes {x.shape} and {y.shape} differ")
        self.routines[prefix, "axpy"](x.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)

    @staticmethod
    def _prefix(*arrays: np.ndarray) -> str:
        dtype = arrays[0].dtype
        if dtype not in PREFIXES or any(a.dtype != dtype for a in arrays):
            raise ValueError(f"BLAS: arrays of {sorted({str(a.dtype) for a in arrays})}: "
                             "one dtype, float32 or float64, is needed")
        if not all(a.flags.c_contiguous for a in arrays):
            raise ValueError("BLAS: every array must be C-contiguous")
        return PREFIXES[dtype]


def bind(lib: ctypes.CDLL, path: str) -> Blas | None:
    """The four routines of ``lib`` under one of ``SYMBOL_FORMS``, or None if it lacks them."""
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    for form in SYMBOL_FORMS:
        routines = {}
        for prefix, real in (("s", ctypes.c_float), ("d", ctypes.c_double)):
            try:
                gemm = getattr(lib, form.format(prefix + "gemm"))
                axpy = getattr(lib, form.format(prefix + "axpy"))
            except AttributeError:
                break
            gemm.argtypes = [i64, i64, i64, i64, i64, i64, real, ptr, i64, ptr, i64, real,
                             ptr, i64]
            gemm.restype = None
            axpy.argtypes = [i64, real, ptr, i64, ptr, i64]
            axpy.restype = None
            routines[prefix, "gemm"], routines[prefix, "axpy"] = gemm, axpy
        if len(routines) == 4:
            return Blas(path, routines)
    return None


@functools.cache
def numpy_blas() -> Blas | None:
    """The OpenBLAS that NumPy's own matrix products run on, or None if none can be used."""
    numpy_dir = Path(np.__file__).resolve().parent
    for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
        where = Path(lib.filepath).resolve()
        if where.parent.name in ("numpy.libs", ".dylibs") and \
                where.parent.parent in (numpy_dir.parent, numpy_dir):
            return bind(lib.dynlib, str(where))
    return None
