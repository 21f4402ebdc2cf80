"""Every chapter, on its MyST source and its built page: the defects a reader meets without a
browser (raw TeX left on the page, figures too wide or type too small for a phone, visible code
that uses names only a removed cell defines, sentences glued from code). The checks are those of
``page_checks`` and ``page_code``; each returns what it found, so a failure names the place."""

from __future__ import annotations

import pytest
from book_support import BOOK, glue_values, soup_of
from page_checks import (
    FIGURE_MAX_PX,
    figure_widths,
    sentences_in_glue,
    small_type,
    unrendered_tex,
)
from page_code import code_cells, names_from_hidden_cells, pyflakes_problems
from site_support import toc_files

from scratchnet import data
from scratchnet.errors import DataError

PAGES = [name for name in toc_files()
         if "kernelspec:" in (BOOK / f"{name}.md").read_text(encoding="utf-8")]
"""The pages of the table of contents that are notebooks (MyST front matter with a kernel)."""


@pytest.fixture(scope="module")
def reports() -> tuple[str, ...]:
    """Strings a library function writes as a report, which a page may glue whole: each
    dataset's split description."""
    found = []
    for name in data.CLASS_NAMES:
        try:
            found.append(data.split(data.load(name), seed=data.SPLIT_SEED).description)
        except DataError:
            pass
    return tuple(found)


def test_every_page_of_the_contents_with_code_is_checked():
    assert {"data", "training", "fashion", "performance"} <= set(PAGES)
    assert all(code_cells(name) for name in PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_no_tex_is_left_unrendered(built_book, name):
    assert unrendered_tex(soup_of(built_book, name)) == []


@pytest.mark.parametrize("name", PAGES)
def test_figures_fit_the_column_and_use_type_readable_on_a_phone(built_book, name):
    widths = figure_widths(built_book, soup_of(built_book, name))
    assert {figure: w for figure, w in widths.items() if w > FIGURE_MAX_PX} == {}
    assert small_type(name) == []


@pytest.mark.parametrize("name", PAGES)
def test_visible_cells_define_what_they_use(name):
    assert names_from_hidden_cells(name) == []


@pytest.mark.parametrize("name", PAGES)
def test_the_code_cells_import_what_they_use_and_define_what_they_read(name):
    """Ruff's pyflakes rules over the page's cells, as one module: no unused import (a set-up
    cell that kept a name after the code moved), no undefined or shadowed name."""
    assert pyflakes_problems([source for source, _ in code_cells(name)], name) == []


@pytest.mark.parametrize("name", PAGES)
def test_no_glued_value_is_a_sentence(built_book, name, reports):
    values = glue_values(name)      # shown or not: a glued sentence nobody shows is dead prose
    assert sentences_in_glue(values, set(values), generated=reports) == []
