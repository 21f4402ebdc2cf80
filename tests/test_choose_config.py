"""benchmarks/choose_config.py: the folds never hold a test row, and the record of the candidates is
read back as it was written (latest record of a name, best first, the recommended one found)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from quick_model import mnist_splits
from script_support import benchmark

from scratchnet.train import RECOMMENDED

choose_config = benchmark("choose_config")


def rows_of(X: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in X}


def test_cross_validation_folds_split_train_and_dev_and_never_touch_test():
    splits = mnist_splits()
    folds = choose_config.folds("mnist", "cv")
    assert len(folds) == choose_config.N_FOLDS
    pool = rows_of(np.concatenate([splits.train.X, splits.dev.X]))
    test = rows_of(splits.test.X)
    devs = [rows_of(X_dev) for _, _, X_dev, _ in folds]
    assert set().union(*devs) == pool                         # every train/dev row scored once
    assert sum(map(len, devs)) == len(pool)                   # ... and only once
    for (X, y, _, y_dev), dev in zip(folds, devs, strict=True):
        assert rows_of(X) | dev == pool and not rows_of(X) & dev
        assert not (rows_of(X) | dev) & test
        counts = np.bincount(y_dev, minlength=10) / len(y_dev)
        np.testing.assert_allclose(counts, np.bincount(y, minlength=10) / len(y), atol=0.01)


def test_the_split_fold_is_the_librarys_own_split():
    splits = mnist_splits()
    ((X, y, X_dev, y_dev),) = choose_config.folds("mnist", "split")
    assert np.array_equal(X, splits.train.X) and np.array_equal(y_dev, splits.dev.y)


def record(name, dev, config=None, folds="cv", changed=None):
    config = config or replace(RECOMMENDED["mnist"], include_dev=False, hidden=7)
    return {"dataset": "mnist", "name": name, "folds": folds, "changed": changed or {"hidden": 7},
            "config": config.to_dict(), "dev": [dev], "dev_mean": dev, "dev_rows": 9000,
            "seconds": [12.3, 45.6]}


@pytest.fixture
def results(tmp_path):
    recommended = replace(RECOMMENDED["mnist"], include_dev=False)
    lines = [record("a", 0.97), record("b", 0.98), record("c", 0.99, recommended),
             record("a", 0.985),                                  # "a" again: its latest counts
             record("d", 0.995, folds="split"),
             {**record("e", 0.999), "dataset": "fashion-mnist"}]
    path = tmp_path / "configs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path


def test_the_table_lists_each_candidate_once_best_first(results):
    table = choose_config.results_table("mnist", folds="cv", path=results)
    assert list(table.index) == ["c", "a", "b"]
    assert table.loc["a", "dev accuracy"] == 0.985
    assert table.loc["b", "fields set"] == "hidden=7" and table.loc["b", "seconds"] == "12 / 46"
    assert list(choose_config.results_table("mnist", path=results).index) == ["d", "c", "a", "b"]


def test_the_chosen_record_is_the_recommended_configuration_and_its_rank(results):
    chosen = choose_config.chosen("mnist", folds="cv", path=results)
    assert chosen["name"] == "c" and chosen["dev_mean"] == 0.99
    table = choose_config.results_table("mnist", folds="cv", path=results)
    assert choose_config.rank_of(table, "c") == 1 and choose_config.rank_of(table, "b") == 3
    assert choose_config.chosen("fashion-mnist", path=results) is None


def test_the_record_differing_in_one_field_alone_is_found(results, tmp_path):
    chosen = choose_config.chosen("mnist", folds="cv", path=results)
    assert choose_config.differing_in("mnist", chosen, "flip", folds="cv", path=results) is None
    flipped = replace(RECOMMENDED["mnist"], include_dev=False, flip=True)
    two_fields = replace(flipped, epochs=3)
    path = tmp_path / "more.jsonl"
    path.write_text(results.read_text() + json.dumps(record("f", 0.5, flipped)) + "\n"
                    + json.dumps(record("g", 0.6, two_fields)) + "\n")
    chosen = choose_config.chosen("mnist", folds="cv", path=path)
    assert choose_config.differing_in("mnist", chosen, "flip", folds="cv", path=path)["name"] == "f"
    assert choose_config.differing_in("mnist", chosen, "epochs", folds="cv", path=path) is None


def test_no_results_file_is_an_empty_record(tmp_path):
    assert choose_config.records("mnist", path=tmp_path / "none.jsonl") == []
    assert choose_config.results_table("mnist", path=tmp_path / "none.jsonl").empty


def test_a_runs_work_is_its_matrix_products_and_its_distorted_images():
    small = replace(RECOMMENDED["mnist"], hidden=10, epochs=2, batch_size=50, augment=True)
    work = choose_config.run_work({"config": small.to_dict()}, 100)
    per_step = 2 * 50 * 784 * 10 * 2 + 2 * 50 * 10 * 10 * 3     # X W1, Xᵀ dZ1; the three of W2
    assert work["matmul GFLOP"] == pytest.approx(2 * 2 * per_step / 1e9)
    assert work["images distorted"] == 2 * 100
    plain = choose_config.run_work({"config": replace(small, augment=False).to_dict()}, 100)
    assert plain["images distorted"] == 0 and plain["matmul GFLOP"] == work["matmul GFLOP"]


def test_more_work_means_no_less_of_any_part_and_more_of_one():
    base = {"matmul GFLOP": 10.0, "images distorted": 100}
    assert choose_config.more_work({"matmul GFLOP": 20.0, "images distorted": 100}, base)
    assert not choose_config.more_work(dict(base), base)                       # equal: not more
    assert not choose_config.more_work({"matmul GFLOP": 20.0, "images distorted": 50}, base)
