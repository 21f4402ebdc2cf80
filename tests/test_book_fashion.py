"""The Fashion-MNIST chapter, as built, and the CLI default it documents.

Nothing here hard-codes a result: values are read by name from the build's glue
(``book_support.glue_values``) and checked against the target, against each other and against the
library's cached runs; class names come from ``scratchnet.data``. The chapter's own small functions
(the words its claims use) are tested on cases whose answer is known.
"""

from __future__ import annotations

import dataclasses
import json
import re

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
from page_code import page_function
from script_support import benchmark

from scratchnet import checkpoint, cli, data, evaluate, fast, model, runs, train
from scratchnet.targets import TARGETS
from scratchnet.train import RECOMMENDED, TrainConfig

choose_config = benchmark("choose_config")

TARGET = TARGETS["fashion-mnist"]["test_accuracy"]   # on the official Fashion-MNIST test set
PAGE = "fashion"
FIGURES = ("fig-fashion-examples", "fig-fashion-flip", "fig-fashion-history",
           "fig-fashion-confusion", "fig-fashion-mistakes", "fig-fashion-vs-mnist")


def percent(text: str) -> float:
    assert re.fullmatch(r"\d+\.\d+%", text), text
    return float(text.rstrip("%")) / 100


def number(text: str) -> float:
    """'+0.19' or '1,234' -> a float; a difference of percentages is glued in points, never '%'."""
    assert re.fullmatch(r"[+-]?[\d,]+(\.\d+)?", text), text
    return float(text.replace(",", ""))


@pytest.fixture(scope="module")
def page(built_book):
    return soup_of(built_book, PAGE)


@pytest.fixture(scope="module")
def values(built_book):
    return glue_values(PAGE)


@pytest.fixture(scope="module")
def fashion():
    return data.load("fashion-mnist")


@pytest.fixture(scope="module")
def splits(fashion):
    return data.split(fashion, seed=data.SPLIT_SEED)


def test_fashion_page_is_in_the_beyond_the_seed_part(built_book):
    index = soup_of(built_book, "intro")
    assert index.find("a", href=re.compile(r"fashion\.html")) is not None
    assert "Beyond the seed" in text_of(index)


def test_fashion_page_runs_its_cells_without_errors(page):
    assert not page.select("div.output.error, div.output.traceback, .cell_output .error")
    assert "Traceback" not in text_of(page)


def test_every_figure_is_an_image_with_alt_text_and_a_caption(page):
    figures = page.select("figure")
    assert {f.get("id") for f in figures} >= set(FIGURES)
    assert_figures_are_images_with_alt_text_and_captions(figures, min_alt=40)


def test_the_class_names_of_the_dataset_are_shown(page):
    text = text_of(page)
    for name in data.CLASS_NAMES["fashion-mnist"]:
        assert name in text, name


def test_page_says_which_source_and_split_it_used(values, fashion, splits):
    assert values["fashion_source"] == fashion.source
    assert values["fashion_location"] == fashion.location
    assert values["fashion_split"] == splits.description
    assert values["fashion_n_total"] == f"{len(fashion.train_labels) + len(fashion.test_labels):,}"


def test_class_sizes_are_stated_as_the_counts_are(values, splits):
    count_range = page_function(PAGE, "count_range")
    assert values["fashion_per_class"] == count_range(np.bincount(splits.train.y, minlength=10))


def test_the_dev_run_is_the_recorded_run_of_the_recommended_configuration(values, splits):
    config = RECOMMENDED["fashion-mnist"]
    assert number(values["fashion_n_train"]) == len(splits.train.y)
    assert values["fashion_hidden"] == config.hidden and values["fashion_epochs"] == config.epochs
    assert values["fashion_batch_size"] == config.batch_size
    assert values["fashion_budget_seconds"] == TARGETS["fashion-mnist"]["train_seconds"]
    assert values["fashion_budget_ratio"] == TARGETS["fashion-mnist"]["matmul_bound_ratio"]
    H = config.hidden
    assert number(values["fashion_n_params"]) == 784 * H + H + H * 10 + 10
    chosen = choose_config.chosen("fashion-mnist", folds="split")
    assert chosen is not None and values["fashion_chosen_name"] == chosen["name"]
    assert values["fashion_dev_acc"] == f"{chosen['dev_mean']:.2%}"
    assert number(values["fashion_dev_run_seconds"]) == round(chosen["seconds"][0])
    assert values["fashion_flip_state"] == ("on" if config.flip else "off")


