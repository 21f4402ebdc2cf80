"""``scratchnet grade SUBMISSION.ipynb… --out gradebook.csv``: the command, registered on the
``scratchnet`` CLI through the entry point group ``scratchnet.commands`` (``pyproject.toml``), so
the library's CLI never imports this package by name. Importing this module is cheap: the grading
machinery is imported when the command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from scratchnet.errors import ScratchnetError

DEFAULT_BOOK = Path(__file__).resolve().parents[3] / "book"


def add_grade_command(subparsers: Any) -> None:
    """Register ``grade`` on the ``scratchnet`` parser's subcommands."""
    from scratchnet_book.grading.grade import Limits

    g = subparsers.add_parser(
        "grade", help="grade students' notebooks (instructors)",
        description="Run each submitted notebook in a fresh limited kernel, then check its graded "
                    "exercises in a separate process; write a gradebook and feedback files.")
    g.add_argument("submissions", nargs="+", help="the students' .ipynb files")
    g.add_argument("--out", required=True, help="the gradebook CSV to write")
    g.add_argument("--feedback", help="folder for one feedback file per submission (default: "
                                      "FEEDBACK beside the gradebook, named after it)")
    g.add_argument("--book", default=str(DEFAULT_BOOK),
                   help="the book's sources, where the graded exercises are marked (default: the "
                        "repository's book/)")
    g.add_argument("--timeout", type=float, default=Limits.timeout,
                   help="seconds a whole notebook may run (default %(default)g)")
    g.add_argument("--memory", type=int, default=Limits.memory_mb,
                   help="MiB of address space for its kernel (default %(default)d)")
    g.add_argument("--call-timeout", type=float, default=Limits.call_timeout,
                   help="seconds for one call of a student's function (default %(default)g)")
    g.add_argument("--jobs", type=int, default=os.cpu_count(),
                   help="submissions graded at once (default: one per core, %(default)d)")
    g.add_argument("--roster", help="CSV with a 'file' column and the LMS's student columns")
    g.add_argument("--canvas", help="also write a CSV for Canvas's grade import")
    g.add_argument("--assignment", default="scratchnet",
                   help="the Canvas assignment column, e.g. 'Backward (1234)'")
    g.add_argument("--gradescope", help="also write a CSV for Gradescope's score upload")
    g.set_defaults(func=cmd_grade)


def cmd_grade(args: argparse.Namespace) -> int:
    from scratchnet_book.grading import gradebook
    from scratchnet_book.grading.exercises import graded_exercises
    from scratchnet_book.grading.grade import Limits, grade_all

    book = Path(args.book)
    if not book.is_dir():
        raise ScratchnetError(f"{book}: no such folder (give the book's sources with --book)")
    exercises = graded_exercises(book)
    if not exercises:
        raise ScratchnetError(f"{book}: no graded exercise (:class: graded) in its pages")
    for name, value, least in (("--timeout", args.timeout, 1), ("--memory", args.memory, 256),
                               ("--call-timeout", args.call_timeout, 0.1),
                               ("--jobs", args.jobs, 1)):
        if not value >= least:
            raise ScratchnetError(f"{name}: must be at least {least}, got {value}")
    roster = gradebook.read_roster(Path(args.roster)) if args.roster else {}
    out = Path(args.out)
    feedback = Path(args.feedback) if args.feedback else out.with_name(out.stem + "-feedback")
    limits = Limits(timeout=args.timeout, memory_mb=args.memory, call_timeout=args.call_timeout)
    start = time.monotonic()

    def report(graded):
        earned = sum(r.points for r in graded.rows)
        possible = sum(r.max_points for r in graded.rows)
        print(f"{graded.file}: {earned}/{possible} ({graded.seconds:.0f} s)", file=sys.stderr)

    paths = [Path(p) for p in args.submissions]
    results = grade_all(paths, exercises, limits, args.jobs, progress=report)
    gradebook.write_gradebook(out, results)
    gradebook.write_feedback(feedback, results)
    for lms, target in (("canvas", args.canvas), ("gradescope", args.gradescope)):
        if target:
            gradebook.write_lms(Path(target), results, lms, roster, args.assignment)
    minutes = (time.monotonic() - start) / 60
    print(f"graded {len(results)} notebooks in {minutes:.1f} min "
          f"({len(results) / minutes:.1f} per minute, {min(args.jobs, len(results))} at once): "
          f"{out}, feedback in {feedback}/", file=sys.stderr)
    return 0
