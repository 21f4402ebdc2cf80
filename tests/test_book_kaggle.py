"""The data chapter's Kaggle workflow, as built: its numbers come from the CLI's run on the files
the page wrote, and agree with what the library says about those files now. Values are read by
name (``glue_values``); every expected value is computed at test time."""

from __future__ import annotations

import numpy as np
import pytest
from book_support import glue_values, soup_of, text_of

from scratchnet import data
from scratchnet.data import kaggle
from scratchnet.train import SEED_CONFIG


@pytest.fixture(scope="module")
def values(built_book):
    return glue_values("data")


@pytest.fixture(scope="module")
def kaggle_rows(values):
    """The labelled rows the page writes to train.csv: loaded digits in a seeded random order."""
    dataset = data.load("mnist")
    order = np.random.default_rng(SEED_CONFIG.seed).permutation(len(dataset.train_labels))
    rows = order[:values["data_kaggle_rows"]]
    return dataset.train_images[rows], dataset.train_labels[rows]


def test_the_page_trains_on_the_rows_it_wrote_with_the_rules_choice(values, kaggle_rows):
    images, labels = kaggle_rows
    assert np.bincount(labels, minlength=10).min() > 0      # every class is there to learn
    assert values["data_kaggle_zero_share"] == pytest.approx(kaggle.zero_share(images))
    assert values["data_kaggle_dataset"] == kaggle.looks_like(images) == "mnist"


def test_the_held_out_rows_are_the_librarys_split_of_the_csv(values, kaggle_rows):
    images, labels = kaggle_rows
    dataset = data.Dataset("mnist", "csv", "train.csv", data.CLASS_NAMES["mnist"], images,
                           labels, None, None, {}, False)
    splits = data.split(dataset)
    assert values["data_kaggle_n_train"] == len(splits.train.y)
    assert values["data_kaggle_n_test"] == len(splits.test.y)
    assert 0.5 < values["data_kaggle_test_accuracy"] <= 1      # two epochs learn the digits
    assert values["data_kaggle_train_seconds"] > 0


def test_the_submission_has_a_line_per_test_row_and_is_scored(values):
    assert values["data_kaggle_submission_rows"] == values["data_kaggle_test_rows"] > 0
    assert 0.5 < values["data_kaggle_submission_accuracy"] <= 1
    # held-out rows and the test file are different digits of the same kind: close accuracies
    assert abs(values["data_kaggle_submission_accuracy"]
               - values["data_kaggle_test_accuracy"]) < 0.1


def test_the_page_shows_the_commands_output(built_book):
    text = text_of(soup_of(built_book, "data"))
    for words in ("looks like MNIST", "ImageId", "submission (ImageId,Label"):
        assert words in text, words
