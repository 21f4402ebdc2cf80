"""The Kaggle workflow: ``scratchnet train --csv`` on every CSV layout, ``scratchnet predict --csv
--submission`` writing Kaggle's format, the rule that picks a dataset's configuration, bounded
memory, and a one-line error for every kind of bad row.

The CSVs are written by the tests from the loaded digits (and Fashion-MNIST's images where the rule
is measured); training is one short epoch of a small network.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratchnet import checkpoint, cli, data
from scratchnet.data import kaggle
from scratchnet.data.csv_format import MAX_CSV_LINE
from scratchnet.errors import DataError
from scratchnet.model import predict
from scratchnet.train import RECOMMENDED

PIXELS0 = [f"pixel{j}" for j in range(784)]
PIXELS1 = [f"pixel{j}" for j in range(1, 785)]
LAYOUTS = {"digit-recognizer": ["label", *PIXELS0], "fashion-mnist": ["label", *PIXELS1],
           "no header": None}
QUICK = ["--epochs", "1", "--hidden", "8", "--no-progress"]


@pytest.fixture(scope="module")
def digits():
    """300 of the loaded digits, every class present: images (n, 28, 28) and labels, uint8."""
    dataset = data.load("mnist")
    order = np.random.default_rng(3).permutation(len(dataset.train_labels))[:300]
    return dataset.train_images[order], dataset.train_labels[order]


def write_csv(path: Path, images, labels=None, header=None) -> Path:
    """A Kaggle-style CSV: ``header`` (a list of names, or None), then one row per image."""
    rows = images.reshape(len(images), -1).astype(int)
    if labels is not None:
        rows = np.column_stack([labels, rows])
    with open(path, "w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        if header:
            writer.writerow(header)
        writer.writerows(rows.tolist())
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, *words: str) -> str:
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scratchnet: error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# --- the round trip ---------------------------------------------------------------------------

def test_kaggle_round_trip_train_then_predict_writes_kaggles_submission(tmp_path, digits, capsys):
    images, labels = digits
    train_csv = write_csv(tmp_path / "train.csv", images, labels, LAYOUTS["digit-recognizer"])
    test_csv = write_csv(tmp_path / "test.csv", images[:57], header=PIXELS0)
    code, out, err = run(capsys, "train", "--csv", train_csv, "--out", tmp_path / "m.npz",
                         "--json", *QUICK)
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["dataset"] == "mnist" and result["csv"]["chosen_by"] == "looks like"
    splits = data.split(kaggle.csv_dataset(train_csv)[0])       # the library's split, SPLIT_SEED
    assert result["n_test"] == len(splits.test.y) > 0
    assert result["n_train"] == len(splits.train.y)
    assert 0 <= result["test_accuracy"] <= 1

    params, meta = checkpoint.load(tmp_path / "m.npz")
    assert meta["dataset"]["file"] == str(train_csv.resolve())
    assert meta["dataset"]["sha256"] == hashlib.sha256(train_csv.read_bytes()).hexdigest()
    assert meta["dataset"]["source"] == "csv"

    submission = tmp_path / "submission.csv"
    code, out, err = run(capsys, "predict", tmp_path / "m.npz", "--csv", test_csv,
                         "--submission", submission, "--no-progress")
    assert code == 0, err
    text = submission.read_bytes().decode("ascii")
    assert "\r" not in text and text.endswith("\n")
    lines = text.splitlines()
    assert lines[0] == "ImageId,Label"
    ids, got = zip(*(map(int, line.split(",")) for line in lines[1:]), strict=True)
    assert list(ids) == list(range(1, 58))
    expected = predict(params, data.scale(images[:57]).astype(params["W1"].dtype))
    assert list(got) == expected.tolist()
    assert "57" in err                                   # the summary on stderr names the rows


def test_predict_without_submission_writes_the_same_file_to_stdout(tmp_path, digits, capsys):
    images, labels = digits
    train_csv = write_csv(tmp_path / "train.csv", images, labels, LAYOUTS["digit-recognizer"])
    assert run(capsys, "train", "--csv", train_csv, "--out", tmp_path / "m.npz", *QUICK)[0] == 0
    test_csv = write_csv(tmp_path / "test.csv", images[:9], header=PIXELS0)
    run(capsys, "predict", tmp_path / "m.npz", "--csv", test_csv, "--submission",
        tmp_path / "s.csv", "--no-progress")
    code, out, _ = run(capsys, "predict", tmp_path / "m.npz", "--csv", test_csv, "--no-progress")
    assert code == 0 and out == (tmp_path / "s.csv").read_text()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_train_reads_every_layout_and_says_which(tmp_path, digits, capsys, layout):
    images, labels = digits
    train_csv = write_csv(tmp_path / "train.csv", images, labels, LAYOUTS[layout])
    code, out, err = run(capsys, "train", "--csv", train_csv, "--out", tmp_path / "m.npz", *QUICK)
    assert code == 0, err
    _, meta = checkpoint.load(tmp_path / "m.npz")
    header = LAYOUTS[layout]
    assert meta["dataset"]["layout"] == (f"{header[0]},{header[1]},…,{header[-1]}" if header
                                         else "no header, label first")
    assert meta["dataset"]["layout"] in out
    assert meta["dataset"]["trained_on"] == len(data.split(kaggle.csv_dataset(train_csv)[0])
                                                .train.y)


def test_a_gzipped_csv_trains_and_its_checksum_is_of_the_file_on_disk(tmp_path, digits, capsys):
    images, labels = digits
    plain = write_csv(tmp_path / "train.csv", images, labels, LAYOUTS["digit-recognizer"])
    packed = tmp_path / "train.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    dataset, about = kaggle.csv_dataset(packed)
    np.testing.assert_array_equal(dataset.train_images, images)
    assert about["sha256"] == hashlib.sha256(packed.read_bytes()).hexdigest()


def test_predict_accepts_header_less_and_labelled_rows_ignoring_the_label(tmp_path, digits,
                                                                        capsys):
    images, labels = digits
    train_csv = write_csv(tmp_path / "train.csv", images, labels)
    assert run(capsys, "train", "--csv", train_csv, "--out", tmp_path / "m.npz", *QUICK)[0] == 0
    bare = write_csv(tmp_path / "bare.csv", images[:5])
    labelled = write_csv(tmp_path / "labelled.csv", images[:5], labels[:5])
    outputs = [run(capsys, "predict", tmp_path / "m.npz", "--csv", f, "--no-progress")
               for f in (bare, labelled)]
    assert outputs[0][0] == outputs[1][0] == 0
    assert outputs[0][1] == outputs[1][1]
    assert "ignored" in outputs[1][2]


# --- which dataset a CSV looks like --------------------------------------------------------------

def test_the_zero_share_rule_tells_mnist_from_fashion_mnist_on_the_real_images():
    """The threshold lies between the two datasets' shares of zero pixels, with room on both
    sides; a threshold outside them would send one dataset to the other's configuration."""
    mnist, fashion = data.load("mnist"), data.load("fashion-mnist")
    shares = {name: kaggle.zero_share(d.train_images[:5000]) for name, d in
              (("mnist", mnist), ("fashion-mnist", fashion))}
    assert shares["fashion-mnist"] + 0.05 < kaggle.MNIST_ZERO_SHARE < shares["mnist"] - 0.05
    assert kaggle.looks_like(mnist.train_images[:5000]) == "mnist"
    assert kaggle.looks_like(fashion.train_images[:5000]) == "fashion-mnist"
    # and on small samples, as a short CSV would give
    rng = np.random.default_rng(0)
    for dataset in (mnist, fashion):
        for _ in range(20):
            sample = dataset.train_images[rng.choice(5000, size=100, replace=False)]
            assert kaggle.looks_like(sample) == dataset.name


