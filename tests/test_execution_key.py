"""A page's cached outputs are reused only while the library code it imports, the lock file and
the data stay the same (scratchnet_book.execution_key)."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from scratchnet_book import execution_key as ek

PAGE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# {title}

```{{code-cell}} ipython3
{code}
```
"""


@pytest.fixture
def library(tmp_path, monkeypatch):
    """A small stand-in for code/: scratchnet.alpha imports scratchnet.beta; gamma is alone."""
    code = tmp_path / "code"
    package = code / "scratchnet"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "alpha.py").write_text("from .beta import VALUE\nA = VALUE + 1\n")
    (package / "beta.py").write_text("VALUE = 1\n")
    (package / "gamma.py").write_text("G = 3\n")
    lock = tmp_path / "requirements.lock"
    lock.write_text("numpy==2.0\n")
    monkeypatch.setattr(ek, "ROOT", tmp_path)
    monkeypatch.setattr(ek, "CODE", code)
    monkeypatch.setattr(ek, "LOCK", lock)
    ek.module_closure.cache_clear()
    yield package
    ek.module_closure.cache_clear()


def test_imports_are_found_in_every_form():
    names = ek.imported_names("import scratchnet.model as m\nfrom scratchnet import data, train\n"
                              "def f():\n    from scratchnet.evaluate import report\n")
    assert {"scratchnet.model", "scratchnet.data", "scratchnet.train",
            "scratchnet.evaluate"} <= names
    assert ek.imported_names("from .beta import x", "scratchnet") >= {"scratchnet.beta"}
    assert ek.imported_names("%pip install x\nfrom scratchnet import plots") >= {
        "scratchnet.plots"}, "a cell with a magic still counts by its import lines"
    in_a_block = "%%time\ntry:\n    from scratchnet import fast\nexcept ImportError:\n    pass\n"
    assert "scratchnet.fast" in ek.imported_names(in_a_block)
    over_lines = "%time\nfrom scratchnet import (\n    model,\n)\n"
    assert "scratchnet.model" in ek.imported_names(over_lines)
    assert ek.imported_names("x = (\nfrom scratchnet import (\n") == set(), "broken code: no error"


def test_the_closure_follows_the_library_imports(library):
    closure = {p.name for p in ek.module_closure("scratchnet.alpha")}
    assert closure == {"alpha.py", "beta.py", "__init__.py"}


def key_of(code: str, page_dir: Path) -> str:
    return ek.execution_key(PAGE.format(title="t", code=code), page_dir)


def test_the_key_changes_with_what_the_page_imports_and_only_that(library, tmp_path):
    page = "from scratchnet import alpha"
    before = key_of(page, tmp_path)
    (library / "gamma.py").write_text("G = 4\n")
    assert key_of(page, tmp_path) == before, "a module the page does not use"
    (library / "beta.py").write_text("VALUE = 2\n")
    assert key_of(page, tmp_path) != before, "a module that alpha imports"


def test_the_key_changes_with_the_lock_file_and_an_included_file(library, tmp_path):
    page = "import scratchnet.gamma"
    before = key_of(page, tmp_path)
    ek.LOCK.write_text("numpy==2.1\n")
    assert key_of(page, tmp_path) != before
    shown = tmp_path / "shown.py"
    shown.write_text("x = 1\n")
    source = PAGE.format(title="t", code=page) + "\n```{literalinclude} shown.py\n```\n"
    with_include = ek.execution_key(source, tmp_path)
    shown.write_text("x = 2\n")
    assert ek.execution_key(source, tmp_path) != with_include


