"""The graded exercises, read from the book's sources: one fact, stated once, in the chapter.

A coding exercise is graded when its ``{exercise-start}`` directive has the class ``graded``
(``:class: graded``, optionally with ``points-N`` for N points; 1 by default). Inside the exercise,
the first ``def NAME(`` of a code cell is the function the student writes, and the self-check call
``selfcheck.check_CHECK(NAME...)`` names the check (a key of ``scratchnet.selfcheck.CHECKS``)
that grades it. So the markup the instructor guide describes for every coding exercise is all the
grader needs; :func:`graded_exercises` refuses a graded exercise without a stub or a check.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from scratchnet.errors import ScratchnetError

START = re.compile(r"^(?P<fence>`{3,}|:{3,})\{exercise-start\}\s*(?P<title>.*?)\s*$")
END = re.compile(r"^(`{3,}|:{3,})\{exercise-end\}")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
POINTS = re.compile(r"^points-(?P<n>\d+)$")


@dataclass(frozen=True)
class GradedExercise:
    """One graded coding exercise of the book."""

    label: str          # ex-<chapter>-<name>, as the book refers to it
    chapter: str        # the page's name, e.g. "backward"
    title: str
    function: str       # the function the student writes, e.g. "my_leaky_relu_backward"
    check: str          # its check: scratchnet.selfcheck.CHECKS[check]
    points: int


def graded_exercises(book: Path) -> list[GradedExercise]:
    """Every graded exercise of the chapters in ``book`` (a folder of MyST pages), page by page
    in name order, then in the order of the page."""
    found = []
    for page in sorted(Path(book).glob("*.md")):
        found += exercises_of_page(page)
    return found


def exercises_of_page(page: Path) -> list[GradedExercise]:
    """The graded exercises of one MyST page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        start = START.match(lines[i])
        if not start:
            i += 1
            continue
        options, j = {}, i + 1
        while j < len(lines) and (option := OPTION.match(lines[j])):
            options[option["key"]] = option["value"]
            j += 1
        end = next((k for k in range(j, len(lines)) if END.match(lines[k])), len(lines))
        classes = options.get("class", "").split()
        if "graded" in classes:
            where = f"{page.name}:{i + 1}"
            body = "\n".join(lines[j:end]) + "\n"
            function, check = stub_and_check(body, where)
            points = next((int(m["n"]) for c in classes if (m := POINTS.match(c))), 1)
            if "label" not in options:
                raise ScratchnetError(f"{where}: a graded exercise needs a :label:")
            found.append(GradedExercise(options["label"], page.stem, start["title"], function,
                                        check, points))
        i = end + 1
    return found


def stub_and_check(body: str, where: str) -> tuple[str, str]:
    """The function a graded exercise asks for (the first ``def`` of its code cells) and the name
    of the check its self-check cell calls on it."""
    function = check = None
    for cell in CODE_CELL.finditer(body):
        try:
            tree = ast.parse(cell["body"])
        except SyntaxError as error:
            raise ScratchnetError(f"{where}: a code cell does not parse ({error.msg})") from None
        for node in ast.walk(tree):
            if function is None and isinstance(node, ast.FunctionDef):
                function = node.name
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr.startswith("check_") and node.args
                    and isinstance(node.args[0], ast.Name)):
                check = node.func.attr.removeprefix("check_")
    if function is None or check is None:
        raise ScratchnetError(f"{where}: a graded exercise needs a stub (def ...) and a "
                              "self-check cell (selfcheck.check_...(function))")
    return function, check
