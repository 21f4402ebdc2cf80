"""scratchnet.runs: the cache of trained runs the book's chapters share returns exactly what
training returns."""

import sys
import types
from dataclasses import replace

import numpy as np
import pytest

from scratchnet import checkpoint, fast, perf, runs
from scratchnet.data import Split, Splits
from scratchnet.train import TrainConfig


def tiny_splits(seed=0):
    rng = np.random.default_rng(seed)

    def make(n):
        return Split(rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n))

    return Splits(train=make(120), dev=make(30), test=make(30), description="random")


CONFIG = TrainConfig(hidden=8, epochs=2, batch_size=40)


@pytest.mark.parametrize("config", [CONFIG, replace(CONFIG, include_dev=True)],
                         ids=["with dev", "final fit (no dev accuracy: nan)"])
def test_second_run_is_loaded_bit_for_bit(tmp_path, monkeypatch, config):
    splits = tiny_splits()
    p1, h1 = runs.train_or_load(config, splits, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    monkeypatch.setattr(fast, "train", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("trained again instead of loading")))
    p2, h2 = runs.train_or_load(config, splits, cache_dir=tmp_path)
    assert all(np.array_equal(p1[k], p2[k]) and p1[k].dtype == p2[k].dtype for k in p1)
    assert h1.to_dict() == h2.to_dict()
    assert np.array_equal(h1.dev_accuracy, h2.dev_accuracy, equal_nan=True)
    assert all(np.isnan(h2.dev_accuracy)) == config.include_dev


def test_a_different_config_or_different_data_is_a_different_run(tmp_path):
    splits = tiny_splits()
    key = runs.run_key(CONFIG, splits)
    assert runs.run_key(replace(CONFIG, seed=1), splits) != key
    assert runs.run_key(CONFIG, tiny_splits(seed=1)) != key


def test_a_different_blas_thread_count_is_a_different_run(monkeypatch):
    splits = tiny_splits()
    monkeypatch.setattr(perf, "blas_threads", lambda: 1)
    one = runs.run_key(CONFIG, splits)
    monkeypatch.setattr(perf, "blas_threads", lambda: 2)
    assert runs.run_key(CONFIG, splits) != one


def test_training_without_numpy_blas_is_a_different_run(monkeypatch):
    """Without NumPy's BLAS, momentum's update is NumPy's operations: other bits, another run."""
    splits = tiny_splits()
    found = runs.run_key(CONFIG, splits)
    monkeypatch.setattr(runs.blas, "numpy_blas", lambda: None)
    assert runs.run_key(CONFIG, splits) != found


def test_runs_are_trained_on_the_fast_path_and_record_their_thread_count(tmp_path, monkeypatch):
    splits = tiny_splits()
    calls = []
    real = fast.train
    monkeypatch.setattr(fast, "train", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(perf, "blas_threads", lambda: 3)
    params, _ = runs.train_or_load(CONFIG, splits, cache_dir=tmp_path)
    assert calls == [1]
    (entry,) = tmp_path.glob("*.npz")
    assert checkpoint.load(entry)[1]["blas_threads"] == 3


def test_a_damaged_cache_entry_is_retrained_not_trusted(tmp_path):
    splits = tiny_splits()
    p1, _ = runs.train_or_load(CONFIG, splits, cache_dir=tmp_path)
    (entry,) = tmp_path.glob("*.npz")
    entry.write_bytes(b"garbage")
    p2, _ = runs.train_or_load(CONFIG, splits, cache_dir=tmp_path)
    assert all(np.array_equal(p1[k], p2[k]) for k in p1)
    assert checkpoint.load(entry)[0]["W1"].shape == (784, 8)


def test_every_library_module_the_training_imports_is_in_the_key():
    """A module that the weight-computing modules import (a helper moved out of ``train``, say)
    decides the weights too: it must be in :data:`runs.WEIGHT_MODULES`, or be one of the modules
    that compute none."""
    from pathlib import Path

    from scratchnet_book.execution_key import imported_names

    keyed = {module.__name__ for module in runs.WEIGHT_MODULES}
    imported = {name for module in runs.WEIGHT_MODULES
                for name in imported_names(Path(module.__file__).read_text(encoding="utf-8"))
                if name.split(".")[0] == "scratchnet"
                and isinstance(sys.modules.get(name), types.ModuleType)}
    assert imported - keyed - set(runs.NOT_WEIGHT_MODULES) == set()
