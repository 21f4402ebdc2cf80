"""Turning an ordinary picture of a digit into an MNIST-style input row.

MNIST's recipe (LeCun et al. 1998): white ink on black, the digit's bounding box scaled to fit
20x20 (keeping its aspect ratio), then placed in a 28x28 field so that its centre of mass sits
at the centre. The live demo page does the same steps in JavaScript.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from scratchnet import SIDE
from scratchnet.errors import DataError, one_line

INK_THRESHOLD = 0.1   # a pixel is ink when its intensity (0..1, ink bright) exceeds this
BOX = 20              # the digit's bounding box is scaled to fit BOX x BOX
FIELD = SIDE          # ... and centred by mass in FIELD x FIELD (28 x 28, an MNIST image)


def read_picture(path: str | Path) -> np.ndarray:
    """A picture file as grayscale intensities in [0, 1], shape (h, w).

    Transparency becomes white paper."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
                paper = Image.new("RGBA", im.size, "white")
                im = Image.alpha_composite(paper, im.convert("RGBA"))
            gray = np.asarray(im.convert("L"), dtype=np.float64) / 255.0
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise DataError(f"{path}: not a readable picture ({one_line(e)})") from None
    return gray


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
