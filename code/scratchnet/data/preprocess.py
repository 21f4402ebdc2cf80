"""Turning an ordinary picture of a digit into an MNIST-style input row.

MNIST's recipe (LeCun et al. 1998): white ink on black, the digit's bounding box scaled to fit
20x20 (keeping its aspect ratio), then placed in a 28x28 field so that its centre of mass sits
at the centre. The live demo page does the same steps in JavaScript.
"""

from __future__ import annotations

import math
import re
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from scratchnet import SIDE
from scratchnet.errors import DataError, one_line

INK_THRESHOLD = 0.1   # a pixel is ink when its intensity (0..1, ink bright) exceeds this
BOX = 20              # the digit's bounding box is scaled to fit BOX x BOX
FIELD = SIDE          # ... and centred by mass in FIELD x FIELD (28 x 28, an MNIST image)


MAX_PICTURE_PIXELS = 50_000_000
"""The most pixels a picture may have, checked from its header before it is decoded (a 48 MP
phone photo passes; a JPEG is first decoded at a reduced scale, ``WORKING_SIDE``)."""

WORKING_SIDE = 1024
"""A picture whose longer side is longer is shrunk by an integer factor (box averaging) before
any arithmetic: the digit ends up 20 pixels tall, so nothing is lost, and memory stays small."""

