"""The browser export (scratchnet.export): the file the demo page's JavaScript reads."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from scratchnet.errors import ModelFileError
from scratchnet.export import MAGIC, export_web, read_web
from scratchnet.model import init_he, predict_proba


@pytest.fixture
def params():
    return init_he(32, np.random.default_rng(0))


def test_export_web_round_trip_gives_the_same_arrays_bit_for_bit(tmp_path, params):
    path = export_web(tmp_path / "m.bin", params, {"dataset": "mnist", "note": "é"})
    loaded, header = read_web(path)
    for name, a in params.items():
        assert loaded[name].dtype == np.float32
        assert loaded[name].shape == a.shape
        np.testing.assert_array_equal(loaded[name], a)
    assert header["architecture"] == {"layers": [784, 32, 10], "activations": ["relu", "softmax"]}
    assert header["metadata"] == {"dataset": "mnist", "note": "é"}
    X = np.random.default_rng(1).random((5, 784), dtype=np.float32)
    np.testing.assert_array_equal(predict_proba(loaded, X), predict_proba(params, X))


def test_export_web_layout_is_what_the_javascript_expects(tmp_path, params):
    """Magic, uint32 header length, JSON header, then float32 arrays at 4-aligned offsets."""
    blob = export_web(tmp_path / "m.bin", params).read_bytes()
    assert blob[:8] == MAGIC
    (n,) = struct.unpack_from("<I", blob, 8)
    header = json.loads(blob[12:12 + n])
    offsets = [a["offset"] for a in header["arrays"]]
    assert [a["name"] for a in header["arrays"]] == ["W1", "b1", "W2", "b2"]
    assert offsets[0] == 12 + n and all(o % 4 == 0 for o in offsets)
    end = header["arrays"][-1]["offset"] + 4 * header["arrays"][-1]["count"]
    assert end == len(blob)
    # W1 row-major: the JavaScript reads W1[i, j] at index i * H + j
    W1 = np.frombuffer(blob, "<f4", count=784 * 32, offset=offsets[0])
    assert W1[3 * 32 + 5] == params["W1"][3, 5]


def test_export_web_float64_parameters_are_stored_as_float32(tmp_path, params):
    wide = {k: v.astype(np.float64) for k, v in params.items()}
    loaded, _ = read_web(export_web(tmp_path / "m.bin", wide))
    np.testing.assert_array_equal(loaded["W2"], params["W2"])


def test_export_web_replaces_an_existing_file_and_leaves_no_temporary(tmp_path, params):
    path = tmp_path / "sub" / "m.bin"
    export_web(path, params)
    export_web(path, init_he(8, np.random.default_rng(2)))
    assert read_web(path)[0]["W1"].shape == (784, 8)
    assert [p.name for p in path.parent.iterdir()] == ["m.bin"]
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("damage, message", [
    (lambda b: b"NOTAWEB!" + b[8:], "bad magic"),
    (lambda b: b[:-40], "truncated"),
    (lambda b: b[:12] + b"x" + b[13:], "not valid JSON"),
])
def test_read_web_rejects_a_damaged_file_with_one_line(tmp_path, params, damage, message):
    path = export_web(tmp_path / "m.bin", params)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ModelFileError, match=message):
        read_web(path)


def test_read_web_of_a_missing_file_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read"):
        read_web(tmp_path / "nothing.bin")
