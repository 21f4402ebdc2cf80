"""Grading submitted notebooks: each in its own processes, all cores busy, one gradebook.

:func:`grade_all` reads every submission into memory first (so nothing a submission writes to disk
can change another's), then grades them in a pool of ``jobs`` worker processes. A worker never
runs student code itself; for one submission (:func:`grade_submission`) it

1. makes a temporary folder for it alone;
2. runs the whole notebook in a fresh, limited kernel (:func:`~scratchnet_book.grading.execute.
   execute`): if the run is stopped (too long, out of memory, the kernel died), every exercise of
   the chapter scores 0 with that reason;
3. takes the student's definitions from the submitted cells' source
   (:func:`~scratchnet_book.grading.extract.definitions`) into a sandbox process
   (:class:`~scratchnet_book.grading.sandbox.Sandbox`), and runs each graded exercise's check —
   ``scratchnet.selfcheck.CHECKS[...]``, in the worker — on stand-ins for the student's functions,
   with a fresh random seed where the check takes one;
4. kills whatever the submission left running (the worker is a *subreaper*: processes that
   detach themselves are re-parented to it) and deletes the folder.

Only the main process writes the gradebook and the feedback, after every submission is graded.
"""

from __future__ import annotations

import inspect
import json
import os
import secrets
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from scratchnet_book.grading.exercises import GradedExercise

MAX_NOTEBOOK_BYTES = 50 * 2**20


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    timeout: float = 900.0        # seconds for the whole notebook
    memory_mb: int = 4096         # address space of its kernel, and of its sandbox
    call_timeout: float = 30.0    # seconds for one call of a student function by a check

    @property
    def cpu_seconds(self) -> int:
        return int(self.timeout) + 10


@dataclass
class Row:
    """One line of the gradebook: one exercise of one submission."""

    file: str
    exercise: str
    points: int
    max_points: int
    passed: bool
    reason: str


@dataclass
class Graded:
    """A graded submission: its gradebook rows and the text of its feedback file."""

    file: str
    chapter: str | None
    rows: list[Row] = field(default_factory=list)
    feedback: str = ""
    seconds: float = 0.0


def read_submission(path: Path) -> tuple[dict | None, str]:
    """The notebook at ``path`` as a dict, or None and the one-line reason it cannot be graded."""
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            return None, f"{size:,} bytes, more than the {MAX_NOTEBOOK_BYTES:,} a notebook may have"
        notebook = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None, "no such file"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        return None, f"not a Jupyter notebook ({type(error).__name__})"
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return None, "not a Jupyter notebook (no list of cells)"
    return notebook, ""


def chapter_of(sources: list[str], exercises: list[GradedExercise]) -> str | None:
    """The chapter whose graded functions the notebook's code names most (None if none)."""
    import re

    words = set(re.findall(r"[A-Za-z_]\w*", "\n".join(sources)))
    counts = Counter(ex.chapter for ex in exercises if ex.function in words)
    return counts.most_common(1)[0][0] if counts else None


def check_call(check, proxy, seed: int):
    """Run ``check`` on ``proxy`` quietly, with ``seed`` if the check takes one."""
    if "seed" in inspect.signature(check).parameters:
        return check(proxy, quiet=True, seed=seed)
    return check(proxy, quiet=True)


