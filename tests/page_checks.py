"""Checks of a chapter, on its MyST source and on the built HTML, for defects a reader meets
without a browser: raw TeX left on the page, figures too wide to read on a phone, names a visible
cell uses but only a hidden cell defines, sentences glued from code, and the chapter's own pure
functions.

Used by the tests of the Fashion-MNIST and robustness chapters (``test_book_fashion.py``,
``test_book_robustness.py``); every check returns what it found, so a failing test names it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from book_support import BOOK
from bs4 import BeautifulSoup
from page_code import code_cells
from PIL import Image

FIGURE_MAX_PX = 672
"""Width of the text column of sphinx-book-theme at a 1280 px window (measured in Chromium). A
figure at most this wide is never shrunk on a desktop, and on a 390 px phone (a 342 px column) it
is shown at least at half its size."""

MIN_FONT_PT = 9
"""Smallest type a figure of these chapters may use: with :data:`FIGURE_MAX_PX`, at least 7 CSS px
on a 390 px phone (9 pt at 110 dpi is 13.75 px, times 342/672)."""

FONT_KEYWORDS = ("fontsize", "title_size", "count_size")
"""Keyword arguments that set a size of type in the figure code of these chapters."""

SIZED_CALLS = {"digit_grid": "title_size", "plot_confusion": "count_size"}
"""Library figure functions whose default type is smaller than :data:`MIN_FONT_PT` (kept for other
chapters): a call in these chapters must set the size."""

TEX_COMMAND = re.compile(r"\\[A-Za-z]+|\$")


def unrendered_tex(soup: BeautifulSoup) -> list[str]:
    """Text of the page outside maths, code and scripts that holds a TeX command or a dollar sign:
    maths that Markdown ate (a wrapped ``$...$`` line that began with ``+ `` or ``- `` became a
    list item) or that was never marked as maths. Sphinx puts all maths in ``.math`` elements."""
    found = []
    for text in (soup.find("main") or soup).find_all(string=True):
        if text.find_parent(["script", "style", "code", "pre"]) or text.find_parent(class_="math"):
            continue
        if TEX_COMMAND.search(text):
            found.append(" ".join(text.split())[:100])
    return found


def figure_widths(site: Path, soup: BeautifulSoup) -> dict[str, int]:
    """Figure id -> natural width in pixels of its image (the PNG the build wrote)."""
    widths = {}
    for figure in soup.select("figure"):
        img = figure.find("img")
        if img is not None and img.get("src", "").startswith("_images/"):
            with Image.open(site / img["src"]) as image:
                widths[figure.get("id", img["src"])] = image.width
    return widths


def small_type(page: str, book: Path = BOOK) -> list[str]:
    """Places in the page's code that set type below :data:`MIN_FONT_PT`, or call a library figure
    function of :data:`SIZED_CALLS` without setting its type size (a ``digit_grid`` without
    titles has no type to size)."""
    found = []
    for source, _ in code_cells(page):
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            for key in FONT_KEYWORDS:
                value = keywords.get(key)
                if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)) \
                        and value.value < MIN_FONT_PT:
                    found.append(f"{ast.unparse(node)[:60]}: {key}={value.value}")
            called = node.func.attr if isinstance(node.func, ast.Attribute) else \
                getattr(node.func, "id", "")
            untitled = called == "digit_grid" and len(node.args) < 2 and "titles" not in keywords
            if called in SIZED_CALLS and SIZED_CALLS[called] not in keywords and not untitled:
                found.append(f"{ast.unparse(node)[:60]}: no {SIZED_CALLS[called]}")
    return found


WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")   # a word of letters: not 0.5, a_name, /a/path
GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`:]+)")


def glued_in_text(page: str, book: Path = BOOK) -> set[str]:
    """Names of the glued values the page's Markdown shows ({glue:text}`name`, {glue}`name`...)."""
    return set(GLUE_ROLE.findall((book / f"{page}.md").read_text(encoding="utf-8")))


def sentences_in_glue(values: dict[str, object], shown: set[str], max_words: int = 3,
                      generated: tuple[str, ...] = ()) -> list[str]:
    """Glued strings the page shows (names in ``shown``) of more than ``max_words`` words (tokens of
    letters only: a list of numbers, "classes 0, 4 and 8", a path or a run's name is values, not
    prose): prose built in a code cell. ``generated`` lists the strings a library function wrote
    as a report (a split's description), allowed."""
    return [f"{name}: {value!r}" for name, value in values.items()
            if name in shown and isinstance(value, str) and value not in generated
            and sum(bool(WORD.fullmatch(token.strip(".,;:!?()\"'"))) for token in value.split())
            > max_words]
