"""Only valid models load: any file given as a model that is not a scratchnet model gets one line
saying what is wrong with it — and never a message about something it is not.

Each case is a file written here and given to ``scratchnet predict`` in its own process under a
memory limit. The message must name the file, say the right thing (its words), and say nothing of
the wrong kind (a text file is not called pickled, a NumPy array not a damaged zip).
"""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hostile_support import MB, run_batch, write_peaks
from PIL import Image

from scratchnet import __version__, checkpoint
from scratchnet.errors import ModelFileError
from scratchnet.model import init_he

pytestmark = pytest.mark.slow   # each test starts processes: make test-fast leaves them out

H = 8
ALLOWANCE = 48 * MB


@pytest.fixture(scope="module", autouse=True)
def peaks(tmp_path_factory):
    yield
    write_peaks(tmp_path_factory.getbasetemp(), "models")


def params(dtype=np.float32) -> dict[str, np.ndarray]:
    return {k: v.astype(dtype) for k, v in init_he(H, np.random.default_rng(0)).items()}


def meta(**changes) -> dict:
    base = {"format": "scratchnet-model", "version": __version__,
            "architecture": {"layers": [784, H, 10], "activations": ["relu", "softmax"]},
            "dataset": {"name": "mnist", "class_names": [str(k) for k in range(10)]}}
    return {**base, **changes}


def npz(arrays: dict | None = None, metadata=None, compressed: bool = False, **extra) -> bytes:
    """An .npz like ``checkpoint.save`` writes, with arrays or metadata replaced."""
    meta_value = meta() if metadata is None else metadata
    blob = (np.frombuffer(json.dumps(meta_value).encode(), np.uint8)
            if isinstance(meta_value, dict | list) else meta_value)
    contents = {**params(), **(arrays or {}), "metadata": blob, **extra}
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(
        buffer, **{k: v for k, v in contents.items() if v is not None})
    return buffer.getvalue()


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def duplicated_member() -> bytes:
    buffer = io.BytesIO(npz())
    with pytest.warns(UserWarning, match="Duplicate name"), \
            zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("b2.npy", npy(np.zeros(10, np.float32)))
    return buffer.getvalue()


def flagged_encrypted() -> bytes:
    content = bytearray(npz())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = content.find(signature)
        while at != -1:
            content[at + flag_at] |= 0x1
            at = content.find(signature, at + 4)
    return bytes(content)


def W(shape, dtype=np.float32):
    return np.zeros(shape, dtype)


