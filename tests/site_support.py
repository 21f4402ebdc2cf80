"""Helpers for testing the built book as a website: its pages, the assets they load, a local server.

The book must work in a classroom with no internet, so every script, style sheet, font and image
a page loads has to come from the site itself. ``outside_references`` finds any that would not,
statically; ``serve`` plus ``OfflineBrowser`` prove it in headless Chromium with every request
that leaves 127.0.0.1 blocked and recorded.
"""

from __future__ import annotations

import contextlib
import re
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from bs4 import BeautifulSoup

from scratchnet_book import browser

ROOT = Path(__file__).resolve().parents[1]
TOP_TOC = ROOT / "_toc.yml"
BOOK_TOC = ROOT / "book" / "_toc.yml"

OUTSIDE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)   # http://, https://, //host
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'");\s]+)""", re.IGNORECASE)


# --- the table of contents -------------------------------------------------------------------


def toc_files(toc_path: Path = TOP_TOC) -> list[str]:
    """Every document the table of contents lists, root first, in reading order (no suffix)."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(str(Path(entry["file"]).with_suffix("")))
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    walk(toc.get("sections"))
    return files


def page_paths(site: Path) -> dict[str, Path]:
    """The HTML page of every document in the table of contents, keyed by document name."""
    return {name: site / f"{name}.html" for name in toc_files()}


# --- static check: what a page would load -----------------------------------------------------


def is_outside(url: str) -> bool:
    """True for a URL that leaves the site (an absolute http(s) URL or a protocol-relative one)."""
    return bool(OUTSIDE.match(url.strip())) and not url.strip().lower().startswith("data:")


def css_references(css: str) -> list[str]:
    """The URLs a style sheet loads: ``url(...)`` and ``@import``."""
    return CSS_URL.findall(css) + CSS_IMPORT.findall(css)


def outside_references(html: str) -> list[str]:
    """Resources an HTML page would fetch from outside the site: ``<script src>``, ``<link href>``,
    ``<img>``/``<source>``/``<iframe>``/``<video>``/``<audio>``/``<embed>``/``<object>`` sources,
    and ``url()``/``@import`` in inline styles. Plain ``<a href>`` links are not fetched and are
    allowed (the repository button, citations' URLs)."""
    soup = BeautifulSoup(html, "html.parser")
    loads = []                                   # (what, url)
    for tag in soup.find_all("script", src=True):
        loads.append(("<script src>", tag["src"]))
    for tag in soup.find_all("link", href=True):
        loads.append((f"<link rel={' '.join(tag.get('rel', []))}>", tag["href"]))
    for name in ("img", "source", "iframe", "video", "audio", "embed", "track"):
        for tag in soup.find_all(name):
            for attribute in ("src", "srcset", "poster"):
                for candidate in (tag.get(attribute) or "").split(","):
                    if candidate.strip():
                        loads.append((f"<{name} {attribute}>", candidate.split()[0]))
    for tag in soup.find_all("object", data=True):
        loads.append(("<object data>", tag["data"]))
    for tag in soup.find_all("style"):
        loads.extend(("<style>", url) for url in css_references(tag.get_text()))
    for tag in soup.find_all(style=True):
        loads.extend(("style attribute", url) for url in css_references(tag["style"]))
    return [f"{what} {url}" for what, url in loads if is_outside(url)]


# --- the browser: which Chromium, its flags, a local server (scratchnet_book.browser) -----------

CHROMIUM = browser.find_chromium()
NO_CHROMIUM = browser.MISSING
CHROMIUM_ARGS = browser.ARGS
serve = browser.serve


# --- how a reader sees a page: window sizes and colour schemes --------------------------------


@dataclass(frozen=True)
class Mode:
    """A window and colour scheme the browser tests read every page in."""
    name: str
    width: int
    height: int
    color_scheme: str = "light"

    @property
    def phone(self) -> bool:
        return self.width < 992          # the theme's breakpoint for the drawer navigation


DESKTOP = Mode("desktop", 1280, 800)
PHONE = Mode("phone", 390, 844)
DARK = Mode("dark", 1280, 800, "dark")
MODES = (DESKTOP, PHONE, DARK)


# --- headless Chromium, offline ---------------------------------------------------------------


@dataclass
class PageVisit:
    """What happened when one page was opened."""
    url: str
    final_url: str = ""            # after a <meta http-equiv="refresh"> redirect, if any
    status: int | None = None
    title: str = ""
    seconds: float = 0.0
    math_nodes: int = 0            # elements MyST marked as math in the HTML
    mjx_containers: int = 0        # formulas MathJax rendered
    unrendered_math: int = 0       # math elements with no MathJax output inside
    math_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)        # requests that tried to leave the site
    failed: list[str] = field(default_factory=list)         # requests failed or answered >= 400
    page_errors: list[str] = field(default_factory=list)    # uncaught JavaScript exceptions
    console_errors: list[str] = field(default_factory=list)  # console.error() and failed loads


