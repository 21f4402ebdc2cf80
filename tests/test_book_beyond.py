"""The "Beyond the seed" chapters as built: "Training better" and "Looking inside and robustness".

Each page exists with its executed outputs, every figure has alt text, the equations are numbered,
and the glued numbers are present and plausible. Expected values are computed here at test time
from the same cached runs the pages used (``runs.train_or_load``), never typed in.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from scratchnet import data, model, robustness, runs, train
from book_support import (assert_figures_are_images_with_alt_text_and_captions, glued_in_paragraph,
                          soup_of, text_of)

PAGES = {"training-better": 9, "robustness": 5}      # page -> at least this many figures


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


@pytest.fixture(scope="module")
def robust(built_book):
    return soup_of(built_book, "robustness")


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
    ("robustness", ["eq-robustness-noise", "eq-robustness-shift", "eq-robustness-coverage",
                    "eq-robustness-ece", "eq-robustness-pca"]),
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
    params, _ = runs.train_or_load(train.RECOMMENDED["mnist"], splits)
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


def test_robustness_reject_option_numbers_are_present_and_consistent(robust, splits):
    full_acc, mistakes = glued_in_paragraph(robust, "Answering every test digit")[:2]
    at95 = glued_in_paragraph(robust, "At", containing="coverage the accuracy on the answered digits")
    assert percent(at95[0]) == pytest.approx(0.95)
    accuracy_at_95 = percent(at95[-1])
    assert percent(full_acc) <= accuracy_at_95 <= 1
    params, _ = runs.train_or_load(train.RECOMMENDED["mnist"], splits)
    P = model.predict_proba(params, splits.test.X)
    c = np.sort(robustness.confidence(P))
    tau = c[len(c) - int(np.ceil(0.95 * len(c)))]                # the most confident 95% answer
    _, acc = robustness.coverage_accuracy(P, splits.test.y, [tau])
    assert at95[-1] == f"{acc[0]:.2%}"


def test_robustness_ece_is_glued_and_matches_the_library(robust, splits):
    values = glued_in_paragraph(robust, "The recommended network's ECE is")
    ece = float(values[0])
    assert 0 <= ece < 0.2
    params, _ = runs.train_or_load(train.RECOMMENDED["mnist"], splits)
    P = model.predict_proba(params, splits.test.X)
    assert values[0] == f"{robustness.expected_calibration_error(P, splits.test.y, 10):.3f}"


def test_robustness_pca_explained_variance_is_a_fraction(robust):
    values = glued_in_paragraph(robust, "The first principal component explains")
    pc1, hidden, pc2, both, pixels = percent(values[0]), values[1], percent(values[2]), \
        percent(values[3]), percent(values[4])
    assert 0 < pc2 <= pc1 < 1 and 0 < both < 1
    assert both == pytest.approx(pc1 + pc2, abs=0.0011)
    assert int(hidden) == train.RECOMMENDED["mnist"].hidden
    assert 0 < pixels < 1


def test_robustness_augmentation_helps_against_shifts(robust):
    values = glued_in_paragraph(robust, "A network whose first layer is a plain matrix product")
    accuracies = [percent(v) for v in values if v.endswith("%") and not v.startswith("+")]
    assert all(0 <= a <= 1 for a in accuracies)
    noaug_3px, aug_3px = percent(values[3]), percent(values[8])
    assert aug_3px > noaug_3px                                   # what augmentation buys


def test_robustness_compares_against_a_network_trained_without_augmentation(robust, splits):
    config = replace(train.RECOMMENDED["mnist"], augment=False, epochs=10)
    params, _ = runs.train_or_load(config, splits)
    values = glued_in_paragraph(robust, "All measurements use the")
    assert values[3] == str(config.epochs)
    assert values[4] == f"{train.accuracy_of(params, splits.test.X, splits.test.y):.1%}"
    recommended, _ = runs.train_or_load(train.RECOMMENDED["mnist"], splits)
    assert values[2] == f"{train.accuracy_of(recommended, splits.test.X, splits.test.y):.1%}"
