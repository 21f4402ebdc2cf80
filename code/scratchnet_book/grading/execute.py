"""Run a submitted notebook from top to bottom in a fresh, limited kernel: did it finish?

:func:`execute` runs every code cell with nbclient (the executor nbgrader and otter-grader use
too) in a new IPython kernel started under :mod:`scratchnet_book.grading.limits` — an address
space of ``memory_mb`` and a CPU budget — in the submission's own working folder, with a wall-clock
deadline for the whole notebook. Errors in cells are allowed (a stub that still raises
``NotImplementedError`` must not end the run) and counted; what stops the run is reported as
one line: a cell or the whole notebook running too long, the kernel dying (a crash,
``os._exit``, the CPU limit), or a ``MemoryError`` at the memory limit.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from scratchnet_book.grading.limits import limited
from scratchnet_book.grading.sandbox import SANDBOX_ENV

KERNEL = "scratchnet-grade"


@dataclass
class Execution:
    """How a notebook's run went."""

    finished: bool                  # ran to the end, not stopped
    reason: str                     # one line: "ran to the end" or why it was stopped
    seconds: float = 0.0
    cell_errors: list[str] = field(default_factory=list)   # "cell 7: NameError: ..." per error


def kernel_folder(folder: Path, memory_mb: int, cpu_seconds: int) -> Path:
    """A Jupyter data folder holding one kernel spec, ``scratchnet-grade``: this Python's
    ipykernel, started under the limits, with one thread of BLAS."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    argv = limited([sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                   memory_mb, cpu_seconds)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "scratchnet grading", "language": "python",
        "env": SANDBOX_ENV}))
    return folder


def execute(notebook: dict, folder: Path, memory_mb: int, cpu_seconds: int,
            timeout: float) -> tuple[Execution, dict]:
    """Run ``notebook`` (an nbformat 4 dict) in ``folder``; the :class:`Execution` and the
    executed notebook."""
    import time

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = nbformat.reads(json.dumps(notebook), as_version=4)   # sources as strings, version 4
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    os.environ["JUPYTER_PATH"] = str(kernel_folder(folder / ".jupyter", memory_mb, cpu_seconds))
    work = folder / "work"
    work.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, allow_errors=True,
                            interrupt_on_timeout=False, resources={"metadata": {"path": str(work)}},
                            startup_timeout=120, record_timing=False)
    expired = threading.Event()
    kernel = {}   # the kernel's process, kept for its exit status after nbclient cleans up

    def started(notebook):
        provisioner = getattr(client.km, "provisioner", None)
        kernel["process"] = getattr(provisioner, "process", None)
        kernel["pgid"] = getattr(provisioner, "pgid", None)

    client.on_notebook_start = started

    def stop_kernel():
        expired.set()
        kill_group(kernel.get("pgid"))

    watchdog = threading.Timer(timeout, stop_kernel)
    start = time.monotonic()
    try:
        watchdog.start()
        client.execute()
        execution = Execution(True, "ran to the end")
    except CellTimeoutError:
        execution = Execution(False, f"stopped: a cell ran longer than {timeout:g} s")
    except DeadKernelError:
        execution = Execution(False, f"stopped: the notebook ran longer than {timeout:g} s"
                              if expired.is_set() else died(kernel.get("process"), cpu_seconds))
    except Exception as error:  # nbclient's own errors (a kernel that never started, ...)
        execution = Execution(False, f"stopped: {type(error).__name__}: "
                                     f"{str(error).splitlines()[0][:200] if str(error) else ''}")
    finally:
        watchdog.cancel()
        kill_group(kernel.get("pgid"))
    execution.seconds = time.monotonic() - start
    execution.cell_errors = cell_errors(nb)
    if any(e.split(": ", 2)[1].startswith("MemoryError") for e in execution.cell_errors):
        execution.finished = False
        execution.reason = f"stopped: it ran out of memory (the limit is {memory_mb:,} MiB)"
    return execution, nb


def died(process, cpu_seconds: int) -> str:
    """Why the kernel died, from its exit status."""
    status = None
    if process is not None:
        try:
            status = process.wait(timeout=5)
        except Exception:
            status = process.poll()
    if status in (-signal.SIGXCPU, -signal.SIGKILL):
        return (f"stopped: the kernel was killed (signal {-status}: the CPU limit of "
                f"{cpu_seconds} s, or the memory limit)")
    if status is not None and status < 0:
        return f"stopped: the kernel crashed (signal {-status})"
    if status is not None:
        return f"stopped: the kernel exited (status {status})"
    return "stopped: the kernel died (it exited or crashed)"


def kill_group(pgid: int | None) -> None:
    """Kill the kernel's whole process group (the kernel starts its own session)."""
    if pgid:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def cell_errors(nb) -> list[str]:
    """One line per code cell whose run ended in an error: ``cell N: Name: message``."""
    errors, number = [], 0
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        number += 1
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                value = str(output.get("evalue", "")).splitlines()
                errors.append(f"cell {number}: {output.get('ename', 'Error')}: "
                              f"{value[0][:200] if value else ''}")
    return errors
