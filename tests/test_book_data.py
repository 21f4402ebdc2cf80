"""The preface, the data chapter and the reproducibility appendix, as built: what they state about
the data agrees with what ``scratchnet.data`` loads now, their figures are there with alt text,
and the appendix's checksums are the dataset's own. Nothing here hard-codes a result: every
expected value is computed at test time.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from scratchnet import data
from scratchnet.errors import DataError
from scratchnet.model import count_parameters
from scratchnet.train import SEED_CONFIG, init_params
from book_support import glued_in_paragraph, soup_of, text_of


def number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


@pytest.fixture(scope="module")
def dataset():
    return data.load("mnist")


@pytest.fixture(scope="module")
def splits(dataset):
    return data.split(dataset, seed=SEED_CONFIG.seed)


@pytest.fixture(scope="module")
def data_page(built_book):
    return soup_of(built_book, "data")


# --- the data chapter ----------------------------------------------------------------------------


def test_data_page_names_the_source_location_and_image_counts_load_reports(data_page, dataset):
    source, location, origin = glued_in_paragraph(data_page, "This build read MNIST from the")
    assert source == dataset.source
    assert location == dataset.location
    assert f"{len(dataset.train_labels):,}" in origin
    if dataset.official:
        assert f"official {len(dataset.test_labels):,}-image test set" in origin
    else:
        assert "without the official test set" in origin


def test_data_summary_repeats_the_source_and_counts(data_page, dataset):
    summary = data_page.find(id="summary")
    values = [text_of(s) for s in summary.select("span.pasted-text")]
    n_test = 0 if dataset.test_labels is None else len(dataset.test_labels)
    assert values[:3] == [dataset.source, f"{len(dataset.train_labels):,}", f"{n_test:,}"]


def test_data_page_says_whether_the_test_set_is_the_official_one(data_page, dataset):
    text = text_of(data_page)
    assert "MNIST's official 10,000-image test set is not used" in text
    values = glued_in_paragraph(data_page, "The split used throughout the book:")
    if dataset.official:
        assert "MNIST's official test set" in values
    else:
        assert any("not MNIST's official test set" in v for v in values)


def test_data_page_split_sizes_description_and_per_class_table_match_split(data_page, splits):
    description, n_train, n_dev, n_test, seed, _, gap = glued_in_paragraph(
        data_page, "The split used throughout the book:")
    assert description == splits.description
    assert [n_train, n_dev, n_test] == [f"{len(s.y):,}" for s in (splits.train, splits.dev, splits.test)]
    assert seed == str(SEED_CONFIG.seed)
    assert 0 <= number(gap) < 1, "stratified splits keep class shares within a point"

    table = next(t for t in data_page.find_all("table")
                 if [text_of(th) for th in t.select("thead th")][1:4] == ["train", "dev", "test"])
    rows = {text_of(tr.th): [int(text_of(td)) for td in tr.find_all("td")]
            for tr in table.select("tbody tr")}
    for digit in range(10):
        assert rows[str(digit)] == [int(np.sum(s.y == digit))
                                    for s in (splits.train, splits.dev, splits.test)]
    assert rows["total"] == [len(splits.train.y), len(splits.dev.y), len(splits.test.y)]


@pytest.mark.parametrize("figure_id", ["fig-data-grid", "fig-data-mean-digits",
                                       "fig-data-pixel-histogram"])
def test_data_page_figure_has_image_alt_text_and_caption(built_book, data_page, figure_id):
    figure = data_page.find("figure", id=figure_id)
    assert figure is not None, f"no figure {figure_id}"
    img = figure.find("img")
    assert img is not None and len(img.get("alt", "")) > 40, "figure needs real alt text"
    assert (built_book / img["src"]).stat().st_size > 2_000, "image file missing or empty"
    assert text_of(figure.find("figcaption"))


def test_data_page_pixel_statistics_agree_with_the_loaded_images(data_page, dataset):
    n_pixels, frac_zero, frac_full, between, mean, mean_scaled, median_ink = glued_in_paragraph(
        data_page, "Of the")
    pixels = dataset.train_images.ravel()
    assert number(n_pixels) == pixels.size
    assert number(frac_zero) == pytest.approx(100 * np.mean(pixels == 0), abs=0.05)
    assert number(frac_full) == pytest.approx(100 * np.mean(pixels >= 250), abs=0.05)
    assert number(frac_zero) + number(frac_full) + number(between) == pytest.approx(100, abs=0.2)
    assert number(mean) == pytest.approx(pixels.mean(), abs=0.05)
    assert number(mean_scaled) == pytest.approx(pixels.mean() / 255, abs=5e-4)
    assert number(median_ink) == np.median(pixels[pixels > 0])


def test_data_page_round_trips_csv_and_idx_and_shows_the_readers(data_page):
    text = text_of(data_page)
    assert "pixels identical: True | labels identical: True" in text
    assert "same as the CSV: True" in text
    code = " ".join(text_of(block) for block in data_page.select("div.highlight-python"))
    for function in ("def read_csv(", "def parse_idx(", "def read_idx(", "def scale(",
                     "def stratified_order("):
        assert function.replace("(", " (") in code or function in code, f"{function} not shown"


def test_data_page_equations_are_numbered_and_labelled(data_page):
    for label in ("eq-data-idx-size", "eq-data-mean-digit", "eq-data-scale"):
        equation = data_page.find(id=f"equation-{label}")
        assert equation is not None, f"no equation {label}"
        assert re.search(r"\(\d+\.\d+\)", text_of(equation)), f"{label} has no number"


def test_data_page_cites_mnist_and_fashion_mnist_with_licences(data_page):
    text = text_of(data_page)
    assert "CC BY-SA 3.0" in text and "MIT licence" in text
    cites = {a["href"].split("#")[0] for a in data_page.select("span.bibtex-citation a")}
    assert cites == {"reproducibility.html"}
    assert "LeCun" in text and "Xiao" in text


# --- the reproducibility appendix -----------------------------------------------------------------


def test_appendix_checksums_are_the_datasets_checksums(built_book):
    page = soup_of(built_book, "reproducibility")
    table = page.find("table", class_="repro-checksums")
    assert table is not None
    shown = {}
    for tr in table.select("tbody tr"):
        name, file, digest = (text_of(td) for td in tr.find_all(["th", "td"]))
        shown.setdefault(name, {})[file] = digest
    assert shown["mnist"] == data.load("mnist").checksums
    for name in set(data.CLASS_NAMES) - {"mnist"}:
        try:
            expected = data.load(name).checksums
        except DataError:
            assert name not in shown
        else:
            assert shown[name] == expected
    assert all(re.fullmatch(r"[0-9a-f]{64}", d) for files in shown.values() for d in files.values())


def test_appendix_records_versions_date_seeds_and_prints_the_bibliography(built_book):
    page = soup_of(built_book, "reproducibility")
    text = text_of(page)
    assert re.search(r"executed on \d{4}-\d\d-\d\d \d\d:\d\d UTC", text)
    assert f"NumPy {np.__version__}" in text
    tables = " ".join(text_of(t) for t in page.find_all("table"))
    for package in ("numpy", "pandas", "matplotlib", "sympy", "jupyter-book", "sphinx", "myst-nb"):
        assert package in tables
    assert "SEED_CONFIG" in tables and "RECOMMENDED" in tables
    bibliography = text_of(page.find(id="references"))
    assert "gradient-based learning applied to document recognition" in bibliography.lower()
    assert "fashion-mnist" in bibliography.lower()


def test_only_the_appendix_prints_the_bibliography(built_book):
    pages = [p for p in built_book.glob("*.html")
             if 'class="citation"' in p.read_text(encoding="utf-8") or
             "bibtex-bibliography" in p.read_text(encoding="utf-8")]
    assert [p.name for p in pages] == ["reproducibility.html"]


# --- the preface -----------------------------------------------------------------------------------


def test_preface_states_rows_are_examples_and_maps_symbols_to_code(built_book):
    page = soup_of(built_book, "intro")
    text = text_of(page)
    assert "Rows are examples." in text
    table = next(t for t in page.find_all("table") if "name in the code" in text_of(t))
    cells = text_of(table)
    for name in ('params["W1"]', 'params["b1"]', 'params["W2"]', 'params["b2"]', 'cache["Z1"]',
                 'cache["A1"]', 'cache["Z2"]', 'cache["P"]', 'grads["W1"]', 'one_hot(y)'):
        assert name in cells, f"notation table lacks {name}"
    assert "make book" in text and "make test" in text


def test_preface_parameter_count_is_the_seed_networks(built_book):
    page = soup_of(built_book, "intro")
    values = glued_in_paragraph(page, "That is a 784")
    hidden, n_params, alpha, iterations = values
    assert int(hidden) == SEED_CONFIG.hidden
    assert number(n_params) == count_parameters(init_params(SEED_CONFIG))
    assert float(alpha) == SEED_CONFIG.lr and int(iterations) == SEED_CONFIG.epochs
