"""The preface, the data chapter and the reproducibility appendix, as built: what they state about
the data agrees with what ``scratchnet.data`` loads now, their figures are there with alt text,
and the appendix's checksums are the dataset's own. Values are read by name (``glue_values``) and
the pages with BeautifulSoup; every expected value is computed at test time.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from book_support import glue_values, soup_of, text_of
from page_code import page_function, printed

from scratchnet import data, plots
from scratchnet.errors import DataError
from scratchnet.model import count_parameters
from scratchnet.train import SEED_CONFIG, init_params

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dataset():
    return data.load("mnist")


@pytest.fixture(scope="module")
def splits(dataset):
    return data.split(dataset, seed=SEED_CONFIG.seed)


@pytest.fixture(scope="module")
def data_page(built_book):
    return soup_of(built_book, "data")


@pytest.fixture(scope="module")
def values(built_book):
    return glue_values("data")


# --- the data chapter ----------------------------------------------------------------------------


def test_data_page_names_the_source_and_the_counts_load_reports(values, dataset):
    assert values["data_source"] == dataset.source
    assert values["data_n_images"] == len(dataset.train_labels)
    n_test = 0 if dataset.test_labels is None else len(dataset.test_labels)
    assert values["data_n_test_images"] == n_test
    assert values["data_n_files"] == len(dataset.checksums)
    assert values["data_official"] == ("Yes" if dataset.official else "No")


def test_data_page_prints_no_path_of_the_build_machine(data_page, dataset):
    """Where the data lives on the machine that built the book is nothing to a reader (and a long
    path made the phone page scroll sideways): neither the dataset's folder nor the home or
    project directory appears in the page's text, outputs included."""
    text = data_page.find("main").get_text(" ")
    for path in {dataset.location, str(Path.home()), str(ROOT)}:
        assert path not in text, f"the data page prints {path}"


def test_data_page_split_sizes_and_per_class_table_match_split(data_page, values, splits):
    assert [values["data_n_train"], values["data_n_dev"], values["data_n_test"]] == \
        [len(s.y) for s in (splits.train, splits.dev, splits.test)]
    assert values["data_split_seed"] == SEED_CONFIG.seed

    table = next(t for t in data_page.find_all("table")
                 if [text_of(th) for th in t.select("thead th")][1:4] == ["train", "dev", "test"])
    rows = {text_of(tr.th): [int(text_of(td)) for td in tr.find_all("td")]
            for tr in table.select("tbody tr")}
    for digit in range(10):
        assert rows[str(digit)] == [int(np.sum(s.y == digit))
                                    for s in (splits.train, splits.dev, splits.test)]
    assert rows["total"] == [len(splits.train.y), len(splits.dev.y), len(splits.test.y)]


def test_share_gap_points_on_known_cases(built_book):
    gap = page_function("data", "share_gap_points")
    assert gap([[1, 1], [1, 1]]) == 0
    assert gap([[1, 1], [1, 3]]) == pytest.approx(25.0)       # class 1: 50 % against 75 %
    assert gap([[9, 1], [1, 9], [0, 0]]) == pytest.approx(80.0)


def test_data_page_largest_share_gap_is_that_of_the_splits(values, splits):
    gap = page_function("data", "share_gap_points")
    parts = (splits.train, splits.dev, splits.test)
    counts = np.array([np.bincount(part.y, minlength=10) for part in parts]).T
    assert values["data_max_share_gap"] == pytest.approx(gap(counts))
    assert 0 <= values["data_max_share_gap"] < 1, "stratified: class shares within a point"


def test_class_extremes_on_known_cases(built_book):
    extremes = page_function("data", "class_extremes")
    assert extremes([3, 1, 2]) == (1, 0, False)
    assert extremes([5, 5, 5]) == (0, 0, True)
    assert extremes(np.array([4, 7, 2, 7])) == (2, 1, False)      # ties: the smallest label


def test_data_page_rarest_and_commonest_digit_are_the_datasets(values, dataset):
    counts = np.bincount(dataset.train_labels, minlength=10)
    assert values["data_smallest_class"] == int(counts.argmin())
    assert values["data_smallest_class_n"] == counts.min()
    assert values["data_largest_class"] == int(counts.argmax())
    assert values["data_largest_class_n"] == counts.max()
    assert values["data_classes_balance"] == ("equally" if counts.min() == counts.max()
                                              else "not equally")


@pytest.mark.parametrize("figure_id", ["fig-data-grid", "fig-data-mean-digits",
                                       "fig-data-pixel-histogram"])
def test_data_page_figure_has_image_alt_text_and_caption(built_book, data_page, figure_id):
    figure = data_page.find("figure", id=figure_id)
    assert figure is not None, f"no figure {figure_id}"
    img = figure.find("img")
    assert img is not None and len(img.get("alt", "")) > 40, "figure needs real alt text"
    assert (built_book / img["src"]).stat().st_size > 2_000, "image file missing or empty"
    assert text_of(figure.find("figcaption"))


