"""The math chapters of the built book (2 architecture, 3 forward, 4 loss, 5 backward).

Each test reads the HTML that ``jupyter-book build book/`` produced (the session fixture
``built_book``) and checks what the chapter promises: its figures with alt text, numbered
equations, the SymPy verifications, the gradient-check errors, and that the code it shows is the
library's current source. Numbers are parsed from the pages, never hard-coded.
"""

from __future__ import annotations

import ast
import html
import math
import re
from pathlib import Path

import pytest

from scratchnet import gradcheck, model
from scratchnet.train import RECOMMENDED

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {"model": ROOT / "code" / "scratchnet" / "model.py",
           "gradcheck": ROOT / "code" / "scratchnet" / "gradcheck.py"}

PAGES = {
    "architecture": {"figures": 2, "equations": ["eq-architecture-count", "eq-architecture-var",
                                                 "eq-architecture-relu-moment", "eq-architecture-he"],
                     "functions": [("model", "count_parameters"), ("model", "init_uniform"),
                                   ("model", "init_he")]},
    "forward": {"figures": 1, "equations": ["eq-forward-z1", "eq-forward-a1", "eq-forward-z2",
                                            "eq-forward-p", "eq-forward-shift", "eq-forward-stable",
                                            "eq-forward-log-softmax"],
                "functions": [("model", "forward"), ("model", "relu"), ("model", "softmax"),
                              ("model", "log_softmax")]},
    "loss": {"figures": 2, "equations": ["eq-loss-example", "eq-loss-ce", "eq-loss-logits",
                                         "eq-loss-logp", "eq-loss-dlogp", "eq-loss-step3",
                                         "eq-loss-grad-one", "eq-loss-dz2"],
             "functions": [("model", "log_softmax"), ("model", "cross_entropy")]},
    "backward": {"figures": 1, "equations": ["eq-backward-affine", "eq-backward-dz2",
                                             "eq-backward-dw2", "eq-backward-db2", "eq-backward-da1",
                                             "eq-backward-dz1", "eq-backward-dw1", "eq-backward-db1",
                                             "eq-backward-central", "eq-backward-relerr"],
                 "functions": [("model", "backward"), ("model", "relu_backward"),
                               ("gradcheck", "numerical_gradient"), ("gradcheck", "relative_error")]},
}
NUMBER = r"[-+]?\d[\d,]*\.?\d*(?:e[-+]?\d+)?"


def page_html(built_book: Path, name: str) -> str:
    path = built_book / f"{name}.html"
    assert path.exists(), f"{path} was not built"
    return path.read_text(encoding="utf-8")


def main_text(page: str) -> str:
    """The article's text: tags stripped, entities decoded, whitespace collapsed to single spaces."""
    main = page[page.find("<main"):page.find("</main>")]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", main)))


def code_text(page: str) -> str:
    """The text of every highlighted code block and output, line structure kept."""
    blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", page, flags=re.S)
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", "", b)) for b in blocks)


def flat(text: str) -> str:
    """Whitespace collapsed, so an output line split over two stream blocks still matches."""
    return re.sub(r"\s+", " ", text)


def function_source(module: str, name: str) -> str:
    source = SOURCES[module].read_text(encoding="utf-8")
    node = next(n for n in ast.walk(ast.parse(source))
                if isinstance(n, ast.FunctionDef) and n.name == name)
    return ast.get_source_segment(source, node)


def number_after(text: str, prefix: str) -> float:
    """The first number that follows ``prefix`` (a regular expression) in ``text``."""
    match = re.search(prefix + r"\s*(" + NUMBER + ")", text)
    assert match, f"no number after {prefix!r}"
    return float(match.group(1).replace(",", ""))


@pytest.mark.parametrize("name", PAGES)
def test_math_page_has_its_figures_with_captions_and_alt_text(built_book, name):
    page = page_html(built_book, name)
    figures = re.findall(r"<figure\b.*?</figure>", page, flags=re.S)
    assert len(figures) >= PAGES[name]["figures"]
    for figure in figures:
        img = re.search(r"<img\b[^>]*>", figure)
        assert img, "figure without an image"
        alt = re.search(r'alt="([^"]*)"', img.group(0))
        assert alt and len(alt.group(1)) > 40, f"figure image without a real alt text: {img.group(0)[:200]}"
        assert (built_book / re.search(r'src="([^"]+)"', img.group(0)).group(1)).exists()
        caption = re.search(r"<figcaption>(.*?)</figcaption>", figure, flags=re.S)
        assert caption and "Fig." in caption.group(1)


