"""The whole book as one PDF, for print and for reading offline.

    python -m scratchnet_book.pdf              # make pdf:         _build/pdf/scratchnet.pdf
    python -m scratchnet_book.pdf --student    # make pdf-student: _build/pdf/scratchnet-student.pdf

How: Jupyter Book's single-page HTML build (``jupyter-book build book/ --builder singlehtml``, of
the student edition's sources for ``--student``, so no solution is in it) printed by headless
Chromium through Playwright (``page.pdf``), every request that leaves the local server blocked.
The page is the site's own, so the PDF has what the site has, numbered as on the site: every
chapter, the equations' and figures' numbers, the exercises, the executed outputs (tables,
figures), MathJax's formulas; cross-references are links inside the PDF, and the chapters and
sections are its outline (bookmarks). The print style sheet ``book/_static/print.css`` starts each
chapter on a new page, wraps long code lines and leaves out the site's navigation; this module adds
a title page and makes each chapter a top-level entry of the outline. It needs Chromium (the
browser tests' too) and no TeX.

Why not Jupyter Book's LaTeX builder (tried on this book with Debian's TeX Live, ~360 MB): Sphinx's
LaTeX numbers the preface's sections as chapters 1-5, so every number differs from the site's;
sphinx-exercise's references come out as "??" (51 of them); executed HTML outputs (the tables)
fall back to plain text; and sphinx-jupyterbook-latex, which would fix the chapter numbering,
needs texlive-fonts-extra (1.4 GB) for one package and then stops on a formula in a heading.

Before printing it checks that MathJax rendered every formula; a build that fails, a formula left
as TeX or an outside request stops it with a one-line error and exit status 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from scratchnet_book import browser

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "_build" / "pdf"
LOAD_TIMEOUT_MS = 600_000          # a 250-page site with 2,400 formulas on a busy machine
PAGE = {"format": "A4",
        "margin": {"top": "16mm", "bottom": "16mm", "left": "15mm", "right": "15mm"}}
FOOTER = ('<div style="width: 100%; font-size: 8px; color: #555; text-align: center">'
          '<span class="pageNumber"></span></div>')


class PdfError(Exception):
    """The PDF could not be made (the message says why, in one line)."""


def chromium() -> Path:
    """The Chromium to print with: the browser tests' (:func:`browser.find_chromium`)."""
    found = browser.find_chromium()
    if found is None:
        raise PdfError(f"nothing to print with: {browser.MISSING}")
    return found


def build_singlehtml(source: Path) -> Path:
    """``jupyter-book build book/ --builder singlehtml`` in ``source``; returns the site folder."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    jupyter_book = shutil.which("jupyter-book", path=env["PATH"]) or "jupyter-book"
    result = subprocess.run([jupyter_book, "build", "book/", "--builder", "singlehtml"],
                            cwd=source, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stdout + result.stderr).strip().splitlines()[-12:]
        raise PdfError(f"the single-page build in {source} failed: " + " | ".join(last))
    site = source / "_build" / "singlehtml"
    if not (site / "index.html").is_file():
        raise PdfError(f"the single-page build wrote no {site / 'index.html'}")
    return site


def student_source() -> Path:
    """The student edition's sources (solutions removed), prepared as ``make book-student`` does."""
    from scratchnet_book.editions import prepare_student_sources

    source = ROOT / "_build" / "student" / "source"
    prepare_student_sources(ROOT, source)
    return source


PREPARE_JS = """([title, subtitle, author]) => {
  const page = document.createElement("section");
  page.className = "pdf-title-page";
  for (const name of ["title", "subtitle", "author"]) {
    const line = document.createElement("p");   // no heading: the outline starts at the Preface
    line.className = `pdf-${name}`;
    page.append(line);
  }
  page.querySelector(".pdf-title").textContent = title;
  page.querySelector(".pdf-subtitle").textContent = subtitle;
  page.querySelector(".pdf-author").textContent = author;
  (document.querySelector(".bd-article-container") || document.body).prepend(page);
  // Each included page's title is an <h2> under the Preface's <h1>: make it an <h1>, so every
  // chapter is a top-level entry of the PDF's outline.
  for (const title of document.querySelectorAll('span[id^="document-"] + section > h2')) {
    const heading = document.createElement("h1");
    for (const attribute of title.attributes) heading.setAttribute(attribute.name, attribute.value);
    heading.append(...title.childNodes);
    title.replaceWith(heading);
  }
  document.body.classList.add("pdf-book");
}"""

READY_JS = """() => Promise.all([
  window.MathJax && MathJax.startup ? MathJax.startup.promise : null, document.fonts.ready,
  ...[...document.images].map(img => img.complete ? null
      : new Promise(done => { img.onload = img.onerror = done; }))]).then(() => true)"""


def print_site(site: Path, out: Path, subtitle: str) -> None:
    """Print ``site/intro.html`` (the single page) to ``out`` with Chromium."""
    from playwright.sync_api import sync_playwright

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    root = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))["root"]
    blocked: list[str] = []
    with browser.serve(site) as base, sync_playwright() as playwright:
        host = urlsplit(base).netloc

        def route(request_route):
            url = request_route.request.url
            if urlsplit(url).netloc == host or url.startswith(("data:", "blob:", "about:")):
                request_route.continue_()
            else:
                blocked.append(url)
                request_route.abort("blockedbyclient")

        chrome = playwright.chromium.launch(executable_path=str(chromium()), args=browser.ARGS)
        try:
            context = chrome.new_context(color_scheme="light", service_workers="block")
            context.set_default_timeout(LOAD_TIMEOUT_MS)
            context.route("**/*", route)
            page = context.new_page()
            page.goto(f"{base}/{root}.html", wait_until="load")
            page.evaluate(READY_JS)
            unrendered = page.locator(".math:not(:has(mjx-container))").count()
            if unrendered:
                raise PdfError(f"{unrendered} formulas of {site} were not rendered by MathJax")
            if blocked:
                raise PdfError(f"the book asked for {len(blocked)} outside resources: {blocked[0]}")
            page.evaluate(PREPARE_JS, [config["title"], subtitle, config.get("author", "")])
            page.emulate_media(media="print")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(path=str(out), print_background=True, outline=True, tagged=True,
                     display_header_footer=True, header_template="<span></span>",
                     footer_template=FOOTER, **PAGE)
        finally:
            chrome.close()


def pdf_path(student: bool = False) -> Path:
    """Where :func:`make_pdf` writes the PDF."""
    return OUT / ("scratchnet-student.pdf" if student else "scratchnet.pdf")


def make_pdf(student: bool = False) -> tuple[Path, Path]:
    """Build the book's single page (or its student edition's) and print it; returns the PDF
    and the single-page site it was printed from."""
    source = student_source() if student else ROOT
    site = build_singlehtml(source)
    out = pdf_path(student)
    subtitle = "Student edition: the exercises without their solutions" if student else ""
    print_site(site, out, subtitle)
    return out, site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scratchnet_book.pdf",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--student", action="store_true",
                        help="the student edition (no solutions)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        out, _ = make_pdf(student=args.student)
    except PdfError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{out.relative_to(ROOT)} written in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
