"""Figures: one consistent matplotlib style for the book and the CLI.

Images are (n, 28, 28) uint8 or (n, 784) floats in [0, 1]; either is accepted.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "figure.figsize": (6.4, 3.6),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "image.cmap": "gray_r",
    "font.family": "DejaVu Sans",
}
"""rcParams every figure of the book uses (dark ink on white, like the digits on paper)."""


def use_style() -> None:
    """Apply :data:`STYLE` to matplotlib."""
    mpl.rcParams.update(STYLE)


def as_images(images: np.ndarray) -> np.ndarray:
    """(n, 784) or (n, 28, 28) -> (n, 28, 28)."""
    images = np.asarray(images)
    return images.reshape(len(images), 28, 28)


def digit_grid(images, titles=None, ncols: int = 10, size: float = 0.9, cmap="gray_r",
               title_size: float = 8):
    """Show images in a grid, optionally titled (``title_size`` points); returns the figure."""
    images = as_images(images)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, (ax, img) in enumerate(zip(axes.flat, images)):
        ax.imshow(img, cmap=cmap)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=title_size)
    fig.tight_layout(pad=0.2)
    return fig


def plot_history(histories: dict, metric: str = "loss", ax=None, xlabel: str = "epoch"):
    """One line per named History: ``metric`` (loss, train_accuracy, dev_accuracy) against step."""
    if ax is None:
        _, ax = plt.subplots()
    for name, h in histories.items():
        ax.plot(h.step, getattr(h, metric), label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(metric.replace("_", " "))
    if len(histories) > 1:
        ax.legend()
    return ax


def plot_confusion(C: np.ndarray, class_names=None, ax=None, count_size: float = 7):
    """The confusion matrix C_jk (true j, predicted k) as an annotated heat map, the counts in
    ``count_size`` points."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    K = len(C)
    names = class_names if class_names is not None else [str(k) for k in range(K)]
    ax.imshow(C, cmap="Blues")
    ax.grid(False)
    for j in range(K):
        for k in range(K):
            ax.text(k, j, int(C[j, k]), ha="center", va="center", fontsize=count_size,
                    color="white" if C[j, k] > C.max() / 2 else "black")
    ax.set_xticks(range(K), names, rotation=45 if max(map(len, names)) > 2 else 0, ha="right"
                  if max(map(len, names)) > 2 else "center")
    ax.set_yticks(range(K), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    return ax
