"""The ``scratchnet`` command end to end, as a user runs it: ``python -m scratchnet ...`` in a
folder.

One model is trained once (module fixture) and then evaluated on IDX and CSV files written from
the held-out split, and asked about a PNG of a digit. Bad arguments end in one line, no traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from quick_model import mnist_splits

from scratchnet import __version__, checkpoint, cli, data, fast, train
from scratchnet.checkpoint import load
from scratchnet.data.preprocess import picture_to_row
from scratchnet.model import predict, predict_proba

pytestmark = pytest.mark.slow   # each test starts the CLI as a process: not in make test-fast


def scratchnet(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scratchnet", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def assert_one_line_error(r: subprocess.CompletedProcess, *words: str):
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "error" in lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])


def as_images(X: np.ndarray) -> np.ndarray:
    """Rows of pixels/255 back to uint8 images (n, 28, 28), exactly."""
    return np.rint(X * 255).astype(np.uint8).reshape(-1, 28, 28)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A folder holding m.npz from `scratchnet train ... --json`, and the parsed JSON line."""
    folder = tmp_path_factory.mktemp("cli")
    r = scratchnet("train", "--epochs", 2, "--hidden", 32, "--json", "--out", "m.npz", cwd=folder)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    result = json.loads(r.stdout.strip().splitlines()[-1])
    return folder, result


@pytest.fixture(scope="module")
def held_out_files(trained):
    """The held-out split written as IDX images/labels and as a Kaggle CSV."""
    folder, _ = trained
    test = mnist_splits().test
    images, labels = as_images(test.X), test.y.astype(np.uint8)
    data.write_idx(folder / "images.idx", images)
    data.write_idx(folder / "labels.idx", labels)
    header = "label," + ",".join(f"pixel{j}" for j in range(784))
    table = np.column_stack([labels, images.reshape(len(images), -1)])
    np.savetxt(folder / "test.csv", table, fmt="%d", delimiter=",", header=header, comments="")
    return folder


def test_train_json_line_reports_train_seconds_and_held_out_accuracy(trained):
    folder, result = trained
    assert (folder / "m.npz").is_file()
    assert result["train_seconds"] > 0
    assert result["test_accuracy"] > 0.85
    assert result["n_test"] == len(mnist_splits().test.y)
    assert result["config"]["hidden"] == 32 and result["config"]["epochs"] == 2
    assert result["dataset"] == "mnist"


def test_the_trained_model_file_loads_and_records_its_run(trained):
    folder, result = trained
    params, meta = load(folder / "m.npz")
    assert params["W1"].shape == (784, 32)
    assert meta["architecture"]["layers"] == [784, 32, 10]
    assert meta["metrics"]["test_accuracy"] == result["test_accuracy"]
    assert meta["version"] == __version__
    assert meta["blas_threads"] == result["blas_threads"] >= 1
    # the model is the one that scored: its accuracy on the held-out split is the reported one
    test = mnist_splits().test
    assert np.mean(predict(params, test.X) == test.y) == result["test_accuracy"]


def test_evaluate_on_idx_files_of_the_held_out_split_matches_the_train_command(
        trained, held_out_files):
    folder, result = trained
    r = scratchnet("evaluate", "m.npz", "--images", "images.idx", "--labels", "labels.idx",
                   "--json", cwd=folder)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report["n"] == result["n_test"]
    assert report["accuracy"] == result["test_accuracy"]          # the same images
    assert sum(map(sum, report["confusion_matrix"])) == report["n"]


def test_evaluate_on_a_csv_gives_the_same_accuracy(trained, held_out_files):
    folder, result = trained
    r = scratchnet("evaluate", "m.npz", "--csv", "test.csv", cwd=folder)
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert re.fullmatch(r"accuracy \d+\.\d\d% \(\d+ of \d+\)", first), first
    correct, n = map(int, re.search(r"\((\d+) of (\d+)\)", first).groups())
    assert n == result["n_test"] and correct / n == pytest.approx(result["test_accuracy"])
    assert len(r.stdout.splitlines()) == 11                        # and one line per class


def test_predict_prints_the_label_of_a_png_digit(trained):
    folder, _ = trained
    params, _ = load(folder / "m.npz")
    test = mnist_splits().test
    P = predict_proba(params, test.X)
    i = int(np.flatnonzero((P.argmax(axis=1) == test.y) & (P.max(axis=1) > 0.99))[0])
    big = Image.fromarray(255 - as_images(test.X[i:i + 1])[0]).resize((140, 140))   # dark on white
    big.save(folder / "digit.png")
    r = scratchnet("predict", "m.npz", "digit.png", cwd=folder)
    assert r.returncode == 0, r.stderr
    m = re.match(r"digit\.png: (\d) \(p = (0\.\d+|1\.000)\)", r.stdout)
    assert m, r.stdout
    assert int(m.group(1)) == test.y[i]
    r = scratchnet("predict", "m.npz", "digit.png", "--json", cwd=folder)
    out = json.loads(r.stdout)
    assert out["label"] == test.y[i] and len(out["probabilities"]) == 10
    expected = predict_proba(params, picture_to_row(folder / "digit.png")[None])[0]
    np.testing.assert_allclose(out["probabilities"], expected, rtol=1e-6)


