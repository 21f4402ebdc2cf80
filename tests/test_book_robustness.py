"""The chapter "Looking inside and robustness", as built.

Values are read by name from the build's glue (``book_support.glue_values``) and checked against the
library, recomputed here from the same cached runs the page used (``runs.train_or_load``),
never typed in. The words the page glues (a calibration verdict, "more" or "less") are checked
against the tested functions of ``scratchnet.robustness`` that decide them.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from book_support import (
    assert_figures_are_images_with_alt_text_and_captions,
    glue_values,
    soup_of,
    text_of,
)
from page_checks import (
    figure_widths,
)

from scratchnet import data, model, robustness, runs, train

PAGE = "robustness"
FIGURES = ("fig-robustness-noise", "fig-robustness-shifts", "fig-robustness-coverage",
           "fig-robustness-reliability", "fig-robustness-pca")
EQUATIONS = ("eq-robustness-noise", "eq-robustness-shift", "eq-robustness-coverage",
             "eq-robustness-ece", "eq-robustness-gap", "eq-robustness-pca")


@pytest.fixture(scope="module")
def splits():
    return data.split(data.load("mnist"), seed=data.SPLIT_SEED)


@pytest.fixture(scope="module")
def page(built_book):
    return soup_of(built_book, PAGE)


@pytest.fixture(scope="module")
def values(built_book):
    return glue_values(PAGE)


@pytest.fixture(scope="module")
def networks(splits):
    """The page's two networks, from the run cache: the recommended one, and the same configuration
    without augmentation."""
    recommended = train.RECOMMENDED["mnist"]
    return {"augmented": runs.train_or_load(recommended, splits)[0],
            "not augmented": runs.train_or_load(replace(recommended, augment=False),
                                                      splits)[0]}


def test_page_has_its_figures_each_with_alt_text_and_a_caption_and_ran_its_cells(page):
    figures = page.select("main figure") or page.select("figure")
    assert {f.get("id") for f in figures} >= set(FIGURES)
    assert_figures_are_images_with_alt_text_and_captions(figures, min_alt=20)
    assert page.select("div.cell_output"), "no executed outputs"
    assert not page.select(".output.error, .output.traceback"), "a cell failed"


def test_equations_are_numbered_and_labelled(page):
    for label in EQUATIONS:
        eq = page.find(id=f"equation-{label}")
        assert eq is not None, f"equation {label} missing"
        assert re.search(r"\(\d+(\.\d+)*\)", text_of(eq.find(class_="eqno") or eq)), label


def test_the_unaugmented_network_differs_from_the_recommended_one_only_in_augmentation(
        values, networks, splits):
    recommended = train.RECOMMENDED["mnist"]
    assert values["robust_epochs"] == recommended.epochs
    for key, name in (("robust_clean_aug", "augmented"), ("robust_clean_noaug", "not augmented")):
        expected = train.accuracy_of(networks[name], splits.test.X, splits.test.y)
        assert values[key] == pytest.approx(expected)


def test_reject_option_numbers_are_those_of_the_library(values, networks, splits):
    assert values["robust_cov95"] == pytest.approx(0.95)
    assert values["robust_cov_full_acc"] <= values["robust_cov95_acc"] <= 1
    P = model.predict_proba(networks["augmented"], splits.test.X)
    c = np.sort(robustness.confidence(P))
    tau = c[len(c) - int(np.ceil(0.95 * len(c)))]                # the most confident 95% answer
    coverage, acc = robustness.coverage_accuracy(P, splits.test.y, [tau])
    assert values["robust_cov95_acc"] == pytest.approx(acc[0])
    assert values["robust_cov95_actual"] == pytest.approx(coverage[0])
    n = len(splits.test.y)
    assert values["robust_cov_full_errors"] == round((1 - values["robust_cov_full_acc"]) * n)


def test_ece_and_calibration_verdicts_are_computed_by_the_library(values, networks, splits):
    P = model.predict_proba(networks["augmented"], splits.test.X)
    y = splits.test.y
    ece = robustness.expected_calibration_error(P, y, 10)
    assert values["robust_ece_aug"] == pytest.approx(ece)
    gap, se = robustness.confidence_gap(P, y)
    assert values["robust_gap_clean"] == pytest.approx(gap)
    assert values["robust_gap_clean_se"] == pytest.approx(se)
    # the gap is mean confidence minus accuracy, both glued too
    assert gap == pytest.approx(values["robust_mean_conf"] - values["robust_cov_full_acc"],
                                abs=1e-6)               # float32 confidences
    for key in ("clean", "noisy"):
        assert values[f"robust_direction_{key}"] == robustness.calibration_direction(
            values[f"robust_gap_{key}"], values[f"robust_gap_{key}_se"])
    assert values["robust_gap_noisy"] == pytest.approx(values["robust_noisy_mean_conf"]
                                                       - values["robust_noisy_acc"])


def test_differences_of_accuracies_are_glued_in_percentage_points(values):
    for net in ("aug", "noaug"):
        drop = 100 * (values[f"robust_clean_{net}"] - values[f"robust_noise_max_{net}"])
        assert values[f"robust_noise_drop_{net}"] == pytest.approx(drop)
    assert values["robust_noise_more_or_less"] == robustness.more_or_less(
        values["robust_noise_drop_aug"], values["robust_noise_drop_noaug"], 1)
    assert values["robust_shift3_gain"] == pytest.approx(
        100 * (values["robust_shift3_aug"] - values["robust_shift3_noaug"]))
    assert values["robust_rot30_gain"] == pytest.approx(
        100 * (values["robust_rot30_aug"] - values["robust_rot30_noaug"]))
    assert values["robust_shift3_aug"] > values["robust_shift3_noaug"]   # what augmentation buys


def test_pca_explained_variance_is_a_fraction_of_the_hidden_layer(values):
    pc1, pc2, both = values["robust_pc1"], values["robust_pc2"], values["robust_pc12"]
    assert 0 < pc2 <= pc1 < 1 and both == pytest.approx(pc1 + pc2)
    assert values["robust_hidden"] == train.RECOMMENDED["mnist"].hidden
    assert 0 < values["robust_pix_pc12"] < 1
    assert 0 <= values["robust_dead_units"] < values["robust_hidden"]


# --- defects a reader would meet, checked on the source and the built page ----------------------


def test_the_page_has_its_figures(built_book, page):
    """The figures the tests name exist (their width and type are checked for every page in
    test_book_pages.py, with the other defects a reader meets)."""
    assert set(figure_widths(built_book, page)) >= set(FIGURES)