def fetch(url: str) -> str:
    """The page at ``url`` as the local server sends it (before any script or redirect runs)."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8", errors="replace")


def redirects(html: str) -> bool:
    """True for a page that sends the browser on with ``<meta http-equiv="refresh">``."""
    soup = BeautifulSoup(html, "html.parser")
    return any(meta.get("http-equiv", "").lower() == "refresh" for meta in soup.find_all("meta"))


READY_JS = """() => Promise.all([document.fonts.ready,
    ...[...document.images].map(img => img.complete ? null
        : new Promise(done => { img.onload = img.onerror = done; }))]).then(() => true)"""
"""Resolves when the page's fonts and images have loaded (waiting for "network idle" instead
never ends on some pages)."""


class OfflineBrowser:
    """Headless Chromium through Playwright; every request not to one of ``base_urls`` (the local
    servers) is aborted and recorded in :attr:`blocked`."""

    def __init__(self, *base_urls: str):
        self.base_url = ""
        self.hosts: set[str] = set()
        self.blocked: list[str] = []
        for url in base_urls:
            self.allow(url)

    def allow(self, base_url: str) -> None:
        """Let requests to ``base_url``'s host through (the first is the default for paths)."""
        self.base_url = self.base_url or base_url
        self.hosts.add(urlsplit(base_url).netloc)

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        if CHROMIUM is None:
            raise RuntimeError(NO_CHROMIUM)
        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        self.context = self.new_context(DESKTOP)
        return self

    def __exit__(self, *exc):
        self.context.close()
        self.browser.close()
        self._playwright.stop()

    def new_context(self, mode: Mode = DESKTOP):
        """A fresh browser profile (empty localStorage: a first visit) at ``mode``'s size."""
        context = self.browser.new_context(
            service_workers="block", viewport={"width": mode.width, "height": mode.height},
            color_scheme=mode.color_scheme)
        context.route("**/*", self._route)
        return context

    def _route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc in self.hosts:
            route.continue_()
        elif parts.scheme in ("data", "blob", "about"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def open(self, url: str, context=None, math_timeout_ms: int = 20_000):
        """Open ``url`` (absolute, or relative to the first base URL) in a new tab of ``context``,
        wait for it and for MathJax; returns ``(page, visit)``, the tab still open (the caller
        closes it) and still recording errors into ``visit``."""
        if "://" not in url:
            url = f"{self.base_url}/{url}"
        visit = PageVisit(url=url)
        page = (context or self.context).new_page()
        blocked_before = len(self.blocked)
        page.on("requestfailed", lambda r: visit.failed.append(f"{r.url} ({r.failure})"))
        page.on("response",
                lambda r: r.status >= 400 and visit.failed.append(f"{r.url} ({r.status})"))
        page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and visit.console_errors.append(m.text))
        start = time.perf_counter()
        try:
            response = page.goto(url, wait_until="load")
            visit.status = response.status if response else None
            if redirects(fetch(url)):     # index.html -> the root page
                page.wait_for_url(lambda u: u != url, timeout=math_timeout_ms)
                page.wait_for_load_state("load")
            visit.final_url = page.url
            visit.title = page.title()
            visit.math_nodes = page.locator(".math").count()
            loads_mathjax = page.locator('script[src*="mathjax" i]').count() > 0
            if visit.math_nodes and loads_mathjax:     # without MathJax: counted as unrendered
                page.wait_for_selector("mjx-container", state="attached", timeout=math_timeout_ms)
                page.wait_for_function(
                    "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
                    " && MathJax.startup.promise.then(() => true)", timeout=math_timeout_ms)
                page.evaluate("() => MathJax.startup.promise")
            page.evaluate(READY_JS)
            visit.mjx_containers = page.locator("mjx-container").count()
            visit.unrendered_math = page.locator(".math:not(:has(mjx-container))").count()
            visit.math_errors = page.locator("mjx-merror").all_text_contents()
        except Exception:
            page.close()
            raise
        finally:
            visit.seconds = time.perf_counter() - start
            visit.blocked = self.blocked[blocked_before:]
        return page, visit

    def visit(self, path: str, math_timeout_ms: int = 20_000) -> PageVisit:
        """Open ``path``, wait for it and for MathJax, and report what happened."""
        page, visit = self.open(path, math_timeout_ms=math_timeout_ms)
        page.close()
        return visit


# --- what the browser tests look for on a page ------------------------------------------------

BROWSER_JS = ROOT / "tests" / "browser"


def _function(name: str) -> str:
    """A JavaScript function expression from ``tests/browser/<name>``, its leading // comments
    dropped (Playwright's ``evaluate`` calls a string only if it starts as a function)."""
    lines = (BROWSER_JS / name).read_text(encoding="utf-8").splitlines()
    while lines and lines[0].startswith("//"):
        lines.pop(0)
    return "\n".join(lines)


# Elements wider than the window, or cut off by a box that hides its overflow. An element may be
# wider than its column only inside a box of the page's content that scrolls sideways (a code
# cell, a table's container, an equation's MathJax container); a scrolling box around the whole
# article (the theme's .bd-article-container) does not count: the reader would have to scroll
# the whole page column sideways to read a line.
WIDE_JS = _function("wide-elements.js")