def test_version_prints_the_package_version(tmp_path):
    r = scratchnet("--version", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == f"scratchnet {__version__}"


# --- bad arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize("args, words", [
    (["train", "--epochs", "-1"], ["--epochs", "-1"]),
    (["train", "--hidden", "0"], ["--hidden"]),
    (["train", "--lr", "nan"], ["--lr"]),
    (["train", "--seed", "-3"], ["--seed"]),
    (["train", "--dataset", "cifar"], ["cifar"]),
    (["train", "--set", "nonsense=1"], ["--set", "nonsense"]),
    (["train", "--set", "flip=maybe"], ["--set", "flip"]),
    (["train", "--set", "epochs"], ["--set", "FIELD=VALUE"]),
    (["evaluate"], ["model"]),
    (["frobnicate"], ["frobnicate"]),
])
def test_a_bad_argument_is_one_line_without_traceback(tmp_path, args, words):
    r = scratchnet(*args, cwd=tmp_path)
    assert_one_line_error(r, *words)
    assert r.returncode == 2
    assert list(tmp_path.iterdir()) == []                          # nothing trained or written


def test_a_config_value_out_of_range_is_one_line_naming_the_field(tmp_path):
    r = scratchnet("train", "--set", "max_scale=1.5", cwd=tmp_path)
    assert_one_line_error(r, "max_scale")
    assert r.returncode == 1 and list(tmp_path.iterdir()) == []


def test_the_model_file_records_the_blas_thread_count_it_was_trained_with(tmp_path):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-m", "scratchnet", "train", "--epochs", "1", "--hidden",
                        "8", "--json", "--no-progress", "--out", "m.npz"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    _, meta = load(tmp_path / "m.npz")
    assert meta["blas_threads"] == 1 == json.loads(r.stdout.splitlines()[-1])["blas_threads"]


def test_set_changes_any_field_of_the_recommended_configuration(monkeypatch):
    seen = []

    def fake_train(config, X, y, X_dev=None, y_dev=None, progress=False, train_eval_rows=None):
        seen.append((config, train_eval_rows))
        return train.init_params(config), train.History(seconds=0.0)

    monkeypatch.setattr(fast, "train", fake_train)
    monkeypatch.setattr(checkpoint, "save", lambda *a, **k: None)
    assert cli.main(["train", "--epochs", "1", "--no-progress", "--out", "/dev/null",
                     "--set", "schedule=constant", "--set", "augment=false", "--set",
                     "patience=2", "--set", "elastic=3.5"]) == 0
    assert cli.main(["train", "--epochs", "1", "--no-progress", "--out", "/dev/null",
                     "--full-train-accuracy"]) == 0
    (config, rows), (default, all_rows) = seen
    changed = {k for k, v in config.to_dict().items() if v != getattr(default, k)}
    assert changed == {"schedule", "augment", "patience", "elastic"}
    assert (config.schedule, config.augment, config.patience, config.elastic) == (
        "constant", False, 2, 3.5)
    assert rows == train.TRAIN_SAMPLE_ROWS and all_rows is None


def test_a_missing_model_is_one_line_naming_it(tmp_path):
    r = scratchnet("evaluate", "nowhere.npz", "--csv", "x.csv", cwd=tmp_path)
    assert_one_line_error(r, "nowhere.npz")
    r = scratchnet("predict", "nowhere.npz", "digit.png", cwd=tmp_path)
    assert_one_line_error(r, "nowhere.npz")


def test_a_csv_that_does_not_exist_is_one_line_naming_it(trained):
    folder, _ = trained
    r = scratchnet("evaluate", "m.npz", "--csv", "missing.csv", cwd=folder)
    assert_one_line_error(r, "missing.csv")


def test_a_csv_with_the_wrong_number_of_columns_is_one_line_naming_it(trained):
    folder, _ = trained
    (folder / "short.csv").write_text("label," + ",".join(f"pixel{j}" for j in range(700)) + "\n"
                                      + "3," + ",".join(["0"] * 700) + "\n")
    r = scratchnet("evaluate", "m.npz", "--csv", "short.csv", cwd=folder)
    assert_one_line_error(r, "short.csv")


def test_evaluate_without_data_files_says_what_to_give(trained):
    folder, _ = trained
    r = scratchnet("evaluate", "m.npz", "--images", "images.idx", cwd=folder)
    assert_one_line_error(r, "--labels")


def test_predict_on_a_file_that_is_not_a_picture_is_one_line_naming_it(trained):
    folder, _ = trained
    (folder / "notes.txt").write_text("a shopping list\n")
    r = scratchnet("predict", "m.npz", "notes.txt", cwd=folder)
    assert_one_line_error(r, "notes.txt")
    assert r.stdout == ""


# --- the split does not follow the training seed ---------------------------------------------


def test_the_training_seed_changes_the_weights_not_the_split(monkeypatch):
    """``--seed`` seeds the initial weights and the batch order; every run splits with
    ``data.SPLIT_SEED``, so runs with different seeds are measured on the same dev digits."""
    seen = []

    def fake_train(config, X, y, X_dev=None, y_dev=None, progress=False, train_eval_rows=None):
        seen.append((config.seed, X_dev))
        return train.init_params(config), train.History(seconds=0.0)

    monkeypatch.setattr(fast, "train", fake_train)
    monkeypatch.setattr(checkpoint, "save", lambda *a, **k: None)
    for seed in ("0", "3"):
        assert cli.main(["train", "--seed", seed, "--epochs", "1", "--no-progress",
                         "--no-include-dev", "--out", "/dev/null"]) == 0
    (seed_a, dev_a), (seed_b, dev_b) = seen
    assert (seed_a, seed_b) == (0, 3)
    np.testing.assert_array_equal(dev_a, dev_b)
    np.testing.assert_array_equal(dev_a, mnist_splits().dev.X)
