"""The Fashion-MNIST chapter, as built, and the CLI default it documents.

Nothing here hard-codes a result: the accuracies are parsed from the built page and checked against
the target and against each other; class names come from ``scratchnet.data``.
"""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
from bs4 import BeautifulSoup

from scratchnet import checkpoint, cli, data, train
from scratchnet.targets import TARGETS
from scratchnet.train import RECOMMENDED, TrainConfig
from book_support import (assert_figures_are_images_with_alt_text_and_captions, glued_in_paragraph,
                          text_of)

TARGET = TARGETS["fashion-mnist"]["test_accuracy"]   # on the official Fashion-MNIST test set


def percent(text: str) -> float:
    assert re.fullmatch(r"\d+\.\d+%", text), text
    return float(text.rstrip("%")) / 100


@pytest.fixture(scope="module")
def page(built_book):
    path = built_book / "fashion.html"
    assert path.is_file(), "the Fashion-MNIST chapter was not built"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_fashion_page_is_in_the_beyond_the_seed_part(built_book):
    index = BeautifulSoup((built_book / "intro.html").read_text(encoding="utf-8"), "html.parser")
    assert index.find("a", href=re.compile(r"fashion\.html")) is not None
    assert "Beyond the seed" in text_of(index)


def test_fashion_page_runs_its_cells_without_errors(page):
    assert not page.select("div.output.error, div.output.traceback, .cell_output .error")
    assert "Traceback" not in text_of(page)


def test_every_figure_is_an_image_with_alt_text_and_a_caption(page):
    figures = page.select("figure")
    names = {f.get("id") for f in figures}
    for name in ("fig-fashion-examples", "fig-fashion-flip", "fig-fashion-history",
                 "fig-fashion-confusion", "fig-fashion-mistakes", "fig-fashion-vs-mnist"):
        assert name in names, f"figure {name} missing"
    assert_figures_are_images_with_alt_text_and_captions(figures, min_alt=40)


def test_the_class_names_of_the_dataset_are_shown(page):
    text = text_of(page)
    for name in data.CLASS_NAMES["fashion-mnist"]:
        assert name in text, name


def test_the_dev_run_is_the_recommended_configuration_on_the_training_images(page):
    values = glued_in_paragraph(page, "Trained on the")
    n_train, hidden, n_params, train_acc, dev_acc, epochs, seconds = values[:7]
    config = RECOMMENDED["fashion-mnist"]
    splits = data.split_indices(data.load("fashion-mnist"), seed=0)
    assert int(n_train.replace(",", "")) == len(splits[0])
    assert int(hidden) == config.hidden and int(epochs) == config.epochs
    H = config.hidden
    assert int(n_params.replace(",", "")) == 784 * H + H + H * 10 + 10
    assert float(seconds) > 0
    assert percent(train_acc) >= percent(dev_acc) - 0.01   # no sign of training on dev


def test_the_final_fit_is_judged_against_the_target_and_agrees_with_dev(page):
    n_all, seconds, train_acc, test_acc, n_test, se, verdict, target = glued_in_paragraph(
        page, "The final fit trained on")[:8]
    dataset = data.load("fashion-mnist")
    assert int(n_all.replace(",", "")) == len(dataset.train_labels)   # train + dev: all of it
    assert int(n_test.replace(",", "")) == len(dataset.test_labels)
    assert float(seconds) > 0 and percent(target) == TARGET
    test_acc = percent(test_acc)
    assert test_acc > 0.88, f"official test accuracy {test_acc:.2%}: the network did not learn"
    dev_acc = percent(glued_in_paragraph(page, "Trained on the")[4])
    assert abs(dev_acc - test_acc) < 0.02          # dev chose well: it predicts the test accuracy
    assert float(se) == pytest.approx(100 * (test_acc * (1 - test_acc) / 10_000) ** 0.5, abs=0.01)
    # the page's verdict on the 90% target is computed, never claimed: it must match the number
    assert verdict == ("reaches" if test_acc >= TARGET else "misses")


def test_the_dev_run_comparison_on_test_is_computed(page):
    dev_run_test, gain, reading = glued_in_paragraph(page, "For comparison")[:3]
    final_test = percent(glued_in_paragraph(page, "The final fit trained on")[3])
    assert float(gain) == pytest.approx(100 * (final_test - percent(dev_run_test)), abs=0.011)
    se = 100 * (final_test * (1 - final_test) / 10_000) ** 0.5
    if abs(abs(float(gain)) - 2 * se) > 0.02:        # away from the edge, where rounding decides
        assert ("within two standard errors" in reading) == (abs(float(gain)) < 2 * se)


def test_page_says_which_source_it_used_and_that_it_is_the_official_test_set(page):
    dataset = data.load("fashion-mnist")
    source, location, official = glued_in_paragraph(page, "This build read Fashion-MNIST")[:3]
    assert source == dataset.source and location == dataset.location
    if dataset.official:
        assert official == "the official training and test files"


def test_the_comparison_with_mnist_is_computed(page):
    text = text_of(page)
    assert re.search(r"The same network reaches \d+\.\d+% on MNIST", text)
    assert re.search(r"is \d+\.\d times its error rate on digits", text)


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
    """``scratchnet train`` on the tiny stand-in, with ``train.train`` replaced by a stub that
    records what it was given (config, number of training rows, dev rows), and nothing saved."""
    seen = {}

    def fake_train(config, X, y, X_dev=None, y_dev=None, progress=False):
        seen.update(config=config, n=len(y), X_dev=X_dev)
        return train.init_params(config), train.History(seconds=0.0)

    monkeypatch.setattr(train, "train", fake_train)
    monkeypatch.setattr(checkpoint, "save", lambda *a, **k: None)
    monkeypatch.setattr(data, "load", _tiny_dataset)
    return seen


def test_cli_trains_fashion_with_the_recommended_config(cli_training):
    """``scratchnet train --dataset fashion-mnist`` passes RECOMMENDED["fashion-mnist"] to
    ``train.train`` unchanged, on the rows its ``include_dev`` asks for."""
    assert cli.main(["train", "--dataset", "fashion-mnist", "--no-progress", "--out",
                     "/dev/null"]) == 0
    assert cli_training["config"] == RECOMMENDED["fashion-mnist"]
    splits = data.split(_tiny_dataset("fashion-mnist"), seed=0)
    if RECOMMENDED["fashion-mnist"].include_dev:        # the final fit: train + dev, no dev left
        assert cli_training["n"] == len(splits.train.y) + len(splits.dev.y)
        assert cli_training["X_dev"] is None
    else:
        assert cli_training["n"] == len(splits.train.y) and cli_training["X_dev"] is not None


def test_cli_final_fit_reports_no_dev_accuracy_and_can_be_turned_off(cli_training, capsys):
    splits = data.split(_tiny_dataset("fashion-mnist"), seed=0)
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
