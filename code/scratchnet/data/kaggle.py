"""The Kaggle workflow's data: a training CSV as a dataset, which dataset it looks like, and the
competition's submission file.

    dataset, about = csv_dataset("train.csv")      # labelled rows; split it like any dataset
    images = read_csv_rows("test.csv")[0]          # the competition's unlabelled rows
    write_submission("submission.csv", labels)     # ImageId,Label with ImageId from 1

A CSV says nothing about what its images show, so :func:`looks_like` decides from the pixels which
dataset's recommended configuration to train (the rule is in its docstring), and
:func:`csv_dataset` reports the rule's numbers with the file's layout and SHA-256, for the model's
metadata.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from scratchnet.data import datasets
from scratchnet.data.csv_format import read_csv_rows
from scratchnet.data.datasets import CLASS_NAMES, INK_SHARE, TITLES, Dataset
from scratchnet.errors import DataError
from scratchnet.files import write_atomically

MNIST_ZERO_SHARE = 1 - (INK_SHARE["mnist"][1] + INK_SHARE["fashion-mnist"][0]) / 2
"""A CSV whose share of zero pixels is above this looks like MNIST, else like Fashion-MNIST: the
middle of the gap between the two datasets' shares of ink (``datasets.INK_SHARE``)."""

SUBMISSION_HEADER = "ImageId,Label"


def zero_share(images: np.ndarray) -> float:
    """The share of pixels that are exactly 0, over all images: (1 / n·784) Σ 1[p = 0]."""
    return float(np.count_nonzero(images == 0) / images.size)


def looks_like(images: np.ndarray) -> str:
    """The dataset a CSV's images look like, always one of the two: what
    :func:`scratchnet.data.looks_like` recognises (a published file by its content, a set by its
    share of ink), and where that cannot tell (few images, or a share of ink between the two
    datasets'), "mnist" if more than ``MNIST_ZERO_SHARE`` of the pixels are 0, else
    "fashion-mnist".

    A digit is a thin stroke on a black page, so most of an MNIST image is 0; a piece of clothing
    fills much of its frame, and its fabric is grey, not black (``tests/test_kaggle.py`` measures
    both on the real images).
    """
    return datasets.looks_like(images) or (
        "mnist" if zero_share(images) > MNIST_ZERO_SHARE else "fashion-mnist")


def sha256_of_file(path: str | Path) -> str:
    """The SHA-256 of the file's bytes as they are on disk (compressed or not), read in chunks."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def csv_dataset(path: str | Path, name: str | None = None,
                progress: bool = False) -> tuple[Dataset, dict]:
    """A labelled Kaggle-style CSV as a :class:`Dataset` (no official test set: ``data.split``
    carves dev and test from it), and what was found about it.

    ``name`` ("mnist" or "fashion-mnist") says which dataset the images are; without it,
    :func:`looks_like` decides. The second value records the file, its SHA-256, its layout, the
    share of zero pixels and how the name was chosen (``"given"`` or ``"looks like"``).
    """
    path = Path(path)
    images, labels, layout = read_csv_rows(path, progress)
    if labels is None:
        raise DataError(f"{path}: no label column ({layout}): training needs label first, then "
                        "784 pixels (this looks like a Kaggle test file: use it with predict)")
    if name is not None and name not in CLASS_NAMES:
        raise DataError(f"{name}: unknown dataset (choose from {', '.join(CLASS_NAMES)})")
    share, chosen = zero_share(images), name or looks_like(images)
    sha = sha256_of_file(path)
    dataset = Dataset(name=chosen, source="csv", location=str(path),
                      class_names=CLASS_NAMES[chosen], train_images=images, train_labels=labels,
                      test_images=None, test_labels=None, checksums={path.name: sha},
                      official=False)
    about = {"file": str(path.resolve()), "sha256": sha, "layout": layout, "rows": len(labels),
             "zero_share": share, "chosen_by": "given" if name else "looks like",
             "looks_like": looks_like(images), "title": TITLES[chosen]}
    return dataset, about


def submission_text(labels: np.ndarray) -> str:
    """Kaggle's submission format: the header ``ImageId,Label``, then one line ``i,label`` per
    image, ImageId counting from 1 in the order of the test file, Unix line ends."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array, got {labels.dtype} {labels.shape}")
    lines = [SUBMISSION_HEADER] + [f"{i},{int(label)}" for i, label in enumerate(labels, start=1)]
    return "\n".join(lines) + "\n"


def write_submission(path: str | Path, labels: np.ndarray) -> Path:
    """Write :func:`submission_text` of ``labels`` to ``path``, atomically."""
    return write_atomically(path, submission_text(labels).encode("ascii"))
