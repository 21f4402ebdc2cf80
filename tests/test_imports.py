"""Every module imports with only what pyproject.toml declares: the library with its dependencies,
the book tooling with the ``book`` extra, the test suite with the ``test`` extra.

Each check builds a virtual environment holding exactly the declared dependencies of one extra
(pinned by requirements.lock, installed by uv), then imports every module from the source tree.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow   # each test starts processes: make test-fast leaves them out

ROOT = Path(__file__).resolve().parents[1]
CODE = ROOT / "code"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
UV = Path(sys.executable).parent / "uv"
SELF = re.compile(r"^scratchnet\[(?P<extras>[\w,\s-]+)\]$")


def declared(extra: str | None) -> list[str]:
    """The requirements of the library plus ``extra``, following ``scratchnet[other]`` entries."""
    project = PYPROJECT["project"]
    found, todo, seen = list(project["dependencies"]), [extra] if extra else [], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for requirement in project["optional-dependencies"][name]:
            inner = SELF.match(requirement)
            if inner:
                todo += [e.strip() for e in inner["extras"].split(",")]
            else:
                found.append(requirement)
    return found


def modules(package: str) -> list[str]:
    """Every module of ``package`` under code/, by its dotted name (``__main__`` runs the CLI
    when imported, so it is left out)."""
    folder = CODE / package
    return sorted(".".join(path.relative_to(CODE).with_suffix("").parts).removesuffix(".__init__")
                  for path in folder.rglob("*.py") if path.name != "__main__.py")


def venv_with(requirements: list[str], folder: Path) -> Path:
    lock = [line for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line and not line.startswith("#")]
    constraints = folder / "constraints.txt"
    constraints.write_text("\n".join(lock) + "\n")
    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    subprocess.run([str(UV), "venv", "--quiet", "--python", sys.executable, str(folder / "venv")],
                   check=True, env=env, capture_output=True)
    python = folder / "venv" / "bin" / "python"
    done = subprocess.run([str(UV), "pip", "install", "--quiet", "--python", str(python),
                           "-c", str(constraints), *requirements],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def imports_in(python: Path, names: list[str]) -> subprocess.CompletedProcess:
    script = ("import importlib, sys\nfailed = []\nfor name in sys.argv[1:]:\n"
              "    try:\n        importlib.import_module(name)\n"
              "    except Exception as error:\n"
              "        failed.append(f'{name}: {type(error).__name__}: {error}')\n"
              "print('\\n'.join(failed))\nsys.exit(1 if failed else 0)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(CODE), MPLBACKEND="Agg")
    return subprocess.run([str(python), "-c", script, *names], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_declared_dependencies_follow_self_references():
    assert "pytest>=8" in declared("test")
    assert any(r.startswith("jupyter-book") for r in declared("test")), "test includes book"
    assert not any(r.startswith("jupyter-book") for r in declared(None))


@pytest.mark.parametrize("extra, packages", [(None, ["scratchnet"]),
                                             ("book", ["scratchnet", "scratchnet_book"])])
def test_every_module_imports_with_only_the_declared_dependencies(tmp_path, extra, packages):
    python = venv_with(declared(extra), tmp_path)
    names = [name for package in packages for name in modules(package)]
    done = imports_in(python, names)
    assert done.returncode == 0, (f"with only the dependencies of {extra or 'the library'}:\n"
                                  f"{done.stdout}{done.stderr[-2000:]}")


def test_the_test_suite_collects_with_only_the_test_extra(tmp_path):
    python = venv_with(declared("test"), tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(CODE)
    done = subprocess.run([str(python), "-m", "pytest", "--collect-only", "-q", "-p",
                           "no:cacheprovider", str(ROOT / "tests")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