def test_digit_grid_titles_take_the_size_asked_and_the_room_they_need():
    images = np.zeros((10, 784))
    one_line = plots.digit_grid(images, titles=list("0123456789"), ncols=5, size=1.0)
    two_lines = plots.digit_grid(images, titles=[f"{k}\nn = 1" for k in range(10)], ncols=5,
                                 size=1.0, title_size=12)
    assert {ax.title.get_fontsize() for ax in one_line.axes} == {8}          # the default
    assert {ax.title.get_fontsize() for ax in two_lines.axes} == {12}
    assert two_lines.get_figheight() > one_line.get_figheight()
    assert one_line.get_figwidth() == two_lines.get_figwidth() == 5.0


def test_data_page_pixel_statistics_agree_with_the_loaded_images(values, dataset):
    pixels = dataset.train_images.ravel()
    assert values["data_n_pixels"] == pixels.size
    assert values["data_frac_zero"] == pytest.approx(np.mean(pixels == 0))
    assert values["data_frac_full"] == pytest.approx(np.mean(pixels >= 250))
    assert values["data_frac_zero"] + values["data_frac_full"] + values["data_frac_between"] == \
        pytest.approx(1)
    assert values["data_frac_zero"] > 0.5, "the summary says most pixels are 0"
    assert values["data_mean_pixel"] == pytest.approx(pixels.mean())
    assert values["data_mean_pixel_scaled"] == pytest.approx(pixels.mean() / 255)
    assert values["data_median_ink"] == np.median(pixels[pixels > 0])


def test_data_page_round_trips_csv_and_idx_and_shows_the_readers(data_page, values):
    assert values["data_csv_roundtrip"] is True and values["data_idx_roundtrip"] is True
    assert values["data_idx_bytes"] == values["data_idx_expected_bytes"]
    code = " ".join(text_of(block) for block in data_page.select("div.highlight-python"))
    for function in ("def read_csv_rows(", "def parse_idx(", "def read_idx(", "def scale(",
                     "def stratified_order("):
        assert function.replace("(", " (") in code or function in code, f"{function} not shown"


def test_data_exercise_stratified_share_is_within_one_image(data_page, values, splits):
    assert values["data_ex_one_image_points"] == pytest.approx(100 / len(splits.dev.y))
    assert values["data_ex_sd_stratified"] < values["data_ex_one_image_points"]
    assert values["data_ex_sd_random"] == pytest.approx(values["data_ex_sd_formula"], rel=0.15)
    assert "write_idx agrees with both formulas: True" in printed(data_page)


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


def pasted_values_near(soup, value: float) -> list:
    """The glued numbers (``span.pasted-text``) of ``soup`` that show ``value`` at their own
    precision: a glued value found by its number, to read the word written after it."""
    found = []
    for span in soup.select("span.pasted-text"):
        shown = text_of(span).replace(",", "")
        if re.fullmatch(r"-?\d+(\.\d+)?", shown):
            decimals = len(shown.split(".")[1]) if "." in shown else 0
            if (decimals or float(value).is_integer()) and shown == f"{value:.{decimals}f}":
                found.append(span)
    return found


DIFFERENCES_OF_PERCENTAGES = ["data_max_share_gap", "data_ex_sd_formula", "data_ex_sd_random",
                              "data_ex_sd_stratified", "data_ex_one_image_points"]
"""Glued values of the data page that are differences (or spreads) of percentages."""


@pytest.mark.parametrize("name", DIFFERENCES_OF_PERCENTAGES)
def test_differences_of_percentages_are_said_in_points(data_page, values, name):
    spans = pasted_values_near(data_page, values[name])
    assert spans, f"{name} = {values[name]} is not shown on the page"
    for span in spans:
        after = " ".join(str(s) for s in span.next_siblings if isinstance(s, str))[:30].strip()
        assert not after.startswith("%"), f"{name}: a difference of percentages in %"
        assert after.startswith(("points", "percentage points")), f"{name} is followed by {after!r}"


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


# --- the preface ---------------------------------------------------------------------------------


def test_preface_states_rows_are_examples_and_maps_symbols_to_code(built_book):
    page = soup_of(built_book, "intro")
    text = text_of(page)
    table = next(t for t in page.find_all("table")
                 if any(c.get_text() == 'params["W1"]' for c in t.find_all("code")))
    rows = [tr.find_all("td") for tr in table.find_all("tr")]
    shape_of = {cells[-1].find("code").get_text(): text_of(cells[1])
                for cells in rows if cells and cells[-1].find("code")}
    assert "(n, 784)" in shape_of["X"]                  # rows are examples: one image per row
    assert "(784, H)" in shape_of['params["W1"]']       # so the layers multiply on the right
    cells = text_of(table)
    for name in ('params["W1"]', 'params["b1"]', 'params["W2"]', 'params["b2"]', 'cache["Z1"]',
                 'cache["A1"]', 'cache["Z2"]', 'cache["P"]', 'grads["W1"]', 'one_hot(y)'):
        assert name in cells, f"notation table lacks {name}"
    assert "make book" in text and "make test" in text


def test_preface_parameter_count_is_the_seed_networks(built_book):
    values = glue_values("intro")
    assert values["intro_seed_hidden"] == SEED_CONFIG.hidden
    assert values["intro_seed_n_params"] == count_parameters(init_params(SEED_CONFIG))
    assert values["intro_seed_alpha"] == SEED_CONFIG.lr
    assert values["intro_seed_iterations"] == SEED_CONFIG.epochs
