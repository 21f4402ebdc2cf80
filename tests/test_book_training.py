"""Chapters 6-8 (gradient descent, training, evaluation): the logic behind each computed claim,
tested on cases whose answer is known; the built pages' glued values, read by name, held to the
claims the prose makes about them and to agreement between chapters; and the defects of issue 12
that the built HTML can show without a browser.

No value is typed in here: whatever the build computed is held to the bounds of a working network
and to what the sentences around it say. Editing a sentence breaks no test unless a value it
states goes.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pytest
from book_support import (
    BOOK,
    assert_figures_are_images_with_alt_text_and_captions,
    glue_values,
    soup_of,
    text_of,
)
from bs4 import BeautifulSoup
from page_code import code_cells, names_from_hidden_cells, page_function, python_of
from PIL import Image

from scratchnet import model, robustness, train

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "code" / "scratchnet"
CHAPTERS = ["gradient-descent", "training", "evaluation"]
PAGES = [*CHAPTERS, "demo", "reproducibility", "instructor-guide"]   # this group's pages
NOTEBOOK_PAGES = [p for p in PAGES if p != "instructor-guide"]        # pages with code cells
MIN_FIGURES = {"gradient-descent": 2, "training": 4, "evaluation": 6, "demo": 1}

PHONE_COLUMN_PX = 342
"""Width of the text column on a 390 px wide phone (the theme's margins taken off), measured in
Chromium on the built book."""
LABEL_PT = 10
"""The book's axis-label size (``plots.STYLE``)."""
SMALLEST_LABEL_PX = 7.5
"""The smallest label size, in CSS pixels on the phone, that counts as readable here."""
COLUMN_PX = 688
"""The text column of the desktop layout, the width a table must fit in."""
CHAR_PX, CELL_PADDING_PX = 8.5, 16
"""A table's narrowest rendered width, estimated from its text: a browser wraps a cell's text at
spaces but never inside a word, so each column needs its longest word (in the theme's bold header
font, about CHAR_PX a character) and its padding. Calibrated on the comparison table of issue 12:
the estimate gives 891 px for the table Chromium drew 925 px wide."""
SCROLLING_TABLES = {"repro-checksums"}
"""Tables that are records to scroll (SHA-256 digests are 64 characters), by class."""


# --- the logic of the computed claims, on known cases -------------------------------------------

def test_first_rise_finds_the_first_step_that_raises_the_loss():
    first_rise = page_function("gradient-descent", "first_rise")
    assert first_rise([0.1, 1, 10], [-1.0, -0.5, 0.2]) == 2
    assert first_rise([0.1, 1, 10, 100], [-1.0, 0.3, -0.2, 0.5]) == 1
    assert first_rise([0.1, 1], [-1.0, 0.0]) is None          # no change is not a rise


def test_crossing_bisects_to_where_the_change_turns_positive():
    crossing = page_function("gradient-descent", "crossing")
    assert crossing(lambda a: a - 3.0, 1.0, 10.0) == pytest.approx(3.0, rel=2e-3)
    assert crossing(lambda a: math.log(a / 0.02), 0.01, 0.1, rel_tol=1e-6) == pytest.approx(0.02)


def test_quadratic_verdict_holds_only_for_a_parabola_like_curve():
    verdict = page_function("gradient-descent", "quadratic_verdict")
    # a parabola phi(a) = -a + a^2 / 2: best step 1, half the first order there, rise at 2
    alphas = np.linspace(0.01, 3, 3000)
    change, first_order = -alphas + alphas ** 2 / 2, -alphas
    best = np.argmin(change)
    rise = alphas[np.flatnonzero(change > 0)[0]]
    assert verdict(change[best] / first_order[best], rise / alphas[best]) == "holds"
    assert verdict(0.17, 3.2) == "does not hold"
    assert verdict(0.5, 3.0) == "does not hold"
    assert verdict(0.2, 2.0) == "does not hold"


def test_rises_dead_units_and_the_lowest_final_loss():
    rises = page_function("gradient-descent", "rises")
    dead_units = page_function("gradient-descent", "dead_units")
    lowest = page_function("gradient-descent", "lowest_final_loss")
    assert rises([3, 2, 2.5, 1, 1.2, 1.1]) == 2
    assert rises([3, 2, 1]) == 0
    Z1 = np.array([[-1.0, 0.5, 0.0], [-2.0, -0.1, 0.0], [-0.5, 0.2, 0.0]])
    assert dead_units(Z1) == 2                                 # a zero pre-activation is dead too
    assert lowest({0.1: [3, 1.0], 1.0: [3, 0.5], 2.0: [3, 0.2, 0.9]}) == 1.0


def test_first_step_where_returns_the_first_step_or_none():
    first = page_function("training", "first_step_where")
    assert first([10, 20, 30], [False, True, True]) == 20
    assert first([1, 2], [False, False]) is None


def test_the_comparison_counts_updates_per_pass_by_optimiser():
    summary = page_function("training", "summary", model=model, OPTIMISERS={})
    params = {"W1": np.zeros((784, 2)), "b1": np.zeros(2), "W2": np.zeros((2, 10)),
              "b2": np.zeros(10)}
    history = train.History(step=[1, 2, 3], loss=[1, 1, 1], train_accuracy=[0.5] * 3,
                            dev_accuracy=[0.4] * 3, learning_rate=[0.1] * 3, seconds=2.0)
    gd = dataclasses.replace(train.SEED_CONFIG, hidden=2)
    sgd = dataclasses.replace(train.RECOMMENDED["mnist"], hidden=2, batch_size=64)
    assert summary(gd, params, history, 1000, 0.5)["updates"] == "3"
    assert summary(sgd, params, history, 1000, 0.5)["updates"] == "48"  # 3 epochs of ceil(1000/64)
    n_params = 784 * 2 + 2 + 2 * 10 + 10
    assert summary(sgd, params, history, 1000, 0.5)["parameters"] == f"{n_params:,}"
    assert summary(sgd, params, history, 1000, 0.9876)["train accuracy"] == "98.8%"


def test_off_diagonal_counts_only_the_mistakes():
    off_diagonal = page_function("evaluation", "off_diagonal")
    C = np.array([[5, 0, 1], [0, 7, 0], [2, 0, 9]])
    assert sorted(off_diagonal(C).tolist()) == [0, 0, 0, 0, 1, 2]
    assert int(np.sum(off_diagonal(C) == 0)) == 4            # not 5: the diagonal is not a mistake
    assert off_diagonal(np.eye(10, dtype=int)).size == 90


def test_most_confused_pairs_keeps_ties_and_both_directions():
    pairs = page_function("evaluation", "most_confused_pairs")
    C = np.diag([50] * 5)
    C[0, 1], C[1, 0] = 3, 1          # {0, 1}: 4
    C[2, 3] = 4                      # {2, 3}: 4, a tie
    C[4, 0] = 1                      # {0, 4}: 1
    assert pairs(C, k=1) == [(0, 1, 3, 1), (2, 3, 4, 0)]
    assert pairs(C, k=2) == [(0, 1, 3, 1), (2, 3, 4, 0)]
    assert pairs(C, k=5) == [(0, 1, 3, 1), (2, 3, 4, 0), (0, 4, 0, 1)]   # none without a mistake
    assert pairs(np.diag([9, 9]), k=5) == []


def test_classes_at_lists_every_class_that_ties():
    classes_at = page_function("evaluation", "classes_at")
    names = [str(k) for k in range(10)]
    assert classes_at([0.9, 0.8, 0.95], 0.8, names) == "class 1"
    assert classes_at([0.8, 0.9, 0.8], 0.8, names) == "classes 0 and 2"
    assert classes_at([1.0, 1.0, 0.9, 1.0], 1.0, names) == "classes 0, 1 and 3"


def test_uniformly_scaled_rows_and_the_l2_only_factor():
    scaled_rows = page_function("evaluation", "uniformly_scaled_rows")
    factor = page_function("evaluation", "l2_only_factor")
    W0 = np.arange(1.0, 13.0).reshape(4, 3)
    W = W0 * np.array([[0.5], [1.0], [2.0], [1.0]])
    W[3, 0] += 0.3                                            # row 3 moved by the loss too
    mask, factors = scaled_rows(W, W0)
    assert mask.tolist() == [True, True, True, False]
    assert factors[:3].tolist() == [0.5, 1.0, 2.0]
    assert factor([0.1] * 3, 10, 0.0, 0.01) == pytest.approx((1 - 0.1 * 0.01) ** 30)
    assert factor([0.1, 0.05], 7, 0.9, 0.0) == 1.0
    # with momentum the factor is that of the same recursion written out by hand
    w, v = 1.0, 0.0
    for _ in range(5):
        v = 0.9 * v - 0.1 * 0.5 * w
        w += v
    assert factor([0.1], 5, 0.9, 0.5) == pytest.approx(w)


# --- the built chapters: values by name, held to their claims ----------------------------------

@pytest.fixture(scope="module")
def glued(built_book):
    return {page: glue_values(page) for page in NOTEBOOK_PAGES}


@pytest.mark.parametrize("page", list(MIN_FIGURES))
def test_page_has_its_figures_each_with_alt_text_and_caption(built_book, page):
    figures = soup_of(built_book, page).select("main figure")
    assert len(figures) >= MIN_FIGURES[page], f"{page}: {len(figures)} figures"
    assert_figures_are_images_with_alt_text_and_captions(figures, min_alt=20)


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_page_ran_without_errors_and_left_no_glue_unfilled(built_book, page):
    main = soup_of(built_book, page).find("main")
    assert not main.select(".output.stderr, .output.traceback, .output.error")
    assert "Traceback" not in text_of(main)
    assert "{glue:" not in text_of(main)
    assert main.select("span.pasted-text"), f"{page}: nothing glued"


def included_functions(page: str) -> list[tuple[str, str]]:
    """(module file, function) of every ``literalinclude`` with ``:pyobject:`` on the page."""
    text = (BOOK / f"{page}.md").read_text(encoding="utf-8")
    found = re.findall(r"^```\{literalinclude\}\s+\.\./code/scratchnet/(\S+)\n((?::[\w-]+:.*\n)*)",
                       text, re.M)
    return [(path, m[1]) for path, options in found
            if (m := re.search(r":pyobject:\s*(\S+)", options))]


def function_source(path: str, name: str) -> str:
    source = (LIBRARY / path).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            return ast.get_source_segment(source, node)
    raise AssertionError(f"{path}: no {name}")


@pytest.mark.parametrize("page", [*CHAPTERS, "demo"])
def test_included_code_is_the_current_library_source(built_book, page):
    shown = "\n".join(block.get_text() for block in
                      soup_of(built_book, page).select("main div.highlight"))
    included = included_functions(page)
    assert included, f"{page} includes no library function"
    for path, name in included:
        for line in function_source(path, name).splitlines():
            assert line.strip() in shown, f"{page}: {path}:{name} line not shown: {line!r}"


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_every_equation_label_is_numbered_on_the_page(built_book, page):
    labels = re.findall(r"^\s*:label:\s*(eq-\S+)", (BOOK / f"{page}.md").read_text(), re.M)
    soup = soup_of(built_book, page)
    for label in labels:
        assert soup.find(id=f"equation-{label}"), f"{page}: equation {label} not numbered"


def test_gradient_descent_claims_follow_from_the_sweep(glued):
    g = glued["gradient-descent"]
    final = g["ch6_final_losses"]
    assert len(final) == g["ch6_n_alphas"] == g["ch6_n_others"] + 1
    assert g["ch6_best_alpha"] == min(final, key=final.get)       # "the lowest final loss"
    assert 0.1 < g["ch6_best_alpha"] < g["ch6_largest_alpha"] == max(final)  # "not the largest"
    assert g["ch6_small_alpha_rises"] == 0                        # "every step lowers the loss"
    assert g["ch6_largest_worse_than"] == sum(v < final[max(final)] for v in final.values())
    assert 0 <= g["ch6_largest_dead"] <= g["ch6_hidden"]
    assert abs(g["ch6_small_ratio"] - 1) < 0.01            # "an excellent model for small steps"
    assert g["ch6_best_one_step"] < g["ch6_alpha_rise"]     # the best step lowers the loss
    assert g["ch6_rise_ratio"] == pytest.approx(g["ch6_alpha_rise"] / g["ch6_best_one_step"])
    verdict = page_function("gradient-descent", "quadratic_verdict")
    assert g["ch6_quadratic_verdict"] == verdict(g["ch6_fraction_at_best"], g["ch6_rise_ratio"])


def seed_log(site: Path) -> list[tuple[int, float]]:
    """(iteration, accuracy) from the seed run's printed log, read from the page's cell outputs."""
    outputs = soup_of(site, "training").select("main div.cell_output")
    text = "\n".join(output.get_text() for output in outputs)
    log = re.findall(r"Iteration: (\d+)\s+accuracy: ([0-9.]+)", text)
    return [(int(i), float(a)) for i, a in log]


def test_seed_run_log_is_printed_every_ten_iterations_as_the_seed_did(built_book, glued):
    log = seed_log(built_book)
    assert [i for i, _ in log] == list(range(10, glued["training"]["ch7_seed_iterations"] + 1, 10))
    assert all(0 <= a <= 1 for _, a in log)
    assert log[-1][1] == pytest.approx(glued["training"]["ch7_seed_train"], abs=5e-5)
    assert log[-1][1] > log[0][1]


def test_training_claims_follow_from_the_two_runs(glued):
    g = glued["training"]
    assert 0.7 < g["ch7_seed_dev"] < 0.95 and 0.9 < g["ch7_sgd_dev"] <= 1
    assert g["ch7_dev_gain_points"] == pytest.approx(100 * (g["ch7_sgd_dev"] - g["ch7_seed_dev"]))
    assert g["ch7_error_ratio"] == pytest.approx((1 - g["ch7_seed_dev"]) / (1 - g["ch7_sgd_dev"]))
    assert 1 <= g["ch7_beat_epoch"] <= g["ch7_sgd_epochs"]          # "passes ... at epoch n"
    assert 10 <= g["ch7_seed_near_final"] <= g["ch7_seed_iterations"]
    seed_gap = 100 * (g["ch7_seed_train"] - g["ch7_seed_dev"])
    assert g["ch7_seed_gap_points"] == pytest.approx(seed_gap)
    assert abs(g["ch7_seed_gap_points"]) < 2                          # "stay close": it underfits
    assert g["ch7_sgd_updates"] == g["ch7_sgd_epochs"] * g["ch7_sgd_updates_per_epoch"]
    assert g["ch7_mb64"] == pytest.approx(2 * g["ch7_mb32"])          # "halves the memory"
    assert g["ch7_speedup32"] > 1                                     # "... times faster"
    assert g["ch7_optimizer"] == train.RECOMMENDED["mnist"].optimizer
    assert g["ch7_patience"] == train.RECOMMENDED["mnist"].patience


def test_evaluation_uses_the_network_of_the_training_chapter(glued):
    training, evaluation = glued["training"], glued["evaluation"]
    assert re.fullmatch(r"[0-9a-f]{12}", evaluation["ch8_fingerprint"])
    assert evaluation["ch8_fingerprint"] == training["ch7_sgd_fingerprint"]
    assert evaluation["ch8_dev_acc"] == training["ch7_sgd_dev"]
    assert evaluation["ch8_train_acc"] == training["ch7_sgd_train"]


def test_evaluation_counts_follow_from_its_confusion_matrix(glued):
    g = glued["evaluation"]
    C = np.array(g["ch8_confusion"])
    n_test = int(g["ch8_n_test"].replace(",", ""))
    assert C.shape == (10, 10) and C.sum() == n_test
    assert np.trace(C) / n_test == pytest.approx(g["ch8_test_acc"])
    assert n_test - np.trace(C) == g["ch8_test_errors"]
    mistakes = [C[j, k] for j in range(10) for k in range(10) if j != k]
    assert g["ch8_off_cells"] == len(mistakes) == 90
    assert g["ch8_zero_cells"] == mistakes.count(0)
    totals = sorted((C[j, k] + C[k, j] for j in range(10) for k in range(j + 1, 10)), reverse=True)
    listed = g["ch8_listed_pairs"]
    assert g["ch8_n_pairs"] == len(totals) == 45
    assert g["ch8_listed_share"] == pytest.approx(sum(totals[:listed]) / sum(mistakes))
    assert listed == len(totals) or totals[listed] < totals[listed - 1]      # no tie left out
    assert g["ch8_even_share"] == pytest.approx(listed / 45)
    assert g["ch8_listed_share"] > 2 * g["ch8_even_share"]                   # "the mistakes gather"
    per_class = np.diag(C) / C.sum(axis=1)
    assert np.allclose(per_class, g["ch8_per_class"])
    assert g["ch8_hardest_acc"] == pytest.approx(per_class.min())
    assert g["ch8_easiest_acc"] == pytest.approx(per_class.max())
    hardest = [str(k) for k in np.flatnonzero(np.isclose(per_class, per_class.min()))]
    assert re.findall(r"\d+", g["ch8_hardest"]) == hardest


def test_evaluation_confidence_claims_follow_from_its_numbers(glued):
    g = glued["evaluation"]
    assert g["ch8_conf_wrong"] < g["ch8_conf_right"]                 # "lower"
    assert g["ch8_worst_conf"] > 0.5     # "a high probability ... less likely, not impossible"
    assert 0 <= g["ch8_mistakes_above_90"] <= g["ch8_test_errors"]
    assert 0 <= g["ch8_ece"] < 1
    gap = 100 * (g["ch8_mean_conf"] - g["ch8_test_acc"])
    assert g["ch8_gap_points"] == pytest.approx(gap, abs=1e-4)      # float32 confidences
    assert g["ch8_confidence_verdict"] == robustness.calibration_direction(
        g["ch8_gap_points"], g["ch8_gap_se_points"])
    assert g["ch8_test_origin"] == ("official" if g["ch8_test_official"] else "carved")


def test_evaluation_hidden_unit_claims_follow_from_its_numbers(glued):
    g = glued["evaluation"]
    assert g["ch8_change_ratio"] > 0
    size = page_function("evaluation", "size_against_one")
    assert [size(r) for r in (0.5, 0.996, 1.004, 1.5)] == [
        "smaller than", "as large as", "as large as", "larger than"]
    assert g["ch8_change_size"] == size(g["ch8_change_ratio"])
    assert 0 < g["ch8_blank"] < 784 and 0 < g["ch8_blank_change"] < 1
    assert g["ch8_pure_n"] >= 1
    assert g["ch8_pure_c"] == pytest.approx(g["ch8_predicted_c"], abs=1e-3)   # "It was: ..."


# --- defects of issue 12, as the built HTML shows them ----------------------------------------

def tex_outside_maths(main) -> list[str]:
    """Backslash commands and dollar signs left in the page's text outside MathJax's input, code and
    scripts: maths that Markdown broke up (a wrapped ``- `` line became a list item)."""
    main = BeautifulSoup(str(main), "html.parser")
    for node in main.select(".math, pre, code, script, style, .highlight, mjx-container"):
        node.decompose()
    text = main.get_text(" ")
    return [text[max(0, m.start() - 40):m.end() + 40] for m in re.finditer(r"\\[A-Za-z]+|\$", text)]


@pytest.mark.parametrize("page", PAGES)
def test_no_unrendered_tex_on_the_page(built_book, page):
    assert tex_outside_maths(soup_of(built_book, page).find("main")) == []


def test_the_tex_check_sees_maths_broken_by_a_list_item():
    html = ('<main><p>The change <span class="math">\\(x\\)</span> and</p><ul><li><p>'
            '\\lVert g\\rVert^2\\right)$ is negative</p></li></ul></main>')
    assert len(tex_outside_maths(BeautifulSoup(html, "html.parser"))) == 4


@pytest.mark.parametrize("page", PAGES)
def test_no_word_with_a_bracketed_plural(built_book, page):
    text = text_of(soup_of(built_book, page).find("main"))
    assert not re.findall(r"\w+\(s\)", text), "words must follow the values: 1 epoch, 2 epochs"
    main = soup_of(built_book, page).find("main")
    for code in main.select("pre, code"):
        code.decompose()
    assert not ONE_WITH_A_PLURAL.findall(text_of(main)), "words follow values: 1 pixel, 2 pixels"


ONE_WITH_A_PLURAL = re.compile(r"(?<![\d.,])[±+−-]?1 (pixels|points|epochs|digits|images|classes|"
                               r"units|steps|seconds|passes)\b")


def test_one_with_a_plural_is_found_and_other_counts_are_not():
    assert ONE_WITH_A_PLURAL.findall("shifted by up to 1 pixels, ±1 points") == ["pixels", "points"]
    assert not ONE_WITH_A_PLURAL.findall("0.1 points, 11 pixels, 2.1 epochs, 1 pixel, 21 digits")


@pytest.mark.parametrize("page", PAGES)
def test_no_note_to_the_authors_is_left_on_the_page(built_book, page):
    text = text_of(soup_of(built_book, page).find("main"))
    assert not re.findall(r"\b(?:Authors?:|TODO|FIXME|XXX)", text)


def estimated_width(table) -> float:
    """The width a table needs at least, in px: the longest word of each column, and padding."""
    widths: dict[int, int] = {}
    for row in table.find_all("tr"):
        for j, cell in enumerate(row.find_all(["td", "th"])):
            longest = max((len(word) for word in text_of(cell).split()), default=0)
            widths[j] = max(widths.get(j, 0), longest)
    return sum(CHAR_PX * w + CELL_PADDING_PX for w in widths.values())


@pytest.mark.parametrize("page", PAGES)
def test_tables_fit_the_text_column(built_book, page):
    for table in soup_of(built_book, page).select("main table"):
        if SCROLLING_TABLES & set(table.get("class", [])) or page == "reproducibility":
            continue     # records of the build (digests, paths): they scroll in their own box
        width = estimated_width(table)
        assert width <= COLUMN_PX, \
            f"{page}: a table needs about {width:.0f} px: {text_of(table)[:80]}"


def test_the_width_estimate_sees_a_ten_column_table():
    header = ["run", "hidden units H", "initialisation", "optimiser", "parameters",
              "passes over the data", "updates", "seconds", "train accuracy", "dev accuracy"]
    row = ["recommended", "256", "he", "SGD + momentum", "203,530", "40", "5,000", "33.3", "99.2%",
           "98.6%"]
    html = ("<table><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr><tr>"
            + "".join(f"<td>{c}</td>" for c in row) + "</tr></table>")
    assert estimated_width(BeautifulSoup(html, "html.parser")) > COLUMN_PX


@pytest.mark.parametrize("page", list(MIN_FIGURES))
def test_figures_are_readable_on_a_phone(built_book, page):
    """A figure is scaled to the phone's column; its labels must stay at least SMALLEST_LABEL_PX."""
    for figure in soup_of(built_book, page).select("main figure"):
        image = Image.open(built_book / figure.find("img")["src"])
        dpi = image.info.get("dpi", (110, 110))[0]
        inches = image.width / dpi
        label_px = LABEL_PT / 72 * PHONE_COLUMN_PX / max(inches, PHONE_COLUMN_PX / 96)
        assert label_px >= SMALLEST_LABEL_PX, \
            f"{page} {figure.get('id')}: {inches:.1f} in wide, labels {label_px:.1f} px on a phone"


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_visible_cells_run_on_visible_names_alone(page):
    """A reader who copies the visible cells in order has every name they use (the set-up cell, the
    same in every chapter, counts as visible)."""
    assert names_from_hidden_cells(page) == []


LABEL_CALLS = {"set_xlabel", "set_ylabel", "set_title", "suptitle", "text", "annotate"}


def literal_labels(source: str) -> list[str]:
    """String constants a cell passes as figure text (axis labels, titles, legend labels)."""
    found = []
    for node in ast.walk(ast.parse(python_of(source))):
        if not isinstance(node, ast.Call):
            continue
        args = []
        if isinstance(node.func, ast.Attribute) and node.func.attr in LABEL_CALLS:
            args += node.args
        args += [k.value for k in node.keywords if k.arg in ("label", "xlabel", "ylabel", "title")]
        for arg in args:
            parts = arg.values if isinstance(arg, ast.JoinedStr) else [arg]
            found += [p.value for p in parts
                      if isinstance(p, ast.Constant) and isinstance(p.value, str)]
    return found


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_figure_labels_write_subscripts_as_maths(page):
    """``η_e`` in a label prints an underscore; ``$\\eta_e$`` prints a subscript."""
    for source, _ in code_cells(page):
        for label in literal_labels(source):
            outside = re.sub(r"\$[^$]*\$", "", label)
            assert "_" not in outside, f"{page}: figure label {label!r} shows a literal underscore"
