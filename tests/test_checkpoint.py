"""scratchnet.checkpoint: a trained network saved as .npz and loaded back, every bad file refused.

A bad model file is a one-line ModelFileError that names the file, both from the library and through
``scratchnet evaluate`` (non-zero exit, one line on stderr, no traceback).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratchnet import __version__
from scratchnet.checkpoint import fingerprint, load, save
from scratchnet.errors import ModelFileError
from scratchnet.model import init_he

H = 8


def params_of(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    p = init_he(H, rng, dtype=dtype)
    return {k: (v + 0.01 * rng.standard_normal(v.shape)).astype(dtype) for k, v in p.items()}


META = {"dataset": {"name": "mnist"}, "seed": 3, "metrics": {"test_accuracy": 0.9531},
        "config": {"hidden": H, "lr": 0.05}}


# --- the round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_save_then_load_gives_back_the_same_arrays_bit_for_bit_and_dtype(tmp_path, dtype):
    params = params_of(dtype)
    save(tmp_path / "m.npz", params, META)
    loaded, _ = load(tmp_path / "m.npz")
    assert set(loaded) == {"W1", "b1", "W2", "b2"}
    for k, v in params.items():
        assert loaded[k].dtype == v.dtype
        assert loaded[k].shape == v.shape
        assert np.array_equal(loaded[k], v)
        assert loaded[k].tobytes() == v.tobytes()


def test_load_keeps_the_metadata_and_adds_architecture_preprocessing_and_version(tmp_path):
    save(tmp_path / "m.npz", params_of(), META)
    _, meta = load(tmp_path / "m.npz")
    for k, v in META.items():
        assert meta[k] == v
    assert meta["architecture"]["layers"] == [784, H, 10]
    assert meta["version"] == __version__
    assert "255" in meta["preprocessing"]
    assert meta["format"] == "scratchnet-model"


@pytest.mark.parametrize("number", [float("nan"), float("inf")])
def test_save_refuses_metadata_that_load_would_refuse(tmp_path, number):
    out = tmp_path / "m.npz"
    save(out, params_of(), META)
    before = out.read_bytes()
    with pytest.raises(ModelFileError, match=r"m\.npz: not written: .*JSON"):
        save(out, params_of(seed=1), {**META, "history": {"dev_accuracy": [number]}})
    assert out.read_bytes() == before                # the file already there is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_save_writes_atomically_and_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "models" / "m.npz"              # the folder is created too
    save(out, params_of(), META)
    save(out, params_of(seed=1), META)               # overwrite in place
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.npz"]
    loaded, _ = load(out)
    assert np.array_equal(loaded["W1"], params_of(seed=1)["W1"])


def test_a_failed_save_leaves_the_old_file_and_no_temporary_file(tmp_path):
    out = tmp_path / "m.npz"
    save(out, params_of(), META)
    before = out.read_bytes()
    with pytest.raises(TypeError):
        save(out, params_of(seed=1), {"not json": object()})
    with pytest.raises(KeyError):
        save(out, {"W1": params_of()["W1"]}, META)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_save_files_load_without_pickle(tmp_path):
    save(tmp_path / "m.npz", params_of(), META)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        assert set(f.files) == {"W1", "b1", "W2", "b2", "metadata"}
        assert f["metadata"].dtype == np.uint8
        json.loads(f["metadata"].tobytes().decode())


# --- bad files -----------------------------------------------------------------------------------


def write_npz(path: Path, arrays: dict, metadata=None, **kw) -> Path:
    """An .npz like save() writes, with any array replaced, removed (None) or added."""
    meta = {"format": "scratchnet-model", "version": __version__} if metadata is None else metadata
    blob = (np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8) if isinstance(meta, dict)
            else meta)
    contents = {**params_of(), "metadata": blob, **arrays}
    np.savez(path, **{k: v for k, v in contents.items() if v is not None}, **kw)
    return path


def good_bytes(tmp_path) -> bytes:
    return save(tmp_path / "good.npz", params_of(), META).read_bytes()


def bad_files(tmp_path) -> dict[str, Path]:
    """name -> a broken model file (written on demand into tmp_path)."""
    p = {}
    p["missing"] = tmp_path / "does-not-exist.npz"
    p["empty"] = tmp_path / "empty.npz"
    p["empty"].write_bytes(b"")
    p["not a zip"] = tmp_path / "text.npz"
    p["not a zip"].write_text("W1,b1,W2,b2\n1,2,3,4\n")
    p["truncated"] = tmp_path / "truncated.npz"
    p["truncated"].write_bytes(good_bytes(tmp_path)[:3000])
    p["missing array"] = write_npz(tmp_path / "no-b2.npz", {"b2": None})
    p["missing metadata"] = write_npz(tmp_path / "no-meta.npz", {"metadata": None})
    p["W1 783 rows"] = write_npz(tmp_path / "w1-783.npz",
                                 {"W1": np.zeros((783, H), np.float32)})
    p["W1 not 2-d"] = write_npz(tmp_path / "w1-1d.npz", {"W1": np.zeros(784 * H, np.float32)})
    p["inconsistent H"] = write_npz(tmp_path / "h-mismatch.npz",
                                    {"W2": np.zeros((H + 1, 10), np.float32)})
    p["b2 not 10"] = write_npz(tmp_path / "b2-9.npz", {"b2": np.zeros(9, np.float32)})
    p["int dtype"] = write_npz(tmp_path / "int.npz", {"W1": np.zeros((784, H), np.int64)})
    p["complex dtype"] = write_npz(tmp_path / "complex.npz", {"b1": np.zeros(H, np.complex128)})
    p["nan"] = write_npz(tmp_path / "nan.npz", {"b1": np.full(H, np.nan, np.float32)})
    W2 = params_of()["W2"].copy()
    W2[3, 4] = np.inf
    p["inf"] = write_npz(tmp_path / "inf.npz", {"W2": W2})
    p["pickle"] = write_npz(tmp_path / "pickle.npz",
                            {"W1": np.array([{"evil": "payload"}, 1], dtype=object)})
    p["pickled metadata"] = write_npz(tmp_path / "pickle-meta.npz", {},
                                      metadata=np.array([{"format": "x"}], dtype=object))
    p["metadata not JSON"] = write_npz(tmp_path / "bad-json.npz", {},
                                       metadata=np.frombuffer(b"{not json", dtype=np.uint8))
    p["metadata not UTF-8"] = write_npz(tmp_path / "bad-utf8.npz", {},
                                        metadata=np.frombuffer(b"\xff\xfe\x00", dtype=np.uint8))
    p["metadata not a model"] = write_npz(tmp_path / "other.npz", {}, metadata={"hello": 1})
    p["metadata a list"] = write_npz(tmp_path / "list.npz", {}, metadata=[1, 2])
    p["a directory"] = tmp_path / "folder.npz"
    p["a directory"].mkdir()
    return p


BAD = ["missing", "empty", "not a zip", "truncated", "missing array", "missing metadata",
       "W1 783 rows", "W1 not 2-d", "inconsistent H", "b2 not 10", "int dtype", "complex dtype",
       "nan", "inf", "pickle", "pickled metadata", "metadata not JSON", "metadata not UTF-8",
       "metadata not a model", "metadata a list", "a directory"]

WHAT = {"W1 783 rows": "(783", "inconsistent H": "W2", "b2 not 10": "b2", "int dtype": "int64",
        "nan": "nan", "inf": "inf", "pickle": "pickle", "pickled metadata": "pickle",
        "missing array": "b2", "missing metadata": "metadata", "metadata not JSON": "JSON"}


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_model_file_is_a_one_line_error_naming_the_file(tmp_path, kind):
    path = bad_files(tmp_path)[kind]
    with pytest.raises(ModelFileError) as e:
        load(path)
    message = str(e.value)
    assert "\n" not in message
    assert str(path) in message
    if kind in WHAT:                                # says what is wrong (not just via the name)
        assert WHAT[kind] in message.replace(str(path), "")


def test_a_pickle_bearing_file_is_refused_without_running_the_pickle(tmp_path):
    """np.savez pickles object arrays; unpickling can run code, so load must never unpickle."""
    class Boom:
        def __reduce__(self):
            return (Path(tmp_path / "pwned").touch, ())
    path = write_npz(tmp_path / "boom.npz", {"W1": np.array([Boom()], dtype=object)})
    with pytest.raises(ModelFileError, match="pickle"):
        load(path)
    assert not (tmp_path / "pwned").exists()


CLI_BAD = ["missing", "truncated", "W1 783 rows", "pickle"]   # each a subprocess: keep it short


def one_csv_row(tmp_path) -> Path:
    csv = tmp_path / "x.csv"
    csv.write_text("label," + ",".join(f"pixel{j}" for j in range(784)) + "\n"
                   + "3," + ",".join(["0"] * 784) + "\n")
    return csv


@pytest.mark.parametrize("kind", BAD)
def test_scratchnet_evaluate_turns_a_bad_model_into_one_line_on_stderr_and_exit_1(
        tmp_path, kind, capsys):
    from scratchnet.cli import main
    path = bad_files(tmp_path)[kind]
    assert main(["evaluate", str(path), "--csv", str(one_csv_row(tmp_path))]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("scratchnet: error: ") and err.count("\n") == 1
    assert str(path) in err


@pytest.mark.slow
def test_the_cli_process_reports_bad_models_in_one_line_without_traceback(tmp_path):
    files = bad_files(tmp_path)
    csv = one_csv_row(tmp_path)
    for kind in CLI_BAD:
        r = subprocess.run([sys.executable, "-m", "scratchnet", "evaluate", str(files[kind]),
                            "--csv", str(csv)], capture_output=True, text=True, cwd=tmp_path)
        assert r.returncode != 0, kind
        assert "Traceback" not in r.stderr, kind
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1, (kind, r.stderr)
        assert str(files[kind]) in lines[0], kind
        assert r.stdout == "", kind


def test_saving_where_it_cannot_write_is_a_one_line_model_file_error(tmp_path):
    (tmp_path / "taken.npz").mkdir()                  # a folder where the file should go
    (tmp_path / "a-file").write_text("")
    for target in (tmp_path / "taken.npz", tmp_path / "a-file" / "m.npz"):
        with pytest.raises(ModelFileError) as e:
            save(target, params_of(), META)
        assert str(target) in str(e.value) and "\n" not in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "taken.npz"]   # no temp file


# --- fingerprints -----------------------------------------------------------------------------


def test_a_fingerprint_names_the_weights_bit_for_bit():
    params = params_of()
    same = {k: v.copy() for k, v in params.items()}
    nudged = {**same, "b2": same["b2"].copy()}
    nudged["b2"][0] = np.nextafter(nudged["b2"][0], np.float32(np.inf))   # one bit of one number
    assert fingerprint(params) == fingerprint(same)
    assert len(fingerprint(params)) == 12 and int(fingerprint(params), 16) >= 0
    assert fingerprint(nudged) != fingerprint(params)
    assert fingerprint(params_of(np.float64)) != fingerprint(params)


def test_a_saved_and_loaded_network_keeps_its_fingerprint(tmp_path):
    save(tmp_path / "m.npz", params_of(), META)
    assert fingerprint(load(tmp_path / "m.npz")[0]) == fingerprint(params_of())
