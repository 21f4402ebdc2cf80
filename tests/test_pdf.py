"""The book as one PDF (``make pdf``, ``make pdf-student``: scratchnet_book.pdf), read back with
poppler's ``pdftotext``/``pdftohtml``: every chapter, each on a page of its own; every numbered
equation, figure and exercise; cross-references that are links to the page holding what they
name; no ``??`` and no TeX left unrendered; the student edition's without a solution.

What the PDF must hold is read from the single-page site it was printed from, not typed here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from site_support import CHROMIUM, NO_CHROMIUM, toc_files

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM),
    pytest.mark.skipif(not shutil.which("pdftotext") or not shutil.which("pdftohtml"),
                       reason="poppler-utils (pdftotext, pdftohtml) not installed: "
                              "apt-get install poppler-utils"),
]

TEX_COMMAND = re.compile(r"\\(?:[A-Za-z]+|[()\[\]{}])")
EQUATION_NUMBER = re.compile(r"^\(\d+(?:\.\d+)*\)$")


def flat(text: str) -> str:
    """Whitespace collapsed, ligatures (ﬁ, ﬄ) unfolded, curly apostrophes straight (pdftotext
    and pdftohtml do not agree on them)."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split())


class Pdf:
    """A PDF read back: its text by page, its internal links, its outline, and the single-page
    site it was printed from."""

    def __init__(self, path: Path, site: Path):
        self.path, self.site = path, site
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                              capture_output=True, text=True).stdout
        self.pages = [flat(page) for page in text.split("\f")]
        if self.pages and not self.pages[-1]:
            self.pages.pop()
        self.text = " ".join(self.pages)
        xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-q", str(path)], check=True,
                             capture_output=True, text=True).stdout
        tree = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xml))
        self.links: list[tuple[int, str, int]] = []      # (page, link text, target page)
        for page in tree.iter("page"):
            for link in page.iter("a"):
                target = re.search(r"#(\d+)$", link.get("href", ""))
                if target:
                    self.links.append((int(page.get("number")), flat("".join(link.itertext())),
                                       int(target[1])))
        self.outline = [flat("".join(item.itertext())) for item in tree.iter("item")]
        self.html = BeautifulSoup((site / "intro.html").read_text(encoding="utf-8"), "html.parser")

    def chapter_titles(self) -> list[str]:
        """The title of every page of the book, as the single-page site shows it."""
        titles = []
        documents = [span.find_next_sibling("section")
                     for span in self.html.select('span[id^="document-"]')]
        for section in [self.html.select_one("article section"), *documents]:
            heading = section.find(["h1", "h2"])     # an included page's title is an h2
            for link in heading.select("a.headerlink"):
                link.decompose()
            titles.append(flat(heading.get_text()))
        return titles


@pytest.fixture(scope="session")
def pdf_book() -> Pdf:
    from scratchnet_book.pdf import make_pdf

    return Pdf(*make_pdf())


@pytest.fixture(scope="session")
def student_pdf() -> Pdf:
    from scratchnet_book.pdf import make_pdf

    return Pdf(*make_pdf(student=True))


@pytest.fixture(params=["main", "student"])
def any_pdf(request) -> Pdf:
    return request.getfixturevalue("pdf_book" if request.param == "main" else "student_pdf")


def test_every_chapter_is_in_the_pdf_and_starts_a_page(any_pdf):
    titles = any_pdf.chapter_titles()
    assert len(titles) == len(toc_files()), titles
    for title in titles:
        assert title in any_pdf.outline, f"chapter {title!r} is not in the PDF's outline"
        assert any(page.startswith(title) for page in any_pdf.pages), (
            f"chapter {title!r} of {any_pdf.path.name} does not start a page")
    assert len(any_pdf.pages) > len(titles), "a title page and a page at least per chapter"


def test_every_numbered_equation_figure_and_exercise_is_in_the_pdf(any_pdf):
    html = any_pdf.html
    numbers = [flat(eqno.find(string=True, recursive=False) or "")
               for eqno in html.select("span.eqno")]
    figures = [flat(caption.select_one(".caption-number").get_text())
               for caption in html.select("figcaption") if caption.select_one(".caption-number")]
    exercises = [flat(title.get_text()).split(" (")[0]
                 for title in html.select("div.exercise > p.admonition-title")]
    assert numbers and figures and exercises, "test blind: nothing numbered in the site"
    missing = [n for n in numbers + figures + exercises if n not in any_pdf.text]
    assert not missing, f"{len(missing)} numbered items missing from the PDF: {missing[:10]}"


def test_cross_references_are_links_to_the_page_holding_what_they_name(any_pdf):
    """A link reading "(4.7)" leads to the page where equation (4.7) is; "Fig. 4.2" and
    "Exercise 6.3" to a page showing that figure's or exercise's number; every link to a page of
    the PDF."""
    pages = len(any_pdf.pages)
    assert all(1 <= target <= pages for _, _, target in any_pdf.links)
    named = [(page, text, target) for page, text, target in any_pdf.links
             if EQUATION_NUMBER.match(text) or re.match(r"^(Fig\.|Exercise|Section) \d", text)]
    assert len(named) > len(toc_files()), f"only {len(named)} numbered cross-references as links"

    def shown(text: str) -> str:        # a section's heading shows "4.2. Title", not "Section 4.2"
        return text.removeprefix("Section ") + "." if text.startswith("Section ") else text

    wrong = [(page, text, target) for page, text, target in named
             if shown(text) not in any_pdf.pages[target - 1]]
    assert not wrong, f"links that do not lead to what they name (page, text, target): {wrong[:8]}"


def test_no_unresolved_reference_and_no_tex_outside_code(any_pdf):
    assert "??" not in any_pdf.text
    code = " ".join(flat(block.get_text()) for block in any_pdf.html.select("pre, code"))
    allowed = set(TEX_COMMAND.findall(code))
    stray = sorted(set(TEX_COMMAND.findall(any_pdf.text)) - allowed)
    assert not stray, f"TeX commands in the PDF's text that no code block shows: {stray[:20]}"


def test_the_student_pdf_has_every_exercise_and_no_solution(pdf_book, student_pdf):
    solutions = defaultdict(list)       # by number: a title's maths is TeX in the site's HTML
    for title in pdf_book.html.select("div.solution > p.admonition-title"):
        solutions[flat(title.get_text()).split(" (")[0]].append(title)
    assert solutions and all(title in pdf_book.text for title in solutions), (
        "test blind: the main PDF shows no solution")
    assert not [title for title in solutions if title in student_pdf.text]
    assert "Solution to" not in student_pdf.text
    exercises = {flat(t.get_text()).split(" (")[0]
                 for t in pdf_book.html.select("div.exercise > p.admonition-title")}
    assert exercises and all(e in student_pdf.text for e in exercises)
