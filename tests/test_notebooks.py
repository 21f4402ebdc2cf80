"""Chapters as downloadable notebooks that run outside the book and read like the pages: every
literalinclude shows the page's lines, and no MyST reaches a notebook reader."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell
from notebook_support import ROOT, literalincludes, myst_left, shown_lines
from sphinx.config import Config
from sphinx.directives.code import LiteralIncludeReader
from sphinx.util import parselinenos

from scratchnet_book.myst_markdown import PageFacts, convert, convert_inline, roles_in
from scratchnet_book.sphinx_notebooks import (
    code_cells,
    is_notebook_source,
    runnable_notebook,
    show_source,
    show_source_call,
)

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY = CONFIG["repository"]["url"]
LIBRARY_INCLUDES = [i for i in literalincludes() if "code/scratchnet/" in i[1]]


def chapter_pages() -> list[str]:
    toc = (ROOT / "_toc.yml").read_text()
    files = re.findall(r"file:\s*(\S+)", toc) + [re.search(r"root:\s*(\S+)", toc)[1]]
    return [f for f in files if is_notebook_source(ROOT / "book" / f"{f}.md")]


def markdown_of(pieces) -> str:
    assert all(isinstance(p, str) for p in pieces), pieces
    return "\n\n".join(pieces)


def glued(value: str, mime: str = "text/plain") -> dict:
    return {"output_type": "display_data", "metadata": {}, "data": {mime: value}}


# --- literalinclude: the page's lines, from the installed package --------------------------------


def printed_by(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"show_source": show_source})
    return out.getvalue()


def sphinx_shows(path: str, options: dict[str, str]) -> tuple[list[str], int, list[int]]:
    """The lines Sphinx's literalinclude shows, the number of the first and the highlighted
    ones (1-based): the oracle."""
    typed = {k: (int(v) if v.strip() else None) if k == "dedent" else
             int(v) if k == "lineno-start" else v for k, v in options.items()}
    reader = LiteralIncludeReader(str(ROOT / "book" / path), typed, Config())
    text, count = reader.read()
    marked = ([n + 1 for n in parselinenos(options["emphasize-lines"], count)]
              if "emphasize-lines" in options else [])
    return text.splitlines(), reader.lineno_start, marked


@pytest.mark.parametrize(("page", "path", "options"), LIBRARY_INCLUDES,
                         ids=[f"{p}:{o.get('pyobject', a)}:{o.get('start-at', '')}"
                              for p, a, o in LIBRARY_INCLUDES])
def test_each_include_of_the_book_prints_the_lines_the_page_shows(page, path, options):
    cell = runnable_notebook_include(path, options)
    numbered = bool({"lineno-match", "linenos", "lineno-start"} & options.keys())
    lines, numbers, marked = shown_lines(printed_by(cell), numbered)
    expected, first, emphasized = sphinx_shows(path, options)
    assert lines == expected
    if numbered:
        assert numbers == list(range(first, first + len(expected)))
    assert sorted(marked) == emphasized


def runnable_notebook_include(path: str, options: dict[str, str]) -> str:
    module = re.search(r"code/(scratchnet/[\w/]+)\.py$", path)[1].replace("/", ".")
    return show_source_call(module, options)


def test_the_chapters_use_the_include_options_checked_here():
    """The oracle test above covers start-at/end-at, end-before, dedent, lineno-match and
    emphasize-lines because the chapters use them."""
    used = {key for _, _, options in LIBRARY_INCLUDES for key in options}
    assert {"pyobject", "start-at", "end-at", "end-before", "dedent", "lineno-match",
            "emphasize-lines"} <= used


@pytest.mark.parametrize("options", [
    {"pyobject": "backward", "start-after": "n = X.shape[0]", "end-before": "return"},
    {"pyobject": "backward", "start-at": "dW2 = A1.T @ dZ2", "end-before": "dZ2"},
    {"pyobject": "backward", "lines": "2-4,7", "dedent": "4"},
    {"pyobject": "backward", "lines": "3-6", "lineno-match": ""},
    {"pyobject": "softmax", "lineno-start": "10", "emphasize-lines": "1,3-4"},
    {"pyobject": "relu", "prepend": "# before", "append": "# after", "linenos": ""},
    {"start-at": "def relu(", "end-at": "return", "lineno-match": ""},
    {"lines": "1-5"},
], ids=lambda o: ",".join(o))
def test_every_include_option_gives_what_sphinx_gives(options):
    path = "../code/scratchnet/model.py"
    cell = show_source_call("scratchnet.model", options)
    numbered = bool({"lineno-match", "linenos", "lineno-start"} & options.keys())
    lines, numbers, marked = shown_lines(printed_by(cell), numbered)
    expected, first, emphasized = sphinx_shows(path, options)
    assert lines == expected
    assert numbers == (list(range(first, first + len(expected))) if numbered else [])
    assert sorted(marked) == emphasized


def test_an_include_outside_the_library_shows_its_lines_and_links_the_file():
    facts = PageFacts(include=None)
    seen = []

    def read(path, options):
        seen.append((path, options))
        return "def main():\n    pass\n"

    from scratchnet_book.sphinx_notebooks import include_piece
    facts.include = lambda path, options: include_piece(path, options, REPOSITORY, "main",
                                                        read=read)
    text = markdown_of(convert("```{literalinclude} ../benchmarks/b.py\n:pyobject: main\n"
                               "```", facts))
    assert f"]({REPOSITORY}/blob/main/benchmarks/b.py)" in text
    assert "```\ndef main():\n    pass\n```" in text
    assert seen == [("../benchmarks/b.py", {"pyobject": "main"})]


def test_an_include_in_a_grid_item_splits_the_markdown_around_its_code_cell():
    from scratchnet_book.sphinx_notebooks import include_piece
    facts = PageFacts()
    facts.include = lambda path, options: include_piece(path, options, REPOSITORY, "main")
    source = ("Before.\n\n::::{grid} 2\n:::{grid-item}\n$$a$$\n:::\n:::{grid-item}\n"
              "```{literalinclude} ../code/scratchnet/model.py\n:pyobject: relu\n```\n:::\n"
              "::::\n\nAfter.")
    pieces = convert(source, facts)
    assert [type(p) is str for p in pieces] == [True, False, True]
    assert pieces[0] == "Before.\n\n$$a$$"
    assert pieces[1].source == "import scratchnet.model\nshow_source(scratchnet.model.relu)"
    assert pieces[2] == "After."


# --- roles ---------------------------------------------------------------------------------------


def test_glued_values_are_formatted_as_the_page_formats_them():
    facts = PageFacts(glue={"acc": glued("0.97314"), "n": glued("'8,000'"), "big": glued("12345"),
                            "verdict": glued("'met | not *quite*'")})
    text = convert_inline("Accuracy {glue:text}`acc:.1%` on {glue:text}`n` digits, "
                          "{glue:text}`big:,d` steps: {glue:text}`verdict`.", facts)
    assert text == r"Accuracy 97.3% on 8,000 digits, 12,345 steps: met \| not \*quite\*."
    assert facts.counts == {"{glue:text}": 4}
    assert not facts.problems


def test_glue_roles_without_text_paste_their_markdown_or_latex():
    facts = PageFacts(glue={"md": glued("**bold** and {eq}`e`", "text/markdown"),
                            "tex": glued("$x^2$", "text/latex")},
                      roles={":eq:`e`": "[(1.1)](https://s/p.html#e)"})
    assert convert_inline("{glue:md}`md` {glue:}`tex`", facts) == \
        "**bold** and [(1.1)](https://s/p.html#e) $x^2$"


def test_a_value_that_was_not_glued_is_a_problem_not_a_silent_gap():
    facts = PageFacts()
    convert_inline("{glue:text}`missing:.2f`", facts)
    assert facts.problems == ["{glue:text}`missing:.2f`: no value named 'missing' was glued"]


def test_references_become_the_text_the_build_resolved():
    facts = PageFacts(roles={":numref:`sec-a`": "[Section 2.1](https://s/a.html#sec-a)",
                             ":cite:t:`bridle1990`": "[Bridle (1990)](https://s/r.html#b)"})
    text = convert_inline("See {numref}`sec-a`, after {cite:t}`bridle1990`.", facts)
    assert text == ("See [Section 2.1](https://s/a.html#sec-a), after "
                    "[Bridle (1990)](https://s/r.html#b).")


def test_an_unresolved_reference_keeps_its_text_and_is_reported():
    facts = PageFacts()
    assert convert_inline("{ref}`the split <sec-data-split>` and {term}`epoch`", facts) == \
        "the split and epoch"
    assert len(facts.problems) == 2


def test_roles_inside_code_spans_are_literal_text():
    text = "Write `{glue:text}` or ``{eq}`label` `` in the source; {math}`x^2` is maths."
    assert [(name, content) for _, _, name, content in roles_in(text)] == [("math", "x^2")]
    assert convert_inline(text, PageFacts()) == \
        "Write `{glue:text}` or ``{eq}`label` `` in the source; $x^2$ is maths."


def test_a_fenced_code_block_keeps_its_myst_as_text():
    text = "````markdown\n```{math}\n:label: x\n```\n{eq}`x`\n````"
    assert convert(text, PageFacts()) == [text]


# --- blocks --------------------------------------------------------------------------------------


def test_targets_comments_and_block_breaks_disappear():
    facts = PageFacts()
    text = markdown_of(convert("(sec-a)=\n## A\n\n% a note to authors\nText.\n\n+++\n\nMore.",
                               facts))
    assert text == "## A\n\nText.\n\nMore."
    assert facts.counts == {"(label)=": 1, "% comment": 1, "+++": 1}


def test_a_numbered_equation_gets_the_page_number_as_a_tag():
    facts = PageFacts(equations={"eq-a": "3.2", "eq-b": "3.3"})
    text = markdown_of(convert("```{math}\n:label: eq-a\n\\mathbf{Z} = \\mathbf{XW}\n```\n\n"
                               "$$ y = 1 $$ (eq-b)\n\n```{math}\nz = 0\n```", facts))
    assert text == ("$$\n\\mathbf{Z} = \\mathbf{XW} \\tag{3.2}\n$$\n\n$$\ny = 1 \\tag{3.3}\n$$"
                    "\n\n$$\nz = 0\n$$")


def test_a_multiline_equation_is_aligned_and_blank_lines_never_reach_dollar_dollar():
    facts = PageFacts(equations={"eq-a": "1"})
    text = markdown_of(convert("```{math}\n:label: eq-a\na &= b \\\\\n  &= c\n\nd = e\n```",
                               facts))
    assert text == ("$$\n\\begin{aligned}\\begin{aligned}a &= b \\\\\n  &= c\\end{aligned} "
                    "\\\\\nd = e\\end{aligned} \\tag{1}\n$$")
    assert "\n\n" not in text


def test_an_equation_in_a_list_item_keeps_its_indent():
    text = markdown_of(convert("- first:\n\n  ```{math}\n  x = 1\n  ```\n- second", PageFacts()))
    assert text == "- first:\n\n  $$\n  x = 1\n  $$\n- second"
    text = markdown_of(convert("1. ```{math}\n   y = 2\n   ```\n2. next", PageFacts()))
    assert text == "1. $$\n   y = 2\n   $$\n2. next"


def test_admonitions_become_block_quotes_with_their_title():
    facts = PageFacts(roles={":doc:`data`": "[Data](https://s/data.html)"})
    text = markdown_of(convert(":::{admonition} Learning goals\n:class: tip\nAfter this you can\n"
                               "\n- read {doc}`data`\n:::\n\n:::{important}\n**Rows are "
                               "examples.**\n:::", facts))
    assert text == ("> **Learning goals**\n>\n> After this you can\n>\n> - read "
                    "[Data](https://s/data.html)\n\n> **Important**\n>\n> **Rows are examples.**")


def test_exercises_and_solutions_carry_the_pages_numbered_titles():
    facts = PageFacts(titles={"ex-a": "Exercise 2.1 (Shuffled pixels)",
                              "sol-a": "Solution to Exercise 2.1 (Shuffled pixels)"})
    text = markdown_of(convert("::::{exercise} Shuffled pixels\n:label: ex-a\n\nWhy?\n::::\n\n"
                               ":::{solution} ex-a\n:label: sol-a\n:class: dropdown\n\nBecause."
                               "\n:::", facts))
    assert text == ("> **Exercise 2.1 (Shuffled pixels)**\n>\n> Why?\n\n"
                    "> **Solution to Exercise 2.1 (Shuffled pixels)**\n>\n> Because.")


def test_a_gated_exercise_opens_with_a_rule_and_its_title_and_ends_with_a_rule():
    facts = PageFacts(titles={"ex-b": "Exercise 3.1 (A softmax)"})
    start = markdown_of(convert("````{exercise-start} A softmax\n:label: ex-b\n````\n\nWrite it.",
                                facts))
    end = markdown_of(convert("```{exercise-end}\n```", facts))
    assert start == "---\n\n**Exercise 3.1 (A softmax)**\n\nWrite it."
    assert end == "---"
    both = markdown_of(convert("```{exercise-end}\n```\n\n````{exercise-start}\n:label: ex-b\n"
                               "````", facts))
    assert both == "---\n\n**Exercise 3.1 (A softmax)**", "one rule between two exercises"


def test_an_exercise_the_build_did_not_number_is_reported():
    facts = PageFacts()
    text = markdown_of(convert(":::{exercise} Why\n:label: ex-x\nText.\n:::", facts))
    assert text.startswith("> **Exercise (Why)**")
    assert facts.problems == ["{exercise} ex-x: no title from the build"]


def test_a_table_gets_its_number_and_caption_above_it():
    facts = PageFacts(numbers={"tbl-a": "Table 12.1"}, glue={"n": glued("256")})
    text = markdown_of(convert(":::{table} FLOPs with {glue:text}`n` units.\n:name: tbl-a\n\n"
                               "| a | b |\n|---|---|\n| 1 | {glue:text}`n` |\n:::", facts))
    assert text == ("**Table 12.1** FLOPs with 256 units.\n\n| a | b |\n|---|---|\n"
                    "| 1 | 256 |")


def test_a_glued_block_shows_the_output_markdown_can_show():
    facts = PageFacts(glue={"t": glued("<table>\n\n<tr><td>1</td></tr>\n</table>", "text/html"),
                            "p": {"data": {"image/png": "iVBOR", "text/plain": "<Figure>"}}})
    assert convert("```{glue} t\n```", facts) == ["<table>\n<tr><td>1</td></tr>\n</table>"]
    assert convert("```{glue:figure} p\n:name: fig-p\nA plot.\n```", facts) == \
        ["![p](data:image/png;base64,iVBOR)\n\n*A plot.*"]


def test_a_figure_shows_its_image_from_the_repository_and_its_caption():
    facts = PageFacts(numbers={"fig-a": "Fig. 1.2"}, source_url="https://r/raw/main/book/")
    text = markdown_of(convert("```{figure} images/a.png\n:name: fig-a\n:alt: Digits\n\n"
                               "Some digits.\n```", facts))
    assert text == "![Digits](https://r/raw/main/book/images/a.png)\n\n*__Fig. 1.2__ Some digits.*"\
        .replace("__", "**")


def test_raw_html_becomes_a_link_to_the_page():
    facts = PageFacts(page_url="https://s/demo.html")
    text = markdown_of(convert("```{raw} html\n<div id=demo></div>\n```", facts))
    assert "<div" not in text and "(https://s/demo.html)" in text


def test_bibliography_and_chapter_map_show_what_the_build_made():
    facts = PageFacts(blocks={"bibliography": ["- Nielsen (2015). *Neural networks*."],
                              "chapter-map": ["| part | chapter |\n|---|---|\n| I | 1. Data |"]})
    text = markdown_of(convert("```{chapter-map}\ndata: the data\n```\n\n```{bibliography}\n```",
                               facts))
    assert text == ("| part | chapter |\n|---|---|\n| I | 1. Data |\n\n"
                    "- Nielsen (2015). *Neural networks*.")


def test_an_unknown_directive_is_reported_and_keeps_its_content():
    facts = PageFacts()
    assert markdown_of(convert("```{mystery} arg\nInside.\n```", facts)) == "Inside."
    assert facts.problems == ["the directive {mystery} has no notebook form"]


def test_code_cell_tags_become_jupyter_metadata_and_a_figure_gets_its_caption():
    facts = PageFacts(numbers={"fig-a": "Fig. 5.1"}, glue={"n": glued("3")})
    cell = nbformat.from_dict({"cell_type": "code", "source": "plot()", "metadata": {
        "tags": ["hide-input", "remove-output"],
        "mystnb": {"figure": {"caption": "Error of {glue:text}`n` runs.", "name": "fig-a"}}}})
    code, caption = code_cells(cell, facts)
    assert code.metadata == {"tags": ["hide-input", "remove-output"],
                             "jupyter": {"outputs_hidden": True, "source_hidden": True}}
    assert caption.cell_type == "markdown" and caption.source == "**Fig. 5.1** Error of 3 runs."


# --- what the build resolved, as Markdown --------------------------------------------------------


def test_a_resolved_reference_becomes_a_link_without_its_spaces_inside():
    from docutils import nodes

    from scratchnet_book.sphinx_notebooks import node_markdown
    paragraph = nodes.paragraph("", "", nodes.Text("Solution to"),
                                nodes.reference("", "", nodes.Text(" Exercise 2.1 ("),
                                                nodes.math("", "x_1"), nodes.Text(")"),
                                                refuri="data.html#ex-a"),
                                nodes.Text(" and "), nodes.emphasis("", "a*b"),
                                nodes.literal("", "f(x)"))
    text = node_markdown(paragraph, lambda ref: f"https://s/{ref['refuri']}")
    assert text == ("Solution to [Exercise 2.1 ($x_1$)](https://s/data.html#ex-a) and *a\\*b*"
                    "`f(x)`\n\n")


def test_a_citation_shows_its_label_and_entry_once_and_a_table_becomes_a_pipe_table():
    from docutils import nodes

    from scratchnet_book.sphinx_notebooks import node_markdown, table_markdown
    entry = nodes.paragraph("", "M. Nielsen. ", nodes.emphasis("", "Neural networks"))
    citation = nodes.citation("", nodes.label("", "Nie15"), entry,
                              nodes.label("", "Nie15"), entry.deepcopy())
    assert node_markdown(citation, lambda ref: "") == \
        "- \\[Nie15\\] M. Nielsen. *Neural networks*\n"

    def row(*texts):
        return nodes.row("", *(nodes.entry("", nodes.paragraph("", t)) for t in texts))
    table = nodes.table("", nodes.tgroup("", nodes.thead("", row("part", "chapter")),
                                         nodes.tbody("", row("I", "1. Data | files"))))
    assert table_markdown(table, lambda ref: "") == \
        "| part | chapter |\n|---|---|\n| I | 1. Data \\| files |\n\n"


def test_links_go_to_the_site_named_in_the_configuration_or_the_repositorys_pages():
    from types import SimpleNamespace

    from scratchnet_book.sphinx_notebooks import site_url

    def app(site="", base="", repository="https://github.com/o/book"):
        return SimpleNamespace(config=SimpleNamespace(
            scratchnet_site_url=site, html_baseurl=base,
            html_theme_options={"repository_url": repository}))
    assert site_url(app()) == "https://o.github.io/book/"
    assert site_url(app(base="https://docs.example/x")) == "https://docs.example/x/"
    assert site_url(app(site="https://a/", base="https://b/")) == "https://a/"


# --- the finder of MyST leftovers ---------------------------------------------------------------


@pytest.mark.parametrize(("markdown", "kind"), [
    ("Text {glue:text}`x` more.", "role"),
    ("```{note}\nx\n```", "directive fence"),
    (":::{exercise}\nx\n:::", "colon fence"),
    ("(sec-a)=\n# A", "target"),
    ("% hidden\ntext", "comment"),
    ("$$ x $$ (eq-a)", "labelled $$"),
    ("Version {{ version }} of it", "substitution"),
])
def test_the_leftover_finder_finds_each_kind_of_myst(markdown, kind):
    found = myst_left(markdown)
    assert found and found[0].startswith(kind)


def test_the_leftover_finder_accepts_plain_markdown():
    assert myst_left("# A\n\nText `{glue:text}` in code, $x$, 50%\n\n> **Note**\n\n---\n\n"
                     "```python\n{eq}`x`\n```\n\n$$\nx \\tag{1}\n$$") == []


def test_a_chapter_without_a_build_leaves_no_myst_either():
    """Even unresolved (no build facts), nothing of MyST is left, only reported gaps."""
    facts = PageFacts()
    nb = runnable_notebook(ROOT / "book" / "backward.md", REPOSITORY, facts=facts)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert myst_left(cell.source) == [], cell.source[:300]
    assert facts.problems, "without a build the references cannot be resolved"


def test_the_setup_cell_installs_scratchnet_and_defines_show_source():
    nb = runnable_notebook(ROOT / "book" / "forward.md", REPOSITORY)
    setup = nb.cells[1].source
    assert f'%pip install --quiet "scratchnet @ git+{REPOSITORY}"' in setup
    assert "import scratchnet" in setup
    assert "def show_source(obj" in setup
    sources = "\n".join(c.source for c in nb.cells)
    assert "{literalinclude}" not in sources, "literalinclude means nothing outside the book"
    assert "show_source(scratchnet.model.softmax)" in sources


# --- the built book ------------------------------------------------------------------------------


def notebook(site: Path, page: str) -> nbformat.NotebookNode:
    return nbformat.read(site / "_notebooks" / f"{page}.ipynb", as_version=4)


def rendered_text(nb) -> str:
    """The text a reader sees in the notebook's Markdown cells (CommonMark, no markup)."""
    html = "\n".join(BeautifulSoup(markdown_it_html(c.source), "html.parser").get_text(" ")
                     for c in nb.cells if c.cell_type == "markdown")
    return re.sub(r"\s+", " ", html)