def test_zero_share_and_looks_like_on_known_images():
    blank = np.zeros((2, 28, 28), np.uint8)
    half = blank.copy()
    half[:, :14] = 7
    assert kaggle.zero_share(blank) == 1.0 and kaggle.zero_share(half) == 0.5
    assert kaggle.looks_like(blank) == "mnist" and kaggle.looks_like(half) == "fashion-mnist"


def test_a_fashion_csv_gets_fashion_mnists_configuration_and_class_names(tmp_path, capsys):
    fashion = data.load("fashion-mnist")
    rows = np.random.default_rng(1).choice(len(fashion.train_labels), 300, replace=False)
    train_csv = write_csv(tmp_path / "fashion.csv", fashion.train_images[rows],
                          fashion.train_labels[rows], LAYOUTS["fashion-mnist"])
    code, out, err = run(capsys, "train", "--csv", train_csv, "--out", tmp_path / "f.npz",
                         "--json", *QUICK)
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["dataset"] == "fashion-mnist"
    assert result["config"]["hidden"] == 8           # the option wins over the configuration
    rest = {k: v for k, v in RECOMMENDED["fashion-mnist"].to_dict().items()
            if k not in ("hidden", "epochs")}
    assert {k: result["config"][k] for k in rest} == rest   # ... the rest is fashion-mnist's
    assert rest != {k: RECOMMENDED["mnist"].to_dict()[k] for k in rest}   # ... not MNIST's
    _, meta = checkpoint.load(tmp_path / "f.npz")
    assert meta["dataset"]["class_names"] == list(data.CLASS_NAMES["fashion-mnist"])
    assert "looks like Fashion-MNIST" in err