def test_the_dev_comparison_is_computed_from_the_record(values, splits):
    """The candidate differing in the flip alone scored on dev what the page says; the differences
    are in points, measured in standard errors, and judged by the two-SE rule."""
    chosen = choose_config.chosen("fashion-mnist", folds="split")
    flipped = choose_config.differing_in("fashion-mnist", chosen, "flip", folds="split")
    assert flipped is not None, "the flip is compared like with like"
    flip_acc = flipped["dev_mean"]
    assert values["fashion_flip_dev_acc"] == f"{flip_acc:.2%}"
    base = chosen["dev_mean"]
    se = 100 * (base * (1 - base) / len(splits.dev.y)) ** 0.5
    assert number(values["fashion_dev_se"]) == pytest.approx(se, abs=0.01)
    diff = number(values["fashion_flip_diff"])
    assert diff == pytest.approx(100 * (flip_acc - base), abs=0.011)
    assert number(values["fashion_flip_diff_se"]) == pytest.approx(abs(diff) / se, abs=0.02)
    if abs(abs(diff) / se - 2) > 0.05:                 # away from the edge, where rounding decides
        assert values["fashion_flip_verdict"] == ("within" if abs(diff) < 2 * se else "beyond")
    table = choose_config.results_table("fashion-mnist", folds="split")
    assert values["fashion_best_choice"] == table["dev accuracy"].idxmax()
    assert values["fashion_n_tried"] == len(table)
    assert number(values["fashion_choices_max_se"]) >= number(values["fashion_flip_diff_se"])


def test_the_final_fit_is_judged_against_the_target_with_its_standard_error(values, fashion):
    assert number(values["fashion_n_all"]) == len(fashion.train_labels)   # train + dev: all of it
    assert number(values["fashion_n_test"]) == len(fashion.test_labels)
    assert number(values["fashion_train_seconds"]) > 0
    assert percent(values["fashion_target"]) == TARGET
    test_acc = values["fashion_test_acc_value"]
    assert values["fashion_test_acc"] == f"{test_acc:.2%}"
    assert test_acc > 0.88, f"official test accuracy {test_acc:.2%}: the network did not learn"
    assert abs(percent(values["fashion_dev_acc"]) - test_acc) < 0.02   # dev predicted the test
    se = 100 * (test_acc * (1 - test_acc) / len(fashion.test_labels)) ** 0.5
    assert number(values["fashion_test_se"]) == pytest.approx(se, abs=0.01)
    # the verdict on the target and its qualification are computed, never claimed
    assert values["fashion_target_verdict"] == ("reaches" if test_acc >= TARGET else "misses")
    margin = 100 * (test_acc - TARGET)
    assert number(values["fashion_target_margin"]) == pytest.approx(margin, abs=0.006)
    assert number(values["fashion_target_margin_se"]) == pytest.approx(abs(margin) / se, abs=0.01)
    if abs(abs(margin) / se - 2) > 0.02:
        assert values["fashion_target_noise"] == ("within" if abs(margin) < 2 * se else "beyond")


def test_the_final_fit_is_compared_with_the_dev_estimate_in_points(values):
    chosen = choose_config.chosen("fashion-mnist", folds="split")
    gap = 100 * (values["fashion_test_acc_value"] - chosen["dev_mean"])
    assert number(values["fashion_final_vs_dev"]) == pytest.approx(gap, abs=0.006)


def test_the_confused_pairs_are_class_names_in_decreasing_order(values):
    names = set(data.CLASS_NAMES["fashion-mnist"])
    for rank in (1, 2, 3):
        assert {values[f"fashion_pair{rank}_j"], values[f"fashion_pair{rank}_k"]} <= names
    assert values["fashion_pair1_n"] >= values["fashion_pair2_n"] >= values["fashion_pair3_n"]
    assert 0 <= values["fashion_mistakes_upper"] <= values["fashion_mistakes_shown"]


def test_the_comparison_with_mnist_trains_the_same_configuration(values):
    """Like with like: the Fashion-MNIST configuration, unchanged, trained on MNIST; the page's
    MNIST accuracy is that run's (from the cache), and the error ratio follows from the two."""
    config = RECOMMENDED["fashion-mnist"]
    m_splits = data.split(data.load("mnist"), seed=data.SPLIT_SEED)
    m_params, _ = runs.train_or_load(config, m_splits)
    m_acc = evaluate.accuracy(m_splits.test.y, model.predict(m_params, m_splits.test.X))
    assert values["fashion_mnist_test_acc"] == f"{m_acc:.2%}"
    assert values["fashion_mnist_split"] == m_splits.description
    n_train = len(train.training_rows(config, m_splits)[1])
    assert number(values["fashion_mnist_n_train"]) == n_train
    ratio = (1 - values["fashion_test_acc_value"]) / (1 - m_acc)
    assert number(values["fashion_error_ratio"]) == pytest.approx(ratio, abs=0.051)
    assert number(values["fashion_train_size_ratio"]) >= 1


# --- the chapter's own functions, on cases whose answer is known ------------------------------


def test_count_range_says_one_number_when_all_counts_agree():
    count_range = page_function(PAGE, "count_range")
    assert count_range([5500] * 10) == "5,500"
    assert count_range([5600, 5421, 5500]) == "5,421 to 5,600"


