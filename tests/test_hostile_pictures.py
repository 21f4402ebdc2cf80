"""Pictures as people have them: ``predict`` reads what a phone or an editor saves, and answers on
it as it answers on a plain 8-bit PNG of the same digit.

Ten held-out MNIST digits (one per class, each read right with p > 0.99 by the quick model) are
drawn in dark ink on light paper and saved in every format below; each file's row must be close to
the plain PNG's row and get the same prediction. The CLI then reads all of them in one process
under a memory limit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hostile_support import MB, run_bounded, write_peaks
from PIL import Image
from quick_model import mnist_splits, quick_model

from scratchnet import checkpoint
from scratchnet.data.preprocess import picture_to_row
from scratchnet.model import predict, predict_proba

pytestmark = pytest.mark.slow   # each test starts processes: make test-fast leaves them out

PAPER, INK = 235, 25
EXIF_ORIENTATION = 0x0112


@pytest.fixture(scope="module", autouse=True)
def peaks(tmp_path_factory):
    yield
    write_peaks(tmp_path_factory.getbasetemp(), "pictures")


def strokes_of(image28: np.ndarray) -> np.ndarray:
    """The digit (bright ink, uint8 28x28) upscaled 6x onto a 200x220 sheet: ink in [0, 1]."""
    big = Image.fromarray(image28).resize((168, 168), Image.Resampling.BILINEAR)
    sheet = np.zeros((220, 200))
    sheet[20:188, 14:182] = np.asarray(big, dtype=np.float64) / 255
    return sheet


def on_paper(strokes: np.ndarray) -> np.ndarray:
    """Dark ink on light paper, 8-bit levels."""
    return np.rint(PAPER + (INK - PAPER) * strokes).astype(np.uint8)


def rgba(rgb_level: int, alpha: np.ndarray, hidden_rgb: int | None = None) -> Image.Image:
    """Ink of one colour whose opacity is ``alpha`` (0..1); transparent pixels' colour is
    ``hidden_rgb`` (what editors leave there) or the ink's own."""
    pixels = np.zeros(alpha.shape + (4,), np.uint8)
    pixels[..., :3] = rgb_level
    if hidden_rgb is not None:
        pixels[alpha == 0, :3] = hidden_rgb
    pixels[..., 3] = np.rint(alpha * 255)
    return Image.fromarray(pixels, mode="RGBA")


def palette_with_transparent_paper(gray: np.ndarray) -> tuple[Image.Image, dict]:
    """A palette picture (one entry per grey level) whose paper entry is transparent."""
    image = Image.fromarray(gray, mode="L").convert("P")
    image.putpalette([level for value in range(256) for level in (value,) * 3])
    image.putdata(gray.ravel().tolist())
    return image, {"transparency": PAPER}


def exif_rotated(gray: np.ndarray, orientation: int) -> tuple[Image.Image, dict]:
    """A JPEG as a camera stores it: the pixels turned, the EXIF tag saying how to turn back."""
    stored = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90,
              8: Image.Transpose.ROTATE_270}[orientation]
    image = Image.fromarray(gray).transpose(stored)
    exif = image.getexif()
    exif[EXIF_ORIENTATION] = orientation
    return image, {"exif": exif, "quality": 95}


# name: (suffix, strokes -> (image, save options))
FORMATS = {
    "8-bit greyscale JPEG": (".jpg", lambda s: (Image.fromarray(on_paper(s)), {"quality": 95})),
    "16-bit greyscale PNG": (".png", lambda s: (
        Image.fromarray(on_paper(s).astype(np.uint16) * 257), {})),
    "palette PNG": (".png", lambda s: (Image.fromarray(on_paper(s)).convert(
        "RGB").quantize(256), {})),
    "palette PNG, transparent paper": (".png", lambda s: palette_with_transparent_paper(
        on_paper(s))),
    "palette GIF": (".gif", lambda s: (Image.fromarray(on_paper(s)).convert("P"), {})),
    "RGB PNG, blue ink": (".png", lambda s: (Image.fromarray(np.stack(
        [on_paper(s), on_paper(s), np.full(s.shape, PAPER, np.uint8)], axis=-1)), {})),
    "CMYK JPEG": (".jpg", lambda s: (Image.fromarray(on_paper(s)).convert("CMYK"),
                                    {"quality": 95})),
    "RGBA, black ink on transparency": (".png", lambda s: (rgba(0, s), {})),
    "RGBA, white ink on transparency": (".png", lambda s: (rgba(255, s), {})),
    "RGBA, white ink, hidden black": (".png", lambda s: (rgba(255, s, hidden_rgb=0), {})),
    "LA, white ink on transparency": (".png", lambda s: (rgba(255, s).convert("LA"), {})),
    "LA, black ink on transparency": (".png", lambda s: (rgba(0, s).convert("LA"), {})),
    "EXIF-rotated JPEG (6)": (".jpg", lambda s: exif_rotated(on_paper(s), 6)),
    "EXIF-rotated JPEG (3)": (".jpg", lambda s: exif_rotated(on_paper(s), 3)),
    "EXIF-rotated JPEG (8)": (".jpg", lambda s: exif_rotated(on_paper(s), 8)),
    "float TIFF in [0, 1]": (".tif", lambda s: (Image.fromarray(
        (on_paper(s) / 255).astype(np.float32)), {})),
    "float TIFF in [0, 255]": (".tif", lambda s: (Image.fromarray(
        on_paper(s).astype(np.float32)), {})),
    "32-bit integer TIFF": (".tif", lambda s: (Image.fromarray(
        on_paper(s).astype(np.int32) * 257), {})),
}


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> dict:
    """digit index -> {format name: path}, with the plain 8-bit PNG under "8-bit PNG"."""
    folder = tmp_path_factory.mktemp("formats")
    s, params = mnist_splits(), quick_model()[0]
    P = predict_proba(params, s.test.X)
    chosen = [int(np.flatnonzero((s.test.y == k) & (P.argmax(1) == k) & (P.max(1) > 0.99))[0])
              for k in range(10)]
    out = {}
    for i in chosen:
        strokes = strokes_of(np.rint(s.test.X[i].reshape(28, 28) * 255).astype(np.uint8))
        files = {"8-bit PNG": folder / f"{i}-plain.png"}
        Image.fromarray(on_paper(strokes)).save(files["8-bit PNG"])
        for number, (name, (suffix, make)) in enumerate(FORMATS.items()):
            image, options = make(strokes)
            files[name] = folder / f"{i}-{number}{suffix}"
            image.save(files[name], **options)
        out[i] = files
    return out


