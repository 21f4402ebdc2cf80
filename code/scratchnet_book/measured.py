"""The glued values that are measurements of the machine, not results of the seeded computation.

Everything else a page glues (accuracies, losses, counts, weights, verdicts on them) comes from a
seeded run and is the same in every build of the same commit on the same machine. These names
differ from build to build: timings (and the rates, ratios and verdicts computed from them), the
load and the date of the build, and the description of the machine and its libraries. A value is
a measurement when its name matches one of :data:`MEASURED`'s patterns (``fnmatch`` syntax); the
reproducibility appendix lists them, and ``tests/test_page_outputs_repeat.py`` executes pages a
second time to check that nothing else changes.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

MEASURED: dict[str, str] = {
    "*_seconds": "a training or running time, in seconds",
    "*_seconds_ratio": "a ratio of two such times",
    "*_time_ratio": "a ratio of two such times",
    "*_ms": "a time in milliseconds",
    "*_ms32": "a time in milliseconds (float32)",
    "*_ms64": "a time in milliseconds (float64)",
    "*_speedup*": "a ratio of two times",
    "better_gd_catch_up_seconds": "the time at which full-batch descent caught up",
    "perf_t*": "a time of the performance chapter",
    "perf_g_*": "a rate in GFLOP/s",
    "perf_gs_*": "a rate in GFLOP/s",
    "perf_pct*": "a share of the measured peak rate",
    "perf_peak*": "the measured matrix-product peak, and ratios of peaks",
    "perf_bandwidth": "the measured memory bandwidth",
    "perf_ridge": "the roofline's ridge point (peak / bandwidth)",
    "perf_bound_*": "a roofline bound (from the measured peak and bandwidth)",
    "perf_roof_*": "a roofline bound (from the measured peak and bandwidth)",
    "perf_ns_per_mac": "nanoseconds per multiply-add",
    "perf_n_above_peak": "how many timed rates beat the measured peak",
    "perf_bench_*": "the PyTorch benchmark's figures, when it ran",
    "perf_load": "the load average during the build",
    "perf_busy": "whether the machine was busy (from the load average)",
    "perf_cores": "the number of cores",
    "perf_blas*": "the BLAS library and its thread count",
    "repro_date": "the date of the build",
    "repro_blas": "the BLAS library",
    "repro_numpy": "NumPy's version",
    "repro_python": "Python's version",
    "repro_threads_in_use": "the thread counts in use",
}
"""Pattern -> what the values it names are."""


def is_measured(name: str) -> bool:
    """Whether the glued value ``name`` is a measurement of the machine (matches a pattern of
    :data:`MEASURED`), so that it may differ between two builds of the same commit."""
    return any(fnmatchcase(name, pattern) for pattern in MEASURED)
