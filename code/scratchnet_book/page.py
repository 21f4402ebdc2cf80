"""What every chapter of the book starts with, stated once.

A chapter's first cell imports what it uses, then::

    from scratchnet_book.page import begin, glue

    dataset, splits = begin("mnist")     # the book's figure style, the book's one split

This module imports only NumPy and ``scratchnet`` besides MyST-NB's ``glue``. A downloaded
notebook's first cell puts a stand-in for ``myst_nb`` in place when MyST-NB is not installed
(``sphinx_notebooks.SETUP_CODE``), so a chapter runs in Jupyter or Colab with the library's own
dependencies.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from myst_nb import glue as myst_glue

from scratchnet import data, plots


def begin(dataset: str = "mnist") -> tuple[data.Dataset, data.Splits]:
    """Begin a chapter: apply the book's figure style (:data:`scratchnet.plots.STYLE`), load
    ``dataset`` and split it the book's one way (:func:`scratchnet.data.load_and_split`, seeded
    with ``data.SPLIT_SEED``). Returns ``(dataset, splits)``."""
    plots.use_style()
    return data.load_and_split(dataset)


def glue(name: str, value: Any, display: bool = True) -> None:
    """MyST-NB's ``glue``, with a NumPy scalar stored as the Python number it holds, so that a
    format spec in the prose (``{glue:text}`name:.2f```) applies to it."""
    myst_glue(name, value.item() if isinstance(value, np.generic) else value, display=display)
