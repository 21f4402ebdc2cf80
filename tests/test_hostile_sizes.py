"""Size before allocation: IDX files, model files and pictures are checked against what their
headers claim, and against sane limits, before and while they are read.

Every case is a small file written here that claims, or inflates to, far more than it holds. Each
runs the CLI in its own process under an address-space limit a small multiple of what a legitimate
file of its kind needs (``hostile_support.run_bounded``), next to a legitimate file run under the
same limit: the legitimate one must pass, the hostile one must end in one line, exit 1.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from data_support import synthetic
from hostile_support import MB, run_bounded, write_peaks
from PIL import Image

from scratchnet import checkpoint
from scratchnet.data import formats
from scratchnet.data.preprocess import MAX_PICTURE_PIXELS
from scratchnet.model import init_he

pytestmark = pytest.mark.slow   # each test starts processes: make test-fast leaves them out

IDX_ALLOWANCE = 48 * MB       # the legitimate evaluation below needs about 15 MB beyond baseline
MODEL_ALLOWANCE = 48 * MB     # a legitimate model of H = 8 is 30 kB
PICTURE_ALLOWANCE = 160 * MB  # a 24-megapixel picture decodes to 24 MB (96 MB as RGBA)


@pytest.fixture(scope="module", autouse=True)
def peaks(tmp_path_factory):
    yield
    write_peaks(tmp_path_factory.getbasetemp(), "sizes")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A model (784-8-10, trained on nothing: only its file matters) and a legitimate IDX pair."""
    here = tmp_path_factory.mktemp("sizes")
    params = init_he(8, np.random.default_rng(0))
    checkpoint.save(here / "m.npz", params, {"dataset": {"name": "mnist"}})
    images, labels = synthetic(2000)
    formats.write_idx(here / "images.gz", images)
    formats.write_idx(here / "labels.gz", labels)
    return here


def idx_header(magic: int, *dims: int) -> bytes:
    return struct.pack(f">I{len(dims)}I", magic, *dims)