# TeX that MathJax did not render: a backslash command in the page's text outside MathJax's
# output and outside code (program text and printed outputs may contain backslashes).
TEX_JS = _function("unrendered-tex.js")

# Display equations that must scroll sideways inside their box to be read whole. On a phone that is
# how a long formula fits; at desktop width it hides part of the formula from a reader who does
# not think of scrolling, so the desktop check asks every equation to fit its column.
EQUATIONS_JS = _function("wide-equations.js")

AXE = BROWSER_JS / "node_modules" / "axe-core" / "axe.min.js"
NO_AXE = "axe-core is not installed: run `npm ci --prefix tests/browser`"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
"""The axe rules whose result depends on colours: all that can change between light and dark."""
BLOCKING_IMPACTS = ("serious", "critical")

AXE_JS = _function("axe-run.js")


def wide_elements(page) -> list[str]:
    """Elements wider than the window, or cut off, on the open ``page`` (see :data:`WIDE_JS`)."""
    return page.evaluate(WIDE_JS)


def unrendered_tex(page) -> list[str]:
    """Backslash commands left in the text of the open ``page`` (see :data:`TEX_JS`)."""
    return page.evaluate(TEX_JS)


def wide_equations(page) -> list[str]:
    """Display equations wider than their column on the open ``page`` (see :data:`EQUATIONS_JS`)."""
    return page.evaluate(EQUATIONS_JS)


def axe_violations(page, only: list[str] | None = None, skip: list[str] = ()) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the open ``page`` (or those of the rules
    ``only``, or all but those in ``skip``): dicts with ``id``, ``impact``, ``help`` and
    ``nodes`` (``target``, ``html``, ``summary``)."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_JS, {"tags": AXE_TAGS, "only": only, "skip": list(skip)})


def _visible_link(page, selector: str, current: str):
    """The first visible link matching ``selector`` that leads away from ``current`` (or any
    visible one when ``current`` is empty), or None."""
    links = page.locator(selector).filter(visible=True)
    for i in range(links.count()):
        link = links.nth(i)
        href = link.evaluate("a => a.href")
        if not current or href.split("#")[0] != current.split("#")[0]:
            return link, href
    return None, None


def drawer_navigation_problems(page, mode: Mode) -> list[str]:
    """Use the page's navigation as a reader would; returns what did not work (empty: all did).

    On a phone: the page-contents button opens the page's contents and a link there scrolls to
    its section and closes them; the ☰ button opens the book's contents and a link there opens
    another page (the tab is left on that page). On a desktop: ☰ hides the sidebar and shows it
    again."""
    problems: list[str] = []
    toggles = page.locator("button.primary-toggle").filter(visible=True)
    if toggles.count() != 1:
        return [f"{toggles.count()} visible ☰ (primary-toggle) buttons, expected 1"]
    sidebar = page.locator("#pst-primary-sidebar")
    if not mode.phone:
        before = sidebar.is_visible()
        toggles.first.click()
        page.wait_for_timeout(300)
        if sidebar.is_visible() == before:
            problems.append(f"☰ did not {'hide' if before else 'show'} the sidebar")
        toggles.first.click()
        page.wait_for_timeout(300)
        if sidebar.is_visible() != before:
            problems.append("a second ☰ did not restore the sidebar")
        return problems
    page_toc = ("#pst-secondary-sidebar nav.page-toc a.nav-link,"
                " dialog[open] nav.page-toc a.nav-link")
    has_page_toc = page.locator("#pst-secondary-sidebar nav.page-toc a.nav-link").count() > 0
    if has_page_toc:
        contents = page.locator("button.secondary-toggle").filter(visible=True)
        if contents.count() != 1:
            problems.append(f"{contents.count()} visible page-contents buttons, expected 1")
        else:
            contents.first.click()
            link, href = None, None
            with contextlib.suppress(Exception):
                page.locator(page_toc).filter(visible=True).first.wait_for(timeout=2_000)
                link, href = _visible_link(page, page_toc, "")
            if link is None:
                problems.append("the page-contents button did not show the page's contents")
            else:
                link.click()
                page.wait_for_timeout(300)
                if not page.url.endswith("#" + href.split("#")[-1]):
                    problems.append(f"a page-contents link did not lead to {href}")
                if page.locator("dialog[open]").count():
                    problems.append("the page's contents stay open over the page after a link")
                    page.keyboard.press("Escape")
    toggles.first.click()
    book_toc = ("dialog[open] nav.bd-docs-nav a.reference,"
                " #pst-primary-sidebar nav.bd-docs-nav a.reference")
    link, href = None, None
    with contextlib.suppress(Exception):
        page.locator(book_toc).filter(visible=True).first.wait_for(timeout=2_000)
        link, href = _visible_link(page, book_toc, page.url)
    if link is None:
        problems.append("☰ did not show the book's contents")
        return problems
    box = link.bounding_box()
    if box is None or box["x"] < 0 or box["x"] + box["width"] > mode.width + 1:
        problems.append(f"the book's contents are not inside the window: link box {box}")
    link.click()
    try:
        page.wait_for_url(href, timeout=5_000)
    except Exception:
        problems.append(f"following {href} from the ☰ contents did not open it (at {page.url})")
    return problems