@pytest.mark.parametrize("name", PAGES)
def test_math_page_equations_are_numbered_and_labelled(built_book, name):
    page = page_html(built_book, name)
    for label in PAGES[name]["equations"]:
        block = re.search(r'<div class="math[^"]*" id="equation-' + label + r'">\s*<span class="eqno">\(([\d.]+)\)',
                          page)
        assert block, f"equation {label} missing or unnumbered"
    displays = re.findall(r'<div class="math notranslate nohighlight"', page)
    numbered = re.findall(r'<div class="math notranslate nohighlight" id="equation-eq-', page)
    assert len(displays) == len(numbered) > 0, "a display equation without a label"
    assert "mjx" in page or "mathjax" in page.lower()


@pytest.mark.parametrize("name", PAGES)
def test_math_page_shows_the_current_library_source(built_book, name):
    code = code_text(page_html(built_book, name))
    for module, function in PAGES[name]["functions"]:
        source = function_source(module, function)
        assert source.splitlines()[0] in code, f"{module}.{function} signature not on {name}"
        for line in source.splitlines():
            assert line.strip() in code, f"{name}: line of {module}.{function} missing: {line!r}"


@pytest.mark.parametrize("name", PAGES)
def test_math_page_executed_without_errors_or_stray_warnings(built_book, name):
    page = page_html(built_book, name)
    assert "cell_output" in page
    assert "Traceback" not in page and "output stderr" not in page


def test_architecture_parameter_count_matches_library_and_formula(built_book):
    text = main_text(page_html(built_book, "architecture"))
    H = RECOMMENDED["mnist"].hidden
    counted = number_after(text, r"the library counts")
    formula = number_after(text, r"parameters and \([\d.]+\) gives")
    expected = model.count_parameters(model.init_he(H, __import__("numpy").random.default_rng(0)))
    assert counted == formula == expected == 784 * H + H + 10 * H + 10


def test_architecture_initialisation_numbers_are_plausible(built_book):
    text = main_text(page_html(built_book, "architecture"))
    sd_uniform = number_after(text, r"standard deviation of \\\(\\mathbf\{Z\}_1\\\) of")
    sd_he = number_after(text, r"initialisation \(measured: " + NUMBER + r"\) against")
    assert sd_uniform > 5 * sd_he > 0
    he_loss = number_after(text, r"on average and its loss")
    log10 = number_after(text, r"close to the \\\(\\log 10 =\\\)")
    assert abs(log10 - math.log(10)) < 0.01 and abs(he_loss - log10) < 0.5
    uniform_loss = number_after(text, r"mean largest probability " + NUMBER + r", loss")
    assert uniform_loss > 2 * he_loss


def test_forward_shift_invariance_verified_by_sympy_and_overflow_shown(built_book):
    page = page_html(built_book, "forward")
    code, text = flat(code_text(page)), main_text(page)
    assert re.search(r"simplify\(softmax\(z \+ c\)_k - softmax\(z\)_k\) for k = 0\.\.9: \[0(, 0){9}\]", code)
    assert "shift invariance verified for all 10 classes: True" in code
    assert re.search(r"the difference simplifies to 0; verified: True", text)
    assert "overflow encountered in exp" in text and "nan" in text
    assert number_after(text, r"computes \([\d.]+\), gets all three right: the first row is exactly") == 1.0
    assert number_after(text, r"returns the exact answer,") == -20000


