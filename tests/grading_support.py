"""Submissions for the grading tests: the student edition's notebook of a chapter (made as
``make book-student`` makes it: solutions stripped from the source, then the runnable notebook),
the same notebook filled in with the book's worked solutions, and small hand-made notebooks."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from scratchnet_book.editions import split_solutions, strip_solutions
from scratchnet_book.grading.exercises import CODE_CELL, GradedExercise
from scratchnet_book.sphinx_notebooks import runnable_notebook

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


def student_notebook(page: str) -> nbformat.NotebookNode:
    """The student edition's notebook of ``book/<page>.md``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{page}.md"
        path.write_text(strip_solutions((BOOK / f"{page}.md").read_text(encoding="utf-8")),
                        encoding="utf-8")
        return runnable_notebook(path, "https://example.invalid/scratchnet")


def solution_code(exercise: GradedExercise) -> str:
    """The book's worked solution of ``exercise``: its code cell that defines the function,
    without the self-check call."""
    _, solutions = split_solutions((BOOK / f"{exercise.chapter}.md").read_text(encoding="utf-8"))
    for solution in solutions:
        for cell in CODE_CELL.finditer(solution):
            if f"def {exercise.function}(" in cell["body"]:
                return "\n".join(line for line in cell["body"].splitlines()
                                 if "selfcheck.check_" not in line)
    raise LookupError(f"no worked solution defines {exercise.function}")


def filled_in(nb: nbformat.NotebookNode, exercises: list[GradedExercise],
              answers: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """``nb`` with each exercise's stub cell replaced by ``answers[function]`` (default: the
    book's solution)."""
    nb = nbformat.from_dict(nb)
    for exercise in exercises:
        code = (answers or {}).get(exercise.function) or solution_code(exercise)
        stub = re.compile(rf"def {exercise.function}\(.*raise NotImplementedError", re.DOTALL)
        cells = [c for c in nb.cells if c.cell_type == "code" and stub.search(c.source)]
        assert len(cells) == 1, f"one stub cell for {exercise.function}"
        cells[0].source = code
    return nb


def notebook(*cells: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    nbformat.write(nb, path)
    return path