def test_standard_error_of_an_accuracy():
    standard_error = page_function(PAGE, "standard_error")
    assert standard_error(0.9, 10_000) == pytest.approx(0.003)     # as in ex-fashion-stderr
    assert standard_error(1.0, 100) == 0.0


def test_noise_verdict_uses_two_standard_errors_either_way():
    noise_verdict = page_function(PAGE, "noise_verdict")
    assert noise_verdict(0.0019, 0.003) == "within"
    assert noise_verdict(0.0061, 0.003) == "beyond"
    assert noise_verdict(-0.0061, 0.003) == "beyond"
    assert noise_verdict(0.004, 0.003, k=1) == "beyond"


def test_target_verdict_reaches_at_or_above_the_target():
    target_verdict = page_function(PAGE, "target_verdict")
    assert target_verdict(0.9025, 0.90) == "reaches"
    assert target_verdict(0.90, 0.90) == "reaches"
    assert target_verdict(0.8999, 0.90) == "misses"


# --- defects a reader would meet, checked on the source and the built page ----------------------


def test_the_page_has_its_figures(built_book, page):
    """The figures the tests name exist (their width and type are checked for every page in
    test_book_pages.py, with the other defects a reader meets)."""
    assert set(figure_widths(built_book, page)) >= set(FIGURES)


# --- the CLI default ------------------------------------------------------------------------------


def test_recommended_fashion_config_is_a_train_config_that_does_not_flip_digits():
    assert isinstance(RECOMMENDED["fashion-mnist"], TrainConfig)
    assert RECOMMENDED["mnist"].flip is False


def _tiny_dataset(name):
    """A stand-in with the shape of Fashion-MNIST: 300 training and 100 test images."""
    rng = np.random.default_rng(0)
    return data.Dataset(name=name, source="local", location="(test)",
                        class_names=data.CLASS_NAMES[name],
                        train_images=rng.integers(0, 256, (300, 28, 28), dtype=np.uint8),
                        train_labels=np.tile(np.arange(10, dtype=np.uint8), 30),
                        test_images=rng.integers(0, 256, (100, 28, 28), dtype=np.uint8),
                        test_labels=np.tile(np.arange(10, dtype=np.uint8), 10),
                        checksums={}, official=True)


@pytest.fixture
def cli_training(monkeypatch) -> dict:
    """``scratchnet train`` on the tiny stand-in, with ``fast.train`` replaced by a stub that
    records what it was given (config, number of training rows, dev rows), and nothing saved."""
    seen = {}

    def fake_train(config, X, y, X_dev=None, y_dev=None, progress=False, train_eval_rows=None):
        seen.update(config=config, n=len(y), X_dev=X_dev)
        return train.init_params(config), train.History(seconds=0.0)

    monkeypatch.setattr(fast, "train", fake_train)
    monkeypatch.setattr(checkpoint, "save", lambda *a, **k: None)
    monkeypatch.setattr(data, "load", _tiny_dataset)
    return seen


def test_cli_trains_fashion_with_the_recommended_config(cli_training):
    """``scratchnet train --dataset fashion-mnist`` passes RECOMMENDED["fashion-mnist"] to
    ``fast.train`` unchanged, on the rows its ``include_dev`` asks for."""
    assert cli.main(["train", "--dataset", "fashion-mnist", "--no-progress", "--out",
                     "/dev/null"]) == 0
    assert cli_training["config"] == RECOMMENDED["fashion-mnist"]
    splits = data.split(_tiny_dataset("fashion-mnist"), seed=data.SPLIT_SEED)
    if RECOMMENDED["fashion-mnist"].include_dev:        # the final fit: train + dev, no dev left
        assert cli_training["n"] == len(splits.train.y) + len(splits.dev.y)
        assert cli_training["X_dev"] is None
    else:
        assert cli_training["n"] == len(splits.train.y) and cli_training["X_dev"] is not None


def test_cli_final_fit_reports_no_dev_accuracy_and_can_be_turned_off(cli_training, capsys):
    splits = data.split(_tiny_dataset("fashion-mnist"), seed=data.SPLIT_SEED)
    for flag, include in (("--include-dev", True), ("--no-include-dev", False)):
        assert cli.main(["train", "--dataset", "fashion-mnist", flag, "--no-progress", "--json",
                         "--out", "/dev/null"]) == 0
        result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert cli_training["config"].include_dev is include
        assert result["config"]["include_dev"] is include
        if include:
            assert result["dev_accuracy"] is None and cli_training["X_dev"] is None
            assert result["n_train"] == len(splits.train.y) + len(splits.dev.y)
        else:
            assert 0 <= result["dev_accuracy"] <= 1 and cli_training["X_dev"] is not None
            assert result["n_train"] == len(splits.train.y)


def test_cli_options_override_only_what_they_name(cli_training):
    cli.main(["train", "--dataset", "fashion-mnist", "--epochs", "1", "--no-progress",
              "--out", "/dev/null"])
    assert cli_training["config"] == dataclasses.replace(RECOMMENDED["fashion-mnist"], epochs=1)