def markdown_it_html(source: str) -> str:
    from notebook_support import COMMONMARK
    return COMMONMARK.render(source)


def test_every_chapter_has_a_notebook_and_a_download_link(built_book):
    pages = chapter_pages()
    assert "forward" in pages
    for page in pages:
        path = built_book / "_notebooks" / f"{page}.ipynb"
        assert path.is_file(), f"no notebook for {page}"
        nbformat.validate(nbformat.read(path, as_version=4))
        page_html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert f'href="_notebooks/{page}.ipynb"' in page_html, f"{page}.html links no notebook"
        assert "scratchnet-notebook-link" in page_html


def test_no_notebook_of_the_build_shows_myst_to_its_reader(built_book):
    left = {}
    for page in chapter_pages():
        for cell in notebook(built_book, page).cells:
            if cell.cell_type == "markdown" and myst_left(cell.source):
                left.setdefault(page, []).extend(myst_left(cell.source))
    assert not left, json.dumps(left, indent=1)[:3000]


def test_the_notebooks_show_the_glued_values_the_pages_show(built_book):
    """Every value pasted into a page's text (MyST-NB's ``pasted-text``) is in its notebook."""
    checked = 0
    for page in chapter_pages():
        soup = BeautifulSoup((built_book / f"{page}.html").read_text(encoding="utf-8"),
                             "html.parser")
        text = rendered_text(notebook(built_book, page))
        for span in soup.select("span.pasted-text"):
            value = re.sub(r"\s+", " ", span.get_text()).strip()
            assert value in text, f"{page}: the page shows {value!r}, its notebook does not"
            checked += 1
    assert checked > 500


