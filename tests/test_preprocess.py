"""scratchnet.data.preprocess: a photo-like picture of a digit becomes an MNIST-style row the
network reads.

The pictures are made from real MNIST digits: upscaled, drawn in dark ink on light paper, placed
off-centre on a larger sheet, saved as PNG with PIL.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from quick_model import mnist_splits, quick_model

from scratchnet.data.preprocess import (
    centre_by_mass,
    crop_to_ink,
    fit_box,
    mnist_style,
    paper_to_black,
    picture_to_row,
)
from scratchnet.errors import DataError
from scratchnet.model import predict, predict_proba

PAPER, INK = 235, 25          # light grey paper, dark ink (0..255)


def digit_on_paper(image28: np.ndarray, scale=8, sheet=(300, 400), at=(30, 150),
                   dark_ink=True, paper=PAPER, ink=INK) -> Image.Image:
    """A 28x28 MNIST digit (bright ink, uint8) upscaled and drawn on a sheet of paper."""
    big = Image.fromarray(image28).resize((28 * scale, 28 * scale), Image.Resampling.BILINEAR)
    strokes = np.asarray(big, dtype=np.float64) / 255        # 1 where the ink is
    canvas = np.zeros(sheet)
    canvas[at[0]:at[0] + strokes.shape[0], at[1]:at[1] + strokes.shape[1]] = strokes
    gray = paper + (ink - paper) * canvas if dark_ink else ink + (paper - ink) * canvas
    return Image.fromarray(np.rint(gray).astype(np.uint8), mode="L")


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(img.shape)
    return (ys * img).sum() / img.sum(), (xs * img).sum() / img.sum()


def confident_test_digits(per_class=1):
    """Indices of held-out digits the quick model gets right with p > 0.99, one per class."""
    s = mnist_splits()
    params = quick_model()[0]
    P = predict_proba(params, s.test.X)
    picked = []
    for k in range(10):
        ok = np.flatnonzero((s.test.y == k) & (P.argmax(axis=1) == k) & (P.max(axis=1) > 0.99))
        picked.extend(ok[:per_class])
    return picked


def as_uint8(row: np.ndarray) -> np.ndarray:
    return np.rint(row.reshape(28, 28) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """(index, path of the dark-on-light PNG, path of the light-on-dark PNG) for ten digits."""
    folder = tmp_path_factory.mktemp("photos")
    s = mnist_splits()
    out = []
    for i in confident_test_digits():
        img = as_uint8(s.test.X[i])
        dark, light = folder / f"digit{i}-dark.png", folder / f"digit{i}-light.png"
        digit_on_paper(img).save(dark)
        digit_on_paper(img, dark_ink=False).save(light)
        out.append((i, dark, light))
    assert len(out) == 10
    return out


def test_a_photographed_digit_is_centred_by_mass_at_14_14(photos):
    for _, dark, _ in photos:
        img = picture_to_row(dark).reshape(28, 28)
        cy, cx = centre_of_mass(img)
        assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1, (dark.name, cy, cx)


def test_a_photographed_digit_fits_a_20_by_20_box_with_ink_bright_on_black(photos):
    for _, dark, _ in photos:
        row = picture_to_row(dark)
        assert row.shape == (784,) and row.dtype == np.float32
        assert 0 <= row.min() and row.max() <= 1
        img = row.reshape(28, 28)
        ink_rows = np.flatnonzero((img > 0).any(axis=1))
        ink_cols = np.flatnonzero((img > 0).any(axis=0))
        height, width = ink_rows[-1] - ink_rows[0] + 1, ink_cols[-1] - ink_cols[0] + 1
        assert max(height, width) == 20 and min(height, width) <= 20, dark.name
        assert img.max() > 0.8                        # the ink is bright ...
        assert img[0].max() == img[-1].max() == 0     # ... on a black border


def test_the_network_reads_a_photographed_digit_as_it_reads_the_original(photos):
    s = mnist_splits()
    params = quick_model()[0]
    for i, dark, _ in photos:
        original = predict(params, s.test.X[i:i + 1])[0]
        photographed = predict(params, picture_to_row(dark)[None, :])[0]
        assert photographed == original == s.test.y[i], dark.name


@pytest.mark.parametrize("paper, ink", [(200, 40), (160, 20)])
def test_a_digit_on_grey_paper_is_read_like_one_on_white_paper(tmp_path, paper, ink):
    """A photo's paper is grey: its level must become 0, not count as ink everywhere."""
    s = mnist_splits()
    params = quick_model()[0]
    for i in confident_test_digits():
        digit_on_paper(as_uint8(s.test.X[i]), paper=paper, ink=ink).save(tmp_path / "grey.png")
        row = picture_to_row(tmp_path / "grey.png")
        assert row.reshape(28, 28)[0].max() == 0                      # paper is black
        assert predict(params, row[None])[0] == s.test.y[i]


