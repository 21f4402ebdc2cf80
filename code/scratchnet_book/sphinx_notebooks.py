"""Sphinx extension: every chapter as a runnable Jupyter notebook, with a download link.

Registered in ``_config.yml`` (``sphinx: extra_extensions``), so ``jupyter-book build book/`` does
it. After an HTML build, each MyST notebook page ``book/<page>.md`` becomes
``_notebooks/<page>.ipynb`` in the site, made with jupytext from the *source* (so the student
edition's notebooks come from its stripped sources and contain no solution), then adapted to run
outside the book:

- a first code cell imports scratchnet, or installs it from the repository
  (``%pip install "scratchnet @ git+<repository url>"``) on Colab, Binder or a fresh kernel, and
  stands in for ``myst_nb.glue`` when MyST-NB is not installed (the book uses glue to put computed
  numbers in the prose; in a notebook the value is simply kept);
- a ``{literalinclude}`` of ``../code/scratchnet/<module>.py`` (with ``:pyobject:`` and
  ``:lines:``) becomes a code cell ``show_source(scratchnet.<module>.<object>)`` that prints the
  same code from the installed package, so it cannot drift from the library either; an include of
  any other file becomes a link to it in the repository;
- the data come from ``scratchnet.data.load``, which downloads and caches MNIST when online.

On each such page the theme's "download .ipynb" button points at this notebook, a line under the
title links to it, and the Colab launch button opens it from the ``notebooks`` branch of the
repository (``scratchnet_notebooks_branch``), where the GitHub Pages workflow publishes them:
Colab cannot open a MyST ``.md`` file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx

NOTEBOOK_DIR = "_notebooks"
INCLUDE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{literalinclude\}[ \t]+(?P<path>\S+)[ \t]*\n"
    r"(?P<options>(?:[ \t]*:[\w-]+:.*\n)*)"
    r"(?P=fence)[ \t]*$", re.MULTILINE)
OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$", re.MULTILINE)

SETUP_CODE = '''\
# Setup: use scratchnet if it is installed, else install it from the book's repository.
try:
    import scratchnet
except ImportError:
    %pip install --quiet "scratchnet @ git+{repository}"
    import scratchnet

try:  # the book's build puts computed numbers into the prose with MyST-NB's glue
    from myst_nb import glue
except ImportError:  # outside the book, glue(name, value) just shows the value unless display=False
    import sys
    import types
    from IPython.display import display as _display

    def glue(name, value, display=True):
        if display:
            _display(value)

    sys.modules["myst_nb"] = types.SimpleNamespace(glue=glue)


def show_source(obj, lines=None):
    """Print the source code of a scratchnet function, class or module (the book includes it).

    lines: as in the book's literalinclude, e.g. "3-9" or "1,4-6" (1-based, inclusive).
    """
    import inspect
    text = inspect.getsource(obj).splitlines()
    if lines:
        keep = []
        for part in str(lines).split(","):
            start, _, stop = part.partition("-")
            first = int(start) if start else 1
            last = (int(stop) if stop else len(text)) if _ else first
            keep.extend(text[first - 1:last])
        text = keep
    print("\\n".join(text))
'''

INTRO = """\
**Runnable notebook of “{title}”** from *{book}*. It was generated from the chapter's source
by the book's build. The first cell imports `scratchnet` (or installs it from
<{repository}>); the digits come from `scratchnet.data.load`, which downloads and caches MNIST the
first time. Text written for the book's web page (cross-references, `{{glue:text}}` numbers,
`{{math}}` labels) is shown here as plain MyST markup; the code cells are the chapter's.
"""


def is_notebook_source(path: Path) -> bool:
    """A MyST Markdown notebook: a ``.md`` file whose front matter names a Jupyter kernel."""
    if path.suffix != ".md" or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]


def _include_cell(path: str, options: dict[str, str], repository: str, branch: str):
    """The notebook cell that stands for one literalinclude."""
    match = re.search(r"(?:^|/)code/(scratchnet/[\w/]+)\.py$", path)
    if not match:
        target = path.replace("../", "")
        link = f"{repository}/blob/{branch}/{target}"
        return new_markdown_cell(f"*(The book shows [`{target}`]({link}) here.)*")
    module = match[1].replace("/", ".")
    obj = f"{module}.{options['pyobject']}" if "pyobject" in options else module
    lines = f', lines="{options["lines"]}"' if "lines" in options else ""
    return new_code_cell(f"import {module}\nshow_source({obj}{lines})")


def _split_markdown(source: str, repository: str, branch: str) -> list:
    cells, position = [], 0
    for match in INCLUDE.finditer(source):
        before = source[position:match.start()].strip("\n")
        if before.strip():
            cells.append(new_markdown_cell(before))
        options = {m["key"]: m["value"] for m in OPTION.finditer(match["options"])}
        cells.append(_include_cell(match["path"], options, repository, branch))
        position = match.end()
    rest = source[position:].strip("\n")
    if rest.strip():
        cells.append(new_markdown_cell(rest))
    return cells


def runnable_notebook(source: Path, repository: str, branch: str = "main",
                      book_title: str = "the book") -> nbformat.NotebookNode:
    """The notebook for one MyST chapter, ready to run outside the book (see the module
    docstring)."""
    import jupytext

    nb = jupytext.read(source, fmt="md:myst")
    heading = re.search(r"^# (.+)$", source.read_text(encoding="utf-8"), re.MULTILINE)
    title = heading[1].strip() if heading else source.stem
    cells = [new_markdown_cell(INTRO.format(title=title, book=book_title, repository=repository)),
             new_code_cell(SETUP_CODE.format(repository=repository))]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cells.extend(_split_markdown(cell.source, repository, branch))
        elif cell.cell_type == "code":
            code = new_code_cell(cell.source)
            tags = cell.get("metadata", {}).get("tags")
            if tags:
                code.metadata["tags"] = list(tags)
            cells.append(code)
        else:
            cells.append(cell)
    kernelspec = dict(nb.metadata.get("kernelspec") or
                      {"name": "python3", "display_name": "Python 3", "language": "python"})
    out = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": kernelspec, "language_info": {"name": "python"}})
    nbformat.validate(out)
    return out


# --- the Sphinx side ------------------------------------------------------------------------------


def _repository(app: Sphinx) -> tuple[str, str]:
    options = app.config.html_theme_options or {}
    url = (options.get("repository_url") or "").rstrip("/")
    return url, options.get("repository_branch") or "main"


def _notebook_pages(app: Sphinx) -> dict[str, Path]:
    pages = {}
    for docname in sorted(app.env.found_docs):
        path = Path(app.env.doc2path(docname))
        if is_notebook_source(path):
            pages[docname] = path
    return pages


def write_notebooks(app: Sphinx, exception: Exception | None) -> None:
    """build-finished: write ``_notebooks/<page>.ipynb`` for every MyST notebook page."""
    if exception is not None or app.builder.format != "html":
        return
    repository, branch = _repository(app)
    out = Path(app.outdir) / NOTEBOOK_DIR
    for docname, path in _notebook_pages(app).items():
        target = out / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(runnable_notebook(path, repository, branch, app.config.project), target)


def link_notebook(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                  doctree: nodes.document | None) -> None:
    """html-page-context (after the theme's buttons): point downloads and Colab at the notebook."""
    if doctree is None or app.builder.format != "html":
        return
    if not is_notebook_source(Path(app.env.doc2path(pagename))):
        return
    url = context["pathto"](f"{NOTEBOOK_DIR}/{pagename}.ipynb", 1)
    name = Path(pagename).name + ".ipynb"
    for group in context.get("header_buttons", []):
        buttons = group.get("buttons", [])
        if group.get("label") == "download-buttons":
            existing = [b for b in buttons if b.get("label") == "download-notebook-button"]
            if existing:
                existing[0]["url"] = url
            else:
                buttons.insert(0, {"type": "link", "url": url, "text": ".ipynb",
                                   "icon": "fas fa-code", "tooltip": "Download notebook file",
                                   "label": "download-notebook-button"})
        if group.get("label") == "launch-buttons":
            repository, _ = _repository(app)
            slug = re.sub(r"^https://github\.com/", "", repository)
            for button in buttons:
                if button.get("text") == "Colab" and slug != repository:
                    colab = button["url"].split("/github/")[0]
                    button["url"] = (f"{colab}/github/{slug}/blob/"
                                     f"{app.config.scratchnet_notebooks_branch}/{pagename}.ipynb")
    link = (f'<p class="scratchnet-notebook-link">Run this chapter yourself: '
            f'<a class="reference download" href="{url}" download="{name}">'
            f'<code>{name}</code></a> (a Jupyter notebook).</p>')
    body = context.get("body", "")
    heading_end = body.find("</h1>")
    if heading_end >= 0:
        heading_end += len("</h1>")
        context["body"] = body[:heading_end] + "\n" + link + body[heading_end:]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension: the notebooks after the build, the links on every page."""
    app.add_config_value("scratchnet_notebooks_branch", "notebooks", "html")
    app.connect("html-page-context", link_notebook, priority=600)
    app.connect("build-finished", write_notebooks)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
