"""scratchnet_book.page: the start every chapter shares (the figure style, the book's one split)
and the glue that stores NumPy scalars as Python numbers."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pytest
from data_support import synthetic, write_idx_set

from scratchnet import data, plots
from scratchnet.data import sources
from scratchnet_book import page


def test_begin_applies_the_books_style_and_returns_the_books_split(isolated, monkeypatch):
    monkeypatch.setitem(sources.CONTENT_SHA256, "mnist", {})   # synthetic files, no known hash
    write_idx_set(isolated / "data" / "mnist", synthetic(120), synthetic(20, seed=1))
    mpl.rcParams.update({"axes.grid": False, "image.cmap": "viridis"})
    dataset, splits = page.begin("mnist")
    assert {key: mpl.rcParams[key] for key in ("axes.grid", "image.cmap")} == {
        key: plots.STYLE[key] for key in ("axes.grid", "image.cmap")}
    expected = data.split(dataset, seed=data.SPLIT_SEED)
    for part in ("train", "dev", "test"):
        np.testing.assert_array_equal(getattr(splits, part).X, getattr(expected, part).X)
        np.testing.assert_array_equal(getattr(splits, part).y, getattr(expected, part).y)
    assert dataset.source == "local" and len(dataset.train_labels) == 120


@pytest.mark.parametrize(("value", "stored"), [
    (np.float32(0.25), 0.25), (np.int64(7), 7), (np.bool_(True), True), (3.5, 3.5), ("met", "met"),
])
def test_glue_stores_numpy_scalars_as_python_numbers(monkeypatch, value, stored):
    calls = []
    monkeypatch.setattr(page, "myst_glue", lambda *args, **kwargs: calls.append((args, kwargs)))
    page.glue("name", value, display=False)
    [((name, kept), options)] = calls
    assert (name, kept, type(kept), options) == ("name", stored, type(stored), {"display": False})
