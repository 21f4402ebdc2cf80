"""Figures: one consistent matplotlib style for the book and the CLI.

Images are (n, 28, 28) uint8 or (n, 784) floats in [0, 1]; either is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from scratchnet import SIDE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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

PHONE_COLUMN_PX = 358
"""Width (CSS px) of the book's text column on a 390-px phone: a wider figure is shrunk to it."""

MIN_TEXT_PX = 8
"""The smallest text (CSS px) a figure may show on that phone and stay readable."""


def use_style() -> None:
    """Apply :data:`STYLE` to matplotlib."""
    mpl.rcParams.update(STYLE)


def as_images(images: np.ndarray) -> np.ndarray:
    """(n, 784) or (n, 28, 28) -> (n, 28, 28)."""
    images = np.asarray(images)
    return images.reshape(len(images), SIDE, SIDE)


def digit_grid(images: np.ndarray, titles: Sequence | None = None, ncols: int = 10,
               size: float = 0.9, cmap: str = "gray_r", title_size: float = 8) -> Figure:
    """Show images in a grid, optionally titled (``title_size`` points); returns the figure.

    Each image takes ``size`` inches, plus the room its title needs above it (more for a large or a
    multi-line title).
    """
    images = as_images(images)
    nrows = int(np.ceil(len(images) / ncols))
    title_room = 0.15 * size                                  # inches above each image
    if titles is not None:
        lines = max((str(t).count("\n") + 1 for t in titles), default=1)
        title_room = max(title_room, lines * title_size / 72 * 1.2)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * (size + title_room)),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, (ax, img) in enumerate(zip(axes.flat, images, strict=False)):
        ax.imshow(img, cmap=cmap)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=title_size)
    fig.tight_layout(pad=0.2)
    return fig


def plot_history(histories: dict, metric: str = "loss", ax: Axes | None = None,
                 xlabel: str = "epoch") -> Axes:
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


def plot_confusion(C: np.ndarray, class_names: Sequence[str] | None = None,
                   ax: Axes | None = None, count_size: float = 7) -> Axes:
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


def smallest_text_px(fig: Figure, shown_width_px: float = PHONE_COLUMN_PX) -> float:
    """Height (px) of the figure's smallest visible text when the saved image (tight bounding box,
    as the book saves it) is shown at most ``shown_width_px`` wide: font size x dpi / 72 x scale."""
    image_px = (fig.get_tightbbox().width + 2 * mpl.rcParams["savefig.pad_inches"]) * fig.dpi
    scale = min(1.0, shown_width_px / image_px)
    sizes = [t.get_fontsize() for t in fig.findobj(mpl.text.Text)
             if t.get_visible() and t.get_text().strip() and t.get_figure() is not None]
    return float(min(sizes) * fig.dpi / 72 * scale)
