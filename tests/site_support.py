"""Helpers for testing the built book as a website: its pages, the assets they load, a local server.

The book must work in a classroom with no internet, so every script, style sheet, font and image
a page loads has to come from the site itself. ``outside_references`` finds any that would not,
statically; ``serve`` plus ``OfflineBrowser`` prove it in headless Chromium with every request
that leaves 127.0.0.1 blocked and recorded.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
TOP_TOC = ROOT / "_toc.yml"
BOOK_TOC = ROOT / "book" / "_toc.yml"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

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


# --- a local web server ----------------------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` on 127.0.0.1 at a free port, in a thread; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


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
    failed: list[str] = field(default_factory=list)         # requests that failed or answered >= 400
    page_errors: list[str] = field(default_factory=list)    # uncaught JavaScript exceptions


class OfflineBrowser:
    """Headless Debian Chromium through Playwright; every request not to ``base_url`` is aborted."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.host = urlsplit(base_url).netloc
        self.blocked: list[str] = []

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        self.context = self.browser.new_context(service_workers="block")
        self.context.route("**/*", self._route)
        return self

    def __exit__(self, *exc):
        self.context.close()
        self.browser.close()
        self._playwright.stop()

    def _route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc == self.host:
            route.continue_()
        elif parts.scheme in ("data", "blob", "about"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def visit(self, path: str, math_timeout_ms: int = 20_000) -> PageVisit:
        """Open ``path``, wait for it and for MathJax, and report what happened."""
        visit = PageVisit(url=f"{self.base_url}/{path}")
        page = self.context.new_page()
        blocked_before = len(self.blocked)
        page.on("requestfailed", lambda r: visit.failed.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and visit.failed.append(f"{r.url} ({r.status})"))
        page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
        start = time.perf_counter()
        try:
            response = page.goto(visit.url, wait_until="load")
            visit.status = response.status if response else None
            page.wait_for_load_state("networkidle")     # lets a <meta> refresh redirect happen
            page.wait_for_load_state("load")
            visit.final_url = page.url
            visit.title = page.title()
            visit.math_nodes = page.locator(".math").count()
            if visit.math_nodes:
                page.wait_for_selector("mjx-container", state="attached", timeout=math_timeout_ms)
                page.wait_for_function(
                    "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
                    " && MathJax.startup.promise.then(() => true)", timeout=math_timeout_ms)
                page.evaluate("() => MathJax.startup.promise")
                page.evaluate("() => document.fonts.ready.then(() => true)")
            page.wait_for_load_state("networkidle")
            visit.mjx_containers = page.locator("mjx-container").count()
            visit.unrendered_math = page.locator(".math:not(:has(mjx-container))").count()
            visit.math_errors = page.locator("mjx-merror").all_text_contents()
        finally:
            visit.seconds = time.perf_counter() - start
            page.close()
        visit.blocked = self.blocked[blocked_before:]
        return visit
