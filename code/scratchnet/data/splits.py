"""The split into train, dev and test, and the pixels scaled for the network.

    dataset, splits = load_and_split("mnist")   # load("mnist"), split with SPLIT_SEED
    X, y = splits.train.X, splits.train.y       # X: float32 (n, 784) in [0, 1], rows are examples

The split is seeded and stratified by class; ``SPLIT_SEED`` is the one seed the book, the CLI and
the tests split with, so every chapter works on the same digits.
"""

from dataclasses import dataclass

import numpy as np

from scratchnet import N_CLASSES
from scratchnet.data.datasets import TITLES, Dataset, load
from scratchnet.data.npm import NPM_PACKAGE
from scratchnet.errors import DataError

SPLIT_SEED = 0
"""The seed of every split the book and the CLI make: one train / dev / test split for all."""


@dataclass(frozen=True)
class Split:
    """One part of the data, ready for the network: rows are examples."""
    X: np.ndarray   # float32 (n, 784), pixels scaled to [0, 1]
    y: np.ndarray   # int64 (n,), class indices 0–9


@dataclass(frozen=True)
class Splits:
    """A dataset's three parts, and how they were carved."""
    train: Split
    dev: Split
    test: Split
    description: str   # one sentence saying what was split and how


def scale(images: np.ndarray) -> np.ndarray:
    """Flatten and scale pixels: x = p / 255.

    ``images`` is uint8 of shape (n, 28, 28) with p in {0, …, 255}; the result is float32 of
    shape (n, 784) with x in [0, 1], one image per row, pixels in row-major order.
    """
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255)


def stratified_order(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random order of indices in which every prefix has each class in proportion (±1).

    Within class c (n_c members, shuffled) member i gets the key (i + u_c) / n_c, with u_c
    uniform in [0, 1); sorting all keys interleaves the classes evenly.
    """
    order = rng.permutation(len(labels))
    keys = np.empty(len(labels))
    for c in np.unique(labels):
        members = order[labels[order] == c]
        keys[members] = (np.arange(len(members)) + rng.random()) / len(members)
    return order[np.argsort(keys[order], kind="stable")]


def split_indices(dataset: Dataset, seed: int = SPLIT_SEED
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Indices into ``dataset.train_images`` for train, dev and test (None: the given test set).

    With a test set (the official files), dev is one twelfth of the training set (5,000 of
    60,000) and test is that test set. Without one (npm's 10,000 digits), dev and test are a tenth
    each (1,000 / 1,000) and train is the rest (8,000). All parts are stratified by class. A
    dataset too small to give every part ``MIN_PER_CLASS`` images a class is a ``DataError``.
    """
    n = len(dataset.train_labels)
    parts = 12 if dataset.test_images is not None else 10
    if n // parts < MIN_PER_CLASS * N_CLASSES:
        raise DataError(f"{dataset.location}: {n:,} training images are too few to split "
                        f"(dev needs 1/{parts} of them, at least {MIN_PER_CLASS * N_CLASSES}: "
                        f"{MIN_PER_CLASS * N_CLASSES * parts:,} images or more)")
    order = stratified_order(dataset.train_labels, np.random.default_rng(seed))
    if dataset.test_images is not None:
        n_dev = n // 12
        return order[n_dev:], order[:n_dev], None
    n_dev = n_test = n // 10
    return order[n_dev + n_test:], order[:n_dev], order[n_dev:n_dev + n_test]


MIN_PER_CLASS = 1
"""The fewest images of each class a dev (or carved test) split may get, on average: with fewer,
its accuracy measures nothing."""


def split(dataset: Dataset, seed: int = SPLIT_SEED) -> Splits:
    """Seeded, stratified train / dev / test splits of ``dataset``, scaled for the network.

    Same dataset and seed → identical arrays. See ``split_indices`` for the sizes.
    """
    def part(indices: np.ndarray) -> Split:
        return Split(scale(dataset.train_images[indices]),
                     dataset.train_labels[indices].astype(np.int64))

    train, dev, test = split_indices(dataset, seed)
    test_split = (part(test) if test is not None
                  else Split(scale(dataset.test_images), dataset.test_labels.astype(np.int64)))
    return Splits(part(train), part(dev), test_split, describe_split(dataset, seed))


def describe_split(dataset: Dataset, seed: int = SPLIT_SEED) -> str:
    """One sentence: the split sizes and what they were carved from."""
    train, dev, test = split_indices(dataset, seed)
    n, title = len(dataset.train_labels), TITLES.get(dataset.name, dataset.name)
    if test is None:
        n_test = len(dataset.test_labels)
        given = "official" if dataset.official else "given"
        return (f"{len(train):,}/{len(dev):,}/{n_test:,}: train and dev carved (stratified, "
                f"seed {seed}) from the {n:,} {given} {title} training images, test the "
                f"{given} {n_test:,}-image test set ({dataset.source})")
    origin = (f"the first {n:,} {title} training digits (npm {NPM_PACKAGE})"
              if dataset.source == "npm"
              else f"{n:,} {title} training images ({dataset.source}: {dataset.location})")
    return (f"{len(train):,}/{len(dev):,}/{len(test):,} carved (stratified, seed {seed}) "
            f"from {origin}")


def load_and_split(name: str = "mnist") -> tuple[Dataset, Splits]:
    """``load(name)`` and its split with ``SPLIT_SEED``: the data every chapter starts from."""
    dataset = load(name)
    return dataset, split(dataset)
