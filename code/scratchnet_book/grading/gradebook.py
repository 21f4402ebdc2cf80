"""What grading writes: the gradebook, one feedback file per submission, and a CSV for an LMS.

The gradebook has one row per submission and exercise: ``file, exercise, points, max_points,
passed, reason``. For a learning management system, :func:`lms_rows` sums each submission's
points and lays them out as the LMS's grade import reads them, with the students' identifiers from
a *roster* CSV the instructor exports from the LMS plus a ``file`` column naming each student's
submission:

- **Canvas** (Grades → Import): ``Student, ID, SIS User ID, SIS Login ID, Section`` and one column
  named after the assignment (``Backward (1234)``, with Canvas's assignment id, updates that
  assignment; a new name creates one). Canvas matches a row by ``ID``, ``SIS User ID`` or
  ``SIS Login ID``.
- **Gradescope** (an assignment's score upload): ``Name, Email, SID`` then the total score; the
  upload matches a row by ``Email`` or ``SID``.

Every file is written at once (:func:`scratchnet.files.write_atomically`), so a reader never sees
half a gradebook.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from scratchnet.errors import ScratchnetError
from scratchnet.files import write_atomically
from scratchnet_book.grading.grade import Graded

GRADEBOOK_COLUMNS = ("file", "exercise", "points", "max_points", "passed", "reason")
LMS_COLUMNS = {
    "canvas": ("Student", "ID", "SIS User ID", "SIS Login ID", "Section"),
    "gradescope": ("Name", "Email", "SID"),
}


def csv_text(header: tuple[str, ...] | list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def gradebook_text(results: list[Graded]) -> str:
    return csv_text(GRADEBOOK_COLUMNS, [[r.file, r.exercise, r.points, r.max_points,
                                         str(r.passed).lower(), r.reason]
                                        for graded in results for r in graded.rows])


def write_gradebook(path: Path, results: list[Graded]) -> Path:
    return write_atomically(path, gradebook_text(results).encode("utf-8"))


def feedback_name(file: str) -> str:
    """The feedback file's name for a submission: its name, with / as _, and .txt."""
    return file.replace("/", "_").removesuffix(".ipynb") + ".txt"


def write_feedback(folder: Path, results: list[Graded]) -> list[Path]:
    return [write_atomically(Path(folder) / feedback_name(g.file), g.feedback.encode("utf-8"))
            for g in results]


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """The roster: its rows by the ``file`` column (a submission's file name)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ScratchnetError(f"{path}: cannot read the roster ({error})") from None
    if not rows or "file" not in rows[0]:
        raise ScratchnetError(f"{path}: a roster needs a header with a 'file' column "
                              "(the submission's file name) and the LMS's student columns")
    return {row["file"]: row for row in rows}


def lms_rows(results: list[Graded], lms: str, roster: dict[str, dict[str, str]],
             assignment: str) -> str:
    """The CSV for ``lms`` ("canvas" or "gradescope"): one row per submission, total points."""
    columns = LMS_COLUMNS[lms]
    score = assignment if lms == "canvas" else "Total Score"
    rows = []
    for graded in results:
        student = roster.get(Path(graded.file).name, {})
        ids = [student.get(c, "") for c in columns]
        if not any(ids):                      # not in the roster: say whose file it is
            ids[0] = graded.file
        rows.append([*ids, sum(r.points for r in graded.rows)])
    return csv_text([*columns, score], rows)


def write_lms(path: Path, results: list[Graded], lms: str, roster: dict, assignment: str) -> Path:
    return write_atomically(path, lms_rows(results, lms, roster, assignment).encode("utf-8"))