def test_dataset_option_overrides_the_rule_and_says_so(tmp_path, digits, capsys):
    images, labels = digits
    train_csv = write_csv(tmp_path / "train.csv", images, labels)
    code, out, err = run(capsys, "train", "--csv", train_csv, "--dataset", "fashion-mnist",
                         "--out", tmp_path / "m.npz", "--json", *QUICK)
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["dataset"] == "fashion-mnist" and result["csv"]["chosen_by"] == "given"
    assert result["csv"]["looks_like"] == "mnist"


# --- bad rows: one line naming the file and the line -----------------------------------------

def bad_file(tmp_path: Path, digits, edit, header=LAYOUTS["digit-recognizer"],
             labelled=True) -> Path:
    """A 6-row CSV whose text lines (header first, if any) ``edit`` changes in place."""
    images, labels = digits
    path = write_csv(tmp_path / "bad.csv", images[:6], labels[:6] if labelled else None, header)
    lines = path.read_text().splitlines()
    edit(lines)
    path.write_text("\n".join(lines) + "\n")
    return path


def set_cell(line: int, column: int, value: str):
    def edit(lines):
        cells = lines[line - 1].split(",")
        cells[column - 1] = value
        lines[line - 1] = ",".join(cells)
    return edit


BAD_TRAINING_ROWS = {
    "a short row": (lambda lines: lines.__setitem__(3, lines[3].rsplit(",", 9)[0]),
                    "line 4 has 776 values, expected 785"),
    "a long row": (lambda lines: lines.__setitem__(2, lines[2] + ",0"),
                   "line 3 has 786 values, expected 785"),
    "a non-numeric pixel": (set_cell(5, 301, "x7"), "line 5, column 301 (pixel299): non-numeric "
                                                    "value 'x7'"),
    "a missing pixel": (set_cell(2, 12, ""), "line 2, column 12 (pixel10): missing value"),
    "a fractional pixel": (set_cell(6, 40, "12.5"), "line 6, column 40: 12.5 is not a whole"),
    "a pixel of 256": (set_cell(7, 785, "256"), "line 7, column 785: pixel value 256 outside"),
    "a negative pixel": (set_cell(3, 2, "-1"), "line 3, column 2: pixel value -1 outside"),
    "a label of 10": (set_cell(4, 1, "10"), "line 4, column 1: label 10 outside 0–9"),
    "a blank line inside": (lambda lines: lines.insert(3, ""), "line 4 is blank"),
    "a header only": (lambda lines: lines.__delitem__(slice(1, None)), "no data rows"),
    "a line too long": (lambda lines: lines.__setitem__(2, "1" + ",1" * MAX_CSV_LINE),
                        "line 3 is longer than"),
    "no label column": (lambda lines: lines.__setitem__(slice(None), [
        line.split(",", 1)[1] for line in lines]), "(pixel0,pixel1,…,pixel783)"),
}


@pytest.mark.parametrize("case", BAD_TRAINING_ROWS)
def test_train_refuses_each_bad_row_in_one_line_naming_file_and_line(tmp_path, digits, capsys,
                                                                     case):
    edit, words = BAD_TRAINING_ROWS[case]
    path = bad_file(tmp_path, digits, edit)
    code, _, err = run(capsys, "train", "--csv", path, "--out", tmp_path / "m.npz", *QUICK)
    one_line_error(code, err, "bad.csv", words)
    assert not (tmp_path / "m.npz").exists()


BAD_TEST_ROWS = {
    "a short row": (lambda lines: lines.__setitem__(2, lines[2].rsplit(",", 1)[0]),
                    "line 3 has 783 values, expected 784"),
    "a non-numeric pixel": (set_cell(4, 1, "abc"), "line 4, column 1 (pixel0): non-numeric"),
    "a pixel of 300": (set_cell(7, 784, "300"), "line 7, column 784: pixel value 300 outside"),
    "a blank line inside": (lambda lines: lines.insert(1, " "), "line 2 is blank"),
    "a header only": (lambda lines: lines.__delitem__(slice(1, None)), "no data rows"),
    "one column": (lambda lines: lines.__setitem__(slice(None), ["pixel0", "0"]),
                   "1 columns, expected 785 (label + 784 pixels) or 784"),
}