def test_equation_numbers_and_exercise_titles_are_the_pages(built_book):
    for page in chapter_pages():
        soup = BeautifulSoup((built_book / f"{page}.html").read_text(encoding="utf-8"),
                             "html.parser")
        nb = notebook(built_book, page)
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        page_numbers = sorted(span.find(string=True).strip().strip("()")
                              for span in soup.select("span.eqno"))
        assert sorted(re.findall(r"\\tag\{([^}]*)\}", markdown)) == page_numbers, page
        bold = [re.sub(r"\s+", " ", b.get_text(" ", strip=True)) for b in
                BeautifulSoup(markdown_it_html(markdown), "html.parser").find_all("strong")]
        for title in soup.select("div.exercise p.admonition-title, "
                                 "div.solution p.admonition-title"):
            number = re.match(r"(Exercise|Solution to Exercise) [\d.]+",
                              title.get_text(" ", strip=True))
            assert number, title
            assert any(re.match(re.escape(number[0]) + r"\b", b) for b in bold), \
                f"{page}: {number[0]} is not a title in the notebook"


def test_every_link_of_a_notebook_into_the_site_reaches_a_page_and_anchor(built_book):
    site = site_url()
    checked = 0
    for page in chapter_pages():
        for cell in notebook(built_book, page).cells:
            if cell.cell_type != "markdown":
                continue
            html = BeautifulSoup(markdown_it_html(cell.source), "html.parser")
            for link in html.find_all("a", href=True):
                if not link["href"].startswith(site):
                    continue
                target, _, anchor = link["href"][len(site):].partition("#")
                path = built_book / target
                assert path.is_file(), f"{page}: {link['href']} is no page of the site"
                if anchor:
                    ids = {tag["id"] for tag in BeautifulSoup(path.read_text(encoding="utf-8"),
                                                              "html.parser").find_all(id=True)}
                    assert anchor in ids, f"{page}: {link['href']}: no such anchor"
                checked += 1
    assert checked > 300