def read_picture(path: str | Path) -> np.ndarray:
    """A picture file as grayscale intensities in [0, 1], shape (h, w).

    Whatever a phone or an editor saves: 1-, 8- and 16-bit greyscale, palette, colour, CMYK,
    32-bit integer and float (TIFF) pixels, each scaled by its own range (:func:`intensities`);
    the EXIF orientation applied; transparency composited on the background that contrasts with
    the ink (:func:`composite`). The size is checked before decoding (``MAX_PICTURE_PIXELS``) and
    a large picture is shrunk first (``WORKING_SIDE``), so memory stays bounded.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a picture")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)   # checked below
            with Image.open(path) as im:
                width, height = im.size
                if im.format == "JPEG":          # decode at 1/2, 1/4 or 1/8 scale when large
                    im.draft("L" if im.mode in ("L", "RGB") else None,
                             (WORKING_SIDE, WORKING_SIDE))
                if width * height == 0:
                    raise DataError(f"{path}: a picture of {width}×{height} pixels: no pixels")
                if im.size[0] * im.size[1] > MAX_PICTURE_PIXELS:
                    raise too_many_pixels(path, width * height)
                im.load()
                return intensities(ImageOps.exif_transpose(shrunk(working_mode(im))))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except Image.DecompressionBombError as bomb:       # Pillow refuses to open it at all
        claimed = re.search(r"\((\d+) pixels\)", str(bomb))
        raise too_many_pixels(path, int(claimed.group(1)) if claimed else None) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error,
            IndexError, KeyError, TypeError, ZeroDivisionError) as e:
        raise DataError(f"{path}: not a readable picture ({one_line(e)[:160]})") from None


def too_many_pixels(path: Path, pixels: int | None) -> DataError:
    count = f"{pixels:,} pixels" if pixels else "too many pixels"
    return DataError(f"{path}: {count}, more than the {MAX_PICTURE_PIXELS:,} a picture may have "
                     "here (MAX_PICTURE_PIXELS); scale it down")


def working_mode(im: Image.Image) -> Image.Image:
    """The picture in one of the modes the rest reads: L (8-bit), I (integer), F (float), or with
    transparency La / RGBa (alpha premultiplied, so shrinking does not bleed hidden colours)."""
    if im.mode in ("L", "I", "F", "La", "RGBa"):
        return im
    if im.mode.startswith("I;16"):
        return im.convert("I")
    if im.mode == "LA":
        return im.convert("La")
    if im.mode in ("RGBA", "PA") or "transparency" in im.info:
        return im.convert("RGBA").convert("RGBa")
    return im.convert("L")


def shrunk(im: Image.Image) -> Image.Image:
    """``im`` reduced by the smallest integer factor that brings its longer side within
    ``WORKING_SIDE`` (box averaging), or ``im`` itself."""
    factor = math.ceil(max(im.size) / WORKING_SIDE)
    return im.reduce(factor) if factor > 1 else im


def intensities(im: Image.Image) -> np.ndarray:
    """Pixels in [0, 1]: 8-bit by 255; integer and float pixels by the range they fit in
    ([0, 1], [0, 255] or [0, 65535], else their own minimum and maximum); transparent pictures
    composited (:func:`composite`)."""
    if im.mode in ("La", "RGBa"):
        return composite(im)
    values = np.asarray(im, dtype=np.float64)
    if im.mode == "L":
        return values / 255.0
    if not np.all(np.isfinite(values)):
        raise ValueError("pixels that are not finite numbers (nan or inf)")
    low, high = values.min(), values.max()
    for top in (1.0, 255.0, 65535.0):
        if low >= 0 and high <= top:
            return values / top
    return (values - low) / (high - low)


def composite(im: Image.Image) -> np.ndarray:
    """A transparent picture on the background its drawing needs: gray = a l + (1 - a) b.

    l is a pixel's gray level and a its opacity (``im`` holds a l, premultiplied); b is
    :func:`background_level`.
    """
    planes = np.asarray(im, dtype=np.float64) / 255.0
    alpha = planes[..., -1]
    if im.mode == "La":
        level = planes[..., 0]
    else:
        level = planes[..., :3] @ np.array([0.299, 0.587, 0.114])      # ITU-R 601, as Pillow's L
    return np.clip(level + (1.0 - alpha) * background_level(level, alpha), 0.0, 1.0)


def background_level(level: np.ndarray, alpha: np.ndarray) -> float:
    """What shows through the transparent pixels (``level`` premultiplied by ``alpha``).

    Ink of one colour (antialiased in its opacity, as drawing apps save white or black ink on
    transparency, or of one colour throughout): the opposite of that colour, black behind light
    ink and white behind dark. A drawing whose colours fade into a paper colour that was then
    made transparent (a palette's transparent entry): the paper, the level its edges fade to.
    """
    hidden = alpha < 0.02
    visible = ~hidden
    colour = np.divide(level, alpha, out=np.zeros_like(level), where=visible)
    near_hidden = np.zeros_like(hidden)
    near_hidden[1:] |= hidden[:-1]
    near_hidden[:-1] |= hidden[1:]
    near_hidden[:, 1:] |= hidden[:, :-1]
    near_hidden[:, :-1] |= hidden[:, 1:]
    edge, inside = visible & near_hidden, visible & ~near_hidden
    if not edge.any() or not inside.any():
        return 1.0 if not visible.any() or colour[visible].mean() <= 0.5 else 0.0
    edge_colour, inside_colour = colour[edge].mean(), colour[inside].mean()
    if abs(edge_colour - inside_colour) < 0.1:                  # ink of one colour
        return 0.0 if inside_colour > 0.5 else 1.0
    if edge_colour > inside_colour:                            # fades to light paper
        return float(np.percentile(colour[edge], 95))
    return float(np.percentile(colour[edge], 5))


def ink_bright(gray: np.ndarray) -> np.ndarray:
    """Make ink bright on a dark background: invert when the border (the paper) is light."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return 1.0 - gray if border.mean() > 0.5 else gray


def paper_to_black(img: np.ndarray) -> np.ndarray:
    """Stretch intensities so the paper (the border's median) is 0 and the brightest ink is 1.

    A photographed sheet is grey, not white: left as it is, its level can exceed the ink
    threshold and the whole sheet is taken for ink. A picture whose brightest pixel is within
    the ink threshold of the paper has no ink: it comes back all zeros.
    """
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    paper, ink = np.median(border), img.max()
    if ink - paper <= INK_THRESHOLD:
        return np.zeros_like(img)
    return np.clip((img - paper) / (ink - paper), 0.0, 1.0)


def crop_to_ink(img: np.ndarray, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """The smallest rectangle holding every pixel brighter than ``threshold``."""
    rows = np.flatnonzero((img > threshold).any(axis=1))
    cols = np.flatnonzero((img > threshold).any(axis=0))
    if len(rows) == 0:
        raise ValueError("the picture has no ink")
    return img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def fit_box(img: np.ndarray, box: int = BOX) -> np.ndarray:
    """Scale so the longer side is ``box`` pixels, keeping the aspect ratio (area-averaging)."""
    h, w = img.shape
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    pic = Image.fromarray((img * 255).astype(np.uint8)).resize(size, Image.Resampling.BOX)
    return np.asarray(pic, dtype=np.float64) / 255.0


def centre_by_mass(img: np.ndarray, field: int = FIELD) -> np.ndarray:
    """Place img in a field x field canvas so its centre of mass lands on the canvas centre."""
    h, w = img.shape
    ys, xs = np.indices(img.shape)
    mass = img.sum()
    cy, cx = (ys * img).sum() / mass, (xs * img).sum() / mass
    top = int(np.clip(round(field / 2 - cy), 0, field - h))
    left = int(np.clip(round(field / 2 - cx), 0, field - w))
    canvas = np.zeros((field, field))
    canvas[top:top + h, left:left + w] = img
    return canvas


def mnist_style(gray: np.ndarray) -> np.ndarray:
    """Grayscale picture (ink dark or bright) -> one input row x (784,) float32 in [0, 1]."""
    img = centre_by_mass(fit_box(crop_to_ink(paper_to_black(ink_bright(gray)))))
    return img.reshape(-1).astype(np.float32)


def picture_to_row(path: str | Path) -> np.ndarray:
    """Read a picture file and apply :func:`mnist_style`.

    A blank or unreadable picture is a one-line DataError naming the file."""
    try:
        return mnist_style(read_picture(path))
    except ValueError as e:
        raise DataError(f"{path}: {e}") from None
