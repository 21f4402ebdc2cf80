"""scratchnet_book.browser.serve: the local server the browser tests and the PDF read a built site
from (127.0.0.1 only, stopped when the block ends)."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from scratchnet_book import browser


def test_serve_gives_the_folders_files_on_loopback_and_stops_after_the_block(tmp_path):
    (tmp_path / "page.html").write_bytes(b"<p>a page</p>")
    with browser.serve(tmp_path) as base:
        assert urlsplit(base).hostname == "127.0.0.1"
        with urllib.request.urlopen(f"{base}/page.html", timeout=10) as response:
            assert response.read() == b"<p>a page</p>"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/absent.html", timeout=10)
        assert missing.value.code == 404
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{base}/page.html", timeout=2)
