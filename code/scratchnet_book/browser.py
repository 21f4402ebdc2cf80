"""The browser the tests and the PDF drive: which Chromium (the system's, or Playwright's own
download), the flags it starts with, and the local server a built site is read from.

    python -m scratchnet_book.browser     # prints the path, or says what is missing (exit 1)

The set-up (``tools/bootstrap.py``) obtains one where it can; the tests skip with :data:`MISSING`
as the reason where none exists.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MISSING = ("no Chromium: install one with `sudo apt-get install chromium` "
           "or `.venv/bin/playwright install chromium` (make test tries both)")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
"""Launch flags: no sandbox (root in CI), and none of Chromium's own network traffic."""


def find_chromium() -> Path | None:
    """A Chromium executable: the first of :data:`SYSTEM_NAMES` on PATH, else the one
    ``playwright install chromium`` downloaded, else None."""
    for name in SYSTEM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            bundled = Path(playwright.chromium.executable_path)
    except Exception:   # no playwright, or its driver cannot start: no bundled browser
        return None
    return bundled if bundled.is_file() else None


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Python's static file handler, without a log line per request."""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 at a free port, in a thread; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


if __name__ == "__main__":
    chromium = find_chromium()
    if chromium is None:
        sys.exit(MISSING)
    print(chromium)