def test_dark_ink_on_light_paper_and_light_ink_on_dark_give_the_same_row(photos):
    for _, dark, light in photos:
        np.testing.assert_allclose(picture_to_row(dark), picture_to_row(light), atol=1.5 / 255)


def test_transparent_background_counts_as_white_paper(tmp_path, photos):
    _, dark, _ = photos[3]
    gray = np.asarray(Image.open(dark), dtype=np.uint8)
    rgba = np.zeros(gray.shape + (4,), np.uint8)        # black ink whose alpha is its darkness
    rgba[..., 3] = np.clip((PAPER - gray.astype(int)) * 255 // (PAPER - INK), 0, 255)
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "transparent.png")
    np.testing.assert_allclose(picture_to_row(tmp_path / "transparent.png"), picture_to_row(dark),
                               atol=2.5 / 255)


def test_colour_ink_on_white_is_read_as_grayscale(tmp_path, photos):
    _, dark, _ = photos[5]
    gray = np.asarray(Image.open(dark))
    rgb = np.stack([gray, gray, np.full_like(gray, PAPER)], axis=-1)   # blue ink
    Image.fromarray(rgb, mode="RGB").save(tmp_path / "blue.png")
    params = quick_model()[0]
    assert predict(params, picture_to_row(tmp_path / "blue.png")[None])[0] == \
        predict(params, picture_to_row(dark)[None])[0]


# --- the steps ----------------------------------------------------------------------------------


def test_crop_to_ink_keeps_the_smallest_rectangle_holding_the_ink():
    img = np.zeros((10, 12))
    img[2, 3] = img[6, 8] = 1.0
    img[8, 1] = 0.05                                  # below the ink threshold: paper noise
    assert crop_to_ink(img).shape == (5, 6)


def test_fit_box_makes_the_longer_side_20_and_keeps_the_aspect_ratio():
    assert fit_box(np.ones((100, 50))).shape == (20, 10)
    assert fit_box(np.ones((30, 90))).shape == (7, 20)
    assert fit_box(np.ones((5, 5))).shape == (20, 20)


def test_paper_to_black_maps_the_paper_to_0_and_the_brightest_ink_to_1():
    img = np.full((10, 10), 0.3)
    img[3:6, 4] = 0.8
    img[7, 7] = 0.55
    out = paper_to_black(img)
    assert out[0, 0] == 0 and out[4, 4] == 1 and out[7, 7] == pytest.approx(0.5)
    np.testing.assert_array_equal(paper_to_black(np.full((5, 5), 0.7)), 0)   # no ink at all


def test_centre_by_mass_puts_an_off_centre_blob_at_the_centre():
    img = np.zeros((20, 12))
    img[15:20, :] = 1.0                                # a heavy bottom bar ...
    img[:, 0] = 1.0                                    # ... and a thin left stroke: an "L"
    out = centre_by_mass(img)
    assert out.shape == (28, 28)
    assert out.sum() == pytest.approx(img.sum())      # nothing cut off
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1


def test_mnist_style_of_an_mnist_digit_is_close_to_itself():
    """MNIST digits were made by this recipe: redoing it changes little."""
    s = mnist_splits()
    for i in range(5):
        again = mnist_style(s.test.X[i].reshape(28, 28).astype(np.float64))
        assert np.abs(again - s.test.X[i]).mean() < 0.1


# --- bad pictures -------------------------------------------------------------------------------


def assert_one_line_data_error(path, *words):
    with pytest.raises(DataError) as e:
        picture_to_row(path)
    message = str(e.value)
    assert "\n" not in message and str(path) in message
    for w in words:
        assert w in message.replace(str(path), "")


def test_a_blank_picture_is_a_one_line_data_error(tmp_path):
    Image.new("L", (200, 150), 240).save(tmp_path / "blank.png")
    assert_one_line_data_error(tmp_path / "blank.png", "ink")


def test_a_file_that_is_not_a_picture_is_a_one_line_data_error(tmp_path):
    (tmp_path / "notes.png").write_text("this is not a PNG\n")
    assert_one_line_data_error(tmp_path / "notes.png")


def test_a_truncated_png_is_a_one_line_data_error(tmp_path, photos):
    _, dark, _ = photos[0]
    (tmp_path / "cut.png").write_bytes(dark.read_bytes()[:200])
    assert_one_line_data_error(tmp_path / "cut.png")


def test_a_missing_picture_is_a_one_line_data_error(tmp_path):
    assert_one_line_data_error(tmp_path / "nowhere.png", "no such file")