def test_the_key_changes_with_a_benchmark_script_the_page_names(library, tmp_path, monkeypatch):
    benchmarks = tmp_path / "benchmarks"
    benchmarks.mkdir()
    (benchmarks / "bench_x.py").write_text("from scratchnet import gamma\n")
    monkeypatch.setattr(ek, "BENCHMARKS", benchmarks)
    page = 'SCRIPT = ROOT / "benchmarks" / "bench_x.py"'
    before = key_of(page, tmp_path)
    (library / "gamma.py").write_text("G = 4\n")
    assert key_of(page, tmp_path) != before, "a module the script imports"
    changed = key_of(page, tmp_path)
    (benchmarks / "bench_x.py").write_text("from scratchnet import gamma  # edited\n")
    assert key_of(page, tmp_path) != changed, "the script itself"


def test_a_page_that_is_not_a_notebook_has_no_key_even_if_it_shows_a_code_cell():
    template = "# Guide\n\n`````markdown\n```{code-cell} ipython3\nx = 1\n```\n`````\n"
    assert ek.execution_key(template, Path(".")) is None
    assert ek.execution_key(PAGE.format(title="t", code="x = 1"), Path(".")) is not None


def test_a_page_without_code_cells_has_no_key():
    assert ek.execution_key("# Title\n\nJust prose.\n", Path(".")) is None


def build(src: Path, out: Path, builder: str = "html") -> int:
    """Build ``src`` with MyST-NB's execution cache and this extension; pages executed."""
    from sphinx.application import Sphinx

    status = io.StringIO()
    app = Sphinx(str(src), None, str(out / builder), str(out / "doctrees"), builder,
                 confoverrides={"extensions": ["myst_nb", "scratchnet_book.execution_key"],
                                "nb_execution_mode": "cache",
                                "nb_execution_cache_path": str(out / "cache"),
                                "nb_execution_raise_on_error": True},
                 status=status, warning=io.StringIO(), freshenv=False)
    app.build()
    assert app.statuscode == 0, status.getvalue()[-2000:]
    return status.getvalue().count("Executed notebook in")


def two_pages(tmp_path: Path) -> Path:
    """A book of two pages, one importing alpha (and through it beta), one gamma."""
    src = tmp_path / "book"
    src.mkdir()
    (src / "conf.py").write_text("")
    (src / "index.md").write_text(textwrap.dedent("""\
        # Index

        ```{toctree}
        uses_alpha
        uses_gamma
        ```
        """))
    (src / "uses_alpha.md").write_text(PAGE.format(title="A", code="from scratchnet import alpha\n"
                                                   "print(alpha.A)"))
    (src / "uses_gamma.md").write_text(PAGE.format(title="G", code="from scratchnet import gamma\n"
                                                   "print(gamma.G)"))
    return src


@pytest.mark.slow
def test_a_rebuild_executes_only_the_pages_whose_imports_changed(library, tmp_path, monkeypatch):
    """Sphinx would not even read a page again whose own file is unchanged; the extension marks
    it outdated when what it imports changed."""
    monkeypatch.setenv("PYTHONPATH", str(library.parent))     # the kernels import the stand-in
    src, out = two_pages(tmp_path), tmp_path / "_build"
    assert build(src, out) == 2
    assert build(src, out) == 0, "nothing changed: nothing runs"
    (library / "beta.py").write_text("VALUE = 41\n")
    assert build(src, out) == 1, "only the page that imports alpha, which imports beta"
    assert "42" in (out / "html" / "uses_alpha.html").read_text()
    assert build(src, out) == 0


@pytest.mark.slow
def test_the_html_pages_follow_a_run_of_the_single_page_build(library, tmp_path, monkeypatch):
    """The PDF's single-page build shares the doctrees: after it ran the changed page again, the
    html build must write that page too, though its source file is older than its html."""
    monkeypatch.setenv("PYTHONPATH", str(library.parent))
    src, out = two_pages(tmp_path), tmp_path / "_build"
    assert build(src, out) == 2
    (library / "beta.py").write_text("VALUE = 41\n")
    assert build(src, out, "singlehtml") == 1
    assert build(src, out) == 0, "the single-page build's execution is reused"
    assert "42" in (out / "html" / "uses_alpha.html").read_text()
