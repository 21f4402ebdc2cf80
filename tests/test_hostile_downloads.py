"""Time bounds: every download has a deadline per file, a server that trickles, stalls, lies about
its length or serves the wrong bytes is abandoned with a clear error, and a download killed outright
(SIGKILL) leaves nothing a later run trusts, which the later run cleans up.

A loopback server (a thread of this process) misbehaves in one way per URL prefix; ``scratchnet
data fetch mnist --source mirror`` runs against it in its own process under a memory limit, with
the deadline, the read timeout and the size bound shrunk (in the process's prelude) so that small
files and short waits prove the bounds.
"""

from __future__ import annotations

import json
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import pytest
from data_support import content_sha256, md5, synthetic, write_idx_set
from hostile_support import MB, ONE_THREAD, library_call, run_bounded, write_peaks

from scratchnet.data.sources import FILES, TRAIN_IMAGES

pytestmark = [pytest.mark.isolated_data, pytest.mark.slow]   # servers: not in test-fast

DEADLINE, READ_TIMEOUT, MAX_BYTES = 1.5, 0.5, 1 * MB
ALLOWANCE = 48 * MB


@pytest.fixture(scope="module", autouse=True)
def peaks(tmp_path_factory):
    yield
    write_peaks(tmp_path_factory.getbasetemp(), "downloads")


class Published(NamedTuple):
    """A small synthetic MNIST as four .gz files, as a mirror would publish it."""
    files: dict[str, bytes]      # stem -> the .gz bytes
    md5: dict[str, str]          # stem -> MD5 of the .gz
    sha256: dict[str, str]       # stem -> SHA-256 of the content


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Published:
    folder = tmp_path_factory.mktemp("published")
    train, test = synthetic(120), synthetic(30, seed=1)
    paths = write_idx_set(folder, train, test)
    arrays = dict(zip(FILES, (*train, *test), strict=True))
    return Published({stem: path.read_bytes() for stem, path in paths.items()},
                     {stem: md5(path) for stem, path in paths.items()},
                     {stem: content_sha256(array) for stem, array in arrays.items()})


