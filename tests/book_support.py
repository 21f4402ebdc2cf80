"""Reading the built book in tests: a page as a soup, its visible text, and its glued values."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

from scratchnet_book.editions import strip_solutions

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
EXECUTED = ROOT / "_build" / "jupyter_execute"


def glued_value(output: dict) -> object:
    """A glue output's value: its ``text/plain`` form (``repr``) read back as a Python literal
    where it is one (numbers, strings, lists...); a figure or other object comes back as the
    output dict itself."""
    text = output.get("data", {}).get("text/plain")
    try:
        return ast.literal_eval(text) if text is not None else output
    except (ValueError, SyntaxError):
        return output


def glue_values(page: str, executed: Path = EXECUTED) -> dict[str, object]:
    """Every value the page ``page`` glued, by name, as MyST-NB recorded it during the build.

    MyST-NB writes ``_build/jupyter_execute/<page>.glue.json``: name -> the glue output, read by
    :func:`glued_value`. A test finds a value by its name, so rewording a sentence around it
    breaks nothing.
    """
    path = executed / f"{page}.glue.json"
    assert path.is_file(), f"{path.name}: not written (was the book built, does {page} glue?)"
    return {name: glued_value(output)
            for name, output in json.loads(path.read_text(encoding="utf-8")).items()}


def glue_values_of(notebook) -> dict[str, object]:
    """Every value an executed notebook glued, by name: its outputs that ``glue`` marked (as
    MyST-NB finds them), each read by :func:`glued_value` after dropping the glue prefix of its
    MIME types."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            mark = output.get("metadata", {}).get("scrapbook")
            if not mark:
                continue
            prefix = mark.get("mime_prefix", "")
            data = {key.removeprefix(prefix): value for key, value in output["data"].items()}
            values[mark["name"]] = glued_value({**output, "data": data})
    return values


def soup_of(site: Path, name: str) -> BeautifulSoup:
    """The page ``name``.html of the built site, parsed; it must exist."""
    path = site / f"{name}.html"
    assert path.is_file(), f"{name}.html was not built"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def text_of(node) -> str:
    """Visible text, whitespace collapsed, typographic apostrophes made plain."""
    return " ".join(node.get_text(" ").split()).replace("\u2019", "'")


def glued(node) -> list[str]:
    """The values MyST-NB glued into ``node`` (``span.pasted-text``), in order."""
    return [text_of(span) for span in node.select("span.pasted-text")]


def assert_figures_are_images_with_alt_text_and_captions(figures, min_alt: int) -> None:
    """Each figure holds an image with a source, alt text of more than ``min_alt`` characters
    (spaces at the ends not counted), and a caption."""
    for figure in figures:
        img = figure.find("img")
        name = figure.get("id") or "a figure"
        assert img is not None and img.get("src"), f"{name}: figure without an image"
        assert len(img.get("alt", "").strip()) > min_alt, \
            f"{name} ({img.get('src')}) has no real alt text"
        assert figure.find("figcaption") is not None, f"{name} has no caption"


def exercises() -> list[tuple[str, str, str]]:
    """(page, label, title) of every exercise in the book's sources, pages in name order, exercises
    in page order (solutions and ```` ```markdown ```` examples left out)."""
    found = []
    opening = re.compile(r"^ {0,3}(?:`{3,}|:{3,})\{exercise(?:-start)?\}[ \t]*(?P<title>.*)\n"
                         r"(?P<options>(?:[ \t]*:[\w-]+:.*\n)*)", re.MULTILINE)
    for path in sorted(BOOK.glob("*.md")):
        text = strip_solutions(path.read_text(encoding="utf-8"))
        text = re.sub(r"^(`{3,})markdown\n.*?^\1[ \t]*$", "", text, flags=re.M | re.S)
        for match in opening.finditer(text):
            label = re.search(r":label:\s*(\S+)", match["options"])
            if label:
                found.append((path.stem, label[1], match["title"].strip()))
    return found