def site_url() -> str:
    match = re.match(r"https://github\.com/([^/]+)/([^/]+)", REPOSITORY)
    return f"https://{match[1]}.github.io/{match[2]}/"


def test_the_include_cells_print_the_code_blocks_of_the_page(built_book):
    """backward.ipynb's show_source cells, run, print what backward.html shows in its code
    blocks (line numbers and all), in the same order."""
    nb = notebook(built_book, "backward")
    printed = [printed_by(c.source) for c in nb.cells
               if c.cell_type == "code" and "show_source(scratchnet." in c.source]
    soup = BeautifulSoup((built_book / "backward.html").read_text(encoding="utf-8"),
                         "html.parser")
    shown = []
    for block in soup.select("div.highlight-python div.highlight pre"):
        numbers = [int(s.get_text()) for s in block.select("span.linenos")]
        for span in block.select("span.linenos"):
            span.decompose()
        shown.append((block.get_text().rstrip("\n").split("\n"), numbers))
    assert len(printed) == 11
    for text in printed:
        numbered = bool(re.match(r"^\s*\d+  ", text))
        lines, numbers, _ = shown_lines(text, numbered)
        assert (lines, numbers) in shown, f"the page shows no block like:\n{text}"


@pytest.mark.book
def test_a_downloaded_notebook_runs_outside_the_repository(built_book, tmp_path, monkeypatch):
    """forward.ipynb, copied to an empty folder and run there, as if MyST-NB were not installed."""
    path = tmp_path / "forward.ipynb"
    shutil.copy(built_book / "_notebooks" / "forward.ipynb", path)
    monkeypatch.chdir(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, new_code_cell('import sys\nsys.modules["myst_nb"] = None  # no MyST-NB'))
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors
    printed = "".join(o.get("text", "") for o in outputs)
    assert "def softmax(Z" in printed, "the literalinclude cell prints the library's softmax"
    assert "softmax not implemented yet" in printed or "✓ correct: softmax" in printed


