"""Shared fixtures. The book is built once per test session, with the exact command of the README;
every test marked ``isolated_data`` runs without the developer's data and without the internet."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest_plugins = ("data_support",)   # the data tests' fixtures: loopback mirror, npm digits

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


HARMLESS = ("Kernel is running over TCP without encryption",)
"""Log lines with WARNING that are not about the book: jupyter_client's notice for local kernels."""


def run_book_build(*extra: str) -> subprocess.CompletedProcess:
    """``jupyter-book build book/`` from the repository root, warnings turned into errors."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    jb = shutil.which("jupyter-book", path=env["PATH"])
    return subprocess.run([jb, "build", "book/", "--warningiserror", "--keep-going", *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True)


BOOK_FIXTURES = {"built_book", "pdf_book", "student_pdf", "any_pdf"}
"""Fixtures that build the book: a test that uses one (even through another fixture) is a ``book``
test, left out by ``make test-fast``."""


def pytest_collection_modifyitems(items):
    for item in items:
        if BOOK_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.book)


@pytest.fixture(scope="session")
def built_book() -> Path:
    """The built HTML site (``_build/html``); the build must succeed with no warning."""
    result = run_book_build()
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"book build failed:\n{log[-6000:]}"
    warnings = [line for line in log.splitlines()
                if "WARNING" in line and not any(ok in line for ok in HARMLESS)]
    assert not warnings, "book build warned:\n" + "\n".join(warnings[:20])
    return ROOT / "_build" / "html"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache (``tmp_path/cache``) and local data folder (``tmp_path/data``), and a mirror
    that refuses connections, so the test reads none of the developer's data and reaches for no
    network. Returns ``tmp_path``."""
    monkeypatch.setenv("SCRATCHNET_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SCRATCHNET_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("SCRATCHNET_MIRROR", f"http://127.0.0.1:{closed_port()}")
    return tmp_path


@pytest.fixture(autouse=True)
def isolate_marked_tests(request: pytest.FixtureRequest) -> None:
    """Every test marked ``isolated_data`` (the data layer's test modules set ``pytestmark``) runs
    in the :func:`isolated` environment, whether or not it asks for it by name."""
    if request.node.get_closest_marker("isolated_data"):
        request.getfixturevalue("isolated")


@pytest.fixture(scope="session")
def student_site(built_book) -> Path:
    """The student edition's site (``make book-student``: ``_build/student/html``), built after
    the main one, whose execution cache it reuses; the build must succeed with no warning."""
    from scratchnet_book.editions import build_student

    start = time.perf_counter()
    site = build_student(ROOT, "--warningiserror", "--keep-going")
    print(f"student edition built in {time.perf_counter() - start:.0f} s")
    return site
