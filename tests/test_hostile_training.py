"""Training that cannot succeed says so: a loss that becomes nan or infinite stops the run with a
clear error, a non-zero exit and no model; a dataset too small for its splits, or settings that need
more memory than there is, are refused before training starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from data_support import synthetic, write_idx_set
from hostile_support import MB, ONE_THREAD, library_call, run_bounded, write_peaks
from quick_model import toy_data

from scratchnet import budget, data, runs, train
from scratchnet.errors import TrainingError
from scratchnet.train import TrainConfig

pytestmark = pytest.mark.slow   # each test starts processes: make test-fast leaves them out

ALLOWANCE = 320 * MB      # a legitimate run on the 10,000 npm digits, 784-16-10


@pytest.fixture(scope="module", autouse=True)
def peaks(tmp_path_factory):
    yield
    write_peaks(tmp_path_factory.getbasetemp(), "training")


def scratchnet_train(tmp_path, *options, case: str, env=None, prelude: str | None = None):
    argv = ["train", "--epochs", "1", "--hidden", "16", "--no-progress", "--out",
            tmp_path / "m.npz", *options]
    return run_bounded([], python=library_call(prelude or "", argv), allowance=ALLOWANCE,
                       case=f"training: {case}", cwd=tmp_path, env=env, timeout=300)


def test_a_diverging_run_stops_with_one_line_exit_1_and_writes_no_model(tmp_path):
    result = scratchnet_train(tmp_path, "--lr", "1e6", case="lr 1e6 (nan loss)")
    message = result.assert_one_line_error(tmp_path / "m.npz", "not written", "diverged",
                                           stdout=True)
    assert "nan" in message or "inf" in message
    assert list(tmp_path.iterdir()) == []                  # no model, no temporary file


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "gd"])
def test_the_library_raises_a_training_error_on_a_nan_or_infinite_loss(optimizer):
    X, y = toy_data(256)
    config = TrainConfig(hidden=16, epochs=3, batch_size=64, lr=1e30, optimizer=optimizer,
                         **({"momentum": 0.0, "schedule": "constant"} if optimizer == "gd"
                            else {}))
    with np.errstate(all="ignore"), pytest.raises(TrainingError, match=r"^the loss became "
                                                                       r"(nan|inf) at step \d"):
        train.train(config, X, y)


def test_a_diverged_run_is_not_cached(tmp_path, monkeypatch):
    X, y = toy_data(300)
    splits = data.Splits(data.Split(X[:250], y[:250]), data.Split(X[250:], y[250:]),
                         data.Split(X[250:], y[250:]), "toy")
    with np.errstate(all="ignore"), pytest.raises(TrainingError):
        runs.train_or_load(TrainConfig(hidden=8, epochs=2, lr=1e30), splits, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_settings_that_need_more_memory_than_there_is_are_refused_before_training(tmp_path):
    result = scratchnet_train(tmp_path, "--hidden", "100000000", case="--hidden 100,000,000")
    message = result.assert_one_line_error(tmp_path / "m.npz", "not trained", "784-100000000-10",
                                           "GB of memory", "available")
    assert list(tmp_path.iterdir()) == [], message


def test_the_memory_limit_of_the_process_counts_as_what_is_available(tmp_path):
    """Under the test's address-space limit, a run that fits the machine but not the limit
    (W1 alone is 94 MB; the estimate is about 1 GB) is refused instead of failing half-way."""
    result = scratchnet_train(tmp_path, "--hidden", "30000", case="--hidden 30,000 under the limit")
    result.assert_one_line_error(tmp_path / "m.npz", "not trained", "available")
    assert result.peak < 200 * MB


def test_a_dataset_too_small_for_its_splits_is_refused_before_training(tmp_path):
    write_idx_set(tmp_path / "data" / "mnist", synthetic(50), synthetic(20, seed=1))
    env = {"SCRATCHNET_DATA": str(tmp_path / "data"), "SCRATCHNET_CACHE": str(tmp_path / "cache")}
    unknown = "from scratchnet.data import sources\nsources.CONTENT_SHA256['mnist'] = {}\n"
    out = tmp_path / "out"
    out.mkdir()
    result = scratchnet_train(out, case="50 images", env=env, prelude=unknown)
    result.assert_one_line_error(tmp_path / "data" / "mnist", "50 training images are too few",
                                 "120 images or more")
    assert list(out.iterdir()) == []


def test_the_estimate_adds_data_weights_batch_and_evaluation():
    """The formula of budget's docstring on a case worked by hand: 784-10-10, float32, batches
    of 50, 1,000 training rows and 200 test rows, dev not joining."""
    config = TrainConfig(hidden=10, batch_size=50)
    P = 784 * 10 + 10 + 10 * 10 + 10
    data = 4 * 784 * 1200
    weights = 8 * 4 * P
    batch = 5 * 4 * 50 * 10 + 3 * 4 * 784 * 50
    evaluation = 2 * 4 * 1000 * 10 + 3 * 4 * 1000 * 10
    assert budget.training_bytes(config, 1000, 200) == data + weights + batch + evaluation
    bigger = budget.training_bytes(replace(config, hidden=20), 1000, 200)
    assert bigger > budget.training_bytes(config, 1000, 200)
    full_batch = replace(config, optimizer="gd", momentum=0.0, schedule="constant")
    assert budget.training_bytes(full_batch, 1000, 200) > budget.training_bytes(config, 1000, 200)


def test_available_memory_is_within_the_address_space_limit():
    script = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
              "from scratchnet import budget; print(budget.available_bytes())")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, **ONE_THREAD}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert 0 < int(done.stdout) < 1 << 30
    assert budget.available_bytes() > 1 << 26             # this process: unlimited, some free
