"""Running a hostile case the way it would hurt: in a fresh process, under a memory limit and a
timeout, with its peak memory measured.

    result = run_bounded(["predict", model, picture], allowance=50 * MB)
    result.assert_one_line_error(model)           # exit 1, one line, names the file

The limit is on the address space (``RLIMIT_AS``, set in the child before it starts): the
interpreter's own size with the library imported (:func:`baseline`, measured once) plus the
case's ``allowance``, a small multiple of what a legitimate file of that kind needs. A regression
that allocates what a header claims fails with a MemoryError (or is killed) instead of swapping;
one that hangs is killed at the timeout. The peak resident memory of each case (``ru_maxrss`` of
that process: ``VmHWM`` read at its exit, since a child forked from a large pytest process starts
with the parent's pages counted in ``ru_maxrss``) is kept in :data:`PEAKS` for the report.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1 << 20
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""One BLAS thread: the address space of the child does not depend on the machine's cores."""

PEAKS: dict[str, int] = {}
"""Case name -> peak resident bytes of its process, for the report (``write_peaks``)."""

IMPORTS = ("import numpy, PIL.Image, requests, scratchnet.cli, scratchnet.checkpoint, "
           "scratchnet.data, scratchnet.data.preprocess, scratchnet.train, scratchnet.budget")


@functools.cache
def baseline() -> tuple[int, int]:
    """(address space, resident memory) in bytes of an interpreter that has imported what the
    CLI imports: the part of every child's memory that is not the case's."""
    script = (f"{IMPORTS}\n"
              "fields = dict(line.split(':', 1) for line in open('/proc/self/status'))\n"
              "kb = [int(fields[name].split()[0]) for name in ('VmPeak', 'VmHWM')]\n"
              "print(kb[0] * 1024, kb[1] * 1024)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, **ONE_THREAD}, timeout=120, check=True)
    vm, rss = map(int, done.stdout.split())
    return vm, rss


WRAPPER = """
import atexit, os, runpy, sys
def report_peak():
    status = dict(line.split(':', 1) for line in open('/proc/self/status'))
    with open(os.environ['HOSTILE_PEAK_FILE'], 'w') as file:
        file.write(status['VmHWM'].split()[0])
atexit.register(report_peak)
mode, target, *rest = sys.argv[1:]
if mode == '-m':
    sys.argv = [target, *rest]
    runpy.run_module(target, run_name='__main__', alter_sys=True)
else:
    sys.argv = ['-c', *rest]
    exec(compile(target, '<string>', 'exec'), {'__name__': '__main__'})
"""
"""Runs ``python -m module ...`` or ``python -c script ...`` and, at exit, writes the process's
peak resident memory (kB) to ``$HOSTILE_PEAK_FILE``: the peak of what it ran, not of the fork."""


@dataclass
class Bounded:
    """What a bounded run did: exit status, output, peak memory, and whether it was killed."""
    returncode: int
    stdout: str
    stderr: str
    peak: int           # bytes, the child's maximum resident set
    limit: int          # bytes, the address-space limit it ran under
    timed_out: bool

    def assert_one_line_error(self, path: str | Path, *words: str, stdout: bool = False) -> str:
        """Exit 1, one line ``scratchnet: error: <path>: ...`` on stderr holding every word of
        ``words``, no traceback, and nothing on stdout (unless ``stdout``: a command that reports
        progress there); the message after the path is returned."""
        assert not self.timed_out, "killed at the timeout"
        assert "Traceback" not in self.stderr and "MemoryError" not in self.stderr, self.stderr
        assert self.returncode == 1, (self.returncode, self.stderr)
        assert stdout or self.stdout == "", self.stdout
        lines = self.stderr.splitlines()
        assert len(lines) == 1, self.stderr
        prefix = f"scratchnet: error: {path}: "
        assert lines[0].startswith(prefix), lines[0]
        message = lines[0][len(prefix):]
        for word in words:
            assert word in message, (word, message)
        return message


def run_bounded(args: list[str], *, allowance: int, case: str, timeout: float = 60,
                env: dict | None = None, cwd: Path | None = None,
                python: list[str] | None = None) -> Bounded:
    """``python -m scratchnet ARGS`` (or ``python`` followed by ``python``'s arguments, e.g.
    ``["-c", script]``) under ``RLIMIT_AS`` = baseline + ``allowance`` and ``timeout`` seconds."""
    limit = baseline()[0] + allowance

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, "-c", WRAPPER, *(python or ["-m", "scratchnet"]), *map(str, args)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak_file:
        child = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                 cwd=cwd or ROOT, env={**os.environ, **ONE_THREAD, **(env or {}),
                                                       "HOSTILE_PEAK_FILE": peak_file.name},
                                 preexec_fn=limit_memory)
        killed = threading.Event()

        def kill():
            killed.set()
            child.kill()
        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)   # reaped: Popen must not wait
        out.seek(0)
        err.seek(0)
        reported = peak_file.read().strip()           # empty when the process was killed
        peak = int(reported) * 1024 if reported else usage.ru_maxrss * 1024
        result = Bounded(child.returncode, out.read().decode(errors="replace"),
                         err.read().decode(errors="replace"), peak, limit, killed.is_set())
    PEAKS[case] = result.peak
    return result


BATCH = """
import contextlib, io, json, sys, traceback
from scratchnet.cli import main
results = []
for argv in json.load(open(sys.argv[1])):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exit:
            status = exit.code
        except BaseException:
            traceback.print_exc()
            status = -1
    results.append([status, out.getvalue(), err.getvalue()])
json.dump(results, open(sys.argv[2], "w"))
"""


def run_batch(commands: list[list[str]], *, allowance: int, case: str, timeout: float = 120,
              cwd: Path | None = None) -> list[Bounded]:
    """Each command line of ``commands`` through ``cli.main``, one after another in one process
    under the limit (baseline + ``allowance``): for many small cases that need no process of
    their own. Each result carries the process's peak; an exception that escapes ``main`` shows
    as its traceback on that case's stderr."""
    with tempfile.TemporaryDirectory() as scratch:
        given, taken = Path(scratch) / "commands.json", Path(scratch) / "results.json"
        given.write_text(json.dumps([[str(a) for a in argv] for argv in commands]))
        process = run_bounded([given, taken], python=["-c", BATCH], allowance=allowance,
                              case=case, timeout=timeout, cwd=cwd)
        assert process.returncode == 0 and not process.timed_out, process.stderr[-3000:]
        return [Bounded(status, out, err, process.peak, process.limit, False)
                for status, out, err in json.loads(taken.read_text())]


def library_call(prelude: str, argv: list[str]) -> list[str]:
    """``python`` arguments that run ``prelude`` (e.g. shrink a limit so a small input proves
    the bound) and then the CLI on ``argv``: for :func:`run_bounded`'s ``python``."""
    script = f"{prelude}\nimport sys\nfrom scratchnet.cli import main\nsys.exit(main(sys.argv[1:]))"
    return ["-c", script, *map(str, argv)]


def write_peaks(folder: Path, name: str) -> Path:
    """Write :data:`PEAKS` (and the baseline) to ``folder/hostile-peaks-<name>.json``, for the
    report; returns the path."""
    path = Path(folder) / f"hostile-peaks-{name}.json"
    vm, rss = baseline()
    path.write_text(json.dumps({"baseline_rss": rss, "baseline_vm": vm, "written": time.time(),
                                "peaks": dict(sorted(PEAKS.items()))}, indent=1))
    return path