def test_loss_gradient_verified_by_sympy_and_loss_finite_for_huge_logits(built_book):
    page = page_html(built_book, "loss")
    code, text = flat(code_text(page)), main_text(page)
    assert re.search(r"K = 10: simplify\(d loss/d z_m - \(softmax\(z\)_m - y_m\)\) for m = 0\.\.9: \[0(, 0){9}\]", code)
    assert "dL/dz = softmax(z) - y verified symbolically: True" in code
    assert re.search(r"difference between SymPy.s derivative and \([\d.]+\) simplifies to 0; verified: True", text)
    assert "y0 + y1 + y2 - 1" in code          # without the constraint: p0 (sum y - 1)
    loss, log10 = number_after(text, r"the loss,"), number_after(text, r"close to \\\(\\log 10 =\\\)")
    assert abs(loss - log10) < 0.5
    assert number_after(text, r"the batch loss is") == 10000
    assert number_after(text, r"central differences and \(P - Y\)/n:") < 1e-6


def test_backward_equations_sit_beside_their_code_lines(built_book):
    page = page_html(built_book, "backward")
    source = function_source("model", "backward").splitlines()
    beside = {"eq-backward-dz2": "dZ2 = (P - Y) / n", "eq-backward-dw2": "dW2 = A1.T @ dZ2",
              "eq-backward-db2": "db2 = dZ2.sum(axis=0)", "eq-backward-da1": "dA1 = dZ2 @",
              "eq-backward-dz1": "dZ1 = relu_backward(", "eq-backward-dw1": "dW1 = X.T @ dZ1",
              "eq-backward-db1": "db1 = dZ1.sum(axis=0)"}
    for label, snippet in beside.items():
        assert any(line.strip().startswith(snippet) for line in source), f"{snippet} not in backward()"
        # the HTML from this equation to the next piece of prose holds the included code line
        start = page.index(f'id="equation-{label}"')
        segment = html.unescape(re.sub(r"<[^>]+>", "", page[start:page.index("<p>", start)]))
        assert snippet in segment, f"{label}: code line {snippet!r} not beside it"
    highlighted = [html.unescape(re.sub(r"<[^>]+>", "", h)).strip()
                   for h in re.findall(r'<span class="hll">(.*?)\n</span>', page, flags=re.S)]
    assert len(highlighted) == len(beside)
    assert all(h.startswith(s) for h, s in zip(highlighted, beside.values()))


def test_backward_sympy_checks_every_gradient(built_book):
    page = page_html(built_book, "backward")
    code, text = flat(code_text(page)), main_text(page)
    assert "d/dz max(z, 0) = Heaviside(z)" in code
    for name in ["W1", "b1", "W2", "b2"]:
        assert re.search(rf"dL/d{name}: SymPy's derivative minus our formula, all \d+ entries simplify to 0: True", code)
    assert "our equations is 0; verified: True" in text


def test_backward_gradient_check_errors_are_below_1e_minus_6(built_book):
    page = page_html(built_book, "backward")
    code, text = code_text(page), main_text(page)
    table = code[code.index("gradient check: float64"):]
    rows = re.findall(r"^\s*784-(\d+)-10\s+(W1|b1|W2|b2)\s+\([\d, ]+\)\s+(\d+) of (\d+)\s+(" + NUMBER + r")\s+("
                      + NUMBER + r")\s*$", table, flags=re.M)
    assert len(rows) == 8, table[:1500]
    for hidden, name, checked, size, _, error in rows:
        assert float(error) < 1e-6, f"784-{hidden}-10 {name}: relative error {error}"
        if hidden == "16":
            assert checked == size, "the small network is checked on every entry"
    assert {r[1] for r in rows if r[0] == "16"} == {"W1", "b1", "W2", "b2"}
    chapter = text[:text.index("Exercises# The coding exercises")]   # not the exercises' own checks
    glued = [float(x) for x in re.findall(r"(\d\.\de-\d\d) for \\\(\\mathbf", chapter)]
    assert len(glued) == 4 and max(glued) < 1e-6
    assert number_after(text, r"The largest,") < 1e-6
    # float32 is shown to be too coarse for the check
    assert number_after(text, r"no step does better than") > 1e-6


def test_gradcheck_functions_on_the_page_are_the_library_ones(built_book):
    code = code_text(page_html(built_book, "backward"))
    for fn in (gradcheck.numerical_gradient, gradcheck.relative_error):
        assert f"def {fn.__name__}(" in code
