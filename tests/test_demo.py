"""The "Draw a digit" page (book/demo.md) in a real browser: Chromium driven by Playwright;
and the numbers the page glues, read by name, against the weights it serves.

The built site is served from 127.0.0.1; every request to anywhere else is aborted and recorded,
so a test that passes also proves the page works offline.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from book_support import glue_values
from conftest import HARMLESS, run_book_build
from site_support import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM, serve

from scratchnet.data import load, split
from scratchnet.data.preprocess import mnist_style
from scratchnet.export import read_web
from scratchnet.model import predict_proba

ASSET = Path("_static/models/mnist-demo.bin")   # inside the built site
N_IMAGES = 100


@pytest.fixture(scope="module")
def site(built_book):
    """The built book served over HTTP on 127.0.0.1 (a free port, a background thread)."""
    with serve(built_book) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Demo:
    """One open demo page, with the log of the requests it made."""

    def __init__(self, page, site):
        self.page, self.site = page, site
        self.local, self.outside = [], []

    def draw(self, strokes):
        """Draw polylines given in 0..1 coordinates of the canvas with the mouse."""
        canvas = self.page.locator("#sn-draw")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        for stroke in strokes:
            points = [(box["x"] + u * box["width"], box["y"] + v * box["height"])
                      for u, v in stroke]
            self.page.mouse.move(*points[0])
            self.page.mouse.down()
            for x, y in points[1:]:
                self.page.mouse.move(x, y, steps=8)
            self.page.mouse.up()
        self.page.wait_for_function("() => window.scratchnet.lastProbabilities != null")

    def clear(self):
        self.page.click("#sn-clear")


@pytest.fixture
def demo(browser, site):
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    page = context.new_page()
    d = Demo(page, site)
    host = urlsplit(site).netloc

    def route(r):
        if urlsplit(r.request.url).netloc == host:
            d.local.append(r.request.url)
            r.continue_()
        else:
            d.outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Jupyter Book 1's theme writes sphinx-thebe's inline config script twice on every page; the
    # second copy throws. It is not this page's doing and breaks nothing here.
    theme_bug = "Identifier 'THEBE_JS_URL' has already been declared"
    page.goto(f"{site}/demo.html", wait_until="load")
    page.wait_for_function("() => document.querySelector('#scratchnet-demo').dataset.ready"
                           " === 'true' || document.querySelector('#scratchnet-demo.sn-error')")
    assert page.get_attribute("#scratchnet-demo", "data-ready") == "true", \
        page.inner_text("#sn-prediction")
    yield d
    context.close()
    errors = [e for e in errors if e != theme_bug]
    assert errors == [], f"JavaScript errors on the page: {errors}"


SEVEN = [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]]
ZERO = [[(0.5 + 0.2 * np.sin(t), 0.5 - 0.3 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]]


@pytest.fixture(scope="module")
def test_digits():
    """The first 100 digits of the held-out test split, and the weights the page loads."""
    splits = split(load("mnist"), seed=0)
    return splits.test.X[:N_IMAGES], splits.test.y[:N_IMAGES]


def test_page_probabilities_match_numpy_on_100_test_digits(demo, built_book, test_digits):
    X, y = test_digits
    params, _ = read_web(built_book / ASSET)
    P_numpy = predict_proba(params, X)
    P_page = np.array(demo.page.evaluate(
        "rows => Promise.all(rows.map(r => window.scratchnet.predict(r)))", X.tolist()))
    assert P_page.shape == (N_IMAGES, 10)
    np.testing.assert_allclose(P_page.sum(axis=1), 1.0, atol=1e-9)
    diff = np.abs(P_page - P_numpy).max()
    print(f"\nmax |P_page - P_numpy| over {N_IMAGES} test digits: {diff:.3e}")
    assert diff <= 1e-4
    assert (P_page.argmax(axis=1) == P_numpy.argmax(axis=1)).all()
    assert (P_page.argmax(axis=1) == y).mean() > 0.9      # and it is a trained network


def test_predict_refuses_an_input_of_the_wrong_length(demo):
    message = demo.page.evaluate("() => window.scratchnet.predict([0, 1]).then(() => 'resolved',"
                                 " e => e.message)")
    assert "784" in message


@pytest.mark.parametrize("name, strokes", [("seven", SEVEN), ("zero", ZERO)])
def test_a_stroke_drawn_with_the_mouse_yields_a_prediction(demo, name, strokes, tmp_path):
    demo.draw(strokes)
    shown = demo.page.inner_text("#sn-prediction")
    match = re.search(r"The network says: (\d) \(p = ([0-9.]+)\)", shown)
    assert match, shown
    digit = int(match.group(1))
    P = demo.page.evaluate("() => window.scratchnet.lastProbabilities")
    assert digit == int(np.argmax(P))
    assert demo.page.get_attribute("#scratchnet-demo", "data-prediction") == str(digit)
    bars = demo.page.locator(".sn-bar.sn-best").get_attribute("data-digit")
    assert bars == str(digit)
    preview = np.array(demo.page.evaluate(
        "() => Array.from(document.querySelector('#sn-input').getContext('2d')"
        ".getImageData(0, 0, 28, 28).data)")).reshape(28, 28, 4)[..., 0]
    assert preview.sum() > 0, "the 28x28 preview is empty"
    x = np.array(demo.page.evaluate("() => Array.from(window.scratchnet.lastInput)"))
    np.testing.assert_array_equal(preview, np.rint(255 * x).reshape(28, 28))
    print(f"\ndrawn {name}: the page says {digit} (p = {P[digit]:.3f})")
    demo.page.screenshot(path=str(tmp_path / f"demo-{name}.png"), full_page=False)
    assert digit == {"seven": 7, "zero": 0}[name]

    demo.clear()
    assert demo.page.inner_text("#sn-prediction") == "Draw a digit in the box."
    cleared = "() => window.scratchnet.preprocess(window.scratchnet.canvasGray())"
    assert demo.page.evaluate(cleared) is None


@pytest.mark.parametrize("strokes", [SEVEN, ZERO])
def test_javascript_preprocessing_equals_mnist_style_on_the_drawn_canvas(demo, strokes):
    """The page's preprocessing gives exactly mnist_style's 784 numbers for the same gray pixels.

    Exact, not merely close: the script repeats Pillow's fixed-point BOX resampling and NumPy's
    pairwise summation (see _static/draw-digit.js); both end in the same float32 values.
    """
    demo.draw(strokes)
    gray = demo.page.evaluate("() => { const g = window.scratchnet.canvasGray();"
                              " return {w: g.width, h: g.height, data: Array.from(g.data)}; }")
    x_page = np.array(demo.page.evaluate(
        "() => Array.from(window.scratchnet.preprocess(window.scratchnet.canvasGray()))"))
    x_python = mnist_style(np.array(gray["data"]).reshape(gray["h"], gray["w"]))
    assert x_page.shape == x_python.shape == (784,)
    assert np.abs(x_page - x_python).max() == 0.0
    assert x_page.max() == 1.0 and x_page.min() == 0.0


def test_no_request_leaves_the_site(demo, test_digits):
    demo.draw(SEVEN)
    demo.page.evaluate("rows => Promise.all(rows.map(r => window.scratchnet.predict(r)))",
                       test_digits[0][:3].tolist())
    demo.page.reload(wait_until="networkidle")
    assert demo.outside == []
    assert any(url.split("?")[0].endswith(ASSET.as_posix()) for url in demo.local)
    assert any("draw-digit.js" in url for url in demo.local)


def test_the_page_glues_the_numbers_of_the_weights_it_serves(built_book):
    """The page's numbers are those of the exported network (read by name from the build), and the
    exported weights reproduce the trained network exactly."""
    glued = glue_values("demo")
    params, header = read_web(built_book / ASSET)
    assert glued["demo_hidden"] == header["architecture"]["layers"][1] == params["W1"].shape[1]
    assert glued["demo_parameters"] == f"{sum(a.size for a in params.values()):,}"
    assert glued["demo_test_accuracy"] == pytest.approx(100 * header["metadata"]["test_accuracy"])
    assert glued["demo_epochs"] == header["metadata"]["config"]["epochs"]
    assert glued["demo_roundtrip"] == 0.0, "the exported weights do not reproduce the network"
    assert glued["demo_asset_kb"] == pytest.approx((built_book / ASSET).stat().st_size / 1024)
    assert 0 <= glued["demo_pipeline_right"] <= 10 and 0 <= glued["demo_original_right"] <= 10


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_warm_rebuild_serves_the_weights_without_retraining(built_book):
    """With the execution cache warm, the page's cells do not run again; the weights they wrote
    into book/_static/models (kept there, ignored by git) are copied into the site again.

    The page's output and the served weights are deleted, so Sphinx must write the page again
    (from the cached outputs) and copy the static files; the notebook must not be executed.
    """
    served = built_book / ASSET
    before = sha256(served)
    served.unlink()
    (built_book / "demo.html").unlink()
    result = run_book_build()
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    warnings = [line for line in log.splitlines()
                if "WARNING" in line and not any(ok in line for ok in HARMLESS)]
    assert not warnings, "\n".join(warnings[:20])
    assert not re.search(r"demo\.md: Executing notebook", log), "the demo page was executed again"
    assert (built_book / "demo.html").exists()
    assert sha256(served) == before
