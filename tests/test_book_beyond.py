"""The "Beyond the seed" chapters as built: "Training better" and "Looking inside and robustness".

Each page exists with its executed outputs, every figure has alt text, the equations are numbered,
and the glued numbers are present and plausible. Expected values are computed here at test time
from the same cached runs the pages used (``runs.train_or_load``), never typed in.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import replace

import pytest
from book_support import (
    assert_figures_are_images_with_alt_text_and_captions,
    glue_values,
    soup_of,
    text_of,
)
from page_code import code_cells, names_from_hidden_cells, page_functions
from script_support import benchmark

from scratchnet import data, runs, train
from scratchnet.targets import TARGETS

PAGES = {"training-better": 9}      # page -> at least this many figures


def percent(text: str) -> float:
    """'97.4%' -> 0.974; '+2.4%' -> 0.024."""
    assert text.endswith("%"), text
    return float(text.rstrip("%").replace(",", "")) / 100


@pytest.fixture(scope="module")
def splits():
    return data.split(data.load("mnist"), seed=data.SPLIT_SEED)


@pytest.fixture(scope="module")
def better(built_book):
    return soup_of(built_book, "training-better")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_beyond_page_has_its_figures_each_with_alt_text_and_a_caption(built_book, name):
    soup = soup_of(built_book, name)
    figures = soup.select("main figure") or soup.select("figure")
    assert len(figures) >= PAGES[name]
    assert_figures_are_images_with_alt_text_and_captions(figures, min_alt=20)
    assert soup.select("div.cell_output"), "no executed outputs"
    assert not soup.select(".output.error, .output.traceback"), "a cell failed"


@pytest.mark.parametrize("name, labels", [
    ("training-better", ["eq-training-better-adam-moments", "eq-training-better-adam-update",
                         "eq-training-better-decay", "eq-training-better-step",
                         "eq-training-better-affine", "eq-training-better-bilinear",
                         "eq-training-better-early-stop", "eq-training-better-init"]),
])
def test_beyond_page_equations_are_numbered_and_labelled(built_book, name, labels):
    soup = soup_of(built_book, name)
    for label in labels:
        eq = soup.find(id=f"equation-{label}")
        assert eq is not None, f"equation {label} missing"
        assert re.search(r"\(\d+(\.\d+)*\)", text_of(eq.find(class_="eqno") or eq)), label


def test_better_page_shows_the_library_code_it_discusses(better):
    code = text_of(better)
    for function in ("def adam_step", "def momentum_step", "def l2_gradient", "def learning_rate",
                     "def random_affine", "def bilinear", "def affine_sample_points"):
        assert function in code, f"{function} not shown"


# --- Training better: the page's functions that turn numbers into words, on known cases -------


@pytest.fixture(scope="module")
def words():
    """The small pure functions of the training-better page, compiled from its source."""
    return page_functions("training-better")


def test_better_points_and_digits(words):
    assert words["points"](0.936, 0.926) == pytest.approx(1.0)
    assert words["points"](0.9, 0.95) == pytest.approx(-5.0)
    assert words["digits"](0.926, 1000) == 926
    assert words["digits"](0.936 - 0.927, 1000) == 9          # float noise in a difference
    assert words["digits"](0.5, 5000) == 2500


def test_better_compare_within_and_best_say_what_the_numbers_say(words):
    compare, within, best = words["compare"], words["within"], words["best"]
    assert [compare(2, 1), compare(1, 1), compare(0, 1)] == ["above", "level with", "below"]
    assert compare(0.7, 0.9, ("beat", "match", "lose to")) == "lose to"
    assert [within(8, 8), within(-8, 8), within(9, 8), within(-9, 8)] == \
        ["within", "within", "beyond", "beyond"]
    assert best({"a": 1, "b": 3, "c": 2}) == "b"
    assert best({"a": 1, "b": 3, "c": 2}, lowest=True) == "a"
    assert best({"momentum": 0.9, "Adam": 0.9, "plain": 0.8}) == "momentum and Adam"
    assert best({16: 0.8, 128: 0.9}) == "128"


def test_better_first_step_above_finds_where_one_curve_passes_a_level(words):
    first_step_above = words["first_step_above"]
    steps, dev = [8, 16, 24, 32, 40], [0.70, 0.85, 0.90, 0.91, 0.93]
    assert first_step_above(steps, dev, 0.90) == 32             # strictly above, not level
    assert first_step_above(steps, dev, 0.5) == 8
    assert first_step_above(steps, dev, 0.95) is None


def test_better_early_stop_replays_the_patience_rule_not_the_best_epoch(words):
    early_stop = words["early_stop"]
    dev = [0.50, 0.60, 0.60, 0.55, 0.58, 0.70]
    assert early_stop(dev, 3) == (5, 2)     # a tie is no improvement; the later best is never seen
    assert early_stop(dev, 4) == (6, 6)
    assert early_stop([0.5, 0.4, 0.6], 1) == (2, 1)
    assert early_stop([0.1, 0.2, 0.3], 3) == (3, 3)             # patience never runs out
    rising_then_flat = [0.9 + 0.001 * min(e, 17) for e in range(1, 41)]
    assert early_stop(rising_then_flat, 3) == (20, 17)


def test_better_gain_and_rank(words):
    high, low, difference = words["gain"]({"a": 0.90, "b": 0.80, "c": 0.85})
    assert (high, low) == ("a", "b") and difference == pytest.approx(0.10)
    scores = {"x": 3.0, "y": 5.0, "z": 1.0, "w": 5.0}
    assert [words["rank"](scores, name) for name in "xyzw"] == [3, 1, 4, 1]


# --- Training better: every glued claim follows from the glued (or cached) values --------------


@pytest.fixture(scope="module")
def better_values(built_book):
    return glue_values("training-better")


def test_better_recommended_accuracies_are_those_of_the_cached_run(better_values, splits):
    v = better_values
    params, _ = runs.train_or_load(train.RECOMMENDED["mnist"], splits)
    assert v["better_rec_dev"] == train.accuracy_of(params, splits.dev.X, splits.dev.y)
    assert v["better_rec_test"] == train.accuracy_of(params, splits.test.X, splits.test.y)
    assert v["better_rec_dev"] >= 0.96 and v["better_rec_test"] >= 0.96
    assert v["better_n_test"] == f"{len(splits.test.y):,}"
    assert v["better_split"] == splits.description


def test_better_target_verdict_and_test_set_follow_from_the_values(better_values, words):
    v = better_values
    check_targets = benchmark("check_targets")
    assert v["better_target"] == check_targets.TARGETS["mnist"]["test_accuracy"]
    test, target = v["better_rec_test"], v["better_target"]
    assert v["better_target_verdict"] == words["compare"](test, target, ("above", "at", "below"))
    assert v["better_target_margin"] == pytest.approx(abs(100 * (test - target)))
    assert v["better_test_official"] == ("is" if data.load("mnist").official else "is not")


def test_better_chosen_configuration_is_ranked_against_the_work_of_those_above_it(better_values,
                                                                                   splits):
    """The candidates above the recommended one are counted from the record, and the least extra
    work among them is computed from their configurations (benchmarks/choose_config.run_work)."""
    v = better_values
    choose_config = benchmark("choose_config")
    records = choose_config.records("mnist", folds="cv")
    chosen = choose_config.chosen("mnist", folds="cv")
    above = [r for r in records if r["dev_mean"] > chosen["dev_mean"]]
    assert v["better_chosen_name"] == chosen["name"] and v["better_n_above"] == len(above)
    assert v["better_chosen_rank"] == len(above) + 1
    n = len(splits.train.y)
    mine = choose_config.run_work(chosen, n)
    for part, name in (("matmul GFLOP", "better_above_flops_ratio"),
                       ("images distorted", "better_above_distort_ratio")):
        least = min(choose_config.run_work(r, n)[part] for r in above) / mine[part]
        assert v[name] == pytest.approx(least)
        assert v[name] > 1, f"a candidate above the recommended one needs no more {part}"
    assert v["better_budget_seconds"] == TARGETS["mnist"]["train_seconds"]


def test_better_seed_spread_and_noise_verdicts(better_values, words):
    v, digits, within = better_values, words["digits"], words["within"]
    n_dev = int(v["better_n_dev"].replace(",", ""))
    spread = v["better_seed_spread"]
    assert spread == (digits(v["better_seed_dev_max"], n_dev)
                      - digits(v["better_seed_dev_min"], n_dev))
    assert v["better_seed_dev_min"] <= v["better_init_dev_he"] <= v["better_seed_dev_max"]
    aug = v["better_aug_dev"] - v["better_noaug_dev"]
    assert v["better_aug_gain"] == pytest.approx(100 * aug)
    assert v["better_aug_noise"] == within(digits(aug, n_dev), spread)
    adam = v["better_opt_adam"] - v["better_opt_momentum"]
    assert v["better_adam_noise"] == within(digits(adam, n_dev), spread)
    assert v["better_adam_vs_momentum"] == words["compare"](v["better_opt_adam"],
                                                            v["better_opt_momentum"])


def test_better_initialisation_and_optimiser_values(better_values, words):
    v = better_values
    assert v["better_init_loss0_uniform"] > v["better_init_loss0_he"] > 0
    optimisers = {"plain SGD": v["better_opt_plain"], "momentum": v["better_opt_momentum"],
                  "Adam": v["better_opt_adam"]}
    assert all(0.5 < accuracy <= 1 for accuracy in optimisers.values())
    assert v["better_opt_best"] == words["best"](optimisers)
    losses = {"plain SGD": v["better_opt_loss_plain"], "momentum": v["better_opt_loss_momentum"],
              "Adam": v["better_opt_loss_adam"]}
    assert v["better_opt_loss_best"] == words["best"](losses, lowest=True)


def test_better_full_batch_catch_up_is_read_from_its_curve(better_values, words):
    v = better_values
    steps, dev, sgd = v["better_gd_steps"], v["better_gd_dev_history"], v["better_plain_dev"]
    catch_up = words["first_step_above"](steps, dev, sgd)
    assert v["better_gd_catch_up"] == (catch_up if catch_up is not None
                                       else f"more than {v['better_gd_iterations']}")
    if catch_up is not None:            # above SGD there, and at no logged pass before
        assert dev[steps.index(catch_up)] > sgd
        assert all(d <= sgd for s, d in zip(steps, dev, strict=True) if s < catch_up)
    assert v["better_gd_vs_plain"] == words["compare"](v["better_gd_dev"], sgd)
    assert v["better_gd_dev"] == dev[-1]


def test_better_early_stopping_replay_agrees_with_the_library_run(better_values, words):
    v = better_values
    stop, best_epoch = words["early_stop"](v["better_es_dev_history"], v["better_es_patience"])
    assert (stop, best_epoch) == (v["better_es_stopped"], v["better_es_best_epoch"])
    assert v["better_es_replay_stop"] == v["better_es_stopped"] <= v["better_es_max_epochs"]
    assert v["better_es_returned_dev"] == v["better_es_best_dev"]      # sgd returned epoch ê


def test_better_recommended_run_early_stop_is_the_patience_rule_replayed(better_values, words,
                                                                         splits):
    v, early_stop = better_values, words["early_stop"]
    _, history = runs.train_or_load(train.RECOMMENDED["mnist"], splits)
    dev = history.dev_accuracy
    stop, kept = early_stop(dev, v["better_es_patience"])
    assert (v["better_rec_es_stop"], v["better_rec_es_kept"]) == (stop, kept)
    assert v["better_rec_es_kept_dev"] == dev[kept - 1]
    assert v["better_rec_es_gap_points"] == pytest.approx(abs(100 * (dev[kept - 1] - dev[-1])))
    assert v["better_rec_es_vs_last"] == words["compare"](dev[kept - 1], dev[-1])
    best_epoch, needed = v["better_rec_best_epoch"], v["better_rec_patience_needed"]
    assert dev[best_epoch - 1] == max(dev)
    assert early_stop(dev, needed)[1] == best_epoch
    assert needed == 1 or early_stop(dev, needed - 1)[1] != best_epoch


def test_better_largest_change_is_taken_over_every_comparison_shown(better_values, words):
    v = better_values
    gains = v["better_gains"]
    assert v["better_largest_change"] == words["best"](gains)
    assert v["better_largest_gain"] == max(gains.values())
    assert v["better_aug_rank"] == words["rank"](gains, "augmentation")
    assert v["better_n_changes"] == len(gains)
    shown = {                                   # a difference each section states, in points
        "mini-batches": 100 * (v["better_plain_dev"] - v["better_gd_dev_same_passes"]),
        "initialisation": 100 * abs(v["better_init_dev_he"] - v["better_init_dev_uniform"]),
        "widths": 100 * (v["better_sweep_best_dev"] - min(v["better_sweep_dev_min"],
                                                            v["better_sweep_dev_max"])),
    }
    for name, difference in shown.items():
        assert any(g >= difference - 1e-9 for g in gains.values()), f"{name} left out"
    assert any(g == pytest.approx(shown["mini-batches"]) for g in gains.values())


def test_better_augmentation_is_measured_at_equal_epochs_on_the_full_run(better_values, splits):
    v = better_values
    recommended = train.RECOMMENDED["mnist"]
    assert v["better_same_epochs"] == v["better_rec_epochs"] == recommended.epochs
    params, _ = runs.train_or_load(replace(recommended, augment=False), splits)
    same_test = train.accuracy_of(params, splits.test.X, splits.test.y)
    assert v["better_same_test"] == same_test
    assert v["better_rec_aug_gain"] == pytest.approx(100 * (v["better_rec_test"] - same_test))


# --- Training better: the defects of issue 12 and 10, on the built page and its source ---------


def page_text(soup) -> str:
    """The visible prose of a built page: no code, no maths (MathJax's input), no scripts."""
    article = copy.copy(soup.select_one("main") or soup)
    for node in article.select("script, style, pre, code, .highlight, .math, div.cell_input"):
        node.decompose()
    return text_of(article)


def test_better_page_has_no_unrendered_tex(better):
    """Markdown that ate an inline formula leaves its TeX in the prose, outside MathJax's input."""
    text = page_text(better)
    leftovers = re.findall(r".{0,30}(?:\\[A-Za-z]+|\$).{0,30}", text)
    assert not leftovers, leftovers[:5]


def test_better_differences_of_percentages_are_in_points(better):
    text = page_text(better)
    signed = re.findall(r"(?<![\w±])[+−-]\d+(?:\.\d+)?\s?%", text)
    compared = re.findall(r"\d%\s+(?:better|worse|higher|lower)\b", text)
    assert not signed and not compared, signed + compared


def test_better_page_has_no_placeholder_plurals(better):
    assert not re.findall(r"\w\((?:s|es)\)", page_text(better))


def test_better_figures_stay_legible_on_a_phone(built_book, better):
    """Shown in a 390-px phone's column (342 px, measured), the smallest text of the book's style
    must stay at least 8 CSS px high: an image is shrunk by 342 / its width."""
    from PIL import Image

    from scratchnet import plots

    smallest_pt = min(size for key, size in plots.STYLE.items()
                      if key.endswith(("fontsize", "labelsize", "titlesize")))
    dpi = plots.STYLE["savefig.dpi"]
    for figure in better.select("figure"):
        img = figure.find("img")
        width = Image.open(built_book / img["src"]).width
        shown = smallest_pt * dpi / 72 * min(1, 342 / width)
        assert shown >= 8, \
            f"{figure.get('id')}: {width} px wide, so {smallest_pt}-pt text is {shown:.1f} px"


def test_better_glued_text_is_words_not_sentences(better_values, splits):
    for name, value in better_values.items():
        if isinstance(value, str) and value != splits.description:
            assert len(value.split()) <= 4 and ". " not in value, f"{name} = {value!r}"


LIBRARY = {"train", "model", "checkpoint", "augment", "data", "plots"}
WORDS = {"glue", "final_dev", "points", "digits", "compare", "within", "best", "rank", "len", "abs",
         "min", "max", "sum", "int", "float", "round", "str", "range", "enumerate", "zip", "id"}
"""What a hidden cell may call: glue, the look-up of a stored result, the page's verdict words."""


def test_better_hidden_cells_only_glue():
    """Cells removed from the page (but the shared set-up) compute nothing: no function, no
    training, no call into the library; only glue and the verdict words of the visible functions."""
    for source, tags in code_cells("training-better")[1:]:
        if "remove-cell" not in tags:
            continue
        for node in ast.walk(ast.parse(source)):
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Import), source[:200]
            if isinstance(node, ast.Call):
                func = node.func
                while isinstance(func, ast.Attribute | ast.Subscript | ast.Call):
                    func = func.func if isinstance(func, ast.Call) else func.value
                name = func.id if isinstance(func, ast.Name) else ""
                called = ast.unparse(node.func)
                if isinstance(node.func, ast.Name):
                    assert name in WORDS, f"hidden cell calls {called}"
                else:
                    assert name not in LIBRARY, f"hidden cell calls {called}"


def test_better_visible_cells_use_no_name_defined_only_in_a_removed_cell():
    assert names_from_hidden_cells("training-better") == []


def test_better_figure_labels_have_no_literal_subscripts():
    """'η_e' in a label is TeX that matplotlib prints as it is; subscripts belong inside $...$."""
    labelling = {"set_xlabel", "set_ylabel", "set_title", "suptitle", "text"}
    for source, _ in code_cells("training-better"):
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            texts = []
            if isinstance(node.func, ast.Attribute) and node.func.attr in labelling:
                texts += node.args
            texts += [k.value for k in node.keywords if k.arg == "label"]
            for text in texts:
                parts = text.values if isinstance(text, ast.JoinedStr) else [text]
                for part in parts:
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        outside_maths = re.sub(r"\$[^$]*\$", "", part.value)
                        subscript = re.search(r"(?<![^\W\d_])[^\W\d_]_\{?\w", outside_maths)
                        assert not subscript, f"label {part.value!r}"