def gzip_bomb(start: bytes, inflated: int) -> bytes:
    """A gzip file whose content is ``start`` followed by ``inflated`` zero bytes: members of
    1 MB of zeros (about 1 kB each) repeated, so writing it costs nothing."""
    zeros = gzip.compress(bytes(MB), mtime=0)
    return gzip.compress(start, mtime=0) + zeros * (inflated // MB)


def evaluate(folder: Path, images: Path, labels: Path | None = None, *, case: str):
    return run_bounded(["evaluate", folder / "m.npz", "--images", images,
                        "--labels", labels or folder / "labels.gz"],
                       allowance=IDX_ALLOWANCE, case=case, cwd=folder)


# ------------------------------------------------------------------------------------------ IDX


def test_a_legitimate_idx_pair_is_read_under_the_same_limit(folder):
    result = evaluate(folder, folder / "images.gz", case="idx: legitimate 2,000 images (gzip)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("accuracy ")


IDX_CASES = {
    # name: (content, words the message must hold)
    "gzip that inflates to 1 GB past its header's 100 images": (
        lambda: gzip_bomb(idx_header(0x803, 100, 28, 28) + bytes(100 * 784), 1024 * MB),
        ["trailing bytes", "the size its IDX header declares"]),
    "gzip header claiming 2^32-1 images": (
        lambda: gzip.compress(idx_header(0x803, 2**32 - 1, 28, 28) + bytes(784)),
        ["4294967295×28×28", "MAX_IDX_BYTES"]),
    "gzip header claiming 1,000,000 images in 1 kB": (
        lambda: gzip.compress(idx_header(0x803, 1_000_000, 28, 28) + bytes(784)),
        ["truncated", "1000000×28×28", "gzip file of"]),
    "raw header claiming 1,000,000 images": (
        lambda: idx_header(0x803, 1_000_000, 28, 28) + bytes(5 * 784),
        ["truncated", "the file holds 3,920"]),
    "zero images": (lambda: idx_header(0x803, 0, 28, 28), ["0 images"]),
    "images of 0×0 pixels": (lambda: gzip.compress(idx_header(0x803, 5, 0, 0)),
                             ["0×0 pixels"]),
}


@pytest.mark.parametrize("case", IDX_CASES)
def test_an_idx_file_that_claims_more_than_it_holds_is_refused_within_the_limit(folder, case):
    make, words = IDX_CASES[case]
    path = folder / "bad-images.gz"
    path.write_bytes(make())
    evaluate(folder, path, case=f"idx: {case}").assert_one_line_error(path, *words)


def test_a_labels_file_that_inflates_past_its_header_is_refused(folder):
    path = folder / "bad-labels.gz"
    path.write_bytes(gzip_bomb(idx_header(0x801, 2000) + bytes(2000), 512 * MB))
    evaluate(folder, folder / "images.gz", path, case="idx: labels gzip inflating to 512 MB"
             ).assert_one_line_error(path, "trailing bytes")


def test_zero_labels_are_a_clear_error(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(idx_header(0x801, 0))
    with pytest.raises(formats.DataError, match="header says 0 labels: no data"):
        formats.read_idx(path)


def test_decompression_stops_at_the_declared_size(tmp_path, monkeypatch):
    """The reader asks the gzip stream for no more than the header declares (plus one byte to
    see that there is more): it never inflates the rest."""
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip_bomb(idx_header(0x801, 10) + bytes(10), 64 * MB))
    asked = []
    real_read = gzip.GzipFile.read

    def counting_read(self, size=-1):
        data = real_read(self, size)
        asked.append(len(data))
        return data
    monkeypatch.setattr(gzip.GzipFile, "read", counting_read)
    with pytest.raises(formats.DataError, match="trailing bytes"):
        formats.read_idx(path)
    assert sum(asked) <= 16 + (8 + 10 + 1)     # the header's look, then its 18 bytes and one more


# ---------------------------------------------------------------------------------- model files


def zip_with(members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def model_members(**replace: bytes) -> dict[str, bytes]:
    params = init_he(8, np.random.default_rng(0))
    meta = json.dumps({"format": "scratchnet-model", "version": "0.1.0",
                       "architecture": {"layers": [784, 8, 10]}}).encode()
    members = {f"{k}.npy": npy(v) for k, v in params.items()}
    members["metadata.npy"] = npy(np.frombuffer(meta, np.uint8))
    return {**members, **{f"{k}.npy": v for k, v in replace.items()}}


def lie_about_size(content: bytes, member: str, size: int) -> bytes:
    """The zip ``content`` with ``member``'s uncompressed size replaced by ``size`` in both its
    local header and the central directory (the CRC and the data unchanged)."""
    data = bytearray(content)
    name = member.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at != -1:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(name)] == name:
                data[at + size_at:at + size_at + 4] = struct.pack("<I", size)
            at = data.find(signature, at + 4)
    return bytes(data)


def header_claiming(shape: tuple[int, ...], dtype="<f4") -> bytes:
    """A .npy header for ``shape`` followed by 64 bytes of data."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + bytes(64)


MODEL_CASES = {
    "a zip entry that declares 4 GB": (
        lambda: lie_about_size(zip_with(model_members()), "W1.npy", 0xF000_0000),
        ["more than the", "MAX_MODEL_BYTES"]),
    "a deflated entry that declares 1,032 times its size and more": (
        lambda: lie_about_size(zip_with(model_members(), zipfile.ZIP_DEFLATED), "b2.npy",
                               200 * MB),
        ["b2 declares"]),
    "an .npy header claiming 784×2^40 floats": (
        lambda: zip_with(model_members(W1=header_claiming((784, 2**40)))),
        ["W1's header says", "but its entry holds 64"]),
    "metadata that declares 200 MB": (
        lambda: lie_about_size(zip_with(model_members(), zipfile.ZIP_DEFLATED), "metadata.npy",
                               200 * MB),
        ["metadata"]),
    "deflated metadata of 16 MB": (
        lambda: zip_with(model_members(metadata=npy(np.zeros(16 * MB, np.uint8))),
                         zipfile.ZIP_DEFLATED),
        ["metadata declares", "more than the 1,048,576"]),
    "metadata nested 100,000 deep": (
        lambda: zip_with(model_members(metadata=npy(np.frombuffer(
            b"[" * 100_000 + b"]" * 100_000, np.uint8)))),
        ["nested too deeply"]),
}


@pytest.mark.parametrize("case", MODEL_CASES)
def test_a_model_file_that_claims_more_than_it_holds_is_refused_within_the_limit(
        folder, tmp_path, case):
    make, words = MODEL_CASES[case]
    path = tmp_path / "model.npz"
    path.write_bytes(make())
    run_bounded(["evaluate", path, "--images", folder / "images.gz", "--labels",
                 folder / "labels.gz"], allowance=MODEL_ALLOWANCE, case=f"model: {case}",
                cwd=tmp_path).assert_one_line_error(path, *words)


def test_the_legitimate_model_members_load(tmp_path):
    """The cases above differ from a model that loads only in what they break."""
    path = tmp_path / "m.npz"
    path.write_bytes(zip_with(model_members(), zipfile.ZIP_DEFLATED))
    params, meta = checkpoint.load(path)
    assert params["W1"].shape == (784, 8) and meta["architecture"]["layers"] == [784, 8, 10]


# ------------------------------------------------------------------------------------- pictures


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int, idat: bytes = zlib.compress(bytes(100))) -> bytes:
    """An 8-bit greyscale PNG whose header says width × height, with the given image data."""
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))


def digit_picture(size: tuple[int, int]) -> Image.Image:
    """A '1' (a dark vertical bar) on white paper, drawn at ``size``."""
    width, height = size
    pixels = np.full((height, width), 245, np.uint8)
    half = max(1, width // 60)
    pixels[height // 4:3 * height // 4, width // 2 - half:width // 2 + half] = 20
    return Image.fromarray(pixels)


PICTURE_CASES = {
    "a PNG header claiming 100,000 × 100,000": (lambda: png_claiming(100_000, 100_000),
                                                ["pixels", "MAX_PICTURE_PIXELS"]),
    "a PNG header claiming 8,000 × 8,000 (64 megapixels)": (
        lambda: png_claiming(8000, 8000), ["64,000,000 pixels", "MAX_PICTURE_PIXELS"]),
    "a PNG header claiming 1 × 4,000,000,000": (lambda: png_claiming(4_000_000_000, 1),
                                                ["pixels"]),
    "a PNG of 0 × 100 pixels": (lambda: png_claiming(0, 100), []),
    "a 7,000 × 7,000 PNG cut short": (lambda: png_claiming(7000, 7000), ["not a readable"]),
}


@pytest.mark.parametrize("case", PICTURE_CASES)
def test_a_picture_that_claims_too_many_pixels_is_refused_within_the_limit(folder, tmp_path,
                                                                           case):
    make, words = PICTURE_CASES[case]
    path = tmp_path / "huge.png"
    path.write_bytes(make())
    run_bounded(["predict", folder / "m.npz", path], allowance=PICTURE_ALLOWANCE,
                case=f"picture: {case}", cwd=tmp_path).assert_one_line_error(path, *words)


@pytest.mark.parametrize("kind, size", [("JPEG", (6000, 4000)), ("PNG", (1200, 9000))])
def test_an_enormous_legitimate_picture_is_read_within_the_limit(folder, tmp_path, kind, size):
    """Shrunk before any arithmetic (a JPEG decoded at reduced scale): read, and the same row
    as the same drawing at a small size."""
    from scratchnet.data.preprocess import picture_to_row

    assert size[0] * size[1] <= MAX_PICTURE_PIXELS
    path = tmp_path / f"big.{kind.lower()}"
    digit_picture(size).save(path, kind)
    result = run_bounded(["predict", folder / "m.npz", path, "--json"],
                         allowance=PICTURE_ALLOWANCE, case=f"picture: legitimate {kind} "
                         f"{size[0]} × {size[1]}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["image"] == str(path)
    small = tmp_path / f"small.{kind.lower()}"
    digit_picture((size[0] // 10, size[1] // 10)).save(small, kind)
    assert np.abs(picture_to_row(path) - picture_to_row(small)).mean() < 0.02