def test_the_pictures_are_what_their_names_say(digits):
    files = next(iter(digits.values()))
    modes = {name: Image.open(path).mode for name, path in files.items()}
    assert modes["16-bit greyscale PNG"].startswith("I;16")
    assert modes["palette PNG"] == modes["palette GIF"] == "P"
    assert "transparency" in Image.open(files["palette PNG, transparent paper"]).info
    assert modes["RGBA, white ink on transparency"] == "RGBA"
    assert modes["LA, white ink on transparency"] == "LA"
    assert modes["CMYK JPEG"] == "CMYK"
    assert modes["float TIFF in [0, 1]"] == "F" and modes["32-bit integer TIFF"] == "I"
    assert Image.open(files["EXIF-rotated JPEG (6)"]).getexif()[EXIF_ORIENTATION] == 6
    assert Image.open(files["EXIF-rotated JPEG (6)"]).size == (220, 200)     # stored turned


@pytest.mark.parametrize("name", FORMATS)
def test_a_picture_in_any_format_reads_as_the_plain_png_of_the_same_digit(digits, name):
    params = quick_model()[0]
    s = mnist_splits()
    for i, files in digits.items():
        plain, other = picture_to_row(files["8-bit PNG"]), picture_to_row(files[name])
        assert np.abs(other - plain).mean() < 0.03, (name, i, np.abs(other - plain).mean())
        assert predict(params, other[None])[0] == predict(params, plain[None])[0] == s.test.y[i]


def test_predict_reads_every_format_in_one_process_under_a_memory_limit(digits, tmp_path):
    params = quick_model()[0]
    checkpoint.save(tmp_path / "m.npz", params, {"dataset": {"name": "mnist"}})
    paths = [path for files in digits.values() for path in files.values()]
    result = run_bounded(["predict", tmp_path / "m.npz", *paths, "--json"], allowance=64 * MB,
                         case="pictures: every format, 190 files", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(a["image"]) for a in answers] == paths
    expected = [int(predict(params, picture_to_row(p)[None])[0]) for p in paths]
    assert [a["label"] for a in answers] == expected


@pytest.mark.parametrize("ink, expected_background", [(255, 0.0), (0, 1.0)])
@pytest.mark.parametrize("soft", [False, True])
def test_transparency_shows_the_background_that_contrasts_with_ink_of_one_colour(
        ink, expected_background, soft):
    """A square of one colour on transparency, its edge hard (pixel art) or soft (antialiased in
    the opacity): black behind white ink, white behind black ink."""
    from scratchnet.data.preprocess import composite

    alpha = np.zeros((40, 40))
    alpha[10:30, 10:30] = 1.0
    if soft:
        alpha[9, 10:30] = alpha[30, 10:30] = alpha[10:30, 9] = alpha[10:30, 30] = 0.5
    gray = composite(rgba(ink, alpha).convert("RGBa"))
    assert gray[0, 0] == expected_background
    assert gray[20, 20] == pytest.approx(ink / 255)


def test_a_drawing_that_fades_into_transparent_paper_gets_that_paper_back():
    """Grey levels that fade from dark ink towards a paper colour of 0.8, the paper itself
    transparent (a palette's transparent entry): the paper shows as 0.8, not black or white."""
    from scratchnet.data.preprocess import composite

    level = np.full((40, 40), 0.8)
    level[15:25, 5:35] = 0.1
    level[14, 5:35] = level[25, 5:35] = 0.75                # the stroke's antialiased edge
    alpha = np.where(level == 0.8, 0.0, 1.0)
    pixels = np.dstack([np.rint(level * 255)] * 3 + [alpha * 255]).astype(np.uint8)
    gray = composite(Image.fromarray(pixels, mode="RGBA").convert("RGBa"))
    assert gray[0, 0] == pytest.approx(0.75, abs=0.01) and gray[20, 20] == pytest.approx(0.1,
                                                                                        abs=0.01)
