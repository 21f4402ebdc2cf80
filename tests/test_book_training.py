"""The built chapters 6-8 (gradient descent, training, evaluation): executed outputs, figures with alt
text, glued numbers that are plausible, and included code that matches the library's current source.

Numbers are parsed from the HTML, never hard-coded: the tests hold whatever the build computed to the
bounds of a working network and to agreement between chapters."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "code" / "scratchnet"

PAGES = {"gradient-descent": 2, "training": 4, "evaluation": 6}   # page -> least number of figures
INCLUDED = {
    "gradient-descent": [("train", "gradient_descent_step")],
    "training": [("train", "gradient_descent"), ("train", "sgd"), ("train", "momentum_step"),
                 ("train", "learning_rate"), ("train", "minibatches"), ("train", "l2_gradient"),
                 ("augment", "random_affine")],
    "evaluation": [("evaluate", "accuracy"), ("evaluate", "confusion_matrix"),
                   ("evaluate", "per_class_accuracy"), ("evaluate", "most_confident_mistakes")],
}
PCT = r'<span class="pasted-text">([0-9.]+)%</span>'


def main_html(built_book: Path, page: str) -> str:
    path = built_book / f"{page}.html"
    assert path.is_file(), f"{page}.html was not built"
    text = path.read_text(encoding="utf-8")
    return text[text.index("<main"):text.index("</main>")]


def plain_text(fragment: str) -> str:
    """The visible text: tags dropped (code is split into many spans), entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def function_source(module: str, name: str) -> str:
    source = (LIBRARY / f"{module}.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(source, node)
    raise AssertionError(f"{module}.{name} not found")


def percentages(fragment: str, before: str) -> list[float]:
    """Glued percentages that directly follow the words ``before`` (tags between are allowed)."""
    pattern = re.escape(before) + r"\s*(?:<[^>]+>\s*)*" + PCT
    return [float(v) / 100 for v in re.findall(pattern, fragment)]


@pytest.mark.parametrize("page", PAGES)
def test_page_has_its_figures_each_with_alt_text_and_caption(built_book, page):
    fragment = main_html(built_book, page)
    images = re.findall(r"<img\b[^>]*>", fragment)
    assert len(images) >= PAGES[page], f"{page}: {len(images)} figures"
    for img in images:
        alt = re.search(r'alt="([^"]*)"', img)
        assert alt and alt.group(1).strip(), f"{page}: figure without alt text: {img[:120]}"
    figures = re.findall(r"<figure\b.*?</figure>", fragment, re.S)
    assert len(figures) >= PAGES[page]
    for figure in figures:
        assert "<figcaption" in figure and "<img" in figure


@pytest.mark.parametrize("page", PAGES)
def test_page_ran_without_errors_and_left_no_glue_unfilled(built_book, page):
    fragment = main_html(built_book, page)
    assert "Traceback" not in fragment
    assert "output stderr" not in fragment and "output traceback" not in fragment
    assert "{glue:" not in fragment
    assert re.search(r'class="pasted-text"', fragment)


@pytest.mark.parametrize("page", PAGES)
def test_included_code_is_the_current_library_source(built_book, page):
    text = plain_text(main_html(built_book, page))
    for module, name in INCLUDED[page]:
        for line in function_source(module, name).splitlines():
            assert line.strip() in text, f"{page}: {module}.{name} line not shown: {line!r}"


def test_training_page_shows_the_current_def_sgd_line(built_book):
    source = (LIBRARY / "train.py").read_text(encoding="utf-8").splitlines()
    def_line = next(line for line in source if line.startswith("def sgd("))
    assert def_line in plain_text(main_html(built_book, "training"))


def test_seed_run_log_is_printed_every_ten_iterations_as_the_seed_did(built_book):
    text = plain_text(main_html(built_book, "training"))
    log = [(int(i), float(a)) for i, a in re.findall(r"Iteration: (\d+)\s+accuracy: ([0-9.]+)", text)]
    assert [i for i, _ in log] == list(range(10, 501, 10))
    assert all(0 <= a <= 1 for _, a in log)
    assert log[-1][1] > 0.7 and log[-1][1] > log[0][1]


def test_seed_and_recommended_dev_accuracies_are_plausible(built_book):
    fragment = main_html(built_book, "training")
    seed, recommended = percentages(fragment, "dev accuracy of")[:2]
    assert 0.7 < seed < 0.95, seed
    assert 0.9 < recommended <= 1.0, recommended
    assert recommended > seed


def test_gradient_descent_sweep_names_a_best_learning_rate_from_the_sweep(built_book):
    fragment = main_html(built_book, "gradient-descent")
    best = re.search(r"lowest final loss belongs to .*?" + r'<span class="pasted-text">([0-9.]+)</span>',
                     fragment, re.S)
    assert best and float(best.group(1)) in (0.01, 0.1, 0.5, 1.0, 2.0)
    assert 'id="fig-gradient-descent-learning-rates"' in fragment


def test_evaluation_reports_test_accuracy_and_which_test_set(built_book):
    fragment = main_html(built_book, "evaluation")
    (test_acc,) = percentages(fragment, "test accuracy is")[:1]
    assert 0.9 < test_acc <= 1.0
    text = plain_text(fragment)
    assert "MNIST" in text and ("official test" in text)
    for figure in ("fig-evaluation-confusion", "fig-evaluation-gallery", "fig-evaluation-mistakes",
                   "fig-evaluation-per-class", "fig-evaluation-hidden-units"):
        match = re.search(rf'<figure[^>]*id="{figure}".*?</figure>', fragment, re.S)
        assert match and "<img" in match.group(0), f"missing figure {figure}"


def test_evaluation_uses_the_same_network_as_the_training_chapter(built_book):
    fingerprint = r'fingerprint\s*<span class="pasted-text">([0-9a-f]{12})</span>'
    training, evaluation = main_html(built_book, "training"), main_html(built_book, "evaluation")
    assert re.findall(fingerprint, training)[0] == re.findall(fingerprint, evaluation)[0]
    dev_in_training = percentages(training, "dev accuracy of")[1]
    dev_in_evaluation = percentages(evaluation, "against")[0]
    assert abs(dev_in_training - dev_in_evaluation) < 0.0006      # 98.7% vs 98.70%: rounding only


def test_equations_are_numbered_and_labelled(built_book):
    for page, label in [("gradient-descent", "eq-gradient-descent-update"),
                        ("training", "eq-training-momentum"),
                        ("evaluation", "eq-evaluation-confusion")]:
        assert f'id="equation-{label}"' in main_html(built_book, page)
