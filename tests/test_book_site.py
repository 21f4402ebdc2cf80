"""The built book as a website: the exact build command works, every page of the table of contents
is there, nothing a page loads comes from outside the site, and the HTML lets the theme's scripts
work. Every page in a real browser, offline, is tests/test_browser.py's.
"""

from __future__ import annotations

import html
import os
import re

import yaml
from bs4 import BeautifulSoup
from site_support import (
    BOOK_TOC,
    ROOT,
    TOP_TOC,
    css_references,
    is_outside,
    outside_references,
    toc_files,
)

BOOK_TITLE = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["title"]


# --- (a) `jupyter-book build book/` works because book/_toc.yml links to the top-level toc -----


def test_book_toc_is_a_relative_link_to_the_top_level_toc():
    assert BOOK_TOC.is_symlink(), "book/_toc.yml must be a link to ../_toc.yml"
    assert os.readlink(BOOK_TOC) == "../_toc.yml", "a relative link survives a clone elsewhere"
    assert BOOK_TOC.resolve() == TOP_TOC.resolve()
    assert not (ROOT / "book" / "_config.yml").exists(), "the top-level _config.yml is the one"


def test_make_book_runs_exactly_jupyter_book_build_book():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^book:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "Makefile has no book target"
    assert "\tjupyter-book build book/\n" in recipe.group(1)


def test_the_build_has_index_and_every_page_the_toc_lists(built_book):
    assert (built_book / "index.html").is_file()
    missing = [name for name in toc_files() if not (built_book / f"{name}.html").is_file()]
    assert not missing, f"pages in _toc.yml but not in {built_book}: {missing}"


def test_the_build_used_the_top_level_config(built_book):
    root_page = (built_book / f"{toc_files()[0]}.html").read_text(encoding="utf-8")
    assert BOOK_TITLE in html.unescape(root_page)


# --- (b) nothing a page loads comes from outside the site ---------------------------------------


def test_no_page_loads_a_script_style_font_or_image_from_outside(built_book):
    pages = sorted(built_book.rglob("*.html"))
    assert len(pages) >= len(toc_files())
    outside = {str(page.relative_to(built_book)): refs for page in pages
               if (refs := outside_references(page.read_text(encoding="utf-8")))}
    assert not outside, f"pages that would fetch from outside the site: {outside}"


def test_no_style_sheet_imports_or_loads_fonts_from_outside(built_book):
    sheets = sorted(built_book.rglob("*.css"))
    assert sheets
    outside = {}
    for css in sheets:
        text = css.read_text(encoding="utf-8", errors="replace")
        if urls := [u for u in css_references(text) if is_outside(u)]:
            outside[str(css.relative_to(built_book))] = urls
    assert not outside, f"style sheets that load from outside the site: {outside}"


def test_mathjax_and_its_fonts_are_served_from_the_site(built_book):
    soups = {name: BeautifulSoup((built_book / f"{name}.html").read_text(encoding="utf-8"),
                                 "html.parser") for name in toc_files()}
    math_pages = [name for name, soup in soups.items() if soup.select('[class*="math"]')]
    assert math_pages, "no page has math; the MathJax checks would prove nothing"
    for name in math_pages:
        sources = [tag["src"].split("?")[0] for tag in soups[name].find_all("script", src=True)]
        assert "_static/mathjax/tex-chtml.js" in sources, (
            f"{name}: MathJax is not loaded from _static/mathjax")
        assert not [src for src in sources if "cdn.jsdelivr.net/npm/mathjax" in src]
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert list((built_book / "_static" / "mathjax").rglob("*.woff*")), "MathJax fonts missing"


# --- (c) the theme's scripts can work: each inline script once, one button of each kind ---------
# The pages in a real browser are tests/test_browser.py's; these read the HTML.


def test_no_page_repeats_an_inline_script(built_book):
    """A repeated ``const`` declaration is a JavaScript error (``THEBE_JS_URL`` was, on every
    page: Sphinx 7.4 wrote extensions' inline scripts twice; scratchnet_book.sphinx_site)."""
    repeated = {}
    for page in sorted(built_book.glob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        bodies = [s.get_text() for s in soup.find_all("script", src=False) if s.get_text().strip()]
        if dupes := sorted({b[:60] for b in bodies if bodies.count(b) > 1}):
            repeated[page.name] = dupes
    assert not repeated, f"inline scripts written twice: {repeated}"


def test_every_page_has_one_button_for_each_sidebar(built_book):
    """The theme's scripts bind the first ``.primary-toggle``/``.secondary-toggle`` of a page: a
    second, hidden one (pydata-sphinx-theme's navbar) left the visible buttons dead."""
    wrong = {}
    for name in toc_files():
        soup = BeautifulSoup((built_book / f"{name}.html").read_text(encoding="utf-8"),
                             "html.parser")
        counts = {cls: len(soup.select(f"button.{cls}")) for cls in ("primary-toggle",
                                                                      "secondary-toggle")}
        if counts["primary-toggle"] != 1 or counts["secondary-toggle"] > 1:
            wrong[name] = counts
    assert not wrong, f"pages with other than one button per sidebar: {wrong}"


# --- executed outputs --------------------------------------------------------------------------


def test_no_page_shows_a_python_warning_in_its_outputs(built_book):
    """A warning printed by a cell (e.g. tqdm.auto's "IProgress not found") is noise for readers."""
    warned = {}
    for name in toc_files():
        page = BeautifulSoup((built_book / f"{name}.html").read_text(encoding="utf-8"),
                             "html.parser")
        for output in page.select("div.output.stderr"):
            if re.search(r"\b\w+Warning\b", output.get_text()):
                warned.setdefault(name, []).append(output.get_text()[:200])
    assert not warned, f"cells printed warnings: {warned}"
