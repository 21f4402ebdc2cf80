"""Chapters as downloadable notebooks that run outside the book, and the launch buttons."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from scratchnet_book.sphinx_notebooks import is_notebook_source, runnable_notebook

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY = CONFIG["repository"]["url"]


def chapter_pages() -> list[str]:
    toc = (ROOT / "_toc.yml").read_text()
    files = re.findall(r"file:\s*(\S+)", toc) + [re.search(r"root:\s*(\S+)", toc)[1]]
    return [f for f in files if is_notebook_source(ROOT / "book" / f"{f}.md")]


def test_every_chapter_has_a_notebook_and_a_download_link(built_book):
    pages = chapter_pages()
    assert "forward" in pages
    for page in pages:
        notebook = built_book / "_notebooks" / f"{page}.ipynb"
        assert notebook.is_file(), f"no notebook for {page}"
        nbformat.validate(nbformat.read(notebook, as_version=4))
        page_html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert f'href="_notebooks/{page}.ipynb"' in page_html, f"{page}.html links no notebook"
        assert "scratchnet-notebook-link" in page_html


def test_launch_buttons_open_the_repository_on_binder_and_colab(built_book):
    slug = REPOSITORY.removeprefix("https://github.com/")
    branch = CONFIG["repository"]["branch"]
    for page in chapter_pages():
        page_html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert (f'href="https://mybinder.org/v2/gh/{slug}/{branch}?urlpath=lab/tree/book/{page}.md"'
                in page_html), f"no Binder link on {page}"
        colab = f"https://colab.research.google.com/github/{slug}/blob/notebooks/{page}.ipynb"
        assert f'href="{colab}"' in page_html, f"no Colab link on {page}"
        # Thebe stays off: nothing is fetched from a CDN when the page opens.
        assert not re.search(r'<script[^>]+src="(https?:)?//', page_html)
        assert "thebe-launch-button" not in page_html


def test_the_setup_cell_installs_scratchnet_from_the_repository():
    nb = runnable_notebook(ROOT / "book" / "forward.md", REPOSITORY)
    setup = nb.cells[1].source
    assert f'%pip install --quiet "scratchnet @ git+{REPOSITORY}"' in setup
    assert "import scratchnet" in setup
    sources = "\n".join(c.source for c in nb.cells)
    assert "{literalinclude}" not in sources, "literalinclude means nothing outside the book"
    assert "show_source(scratchnet.model.softmax)" in sources


def test_a_downloaded_notebook_runs_outside_the_repository(built_book, tmp_path, monkeypatch):
    """forward.ipynb, copied to an empty folder and run there, as if MyST-NB were not installed."""
    notebook = tmp_path / "forward.ipynb"
    shutil.copy(built_book / "_notebooks" / "forward.ipynb", notebook)
    monkeypatch.chdir(tmp_path)
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, new_code_cell('import sys\nsys.modules["myst_nb"] = None  # no MyST-NB'))
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors
    printed = "".join(o.get("text", "") for o in outputs)
    assert "def softmax(Z" in printed, "the literalinclude cell prints the library's softmax"
    assert "softmax not implemented yet" in printed or "✓ correct: softmax" in printed