# name: (the file's bytes, words its message must hold, words it must not hold)
CASES = {
    "a .npy array": (lambda: npy(params()["W1"]), [".npy"], ["zip", "pickle"]),
    "a pickle": (lambda: pickle.dumps(params()), ["pickle"], ["zip", "text"]),
    "a text file": (lambda: b"W1,b1,W2,b2\n1,2,3,4\n", ["text file"], ["pickle", "zip"]),
    "a JSON text": (lambda: json.dumps(meta()).encode(), ["text file"], ["pickle"]),
    "binary noise": (lambda: bytes(range(256)) * 4, ["not a zip archive"], ["pickle", "text"]),
    "a PNG": (lambda: png_bytes(), ["PNG picture"], ["pickle"]),
    "a gzip file": (lambda: __import__("gzip").compress(b"x" * 100), ["gzip"], ["pickle"]),
    "an HDF5 file": (lambda: b"\x89HDF\r\n\x1a\n" + bytes(100), ["HDF5"], ["pickle"]),
    "an empty zip": (lambda: zip_of({}), ["not an .npz"], ["pickle"]),
    "a zip of text files": (lambda: zip_of({"readme.txt": b"hello"}),
                            ["not an .npz", "readme.txt"], ["pickle", "missing"]),
    "an .npz of other arrays": (lambda: zip_of({"a.npy": npy(np.zeros(3)),
                                                "b.npy": npy(np.ones(2))}),
                                ["missing W1", "it holds a, b"], ["pickle"]),
    "an .npz with an extra array": (lambda: npz(extra=np.zeros(3)), ["also holds extra"], []),
    "an .npz with an array twice": (duplicated_member, ["twice"], []),
    "an encrypted .npz": (flagged_encrypted, ["encrypted"], ["pickle"]),
    "a truncated .npz": (lambda: npz()[:2000], ["damaged zip"], ["pickle"]),
    "an object array": (lambda: npz({"W1": np.array([{"a": 1}], dtype=object)}),
                        ["W1", "pickled objects"], []),
    "an integer W1": (lambda: npz({"W1": W((784, H), np.int64)}), ["W1", "int64"], ["pickle"]),
    "a float16 W1": (lambda: npz({"W1": W((784, H), np.float16)}), ["W1", "float16"], []),
    "a complex b1": (lambda: npz({"b1": W(H, np.complex64)}), ["b1", "complex64"], []),
    "a string b2": (lambda: npz({"b2": np.array(["a"] * 10)}), ["b2", "<U1"], ["pickle"]),
    "mixed float32 and float64": (lambda: npz({"b2": W(10, np.float64)}), ["mix dtypes"], []),
    "W1 of 783 rows": (lambda: npz({"W1": W((783, H))}), ["W1", "(783, 8)"], []),
    "W1 of no hidden units": (lambda: npz({"W1": W((784, 0)), "b1": W(0), "W2": W((0, 10))}),
                              ["W1", "H > 0"], []),
    "W1 three-dimensional": (lambda: npz({"W1": W((784, H, 1))}), ["W1"], []),
    "W2 of the wrong hidden size": (lambda: npz({"W2": W((H + 1, 10))}), ["W2", "(9, 10)"], []),
    "b2 of 9 classes": (lambda: npz({"b2": W(9)}), ["b2", "(9,)"], []),
    "a nan in W2": (lambda: npz({"W2": np.full((H, 10), np.nan, np.float32)}), ["W2", "nan"], []),
    "metadata of floats": (lambda: npz(metadata=np.zeros(5)), ["metadata", "float64"], []),
    "metadata two-dimensional": (lambda: npz(metadata=np.zeros((2, 3), np.uint8)),
                                 ["metadata", "(2, 3)"], []),
    "metadata not UTF-8": (lambda: npz(metadata=np.frombuffer(b"\xff\xfe", np.uint8)),
                           ["metadata", "JSON"], ["pickle"]),
    "metadata a JSON list": (lambda: npz(metadata=[1, 2]), ["does not describe"], []),
    "metadata of another format": (lambda: npz(metadata={"format": "keras"}),
                                   ["does not describe"], []),
    "metadata with NaN": (lambda: npz(metadata=np.frombuffer(
        json.dumps({**meta(), "metrics": {"test_accuracy": float("nan")}}).encode(), np.uint8)),
        ["NaN"], []),
    "metadata without a version": (lambda: npz(metadata={**meta(), "version": 3}),
                                   ["version"], []),
    "an architecture that is not the arrays'": (
        lambda: npz(metadata=meta(architecture={"layers": [784, 64, 10]})),
        ["architecture", "784-8-10"], []),
    "dataset a string": (lambda: npz(metadata=meta(dataset="mnist")),
                         ["dataset is a str"], []),
    "metrics a list": (lambda: npz(metadata=meta(metrics=[0.9])), ["metrics is a list"], []),
    "a metric that is text": (lambda: npz(metadata=meta(metrics={"test_accuracy": "high"})),
                              ["metrics.test_accuracy"], []),
    "9 class names": (lambda: npz(metadata=meta(dataset={"class_names": list("abcdefghi")})),
                      ["9 class names", "10 classes"], []),
    "class names that are numbers": (lambda: npz(metadata=meta(
        dataset={"class_names": list(range(10))})), ["class_names", "strings"], []),
    "an empty class name": (lambda: npz(metadata=meta(
        dataset={"class_names": [""] + list("abcdefghi")})), ["class name"], []),
    "metadata nested 20 deep": (lambda: npz(metadata=meta(config=json.loads(
        "{\"a\": " * 20 + "1" + "}" * 20))), ["nested more than 16"], []),
}


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (28, 28)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def digit(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("digit") / "digit.png"
    pixels = np.full((56, 56), 250, np.uint8)
    pixels[10:46, 26:30] = 10
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture(scope="module")
def refusals(tmp_path_factory, digit) -> dict:
    """case -> (model path, result of ``scratchnet predict MODEL digit.png``), every case run in
    one process under the memory limit (``run_batch``)."""
    folder = tmp_path_factory.mktemp("models")
    paths = {}
    for number, (case, (make, _, _)) in enumerate(CASES.items()):
        paths[case] = folder / f"model-{number}.npz"
        paths[case].write_bytes(make())
    results = run_batch([["predict", paths[case], digit] for case in CASES], allowance=ALLOWANCE,
                        case="model: all the invalid model files", cwd=folder)
    return {case: (paths[case], result) for case, result in zip(CASES, results, strict=True)}


@pytest.mark.parametrize("case", CASES)
def test_a_file_that_is_not_a_valid_model_is_one_line_saying_what_is_wrong(refusals, case):
    _, words, never = CASES[case]
    path, result = refusals[case]
    message = result.assert_one_line_error(path, *words)
    for word in never:
        assert word not in message.lower(), (word, message)


@pytest.mark.parametrize("compressed", [False, True])
def test_a_valid_model_loads_stored_or_deflated(tmp_path, compressed):
    """The cases above are refused for what they break, not for how they were written."""
    path = tmp_path / "m.npz"
    path.write_bytes(npz(compressed=compressed))
    loaded, metadata = checkpoint.load(path)
    for name, array in params().items():
        np.testing.assert_array_equal(loaded[name], array)
    assert metadata["dataset"]["name"] == "mnist"


def test_a_big_endian_model_loads_in_the_machines_byte_order(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(npz({k: v.astype(">f4") for k, v in params().items()}))
    loaded, _ = checkpoint.load(path)
    assert all(a.dtype == np.float32 and a.dtype.isnative for a in loaded.values())
    np.testing.assert_array_equal(loaded["W1"], params()["W1"])


def test_a_model_saved_by_the_library_passes_every_check(tmp_path):
    checkpoint.save(tmp_path / "m.npz", params(), {"dataset": meta()["dataset"],
                                                   "metrics": {"test_accuracy": None}})
    checkpoint.load(tmp_path / "m.npz")
    with pytest.raises(ModelFileError, match="no such model file"):
        checkpoint.load(tmp_path / "other.npz")
