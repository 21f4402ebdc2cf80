"""The "Beyond the seed" chapters as built: "Training better" and "Looking inside and robustness".

Each page exists with its executed outputs, every figure has alt text, the equations are numbered,
and the glued numbers are present and plausible. Expected values are computed here at test time
from the same cached runs the pages used (``checkpoint.train_or_load``), never typed in.
"""

from __future__ import annotations

import re

import pytest

from scratchnet import checkpoint, data, train
from book_support import (assert_figures_are_images_with_alt_text_and_captions, glued_in_paragraph,
                          soup_of, text_of)

PAGES = {"training-better": 9}      # page -> at least this many figures


def percent(text: str) -> float:
    """'97.4%' -> 0.974; '+2.4%' -> 0.024."""
    assert text.endswith("%"), text
    return float(text.rstrip("%").replace(",", "")) / 100


@pytest.fixture(scope="module")
def splits():
    return data.split(data.load("mnist"), seed=0)


@pytest.fixture(scope="module")
def better(built_book):
    return soup_of(built_book, "training-better")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_beyond_page_has_its_figures_each_with_alt_text_and_a_caption(built_book, name):
    soup = soup_of(built_book, name)
    figures = soup.select("main figure") or soup.select("figure")
    assert len(figures) >= PAGES[name]
    assert_figures_are_images_with_alt_text_and_captions(figures, min_alt=20)
    assert soup.select("div.cell_output"), "no executed outputs"
    assert not soup.select(".output.error, .output.traceback"), "a cell failed"


@pytest.mark.parametrize("name, labels", [
    ("training-better", ["eq-training-better-adam-moments", "eq-training-better-adam-update",
                         "eq-training-better-decay", "eq-training-better-step",
                         "eq-training-better-affine", "eq-training-better-bilinear",
                         "eq-training-better-early-stop", "eq-training-better-init"]),
])
def test_beyond_page_equations_are_numbered_and_labelled(built_book, name, labels):
    soup = soup_of(built_book, name)
    for label in labels:
        eq = soup.find(id=f"equation-{label}")
        assert eq is not None, f"equation {label} missing"
        assert re.search(r"\(\d+(\.\d+)*\)", text_of(eq.find(class_="eqno") or eq)), label


def test_better_page_shows_the_library_code_it_discusses(better):
    code = text_of(better)
    for function in ("def adam_step", "def momentum_step", "def l2_gradient", "def learning_rate",
                     "def random_affine", "def bilinear", "def affine_sample_points"):
        assert function in code, f"{function} not shown"


def test_better_recommended_accuracies_are_glued_plausible_and_those_of_the_cached_run(better,
                                                                                       splits):
    values = glued_in_paragraph(better, "The recommended network reaches")
    dev, test = percent(values[0]), percent(values[1])
    assert dev >= 0.96 and test >= 0.96
    params, _ = checkpoint.train_or_load(train.RECOMMENDED["mnist"], splits)
    assert values[0] == f"{train.accuracy_of(params, splits.dev.X, splits.dev.y):.1%}"
    assert values[1] == f"{train.accuracy_of(params, splits.test.X, splits.test.y):.1%}"
    assert values[2] == f"{len(splits.test.y):,}"
    assert values[3] == splits.description


def test_better_page_states_which_test_set_the_estimate_comes_from(better):
    target_paragraph = glued_in_paragraph(better, "The target for scratchnet train is at least")
    assert percent(target_paragraph[0]) == pytest.approx(0.97)
    verdict = target_paragraph[1]
    assert verdict.startswith(("above the target by", "below the target by"))
    note = target_paragraph[2]
    if data.load("mnist").official:
        assert "official test set" in note
    else:
        assert "official test set was not available" in note


def test_better_comparisons_are_glued_accuracies(better):
    init = glued_in_paragraph(better, "Before any training the uniform network has a loss of")
    assert float(init[0]) > float(init[1]) > 0                  # uniform starts worse than He
    optimisers = glued_in_paragraph(better, "After", containing="epochs the dev accuracy is")
    accuracies = [percent(v) for v in optimisers if v.endswith("%")]
    assert len(accuracies) == 3 and all(0.5 < a <= 1 for a in accuracies)
    augmentation = glued_in_paragraph(better, "Augmentation raises the dev accuracy from")
    before, after, gain = (percent(v) for v in augmentation[:3])
    assert gain == pytest.approx(after - before, abs=0.0011)


def test_better_early_stopping_returns_the_best_epoch(better):
    values = glued_in_paragraph(better, "The dev accuracy peaked at")
    best, best_epoch, patience, stopped, allowed = values[:5]
    assert int(stopped) - int(best_epoch) == int(patience)
    assert int(stopped) <= int(allowed)
    returned = values[7]
    assert returned == best
