"""The student edition (``make book-student``): every exercise, and no solution text anywhere in the
site — HTML, downloadable notebooks, ``_sources`` copies, search index.

A solution's text is recognised by fingerprints: runs of at least five plain words from its lines
(markup and maths split the runs), compared after the same normalisation of each built file
(tags removed from HTML, cell sources and outputs from notebooks). Each fingerprint must be found
in the main edition — so the test can see a leak — and in no file of the student edition.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from book_support import exercises
from bs4 import BeautifulSoup
from sphinx.search.en import SearchEnglish

from scratchnet_book.editions import split_solutions, strip_solutions

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
TEXT_SUFFIXES = {".html", ".ipynb", ".md", ".txt", ".js", ".json"}
WORD = re.compile(r"[A-Za-z0-9_]+")
MARKUP = re.compile(r"\$[^$]*\$|\{[\w:-]+\}`[^`]*`|`|\*|\(|\)|\[|\]|:|#|=|,|\.|;|—|\"")


def words(text: str) -> str:
    return " ".join(WORD.findall(text))


def fingerprints(block: str) -> set[str]:
    """Runs of >= 5 plain words from a solution's lines (directive options and fences skipped)."""
    found = set()
    for line in block.splitlines():
        line = line.strip()
        if not line or line.startswith(("```", ":::", "~~~")) or re.match(r"^:[\w-]+:", line):
            continue
        for run in MARKUP.split(line):
            run = words(run)
            if len(run.split()) >= 5:
                found.add(run)
    return found


def readable(path: Path) -> str:
    """The words of a built file as a reader (or a downloaded notebook) would see them."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        text = " ".join(BeautifulSoup(text, "html.parser").find_all(string=True))  # scripts too
    elif path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        parts = []
        for cell in cells:
            parts.append("".join(cell["source"]))
            for output in cell.get("outputs", []):
                parts.append(json.dumps(output))
        text = "\n".join(parts)
    return words(text)


def site_files(site: Path) -> list[Path]:
    return [p for p in site.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES
            and "_static" not in p.relative_to(site).parts]


def sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted(BOOK.glob("*.md"))}


def solutions() -> dict[str, list[str]]:
    """Removed solution blocks by page."""
    found = {}
    for path, text in sources().items():
        removed = split_solutions(text, str(path))[1]
        if removed:
            found[path.stem] = removed
    return found


def solution_labels() -> set[str]:
    return {m for blocks in solutions().values() for b in blocks
            for m in re.findall(r":label:\s*(\S+)", b)}


def search_terms(site: Path) -> set[str]:
    text = (site / "searchindex.js").read_text()
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    return set(index["terms"])


def test_the_book_has_solutions_to_hide():
    assert solutions(), "no page has a solution: nothing for the student edition to prove"
    assert all(fingerprints(b) for blocks in solutions().values() for b in blocks), \
        "every solution needs some plain text the test can look for"


def test_no_solution_text_anywhere_in_the_student_edition(built_book, student_site):
    main_text = {p.relative_to(built_book): readable(p) for p in site_files(built_book)}
    student_text = {p.relative_to(student_site): readable(p) for p in site_files(student_site)}
    assert any(p.parts[0] == "_notebooks" for p in student_text), "no notebooks in the edition"
    assert any(p.parts[0] == "_sources" for p in student_text)
    stripped_words = {path.stem: words(strip_solutions(text)) for path, text in sources().items()}
    # the library's source, which the pages show (literalinclude): its docstrings are not solutions
    stripped_words |= {str(path): words(path.read_text(encoding="utf-8"))
                       for path in sorted((ROOT / "code").rglob("*.py"))}
    for page, blocks in solutions().items():
        for block in blocks:
            prints = {f for f in fingerprints(block)
                      if not any(f in w for w in stripped_words.values())}
            assert prints, f"a solution on {page} has no text of its own:\n{block[:300]}"
            seen = [f for f in prints if f in main_text[Path(f"{page}.html")]]
            assert seen, f"test blind: no fingerprint of a {page} solution found in the main HTML"
            for rel, text in student_text.items():
                leaked = [f for f in prints if f in text]
                assert not leaked, (f"solution text of {page} in the student edition's {rel}: "
                                    f"{leaked[0]!r}")


def test_no_solution_label_or_title_survives(student_site):
    labels = solution_labels()
    assert labels
    for path in site_files(student_site):
        raw = path.read_text(encoding="utf-8", errors="replace")
        assert "Solution to" not in raw, f"a solution title in {path}"
        for label in labels:
            assert label not in raw, f"solution label {label} in {path}"


def test_the_search_index_has_no_word_only_a_solution_uses(built_book, student_site):
    stem = SearchEnglish(options={}).stem
    outside = {stem(w.lower()) for text in sources().values()
               for w in WORD.findall(strip_solutions(text))}
    inside = {stem(w.lower()) for blocks in solutions().values() for b in blocks
              for w in WORD.findall(b) if w.isalpha() and len(w) >= 5}
    # Words the student pages show (library code, outputs) may be indexed; no other solution word.
    shown = {stem(w.lower()) for page in student_site.glob("*.html")
             for w in readable(page).split()}
    terms = inside - outside - shown
    main, student = search_terms(built_book), search_terms(student_site)
    assert terms & main, "test blind: no solution-only word in the main search index"
    assert not terms & student, ("solution-only words searchable in the student edition: "
                                 f"{sorted(terms & student)}")


def test_every_exercise_is_in_the_student_edition(student_site):
    found = exercises()
    assert found
    for page, label, title in found:
        page_html = (student_site / f"{page}.html").read_text(encoding="utf-8")
        assert f'id="{label}"' in page_html, f"exercise {label} missing from student {page}.html"
        if title:
            assert words(title) in readable(student_site / f"{page}.html"), \
                f"title of {label} missing"


def test_self_checks_run_in_the_student_edition_and_report_not_implemented(student_site):
    pages = {page for page, label, title in exercises()}
    for page in pages:
        raw = (student_site / f"{page}.html").read_text(encoding="utf-8")
        if "selfcheck" in raw:
            assert "not implemented yet" in raw and "✓ correct:" not in raw
