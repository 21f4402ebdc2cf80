"""Output that tools can rely on: ``--json`` is strict JSON on success and errors go to stderr; a
closed pipe ends quietly; conflicting options are refused; evaluating a model on a dataset other
than the one it was trained on prints a warning.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hostile_support import MB, ONE_THREAD, run_bounded, write_peaks
from PIL import Image
from quick_model import mnist_splits

from scratchnet import checkpoint, cli, data
from scratchnet.errors import strict_json
from scratchnet.model import init_he

pytestmark = pytest.mark.slow   # each test starts processes: make test-fast leaves them out

ALLOWANCE = 160 * MB


@pytest.fixture(scope="module", autouse=True)
def peaks(tmp_path_factory):
    yield
    write_peaks(tmp_path_factory.getbasetemp(), "output")


def strict(text: str):
    """``json.loads`` that refuses NaN and Infinity, as a strict parser (jq, JavaScript) does."""
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A model said to be trained on MNIST, a picture, and IDX files of MNIST digits with one
    class left out (so its per-class accuracy is missing)."""
    here = tmp_path_factory.mktemp("output")
    checkpoint.save(here / "m.npz", init_he(8, np.random.default_rng(0)),
                    {"dataset": {"name": "mnist", "class_names": [str(k) for k in range(10)]}})
    test = mnist_splits().test
    keep = test.y != 7
    images = np.rint(test.X[keep] * 255).astype(np.uint8).reshape(-1, 28, 28)[:300]
    data.write_idx(here / "images", images)
    data.write_idx(here / "labels", test.y[keep][:300].astype(np.uint8))
    pixels = np.full((56, 56), 250, np.uint8)
    pixels[10:46, 26:30] = 10
    Image.fromarray(pixels).save(here / "digit.png")
    return here


def scratchnet(*args, cwd: Path, case: str):
    return run_bounded(list(args), allowance=ALLOWANCE, case=f"output: {case}", cwd=cwd)


# ---------------------------------------------------------------------------------- strict JSON


def test_strict_json_writes_null_for_nan_and_infinity_and_plain_numbers_for_numpy():
    value = {"a": math.nan, "b": [np.float32("inf"), -math.inf, 1.5], "c": np.int64(3),
             "d": (np.float64(0.25), None)}
    assert strict(strict_json(value)) == {"a": None, "b": [None, None, 1.5], "c": 3,
                                          "d": [0.25, None]}


def test_evaluate_json_is_strict_with_null_for_a_missing_class(folder):
    result = scratchnet("evaluate", "m.npz", "--images", "images", "--labels", "labels", "--json",
                        cwd=folder, case="evaluate --json")
    assert result.returncode == 0, result.stderr
    report = strict(result.stdout)
    assert report["per_class_accuracy"]["7"] is None
    assert report["n"] == 300


