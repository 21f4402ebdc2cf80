"""Reading the built book in tests: a page as a soup, its visible text, and its glued values."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup


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


def glued_in_paragraph(soup: BeautifulSoup, opening: str, containing: str = "") -> list[str]:
    """The glued values of the first paragraph whose text starts with ``opening`` and contains
    ``containing``."""
    for p in soup.find_all("p"):
        text = text_of(p)
        if text.startswith(opening) and containing in text:
            return glued(p)
    raise AssertionError(f"no paragraph starting {opening!r} containing {containing!r}")