class Misbehaving(socketserver.BaseRequestHandler):
    """Answers ``GET /<behaviour>/mnist/<file>.gz`` as ``behaviour`` says."""

    files: dict[str, bytes]
    stop: threading.Event

    def handle(self):
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            request += chunk
        path = request.split(b" ")[1].decode()
        behaviour, _, name = path.strip("/").partition("/")
        body = self.files.get(name.rsplit("/", 1)[-1].removesuffix(".gz"), b"")
        try:
            getattr(self, behaviour.replace("-", "_"))(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def headers(self, length: int | None, status: str = "200 OK") -> None:
        lines = [f"HTTP/1.1 {status}", "Content-Type: application/gzip", "Connection: close"]
        if length is not None:
            lines.append(f"Content-Length: {length}")
        self.request.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def good(self, body):
        self.headers(len(body))
        self.request.sendall(body)

    def trickle(self, body):               # every byte within the read timeout, never done
        self.headers(len(body))
        for byte in body:
            if self.stop.wait(0.02):
                return
            self.request.sendall(bytes([byte]))

    def half_then_trickle(self, body):     # most of the file at once, then the trickle
        self.headers(len(body))
        self.request.sendall(body[: len(body) * 3 // 4])
        for byte in body[len(body) * 3 // 4:]:
            if self.stop.wait(0.05):
                return
            self.request.sendall(bytes([byte]))

    def trickle_headers(self, body):       # the headers themselves, one byte at a time
        self.request.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not self.stop.wait(0.02):
            self.request.sendall(b"a")

    def stall(self, body):                 # some of the body, then silence
        self.headers(len(body))
        self.request.sendall(body[:100])
        self.stop.wait(30)

    def short(self, body):                 # says the length, sends half, hangs up
        self.headers(len(body))
        self.request.sendall(body[: len(body) // 2])

    def long(self, body):                  # says 100 bytes, sends them all
        self.headers(100)
        self.request.sendall(body)

    def huge(self, body):                  # announces 10 GB
        self.headers(10 * 1024 ** 3)
        self.request.sendall(body[:1000])

    def endless(self, body):               # no length, an endless stream
        self.headers(None)
        while not self.stop.is_set():
            self.request.sendall(bytes(65536))

    def wrong(self, body):                 # the right length, other bytes
        self.headers(len(body))
        self.request.sendall(bytes(reversed(body)))

    def html(self, body):                  # an error page served as a success
        page = b"<html><body>Service unavailable</body></html>"
        self.headers(len(page))
        self.request.sendall(page)

    def missing(self, body):
        self.headers(0, "404 Not Found")


@pytest.fixture
def server(published):
    stop = threading.Event()
    handler = type("Handler", (Misbehaving,), {"files": published.files, "stop": stop})
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as tcp:
        tcp.daemon_threads = True
        thread = threading.Thread(target=tcp.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{tcp.server_address[1]}", published
        stop.set()
        tcp.shutdown()


def prelude(published: Published, deadline: float = DEADLINE) -> str:
    """Shrink the bounds and register the synthetic files' hashes, in the child process."""
    return (f"from scratchnet.data import download, sources\n"
            f"download.DEADLINE, download.READ_TIMEOUT = {deadline}, {READ_TIMEOUT}\n"
            f"download.MAX_BYTES = {MAX_BYTES}\n"
            f"sources.GZ_MD5['mnist'] = {published.md5!r}\n"
            f"sources.CONTENT_SHA256['mnist'] = {published.sha256!r}\n")


def fetch(server, behaviour: str, case: str, deadline: float = DEADLINE):
    base, published = server
    return run_bounded([], python=library_call(prelude(published, deadline),
                                               ["data", "fetch", "mnist", "--source", "mirror"]),
                       env={"SCRATCHNET_MIRROR": f"{base}/{behaviour}"}, allowance=ALLOWANCE,
                       case=f"download: {case}", timeout=30)


def cache_folder() -> Path:
    return Path(os.environ["SCRATCHNET_CACHE"]) / "mirror" / "mnist"


def cached() -> list[str]:
    folder = cache_folder()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_good_mirror_is_downloaded_under_the_same_bounds(server):
    result = fetch(server, "good", "a good mirror")
    assert result.returncode == 0, result.stderr
    assert cached() == sorted(f"{stem}.gz" for stem in FILES)


CASES = {
    # behaviour: (words of the message, the most seconds it may take after the deadline)
    "trickle": (["abandoned after 1.5 s", "too slow", "nothing cached"], READ_TIMEOUT),
    "trickle-headers": (["abandoned after 1.5 s"], READ_TIMEOUT),
    "stall": (["timed out"], READ_TIMEOUT),
    "short": (["closed before the end"], 0),
    "long": (["md5 of the download", "rejected, nothing cached"], 0),
    "huge": (["announces 10,737,418,240 bytes", "refused"], 0),
    "endless": ([f"more than {MAX_BYTES:,} bytes", "refused"], 0),
    "wrong": (["md5 of the download"], 0),
    "html": (["md5 of the download"], 0),
    "missing": (["HTTP 404"], 0),
}


@pytest.mark.parametrize("behaviour", CASES)
def test_a_misbehaving_server_is_abandoned_in_bounded_time_and_nothing_is_cached(server,
                                                                                  behaviour):
    words, after_deadline = CASES[behaviour]
    start = time.monotonic()
    result = fetch(server, behaviour, behaviour)
    elapsed = time.monotonic() - start
    url = f"{server[0]}/{behaviour}/mnist/{TRAIN_IMAGES}.gz"
    result.assert_one_line_error(url, *words)
    assert cached() == []                              # no file, no temporary file
    # the process's own start (a few seconds on a loaded machine) plus the bound
    assert elapsed < 8 + DEADLINE + after_deadline, elapsed


def test_a_download_killed_mid_file_leaves_nothing_trusted_and_the_next_run_cleans_up(server):
    """SIGKILL while a file streams in: a temporary file stays, the cached set is not taken for
    downloaded, and the next download removes the leftover and completes."""
    base, published = server
    script = library_call(prelude(published, deadline=60),
                          ["data", "fetch", "mnist", "--source", "mirror"])
    child = subprocess.Popen([sys.executable, *script], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             env={**os.environ, **ONE_THREAD,
                                  "SCRATCHNET_MIRROR": f"{base}/half-then-trickle"})
    try:
        for _ in range(300):                           # until bytes are streaming in
            partial = list(cache_folder().glob(".*.tmp")) if cache_folder().exists() else []
            if partial and partial[0].stat().st_size > 0:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the download never started")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    left = cached()
    assert len(left) == 1 and left[0].startswith(f".{TRAIN_IMAGES}.gz.") and left[0].endswith(
        ".tmp"), left
    info = run_bounded(["data", "info", "--json"], allowance=256 * MB,   # reads Fashion-MNIST
                       case="data info after a SIGKILL", env={"PATH": "/nonexistent"})  # no npm
    assert info.returncode == 0, info.stderr
    mnist = [e for e in json.loads(info.stdout) if e["name"] == "mnist"]
    assert mnist == [{"name": "mnist", "source": None, "location": None}]   # nothing trusted
    again = fetch(server, "good", "the run after a SIGKILL")
    assert again.returncode == 0, again.stderr
    assert cached() == sorted(f"{stem}.gz" for stem in FILES)          # leftover removed


def test_a_temporary_file_being_written_is_not_removed(tmp_path):
    """Only dead writers' temporaries go: a live writer's lock protects its file."""
    from scratchnet.files import atomic_file, remove_stale_temporaries

    (tmp_path / ".a.gz.dead.tmp").write_bytes(b"left by a killed process")
    with atomic_file(tmp_path / "b.gz") as file:
        file.write(b"being written")
        assert [p.name for p in remove_stale_temporaries(tmp_path)] == [".a.gz.dead.tmp"]
        assert len(list(tmp_path.glob(".b.gz.*.tmp"))) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.gz"]
