"""The instructor guide keeps up with the book: its homework table has one row per exercise, in
the order of the book, each naming the chapter the exercise is in; and every chapter with
exercises has a row in the table of prerequisites and times."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from book_support import exercises

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
