"""The math chapters of the built book (2 architecture, 3 forward, 4 loss, 5 backward).

Values are read by name: ``glue_values(page)`` for what the prose states, the executed notebook for
what the cells printed, BeautifulSoup for the page itself. The claims a cell draws from its numbers
(a largest deviation, a best step, a comparison) come from small functions defined on the page;
``page_function`` takes them out so that they are checked on cases with a known answer. Nothing
here hard-codes a result of the build, and no test depends on the wording of a sentence.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import numpy as np
import pytest
from book_support import (
    assert_figures_are_images_with_alt_text_and_captions,
    glue_values,
    soup_of,
    text_of,
)
from bs4 import BeautifulSoup
from page_code import names_from_hidden_cells, page_function, printed

from scratchnet import data, gradcheck, model, perf
from scratchnet.train import RECOMMENDED, SEED_CONFIG

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {"model": ROOT / "code" / "scratchnet" / "model.py",
           "gradcheck": ROOT / "code" / "scratchnet" / "gradcheck.py"}
SEED, H = RECOMMENDED["mnist"].seed, RECOMMENDED["mnist"].hidden

PAGES = {
    "architecture": {"figures": 2,
                     "equations": ["eq-architecture-count", "eq-architecture-uncorrelated",
                                   "eq-architecture-term-variance", "eq-architecture-var",
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
    "backward": {"figures": 1,
                 "equations": ["eq-backward-affine", "eq-backward-dz2", "eq-backward-dw2",
                               "eq-backward-db2", "eq-backward-da1", "eq-backward-dz1",
                               "eq-backward-dw1", "eq-backward-db1", "eq-backward-central",
                               "eq-backward-relerr"],
                 "functions": [("model", "backward"), ("model", "relu_backward"),
                               ("gradcheck", "numerical_gradient"),
                               ("gradcheck", "relative_error")]},
}
CHAPTERS = ["data", *PAGES]
"""Every page these tests own (the data chapter's other tests live in test_book_data.py)."""


@pytest.fixture(scope="module")
def pages(built_book) -> dict[str, BeautifulSoup]:
    return {name: soup_of(built_book, name) for name in CHAPTERS}


@pytest.fixture(scope="module")
def splits():
    return data.split(data.load("mnist"), seed=SEED)


def code_text(soup: BeautifulSoup) -> str:
    """The text of every code block and cell output of the page, lines kept."""
    return "\n".join(pre.get_text() for pre in soup.select("main pre"))


def function_source(module: str, name: str) -> str:
    source = SOURCES[module].read_text(encoding="utf-8")
    node = next(n for n in ast.walk(ast.parse(source))
                if isinstance(n, ast.FunctionDef) and n.name == name)
    return ast.get_source_segment(source, node)


# --- every math page: figures, equations, code, execution ----------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_math_page_has_its_figures_with_captions_and_alt_text(built_book, pages, name):
    figures = pages[name].select("main figure")
    assert len(figures) >= PAGES[name]["figures"]
    assert_figures_are_images_with_alt_text_and_captions(figures, min_alt=40)
    for figure in figures:
        assert (built_book / figure.find("img")["src"]).is_file()
        assert "Fig." in text_of(figure.find("figcaption"))


@pytest.mark.parametrize("name", PAGES)
def test_math_page_equations_are_numbered_and_labelled(pages, name):
    soup = pages[name]
    for label in PAGES[name]["equations"]:
        block = soup.find("div", id=f"equation-{label}")
        assert block is not None, f"equation {label} missing"
        number = block.find("span", class_="eqno")
        assert number is not None and re.fullmatch(r"\(\d+\.\d+\)", text_of(number).rstrip("# ")), \
            f"equation {label} unnumbered"
    displays = soup.select("main div.math")
    assert displays and all(d.get("id", "").startswith("equation-eq-") for d in displays), \
        "a display equation without a label"


@pytest.mark.parametrize("name", PAGES)
def test_math_page_shows_the_current_library_source(pages, name):
    code = code_text(pages[name])
    for module, function in PAGES[name]["functions"]:
        source = function_source(module, function)
        assert source.splitlines()[0] in code, f"{module}.{function} signature not on {name}"
        for line in source.splitlines():
            assert line.strip() in code, f"{name}: line of {module}.{function} missing: {line!r}"


@pytest.mark.parametrize("name", PAGES)
def test_math_page_executed_without_errors_or_stray_warnings(pages, name):
    soup = pages[name]
    assert soup.select("div.cell_output"), f"{name}: no cell output"
    assert not soup.select("div.output.stderr, div.output.error, div.output.traceback")
    assert "Traceback" not in text_of(soup.find("main"))


# --- 2 architecture ----------------------------------------------------------------------------


def test_architecture_parameter_count_matches_library_and_formula(built_book):
    values = glue_values("architecture")
    counted = model.count_parameters(model.init_he(H, np.random.default_rng(0)))
    assert values["ch2_H"] == H
    assert values["ch2_count_H"] == values["ch2_formula_H"] == counted == 795 * H + 10
    assert values["ch2_count_seed"] == 795 * SEED_CONFIG.hidden + 10
    assert values["ch2_w1_share"] == pytest.approx(100 * 784 * H / counted)


def test_largest_relative_deviation_on_known_cases(built_book):
    deviation = page_function("architecture", "largest_relative_deviation")
    assert deviation([1.0, 2.0], [1.0, 2.0]) == 0
    assert deviation([1.1, 2.0], [1.0, 2.5]) == pytest.approx(0.2)      # |2 - 2.5| / 2.5 wins
    assert deviation([-3.0], [-2.0]) == pytest.approx(0.5)


def test_architecture_initialisation_claims_follow_from_the_measurements(built_book):
    v = glue_values("architecture")
    deviation = page_function("architecture", "largest_relative_deviation")
    runs = [f"{init}_{width}" for init in ("uniform", "he") for width in ("seed", "H")]
    predicted = [v[f"ch2_{r}_{z}_pred"] for r in runs for z in ("z1", "z2")]
    measured = [v[f"ch2_{r}_{z}_meas"] for r in runs for z in ("z1", "z2")]
    assert v["ch2_prediction_deviation"] == pytest.approx(100 * deviation(predicted, measured))
    assert v["ch2_uniform_H_z1_meas"] > 5 * v["ch2_he_H_z1_meas"] > 0
    # "close to log 10" (He) and "confidently wrong" (uniform, wide)
    assert v["ch2_log10"] == pytest.approx(math.log(10))
    assert abs(v["ch2_he_H_loss"] - math.log(10)) < 0.5
    assert v["ch2_uniform_H_loss"] > 2 * v["ch2_he_H_loss"]
    assert v["ch2_uniform_H_max_p"] > 0.5 > v["ch2_he_H_max_p"]
    # "grows like sqrt(H)": the measured growth and the square root it is compared with
    assert v["ch2_sqrt_width_ratio"] == pytest.approx(math.sqrt(H / SEED_CONFIG.hidden))
    assert v["ch2_logit_growth"] == pytest.approx(v["ch2_uniform_H_z2_meas"]
                                                  / v["ch2_uniform_seed_z2_meas"])
    assert v["ch2_logit_growth"] == pytest.approx(v["ch2_sqrt_width_ratio"], rel=0.2)
    # "about half of the hidden activations" are zero
    assert 35 < v["ch2_uniform_H_zero_pct"] < 65 and 35 < v["ch2_he_H_zero_pct"] < 65


# --- 3 forward -----------------------------------------------------------------------------------


def test_standard_errors_from_on_known_cases(built_book):
    z = page_function("forward", "standard_errors_from")
    assert z(0.1, 1000, 0.1) == 0
    assert z(0.13, 100, 0.1) == pytest.approx(1.0)          # sd = sqrt(0.09 / 100) = 0.03
    assert z(0.07, 100, 0.1) == pytest.approx(1.0)          # a distance: no sign


def test_forward_batch_numbers_are_those_of_the_rows_in_the_figure(built_book, splits):
    v = glue_values("forward")
    params = model.init_he(H, np.random.default_rng(SEED))
    P = model.forward(params, splits.train.X[:v["ch3_n_batch"]])["P"]
    shown = P[:v["ch3_n_shown"]]
    assert v["ch3_n_shown"] < v["ch3_n_batch"], "the figure shows fewer rows than the batch"
    assert v["ch3_pmin"] == pytest.approx(float(shown.min()))
    assert v["ch3_pmax"] == pytest.approx(float(shown.max()))
    assert v["ch3_rowsum_err"] < 1e-5
    n = v["ch3_n_acc"]
    accuracy = np.mean(model.predict(params, splits.train.X[:n]) == splits.train.y[:n])
    assert v["ch3_untrained_acc"] == pytest.approx(100 * accuracy)
    z = page_function("forward", "standard_errors_from")
    assert v["ch3_untrained_z"] == pytest.approx(z(accuracy, n, 0.1))


def test_forward_shift_invariance_verified_by_sympy_and_overflow_shown(pages):
    v = glue_values("forward")
    assert v["ch3_sympy_shift_verified"] is True and v["ch3_sympy_K"] == 10
    assert re.search(r"simplify\(softmax\(z \+ c\)_k - softmax\(z\)_k\) "
                     r"for k = 0\.\.9: \[0(, 0){9}\]", printed(pages["forward"]))
    assert v["ch3_naive_failed_rows"] == v["ch3_n_cases"] == 3
    assert v["ch3_naive_nan_count"] > 0
    assert v["ch3_good_big_p0"] == 1.0
    assert v["ch3_under_p0"] == pytest.approx(v["ch3_under_p0_exact"], abs=1e-6)
    assert v["ch3_under_p0_exact"] == pytest.approx(1 / (1 + math.exp(-1) + math.exp(-2)))
    assert v["ch3_logsoftmax_last"] == -20000


def test_forward_states_the_underflow_limits_of_float32_and_float64(built_book):
    v = glue_values("forward")
    assert v["ch3_tiny_f32"] == pytest.approx(float(np.finfo(np.float32).tiny))
    assert v["ch3_subnormal_f32"] == pytest.approx(float(np.finfo(np.float32).smallest_subnormal))
    assert v["ch3_tiny_f64"] == pytest.approx(float(np.finfo(np.float64).tiny))
    assert v["ch3_exp_limit_f32"] == pytest.approx(math.log(float(np.finfo(np.float32).max)))


# --- 4 loss --------------------------------------------------------------------------------------


def test_above_or_below_on_known_cases(built_book):
    word = page_function("loss", "above_or_below")
    assert (word(2.0, 1.0), word(1.0, 2.0), word(1.0, 1.0)) == ("above", "below", "equal to")


def test_loss_gradient_verified_by_sympy_and_loss_finite_for_huge_logits(pages):
    v = glue_values("loss")
    output = printed(pages["loss"])
    assert re.search(r"K = 10: simplify\(d loss/d z_m - \(softmax\(z\)_m - y_m\)\) "
                     r"for m = 0\.\.9: \[0(, 0){9}\]", output)
    assert "y0 + y1 + y2 - 1" in output          # without the constraint: p0 (sum y - 1)
    assert v["ch4_sympy_verified"] is True and v["ch4_sympy_K"] == 10
    assert abs(v["ch4_L_untrained"] - math.log(10)) < 0.5 and v["ch4_L_agree"] < 1e-9
    assert v["ch4_ce_right"] == 0 and v["ch4_ce_wrong"] == 20000 and v["ch4_ce_big"] == 10000
    assert v["ch4_numeric_relerr"] < 1e-6


def test_loss_baseline_comparison_follows_from_the_numbers(built_book, splits):
    v = glue_values("loss")
    f = np.bincount(splits.train.y, minlength=10) / len(splits.train.y)
    assert v["ch4_ex_entropy"] == pytest.approx(float(-np.sum(f * np.log(f))))
    word = page_function("loss", "above_or_below")
    assert v["ch4_ex_untrained_vs_baseline"] == word(v["ch4_L_untrained"], v["ch4_ex_entropy"])
    assert v["ch4_ex_untrained_excess"] == pytest.approx(abs(v["ch4_L_untrained"]
                                                             - v["ch4_ex_entropy"]))


# --- 5 backward ----------------------------------------------------------------------------------


def test_backward_equations_sit_beside_their_code_lines(pages):
    soup = pages["backward"]
    source = function_source("model", "backward").splitlines()
    beside = {"eq-backward-dz2": "dZ2 = (P - Y) / n", "eq-backward-dw2": "dW2 = A1.T @ dZ2",
              "eq-backward-db2": "db2 = dZ2.sum(axis=0)", "eq-backward-da1": "dA1 = dZ2 @",
              "eq-backward-dz1": "dZ1 = relu_backward(", "eq-backward-dw1": "dW1 = X.T @ dZ1",
              "eq-backward-db1": "db1 = dZ1.sum(axis=0)"}
    for label, snippet in beside.items():
        assert any(line.strip().startswith(snippet) for line in source), \
            f"{snippet} not in backward()"
        item = soup.find("div", id=f"equation-{label}").find_parent("div", class_="sd-col")
        neighbour = item.find_next_sibling("div", class_="sd-col")
        assert neighbour is not None and snippet in neighbour.get_text(), \
            f"{label}: code line {snippet!r} not beside it"
    highlighted = [span.get_text().strip() for span in soup.select("main span.hll")]
    assert len(highlighted) == len(beside)
    assert all(h.startswith(s) for h, s in zip(highlighted, beside.values(), strict=True))


def test_backward_sympy_checks_every_gradient(pages):
    output = printed(pages["backward"])
    assert "d/dz max(z, 0) = Heaviside(z)" in output
    for name in ["W1", "b1", "W2", "b2"]:
        assert re.search(rf"dL/d{name}: SymPy's derivative minus our formula, all \d+ entries "
                         r"simplify to 0: True", output)
    assert glue_values("backward")["ch5_sympy_verified"] is True


def test_best_step_on_known_cases(built_book):
    best_step = page_function("backward", "best_step")
    assert best_step(np.array([1e-6, 1e-4, 1e-2]), np.array([3.0, 1.0, 2.0])) == (1e-4, 1.0)
    assert best_step(np.array([1.0, 2.0]), np.array([0.5, 0.5])) == (1.0, 0.5)   # first of a tie


def test_backward_gradient_check_errors_are_below_1e_minus_6(pages):
    v = glue_values("backward")
    table = printed(pages["backward"])
    table = table[table.index("gradient check: float64"):]
    rows = re.findall(r"^\s*784-(\d+)-10\s+(W1|b1|W2|b2)\s+\([\d, ]+\)\s+(\d+) of (\d+)"
                      r"\s+\S+\s+(\S+)\s*$", table, flags=re.M)
    assert len(rows) == 8, table[:1500]
    for hidden, name, checked, size, error in rows:
        assert float(error) < 1e-6, f"784-{hidden}-10 {name}: relative error {error}"
        if hidden == "16":
            assert checked == size, "the small network is checked on every entry"
    assert {r[1] for r in rows if r[0] == "16"} == {"W1", "b1", "W2", "b2"}
    errors = [v[f"ch5_relerr_{p}"] for p in ("W1", "b1", "W2", "b2")]
    errors += [v[f"ch5_relerr_large_{p}"] for p in ("W1", "b1", "W2", "b2")]
    assert v["ch5_max_relerr"] == max(errors) < 1e-6
    small = model.init_he(16, np.random.default_rng(0))
    assert v["ch5_n_entries_small"] == model.count_parameters(small)
    assert v["ch5_noise"] < v["ch5_tiny"]


def test_backward_float32_is_shown_too_coarse_for_the_check(built_book):
    v = glue_values("backward")
    assert v["ch5_best_err64"] < 1e-6 < v["ch5_best_err32"]
    assert v["ch5_delta32"] == pytest.approx(float(np.finfo(np.float32).eps))
    assert v["ch5_useless_eps32"] < v["ch5_best_eps32"]


def test_largest_useless_step_on_known_cases(built_book):
    useless = page_function("backward", "largest_useless_step")
    steps = np.array([1e-8, 1e-6, 1e-4, 1e-2])
    assert useless(steps, np.array([1.0, 1.0, 1e-3, 1.0])) == 1e-6     # the first run of 1s only
    assert useless(steps, np.array([0.5, 1.0, 1.0, 1.0])) == 0.0
    assert useless(steps, np.ones(4)) == 1e-2


def test_backward_cost_ratio_is_the_librarys_flop_count(built_book):
    ratio = glue_values("backward")["ch5_backward_over_forward"]
    for n, hidden in [(1, 1), (1000, H), (7, 33)]:          # the same for any n and H
        flops = perf.flops_breakdown(n, hidden)
        assert ratio == pytest.approx(flops["backward_matmul"] / flops["forward_matmul"])
    assert 1 < ratio < 1.05, "three products, but the first layer's dX is never computed"


def test_backward_blank_pixels_get_no_gradient(built_book, splits):
    v = glue_values("backward")
    X = splits.train.X[:v["ch5_n_blank_images"]]
    assert v["ch5_n_blank"] == int((X.max(axis=0) == 0).sum()) > 0


def test_gradcheck_functions_on_the_page_are_the_library_ones(pages):
    code = code_text(pages["backward"])
    for fn in (gradcheck.numerical_gradient, gradcheck.relative_error):
        assert f"def {fn.__name__}(" in code


# --- defects of the kinds these pages had (issue 12): checks on the built HTML ------------------

TEX_COMMAND = re.compile(r"\\(?:[A-Za-z]+|[{}])")
NOT_PROSE = {"script", "style", "pre", "code", "textarea"}


def unrendered_tex(soup: BeautifulSoup) -> list[str]:
    """Text of the article, outside maths and code, that holds a TeX command or a ``$``: maths
    that MyST did not recognise (a wrapped line inside ``$...$`` that began with ``+ `` or ``- ``
    became a list item, and both halves are left as raw TeX)."""
    found = []
    for string in soup.find("main").find_all(string=True):
        parents = [p for p in string.parents if p.name]
        if any(p.name in NOT_PROSE or "math" in (p.get("class") or []) for p in parents):
            continue
        if TEX_COMMAND.search(string) or "$" in string:
            found.append(" ".join(string.split())[:100])
    return found


def test_unrendered_tex_is_found_where_markdown_ate_the_maths():
    broken = BeautifulSoup("<main><p>Taylor: $\\mathcal{L} \\pm \\varepsilon</p><ul><li>"
                           "\\tfrac{1}{2} + \\dots$</li></ul><p><span class='math'>\\(x\\)</span>"
                           "</p><pre>r\"$\\mathbf{W}$\"</pre></main>", "html.parser")
    assert len(unrendered_tex(broken)) == 2


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_unrendered_tex_on_the_page(pages, name):
    assert unrendered_tex(pages[name]) == [], f"{name}: raw TeX outside the maths"


NOTATION_DRIFT = {
    r"\\mathbf\{d[A-Z]": "the d of a gradient is upright, \\mathrm{d}, never bold (notation table)",
    r"_\{[a-z]=1\}\^\{?(?:K|10)\b": "classes are indexed 0..9 (0..K-1), not 1..K",
    r"X_\{i\s*p\}|p_\{ij\}": "p is a probability; a pixel is X_{ij}, a pixel value v_{ij}",
    r"\\mu\b": "mu is the momentum (notation table)",
    r"\\lambda\b": "lambda is the L2 strength (notation table)",
    r"x_\{?(?:1|784)\}?\s*(?:,|\\dots)": "x_i is image i; pixels are X_{i,j}",
}
"""Symbols that drifted from the preface's notation table on these pages (issue 12, 16)."""


@pytest.mark.parametrize("name", CHAPTERS)
def test_maths_follows_the_preface_notation(pages, name):
    maths = [text_of(m) for m in pages[name].select("main .math")]
    maths += [img.get("alt", "") for img in pages[name].select("main figure img")]
    for pattern, rule in NOTATION_DRIFT.items():
        hits = [m for m in maths if re.search(pattern, m)]
        assert not hits, f"{name}: {rule}: {hits[:3]}"


PHONE_COLUMN = 342
"""CSS pixels a figure gets in the article column of a 390-px phone."""


@pytest.mark.parametrize("name", CHAPTERS)
def test_figures_keep_their_text_readable_on_a_phone(built_book, pages, name):
    """A figure image at most 650 px wide is shrunk to no less than 0.53 of its size in a phone's
    column, so the book's 10-point figure text (15 px at 110 dpi) stays 8 px or more; the wide
    multi-panel figures were 825 to 1225 px and their labels 4 px on a phone."""
    from PIL import Image

    for img in pages[name].select("main figure img"):
        with Image.open(built_book / img["src"]) as image:
            width = image.width
        assert width <= 650, f"{name}: {img['src']} is {width} px wide"


def test_names_from_hidden_cells_finds_a_visible_cell_that_needs_one():
    cells = [("import numpy as np\nH = 3", {"remove-cell"}),
             ("secret = H * 2", {"remove-cell"}),
             ("print(secret, H, np.pi)\nshown = 1", set()),
             ("print(shown, len([k for k in range(H)]))", set())]
    assert names_from_hidden_cells(cells) == [(3, ["secret"])]
    cells[1] = (cells[1][0], set())         # the same cell, shown
    assert names_from_hidden_cells(cells) == []


@pytest.mark.parametrize("name", CHAPTERS)
def test_visible_code_needs_no_name_defined_only_in_hidden_code(name):
    """A reader who runs what the page shows must not meet a name defined only in a removed cell.
    The set-up cell (the first) is counted as seen: it belongs to the chapters' common set-up,
    whose visibility is decided there."""
    found = names_from_hidden_cells(name)
    assert not found, f"{name}: visible cells use names defined only in hidden cells: {found}"