def test_predict_json_is_one_strict_object_per_picture(folder):
    result = scratchnet("predict", "m.npz", "digit.png", "digit.png", "--json", cwd=folder,
                        case="predict --json")
    assert result.returncode == 0, result.stderr
    lines = [strict(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2 and all(len(line["probabilities"]) == 10 for line in lines)


def test_train_json_is_strict_with_null_for_the_dev_accuracy_of_a_final_fit(tmp_path):
    result = run_bounded(["train", "--epochs", "1", "--hidden", "8", "--include-dev", "--json",
                          "--no-progress", "--out", tmp_path / "m.npz"], allowance=320 * MB,
                         case="output: train --json --include-dev", cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    report = strict(result.stdout)
    assert report["dev_accuracy"] is None and 0 < report["test_accuracy"] <= 1


def test_with_json_an_error_goes_to_stderr_and_nothing_to_stdout(folder):
    result = scratchnet("evaluate", "nowhere.npz", "--images", "images", "--labels", "labels",
                        "--json", cwd=folder, case="evaluate --json, no model")
    result.assert_one_line_error("nowhere.npz", "no such model file")


# ---------------------------------------------------------------------------------- closed pipe


def test_a_closed_pipe_ends_quietly_with_141(folder):
    """More lines than a pipe holds (64 kB): the reader takes one and closes its end, so the
    next write fails. The CLI stops there: exit 141 (128 + SIGPIPE), nothing on stderr."""
    child = subprocess.Popen([sys.executable, "-m", "scratchnet", "predict", "m.npz",
                              *["digit.png"] * 800], cwd=folder, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env={**os.environ, **ONE_THREAD})
    first = child.stdout.readline()
    child.stdout.close()
    _, err = child.communicate(timeout=120)
    assert first.startswith(b"digit.png: ")
    assert child.returncode == cli.EXIT_PIPE_CLOSED == 141
    assert err == b""


def test_predict_into_head_prints_one_line_and_no_complaint(folder):
    script = (f"{sys.executable} -m scratchnet predict m.npz {' '.join(['digit.png'] * 800)} "
              "| head -1")
    done = subprocess.run(["bash", "-c", script], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, **ONE_THREAD}, timeout=120)
    assert done.returncode == 0                            # head's status: the pipeline's
    assert len(done.stdout.splitlines()) == 1 and done.stderr == ""


# ------------------------------------------------------------------------------------ conflicts


@pytest.mark.parametrize("options, words", [
    (["--csv", "x.csv", "--images", "images"], ["--csv cannot be combined"]),
    (["--csv", "x.csv", "--labels", "labels"], ["--csv cannot be combined"]),
    (["--images", "images"], ["--labels is missing"]),
    (["--labels", "labels"], ["--images is missing"]),
    ([], ["give --images IDX and --labels IDX, or --csv CSV"]),
])
def test_conflicting_or_incomplete_options_are_a_usage_error(folder, capsys, options, words):
    with pytest.raises(SystemExit) as exit:
        cli.main(["evaluate", str(folder / "m.npz"), *options])
    assert exit.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("scratchnet: error: evaluate: ")
    for word in words:
        assert word in err


def test_a_conflict_is_refused_before_any_file_is_read(tmp_path):
    r = subprocess.run([sys.executable, "-m", "scratchnet", "evaluate", "absent.npz", "--csv",
                        "absent.csv", "--images", "absent"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "cannot be combined" in r.stderr and "absent.npz" not in r.stderr


# ------------------------------------------------------------------------- another dataset


@pytest.fixture(scope="module")
def fashion(folder) -> Path:
    """300 Fashion-MNIST test images and their labels as IDX files."""
    try:
        dataset = data.load("fashion-mnist")
    except data.DataError as error:                   # the optional system copy is absent
        pytest.skip(f"no Fashion-MNIST on this machine: {error}")
    data.write_idx(folder / "fashion-images", dataset.test_images[:300])
    data.write_idx(folder / "fashion-labels", dataset.test_labels[:300])
    return folder


def test_evaluating_on_another_dataset_warns_on_stderr(fashion):
    result = scratchnet("evaluate", "m.npz", "--images", "fashion-images", "--labels",
                        "fashion-labels", cwd=fashion, case="evaluate on another dataset")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("accuracy ")
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("scratchnet: warning: fashion-images: ")
    assert "Fashion-MNIST" in lines[0] and "trained on MNIST" in lines[0]


def test_evaluating_on_the_same_dataset_does_not_warn(folder):
    result = scratchnet("evaluate", "m.npz", "--images", "images", "--labels", "labels",
                        cwd=folder, case="evaluate on the same dataset")
    assert result.returncode == 0 and result.stderr == ""


def test_the_published_files_are_recognised_by_content_and_other_sets_by_their_ink(fashion):
    dataset = data.load("fashion-mnist")
    assert data.looks_like(dataset.test_images) == "fashion-mnist"           # by its SHA-256
    assert data.looks_like(dataset.train_images[:300]) == "fashion-mnist"    # by its ink
    digits = np.rint(mnist_splits().test.X * 255).astype(np.uint8).reshape(-1, 28, 28)
    assert data.looks_like(digits[:300]) == "mnist"
    assert data.looks_like(digits[:5]) is None                               # too few to tell
    half_lit = np.where(np.arange(784).reshape(28, 28) % 100 < 35, 200, 0).astype(np.uint8)
    assert data.looks_like(np.repeat(half_lit[None], 50, axis=0)) is None    # between the two


def test_the_cli_warning_names_the_right_datasets(monkeypatch, capsys):
    images = np.zeros((30, 28, 28), np.uint8)
    images[:, :, :20] = 100                                                  # 71% lit: clothes
    cli.warn_if_another_dataset({"dataset": {"name": "mnist"}}, images, "x.idx")
    cli.warn_if_another_dataset({"dataset": {"name": "fashion-mnist"}}, images, "y.idx")
    cli.warn_if_another_dataset({}, images, "z.idx")                         # no name: no claim
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("scratchnet: warning: x.idx: ")
    given, trained = err[0].split("Fashion-MNIST", 1)
    assert "MNIST" in trained and "MNIST" not in given.removeprefix("scratchnet: warning: x.idx")

