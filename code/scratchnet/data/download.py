"""Downloading one file over HTTP(S) with its time and size bounded and its MD5 checked.

    download_file(url, target, md5)   # -> target, complete and verified, or an exception

The body is streamed into a locked temporary file beside ``target`` (``files.atomic_file``) and
hashed on the way; only a complete download with the right MD5 is renamed into place, so a failed,
refused or interrupted download never replaces or damages a cached file. Three bounds hold:

- ``CONNECT_TIMEOUT`` to reach the server and ``READ_TIMEOUT`` for any one read: a server that
  goes silent is abandoned;
- ``DEADLINE`` for the whole file, headers included: a server that trickles bytes (each read
  within its timeout, the file never done) is abandoned when the deadline passes — a timer shuts
  the connection's socket down, which ends even a read that is waiting;
- ``MAX_BYTES``: a server that announces or sends more than any dataset file holds is refused.

A download killed outright (``SIGKILL``) leaves only its temporary file, which no reader opens and
the next download into the folder removes (``files.remove_stale_temporaries``).

pooch's downloader bounds each read but not the whole file, hence this module (on ``requests``).
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from scratchnet.errors import DataError, one_line
from scratchnet.files import atomic_file, remove_stale_temporaries

if TYPE_CHECKING:
    import requests
    from tqdm import tqdm

CONNECT_TIMEOUT = 3.0      # seconds to reach a server: offline, give up fast
READ_TIMEOUT = 15.0        # seconds a connected server may stay silent
DEADLINE = 600.0           # seconds for one whole file (the largest, 26 MB, is 3.5 min at 1 Mbit/s)
MAX_BYTES = 64 << 20       # the largest published file of the datasets is 26 MB
CHUNK = 65536


class Unreachable(DataError):
    """The server could not be used (no connection, an HTTP error, silence, too slow): another
    server may do. Any other ``DataError`` from :func:`download_file` is about what it sent."""


class Deadline:
    """A deadline for one download: when it passes, every socket it watches is shut down."""

    def __init__(self, seconds: float):
        self.seconds, self.start = seconds, time.monotonic()
        self.sockets: list[socket.socket] = []
        self.expired = threading.Event()
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        self.sockets.append(sock)
        if self.expired.is_set():
            self.expire()

    def expire(self) -> None:
        self.expired.set()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> Deadline:
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.cancel()


def session_watched_by(deadline: Deadline) -> requests.Session:
    """A ``requests.Session`` whose every connection (direct or through an HTTP proxy) registers
    its socket with ``deadline`` as soon as it is connected (through a SOCKS proxy the deadline is
    checked between reads only)."""
    import requests
    import urllib3

    def watched(connection_class):
        class Watched(connection_class):
            def connect(self):
                super().connect()
                deadline.watch(self.sock)
        return Watched

    class Pool(urllib3.HTTPConnectionPool):
        ConnectionCls = watched(urllib3.connection.HTTPConnection)

    class SecurePool(urllib3.HTTPSConnectionPool):
        ConnectionCls = watched(urllib3.connection.HTTPSConnection)

    class Adapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": SecurePool}

        def proxy_manager_for(self, proxy, **kwargs):
            manager = super().proxy_manager_for(proxy, **kwargs)
            if not proxy.lower().startswith("socks"):     # SOCKS pools are its own: per-read
                manager.pool_classes_by_scheme = {"http": Pool, "https": SecurePool}
            return manager

    session = requests.Session()
    for prefix in ("http://", "https://"):
        session.mount(prefix, Adapter())
    return session


def download_file(url: str, target: str | Path, md5: str) -> Path:
    """Fetch ``url`` into ``target`` if its MD5 is ``md5``, within the bounds above.

    Raises :class:`Unreachable` when the server cannot be used (try another) and ``DataError``
    when what it sent is refused (too big, wrong MD5) or the cache cannot be written; ``target``
    is untouched unless the download succeeds.
    """
    target = Path(target)
    try:
        remove_stale_temporaries(target.parent)
        with atomic_file(target) as file:
            fetch(url, file, md5, target.parent)
    except OSError as error:        # the temporary file or its rename: fetch owns the network
        raise DataError(f"{target.parent}: cannot write the cache "
                        f"({error.strerror or one_line(error)})") from None
    return target


def fetch(url: str, file: BinaryIO, md5: str, folder: Path) -> None:
    """Stream ``url``'s body into ``file`` within the bounds; a ``DataError`` unless it is
    complete and its MD5 is ``md5`` (``folder`` names the cache in a message about writing)."""
    import requests
    import urllib3
    from tqdm import tqdm

    received = 0
    with Deadline(DEADLINE) as deadline, session_watched_by(deadline) as session:
        try:
            with session.get(url, stream=True, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)) as response:
                response.raise_for_status()
                announced = int(response.headers.get("Content-Length") or 0)
                if announced > MAX_BYTES:
                    raise DataError(f"{url}: the server announces {announced:,} bytes, more "
                                    f"than the {MAX_BYTES:,} a dataset file has; refused, "
                                    "nothing cached")
                digest = hashlib.md5()
                bar = tqdm(total=announced or None, unit="B", unit_scale=True, leave=False,
                           desc=url.rsplit("/", 1)[-1], disable=None)   # only on a terminal
                for chunk in bar_chunks(response.iter_content(CHUNK), bar):
                    received += len(chunk)
                    if deadline.expired.is_set():
                        break
                    if received > MAX_BYTES:
                        raise DataError(f"{url}: more than {MAX_BYTES:,} bytes, more than a "
                                        "dataset file has; refused, nothing cached")
                    digest.update(chunk)
                    try:
                        file.write(chunk)
                    except OSError as error:
                        raise DataError(f"{folder}: cannot write the cache "
                                        f"({error.strerror or one_line(error)})") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            if deadline.expired.is_set():
                raise too_slow(url, deadline, received) from None
            raise Unreachable(f"{url}: {network_problem(error)}") from None
        if deadline.expired.is_set():
            raise too_slow(url, deadline, received)
    if digest.hexdigest() != md5:
        raise DataError(f"{url}: md5 of the download is {digest.hexdigest()[:12]}…, "
                        f"expected {md5[:12]}…; rejected, nothing cached")


def bar_chunks(chunks: Iterable[bytes], bar: tqdm) -> Iterator[bytes]:
    """The chunks, counted on the progress bar as they come; the bar closed at the end."""
    with bar:
        for chunk in chunks:
            bar.update(len(chunk))
            yield chunk


def too_slow(url: str, deadline: Deadline, received: int) -> Unreachable:
    return Unreachable(f"{url}: abandoned after {deadline.seconds:g} s, the deadline for one file "
                       f"({received:,} bytes received: too slow); nothing cached")


def network_problem(error: Exception) -> str:
    """A few words on why a download failed (``HTTP 404``, ``timed out``, ``cannot connect``)."""
    import requests

    text = str(error)
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code}"
    if isinstance(error, requests.Timeout) or "timed out" in text.lower():
        return "timed out"
    if "IncompleteRead" in text or isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "the connection closed before the end of the file; nothing cached"
    if "NameResolution" in text or "Name or service not known" in text:
        return "cannot resolve host (offline?)"
    if isinstance(error, requests.ConnectionError):
        return "cannot connect (offline?)"
    return type(error).__name__
