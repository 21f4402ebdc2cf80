"""The student edition's stripper: what counts as a solution, and bad markup stops the build."""

from __future__ import annotations

import textwrap

import pytest

from scratchnet_book.editions import (
    SolutionMarkupError,
    prepare_student_sources,
    split_solutions,
    strip_solutions,
)


def md(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_a_solution_directive_is_removed_and_its_exercise_kept():
    text = md("""
        :::{exercise}
        :label: ex-a
        Prove it.
        :::

        :::{solution} ex-a
        :class: dropdown
        SECRET proof.
        :::

        After.
        """)
    stripped, removed = split_solutions(text)
    assert "SECRET" not in stripped and "{solution}" not in stripped
    assert ":label: ex-a" in stripped and "Prove it." in stripped and "After." in stripped
    assert removed == [md("""
        :::{solution} ex-a
        :class: dropdown
        SECRET proof.
        :::
        """)]


def test_nested_directives_inside_a_solution_go_with_it():
    text = md("""
        ::::{solution} ex-a
        :::{note}
        SECRET inner note.
        :::
        SECRET after the note.
        ::::
        Kept.
        """)
    assert strip_solutions(text) == "Kept.\n"


def test_backtick_solutions_with_a_code_block_inside():
    text = md("""
        ````{solution} ex-a
        ```python
        SECRET = 1
        ```
        ````
        Kept.
        """)
    assert strip_solutions(text) == "Kept.\n"


def test_a_gated_solution_takes_its_code_cells_with_it():
    text = md("""
        ```{exercise-start}
        :label: ex-code
        ```
        Write it.
        ```{code-cell} ipython3
        def f(x):
            raise NotImplementedError
        ```
        ```{exercise-end}
        ```

        ````{solution-start} ex-code
        :class: dropdown
        ````
        SECRET prose.
        ```{code-cell} ipython3
        def f(x):
            return SECRET
        ```
        ```{solution-end}
        ```
        Kept after.
        """)
    stripped, removed = split_solutions(text)
    assert "SECRET" not in stripped and "solution" not in stripped
    assert "raise NotImplementedError" in stripped and "{exercise-end}" in stripped
    assert stripped.endswith("```\n\nKept after.\n")
    assert len(removed) == 1 and "return SECRET" in removed[0]
    assert removed[0].rstrip().endswith("```")


def test_colon_fenced_gates_work_too():
    text = md("""
        :::{solution-start} ex-code
        :::
        ```{code-cell} ipython3
        SECRET = 2
        ```
        :::{solution-end}
        :::
        Kept.
        """)
    assert strip_solutions(text) == "Kept.\n"


def test_a_solution_inside_another_directive_is_found():
    text = md("""
        :::::{admonition} Homework
        ::::{solution} ex-a
        SECRET
        ::::
        Kept inside.
        :::::
        """)
    assert strip_solutions(text) == ":::::{admonition} Homework\nKept inside.\n:::::\n"


def test_solution_markup_shown_in_a_code_block_is_literal_text():
    text = md("""
        `````markdown
        ````{solution-start} ex-a
        ````
        :::{solution} ex-b
        :::
        `````
        """)
    assert strip_solutions(text) == text


def test_a_code_cell_is_opaque():
    text = md("""
        ```{code-cell} ipython3
        print(":::{solution-end}")
        ```
        """)
    assert strip_solutions(text) == text


@pytest.mark.parametrize("text,message", [
    ("```{solution-end}\n```\n", "without a {solution-start}"),
    ("```{solution-start} a\n```\ncode\n", "never closed by a {solution-end}"),
    ("```{solution-start} a\n```\n```{solution-start} b\n```\n```{solution-end}\n```\n",
     "inside the gated solution"),
    ("```{solution-start} a\n```\n:::{solution} b\nx\n:::\n```{solution-end}\n```\n",
     "inside the gated solution"),
    (":::{solution} a\nnever closed\n", "never closed"),
    ("::::{solution} a\ntoo short a close\n:::\n", "never closed"),
])
def test_unbalanced_markers_are_an_error_with_the_line(text, message):
    with pytest.raises(SolutionMarkupError, match=message) as caught:
        strip_solutions(text, "book/x.md")
    assert str(caught.value).startswith("book/x.md:")


def test_the_student_sources_keep_code_reachable_and_hide_solutions(tmp_path):
    root = tmp_path / "repo"
    (root / "book").mkdir(parents=True)
    (root / "code").mkdir()
    (root / "code" / "m.py").write_text("def f(): pass\n")
    (root / "_config.yml").write_text("title: t\nsphinx:\n  extra_extensions: [sphinx_exercise]\n")
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (root / "book" / "_toc.yml").symlink_to("../_toc.yml")
    (root / "book" / "intro.md").write_text(":::{solution} ex\nSECRET\n:::\nHello.\n")
    (root / "book" / "refs.bib").write_text("@book{x}\n")
    dest = tmp_path / "student"
    assert [str(p) for p in prepare_student_sources(root, dest)] == ["intro.md"]
    assert (dest / "book" / "intro.md").read_text() == "Hello.\n"
    assert (dest / "book" / "../code/m.py").read_text() == "def f(): pass\n"
    assert (dest / "book" / "_toc.yml").read_text().startswith("format: jb-book")
    assert (dest / "book" / "refs.bib").exists()
    assert "hide_solutions: true" in (dest / "_config.yml").read_text()
    (root / "book" / "refs.bib").unlink()
    prepare_student_sources(root, dest)
    assert not (dest / "book" / "refs.bib").exists(), "a file removed from book/ leaves the copy"