@pytest.mark.parametrize("case", BAD_TEST_ROWS)
def test_predict_refuses_each_bad_row_and_writes_no_submission(tmp_path, digits, capsys, case):
    images, labels = digits
    model = tmp_path / "m.npz"
    train_csv = write_csv(tmp_path / "train.csv", images, labels)
    assert run(capsys, "train", "--csv", train_csv, "--out", model, *QUICK)[0] == 0
    edit, words = BAD_TEST_ROWS[case]
    path = bad_file(tmp_path, digits, edit, header=PIXELS0, labelled=False)
    submission = tmp_path / "submission.csv"
    code, out, err = run(capsys, "predict", model, "--csv", path, "--submission", submission,
                         "--no-progress")
    one_line_error(code, err, "bad.csv", words)
    assert not submission.exists() and out == ""


def test_empty_missing_and_truncated_files_are_one_line(tmp_path, digits, capsys):
    (tmp_path / "empty.csv").write_bytes(b"")
    images, labels = digits
    text = write_csv(tmp_path / "t.csv", images[:50], labels[:50]).read_bytes()
    (tmp_path / "cut.csv.gz").write_bytes(gzip.compress(text)[:-300])
    for name, words in (("empty.csv", "empty file"), ("absent.csv", "no such file"),
                        ("cut.csv.gz", "truncated gzip")):
        code, _, err = run(capsys, "train", "--csv", tmp_path / name, *QUICK)
        one_line_error(code, err, name, words)


def test_conflicting_predict_options_are_refused(tmp_path, capsys):
    code, _, err = run(capsys, "predict", tmp_path / "m.npz", "digit.png", "--csv", "t.csv")
    one_line_error(code, err, "not both")
    code, _, err = run(capsys, "predict", tmp_path / "m.npz", "digit.png", "--submission", "s.csv")
    one_line_error(code, err, "--submission needs --csv")


def test_too_many_rows_are_refused_before_the_images_are_allocated(tmp_path, digits, monkeypatch):
    from scratchnet.data import csv_format

    images, labels = digits
    path = write_csv(tmp_path / "train.csv", images[:20], labels[:20])
    monkeypatch.setattr(csv_format, "MAX_CSV_ROWS", 10)
    monkeypatch.setattr(csv_format.np, "empty", lambda *a, **k: pytest.fail("allocated"))
    with pytest.raises(DataError, match=r"train\.csv: more than 10 rows"):
        csv_format.read_csv_rows(path)


# --- bounded memory and the progress bar ----------------------------------------------------

PEAK_SCRIPT = """
import sys
import numpy as np, pandas, tqdm
from scratchnet.data import csv_format

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))

with open("/proc/self/clear_refs", "w") as f:   # the peak (VmHWM) starts again from here
    f.write("5")
before = status("VmRSS:")
images, labels, _ = csv_format.read_csv_rows(sys.argv[1])
print(before, status("VmHWM:"), images.nbytes)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(),
                    reason="measures the peak with Linux's /proc/self/status")
def test_a_large_csv_is_read_in_chunks_with_memory_near_the_images_size(tmp_path):
    """20,000 rows (31 MB of text, 15.7 MB of pixels): read whole with pandas, the peak grows by
    about 18 times the pixels (the int64 table, its copies); in chunks, by the uint8 images and
    a few tens of MB for the chunk being parsed (pandas' parser and one chunk's table)."""
    rng = np.random.default_rng(0)
    n = 20_000
    images = np.where(rng.random((n, 784)) < 0.8, 0, rng.integers(1, 256, (n, 784)))
    path = write_csv(tmp_path / "big.csv", images.reshape(n, 28, 28),
                     rng.integers(0, 10, n), LAYOUTS["digit-recognizer"])
    done = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    before, after, pixels = map(int, done.stdout.split())
    assert pixels == n * 784
    assert after - before < pixels + 48 * 2**20, (after - before) / 2**20


def test_the_progress_bar_counts_the_rows_on_stderr(tmp_path, digits, capsys):
    images, labels = digits
    path = write_csv(tmp_path / "train.csv", images, labels)
    data.read_csv_rows(path, progress=True)
    err = capsys.readouterr().err
    assert "300/300" in err and "train.csv" in err


def test_submission_text_counts_image_ids_from_one():
    assert kaggle.submission_text(np.array([7, 0, 3])) == "ImageId,Label\n1,7\n2,0\n3,3\n"
    with pytest.raises(ValueError):
        kaggle.submission_text(np.array([0.5]))
