"""The instructor guide keeps up with the book: its homework table has one row per exercise, in
the order of the book, each naming the chapter the exercise is in; and every chapter with
exercises has a row in the table of prerequisites and times."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from book_support import exercises

from scratchnet_book.editions import strip_solutions

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "book" / "instructor-guide.md").read_text(encoding="utf-8")
HOMEWORK_ROW = re.compile(r"^\| \{doc\}`([\w-]+)` \| \{ref\}`([\w-]+)` \|", re.M)
PREREQUISITE_ROW = re.compile(r"^\| \{doc\}`([\w-]+)` \| (?!\{ref\})[^|]+\| \d+ min \| \d+ min \|$",
                              re.M)


def chapters_in_book_order() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]


def test_every_exercise_has_a_homework_row_in_book_order():
    order = {name: i for i, name in enumerate(chapters_in_book_order())}
    found = exercises()
    assert found, "the book has no exercises"
    expected = [(page, label) for page, label, _ in
                sorted(found, key=lambda e: (order[e[0]], found.index(e)))]
    assert HOMEWORK_ROW.findall(GUIDE) == expected


def test_every_chapter_with_exercises_has_its_prerequisites_and_times():
    with_exercises = {page for page, _, _ in exercises()}
    listed = PREREQUISITE_ROW.findall(GUIDE)
    assert with_exercises <= set(listed), sorted(with_exercises - set(listed))
    book = chapters_in_book_order()
    assert listed == sorted(listed, key=book.index), "prerequisites out of book order"


def sentences(text: str) -> list[str]:
    """The prose of a MyST source split into sentences (code fences left out)."""
    prose = re.sub(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", "", text, flags=re.M | re.S)
    return [" ".join(s.split()) for s in re.split(r"(?<=[.!?])\s+", prose)]


def edition_relative_claims(text: str) -> list[str]:
    """Sentences that say what *this* edition does with solutions: true in one edition at most."""
    return [s for s in sentences(text) if re.search(r"\bthis edition\b", s, re.I)
            and re.search(r"solution", s, re.I)]


def test_the_edition_check_sees_a_claim_about_this_edition():
    assert edition_relative_claims("Every exercise has a solution, collapsed in\nthis edition.")
    assert not edition_relative_claims("The main edition shows each solution collapsed; the "
                                       "student edition leaves it out.")


def test_no_page_says_what_this_edition_does_with_solutions():
    """Both editions are built from one source: a sentence about solutions "in this edition" is
    wrong in one of them. Checked on the sources, and with the solutions removed."""
    for path in sorted((ROOT / "book").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert edition_relative_claims(text) == [], path.name
        assert edition_relative_claims(strip_solutions(text)) == [], f"{path.name} (student)"
