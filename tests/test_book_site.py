"""The built book as a website: the exact build command works, every page of the table of contents
is there, and the site works with no network — nothing is fetched from outside it, pages load in
headless Chromium with every outside request blocked, and the math renders.
"""

from __future__ import annotations

import html
import os
import re

import pytest
import yaml
from bs4 import BeautifulSoup
from site_support import (
    BOOK_TOC,
    CHROMIUM,
    ROOT,
    TOP_TOC,
    OfflineBrowser,
    css_references,
    is_outside,
    outside_references,
    serve,
    toc_files,
)

# sphinx-thebe 0.3.1 writes its inline configuration script (``const THEBE_JS_URL = ...``) twice
# into every page, so Chromium reports the second ``const`` as a redeclaration. Thebe itself is
# never loaded (the book has no launch buttons), so the error changes nothing a reader sees.
KNOWN_PAGE_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)

EXTRA_PAGES = ["index", "search", "genindex"]
BOOK_TITLE = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["title"]


# --- (a) `jupyter-book build book/` works because book/_toc.yml links to the top-level toc ---------


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
    outside = {str(css.relative_to(built_book)): urls for css in sheets
               if (urls := [u for u in css_references(css.read_text(encoding="utf-8", errors="replace"))
                            if is_outside(u)])}
    assert not outside, f"style sheets that load from outside the site: {outside}"


def test_mathjax_and_its_fonts_are_served_from_the_site(built_book):
    math_pages = [name for name in toc_files()
                  if 'class="math' in (built_book / f"{name}.html").read_text(encoding="utf-8")]
    assert math_pages, "no page has math; the MathJax checks would prove nothing"
    for name in math_pages:
        html = (built_book / f"{name}.html").read_text(encoding="utf-8")
        assert re.search(r'<script[^>]* src="_static/mathjax/tex-chtml\.js(\?[^"]*)?"', html), (
            f"{name}: MathJax is not loaded from _static/mathjax")
        assert "cdn.jsdelivr.net/npm/mathjax" not in html
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert list((built_book / "_static" / "mathjax").rglob("*.woff*")), "MathJax fonts missing"


# --- (c) headless Chromium, every outside request blocked ----------------------------------------

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason=f"{CHROMIUM} not installed (.ci/run installs chromium)")


@pytest.fixture(scope="module")
def offline_browser(built_book):
    with serve(built_book) as base_url, OfflineBrowser(base_url) as browser:
        yield browser


@needs_chromium
def test_the_offline_browser_blocks_and_records_outside_requests(tmp_path):
    """The check below would catch a CDN: a page that asks for one gets it blocked and recorded."""
    (tmp_path / "cdn.html").write_text(
        '<html><head><title>cdn</title>'
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>'
        '</head><body>x</body></html>', encoding="utf-8")
    with serve(tmp_path) as base_url, OfflineBrowser(base_url) as browser:
        visit = browser.visit("cdn.html")
    assert visit.status == 200
    assert visit.blocked == ["https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"]


@needs_chromium
@pytest.mark.parametrize("name", toc_files() + EXTRA_PAGES)
def test_page_loads_offline_and_its_math_renders(offline_browser, name):
    visit = offline_browser.visit(f"{name}.html")
    print(f"{name}: {visit.seconds:.2f} s, {visit.mjx_containers} formulas rendered")
    assert visit.status == 200
    if name == "index":
        assert visit.final_url.endswith(f"/{toc_files()[0]}.html"), "index.html must lead to the root"
    assert visit.title.endswith(BOOK_TITLE), f"{name}: title {visit.title!r}"
    assert not visit.blocked, f"requests to outside the site: {visit.blocked}"
    assert not visit.failed, f"failed requests: {visit.failed}"
    errors = [e for e in visit.page_errors if not any(k in e for k in KNOWN_PAGE_ERRORS)]
    assert not errors, f"JavaScript errors: {errors}"
    if visit.math_nodes:
        assert visit.unrendered_math == 0, (
            f"{visit.unrendered_math} of {visit.math_nodes} formulas not rendered by MathJax")
        assert visit.mjx_containers >= visit.math_nodes
        assert not visit.math_errors, f"MathJax errors: {visit.math_errors}"


# --- executed outputs --------------------------------------------------------------------------


def test_no_page_shows_a_python_warning_in_its_outputs(built_book):
    """A warning printed by a cell (e.g. tqdm.auto's "IProgress not found") is noise for readers."""
    warned = {}
    for name in toc_files():
        page = BeautifulSoup((built_book / f"{name}.html").read_text(encoding="utf-8"), "html.parser")
        for output in page.select("div.output.stderr"):
            if re.search(r"\b\w+Warning\b", output.get_text()):
                warned.setdefault(name, []).append(output.get_text()[:200])
    assert not warned, f"cells printed warnings: {warned}"