def grade_submission(name: str, notebook: dict | None, problem: str,
                     exercises: list[GradedExercise], limits: Limits) -> Graded:
    """Grade one submission (see the module docstring); never raises for the submission's sake."""
    from scratchnet import selfcheck
    from scratchnet_book.grading.execute import execute
    from scratchnet_book.grading.extract import cell_sources, defined_names, definitions
    from scratchnet_book.grading.sandbox import Sandbox

    start = time.monotonic()
    if notebook is None:
        return finish(Graded(name, None, [Row(name, "-", 0, 0, False, problem)]), [problem],
                      start)
    sources = cell_sources(notebook)
    chapter = chapter_of(sources, exercises)
    mine = [ex for ex in exercises if ex.chapter == chapter]
    if not mine:
        reason = "no graded exercise found (none of their functions is named in the notebook)"
        return finish(Graded(name, None, [Row(name, "-", 0, 0, False, reason)]), [reason], start)
    folder = Path(tempfile.mkdtemp(prefix="scratchnet-grade-"))
    notes = []
    try:
        execution, _ = execute(notebook, folder, limits.memory_mb, limits.cpu_seconds,
                               limits.timeout)
        notes.append(f"notebook: {execution.reason} ({execution.seconds:.1f} s)")
        notes += [f"  {e}" for e in execution.cell_errors]
        graded = Graded(name, chapter)
        if not execution.finished:
            graded.rows = [Row(name, ex.label, 0, ex.points, False, execution.reason)
                           for ex in mine]
            return finish(graded, notes, start)
        statements, parse_notes = definitions(sources)
        notes += parse_notes
        defined = defined_names(sources)
        with Sandbox(statements, folder / "sandbox", limits.memory_mb, limits.cpu_seconds,
                     limits.call_timeout) as box:
            for ex in mine:
                if ex.function not in defined:
                    graded.rows.append(Row(name, ex.label, 0, ex.points, False,
                                           f"{ex.function} is not defined in the notebook"))
                    continue
                result = check_call(selfcheck.CHECKS[ex.check], box.function(ex.function),
                                    secrets.randbelow(2**31))
                graded.rows.append(Row(name, ex.label, ex.points if result.passed else 0,
                                       ex.points, result.passed, result.verdict()))
            notes += [f"not re-created for the checks: {e}" for e in box.setup_errors[:10]]
        return finish(graded, notes, start)
    finally:
        kill_descendants()
        shutil.rmtree(folder, ignore_errors=True)


def finish(graded: Graded, notes: list[str], start: float) -> Graded:
    graded.seconds = time.monotonic() - start
    graded.feedback = feedback_text(graded, notes)
    return graded


def feedback_text(graded: Graded, notes: list[str]) -> str:
    """The feedback file of one submission: the score, each exercise's verdict, the run."""
    earned = sum(r.points for r in graded.rows)
    possible = sum(r.max_points for r in graded.rows)
    lines = [f"{graded.file}: {earned} of {possible} points"
             + (f" (chapter {graded.chapter})" if graded.chapter else "")]
    for row in graded.rows:
        lines.append(f"{row.exercise} ({row.points}/{row.max_points}): {row.reason}")
    return "\n".join(lines + notes) + "\n"


# --- processes ------------------------------------------------------------------------------------

def start_worker() -> None:
    """A grading worker: a subreaper (Linux: processes its descendants leave behind become its
    children, so :func:`kill_descendants` finds them, instead of init's), and quiet (the kernels
    it starts inherit its standard output and error, and log there)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def kill_descendants() -> None:
    """Kill every process this one started, directly or not, and reap them."""
    import psutil

    me = psutil.Process()
    for child in me.children(recursive=True):
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(me.children(recursive=True), timeout=5)
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break


def grade_all(paths: list[Path], exercises: list[GradedExercise], limits: Limits,
              jobs: int | None = None, progress=None) -> list[Graded]:
    """Grade every submission in ``paths`` with ``jobs`` workers (default: one per core); the
    results in the order of ``paths``. ``progress(graded)`` is called as each one finishes."""
    submissions = [(path, *read_submission(path)) for path in paths]
    names = unique_names(paths)
    jobs = jobs or os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("forkserver"),
                             initializer=start_worker) as pool:
        futures = [pool.submit(grade_submission, name, notebook, problem, exercises, limits)
                   for name, (_, notebook, problem) in zip(names, submissions, strict=True)]
        results = []
        for future in futures:
            results.append(future.result())
            if progress:
                progress(results[-1])
    return results


def unique_names(paths: list[Path]) -> list[str]:
    """Each submission's name in the gradebook: its file name, made unique with its folder."""
    counts = Counter(p.name for p in paths)
    return [p.name if counts[p.name] == 1 else str(p) for p in paths]
