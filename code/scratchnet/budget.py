"""What a training run needs in memory, and what the machine has: checked before training starts.

    needed = training_bytes(config, n_train, n_test)   # an estimate, from the sizes alone
    if needed > available_bytes(): refuse

The estimate adds the four parts a run allocates (rows are examples, H hidden units, B the batch,
P = 784 H + H + 10 H + 10 parameters, s bytes per number):

- the data as float32, n = n_train + n_test rows: 4 · 784 n, again for the training rows when dev
  joins them (``include_dev``), and s · 784 n_train more for float64;
- the weights, their gradients, the optimiser's state and the new values: 8 s P;
- one batch's workspace: Z1, A1, the mask, dA1, dZ1 (5 s B H) and the batch and its transform
  (3 s 784 B), with B = n_train for full-batch gradient descent;
- evaluation on the largest set, m = max(n_train, n_test) rows: Z1 and A1 of every row
  (2 s m H) and the probabilities (3 s m 10).

It is a round upper estimate, not a measurement: it is there to refuse settings that cannot fit
(``--hidden 1000000``) before anything is allocated, not to plan to the last megabyte.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path
from typing import TYPE_CHECKING

from scratchnet import N_CLASSES, N_PIXELS

if TYPE_CHECKING:
    from scratchnet.train import TrainConfig


def training_bytes(config: TrainConfig, n_train: int, n_test: int) -> int:
    """Bytes a run of ``config`` (a ``train.TrainConfig``) needs to train on ``n_train`` rows and
    evaluate them and ``n_test`` more (the formula of the module's docstring)."""
    s = 8 if config.dtype == "float64" else 4
    H = config.hidden
    P = N_PIXELS * H + H + N_CLASSES * H + N_CLASSES
    B = n_train if config.optimizer == "gd" else min(config.batch_size, n_train)
    m = max(n_train, n_test)
    data = (4 * N_PIXELS * (n_train + n_test) + 4 * N_PIXELS * n_train * config.include_dev
            + (s * N_PIXELS * n_train if s == 8 else 0))
    weights = 8 * s * P
    batch = 5 * s * B * H + 3 * s * N_PIXELS * B
    evaluation = 2 * s * m * H + 3 * s * m * N_CLASSES
    return data + weights + batch + evaluation


def available_bytes() -> int:
    """The memory this process can still use: the least of what the system has available
    (``MemAvailable``), what its cgroup allows beyond what it uses, and its address-space limit
    (``RLIMIT_AS``) beyond its current size. Unknown parts are left out."""
    limits = []
    meminfo = read_fields(Path("/proc/meminfo"))
    if "MemAvailable" in meminfo:
        limits.append(meminfo["MemAvailable"] * 1024)
    elif hasattr(os, "sysconf") and "SC_AVPHYS_PAGES" in os.sysconf_names:
        limits.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    cgroup = Path("/sys/fs/cgroup")
    try:
        ceiling = (cgroup / "memory.max").read_text().strip()
        if ceiling != "max":
            limits.append(int(ceiling) - int((cgroup / "memory.current").read_text()))
    except (OSError, ValueError):
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        size = read_fields(Path("/proc/self/status")).get("VmSize", 0) * 1024
        limits.append(soft - size)
    return max(0, min(limits)) if limits else 1 << 62


def read_fields(path: Path) -> dict[str, int]:
    """``Name: value kB`` lines of a /proc file as {name: value}; {} when there is none."""
    fields = {}
    try:
        for line in path.read_text().splitlines():
            name, _, rest = line.partition(":")
            words = rest.split()
            if words and words[0].isdigit():
                fields[name] = int(words[0])
    except OSError:
        pass
    return fields


def gigabytes(n: int) -> str:
    """``n`` bytes in GB with one decimal (``2.5 GB``), or in MB below 0.1 GB."""
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"