def test_the_student_notebooks_have_no_solution_and_no_myst(student_site):
    for page in chapter_pages():
        nb = notebook(student_site, page)
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert myst_left(markdown) == [], page
        assert "**Solution to Exercise" not in markdown, page


def test_launch_buttons_open_the_repository_on_binder_and_colab(built_book):
    slug = REPOSITORY.removeprefix("https://github.com/")
    branch = CONFIG["repository"]["branch"]
    for page in chapter_pages():
        soup = BeautifulSoup((built_book / f"{page}.html").read_text(encoding="utf-8"),
                             "html.parser")
        links = {a["href"] for a in soup.find_all("a", href=True)}
        binder = f"https://mybinder.org/v2/gh/{slug}/{branch}?urlpath=lab/tree/book/{page}.md"
        assert binder in links, f"no Binder link on {page}"
        colab = f"https://colab.research.google.com/github/{slug}/blob/notebooks/{page}.ipynb"
        assert colab in links, f"no Colab link on {page}"
        # Thebe stays off: nothing is fetched from a CDN when the page opens.
        remote = [tag["src"] for tag in soup.find_all("script", src=True)
                  if tag["src"].startswith(("http:", "https:", "//"))]
        assert not remote, f"{page} loads {remote}"
        assert not soup.select(".thebe-launch-button")


def test_a_notebook_is_written_again_only_after_the_environment_was_saved(tmp_path):
    """A rebuild with nothing changed writes no notebook (converting all of them took 16 s of
    a 22 s rebuild); once Sphinx has read a page again and saved its environment, every notebook
    is written again."""
    import os

    from scratchnet_book.sphinx_notebooks import up_to_date

    notebook, environment = tmp_path / "page.ipynb", tmp_path / "environment.pickle"
    assert not up_to_date(notebook, environment)
    environment.write_bytes(b"env")
    notebook.write_text("{}")
    os.utime(environment, ns=(1_000_000_000, 1_000_000_000))
    os.utime(notebook, ns=(2_000_000_000, 2_000_000_000))
    assert up_to_date(notebook, environment)
    os.utime(environment, ns=(3_000_000_000, 3_000_000_000))      # a page was read since
    assert not up_to_date(notebook, environment)
    notebook.unlink()
    assert not up_to_date(notebook, environment)
