"""Sphinx extension: every chapter as a runnable Jupyter notebook, with a download link.

Registered in ``_config.yml`` (``sphinx: extra_extensions``), so ``jupyter-book build book/`` does
it. After an HTML build, each MyST notebook page ``book/<page>.md`` becomes
``_notebooks/<page>.ipynb`` in the site, made with jupytext from the *source* (so the student
edition's notebooks come from its stripped sources and contain no solution), then adapted to run
and read outside the book:

- a first code cell imports scratchnet, or installs it from the repository
  (``%pip install "scratchnet @ git+<repository url>"``) on Colab, Binder or a fresh kernel,
  stands in for ``myst_nb.glue`` when MyST-NB is not installed (in a notebook the value is simply
  shown), and defines :func:`show_source`;
- a ``{literalinclude}`` of ``../code/scratchnet/<module>.py`` becomes a code cell
  ``show_source(scratchnet.<module>.<object>, start_at=..., ...)`` that prints, from the installed
  package, exactly the lines the page shows (every option of Sphinx's ``literalinclude`` the
  chapters use: ``:pyobject:``, ``:start-at:``/``:start-after:``, ``:end-at:``/``:end-before:``,
  ``:lines:``, ``:dedent:``, ``:lineno-match:``, ``:emphasize-lines:``), so it cannot drift from
  the library; an include of any other file becomes those lines in a code block, with a link;
- the Markdown cells lose every piece of MyST that Jupyter and Colab cannot render
  (:mod:`scratchnet_book.myst_markdown`): glued values are filled in as the page formats them,
  references become the page's text linked to the site, exercises and admonitions become block
  quotes, numbered equations ``$$ ... \\tag{n} $$``; the build supplies what they need
  (:func:`page_facts`: numbers, titles, the resolved references, the glued values);
- a code cell's ``:tags:`` stay as notebook tags, hidden input or output becomes Jupyter's
  ``source_hidden``/``outputs_hidden``, and a figure's caption follows its cell in Markdown;
- the data come from ``scratchnet.data.load``, which downloads and caches MNIST when online.

On each such page the theme's "download .ipynb" button points at this notebook, a line under the
title links to it, and the Colab launch button opens it from the ``notebooks`` branch of the
repository (``scratchnet_notebooks_branch``), where the GitHub Pages workflow publishes them:
Colab cannot open a MyST ``.md`` file. Links in the notebooks point at the published site
(``scratchnet_site_url``; by default Sphinx's ``html_baseurl``, else the repository's GitHub
Pages address).
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import nbformat
from docutils import nodes
from nbformat.v4 import new_code_cell, new_markdown_cell

from scratchnet_book.myst_markdown import PageFacts, convert, escape

if TYPE_CHECKING:
    from sphinx.application import Sphinx

NOTEBOOK_DIR = "_notebooks"
LIBRARY = re.compile(r"(?:^|/)code/(?P<module>scratchnet/[\w/]+)\.py$")
SHOW_SOURCE_OPTIONS = {"lines", "start-at", "start-after", "end-at", "end-before", "dedent",
                       "prepend", "append", "linenos", "lineno-match", "lineno-start",
                       "emphasize-lines"}
COSMETIC_OPTIONS = {"language", "name", "class", "force"}
"""literalinclude options that change nothing a notebook could show."""
HIDDEN = {"remove-input": "source_hidden", "hide-input": "source_hidden",
          "remove-cell": "source_hidden", "hide-cell": "source_hidden",
          "remove-output": "outputs_hidden", "hide-output": "outputs_hidden"}
"""MyST-NB cell tags, and the Jupyter cell metadata (``metadata.jupyter``) closest to them."""


def show_source(obj, lines=None, start_at=None, start_after=None, end_at=None, end_before=None,
                dedent=None, prepend=None, append=None, linenos=False, lineno_match=False,
                lineno_start=None, emphasize_lines=None):
    """Print the code the book's page shows here: the source of a scratchnet function, class or
    module, read from the installed package and cut as the page's ``literalinclude`` cuts it
    (Sphinx's options, ``_`` for ``-``): from the first line containing ``start_at`` (or after
    ``start_after``), up to the first containing ``end_at`` (or before ``end_before``); ``lines``
    like "3-9,12" counted from 1 in what is left; ``dedent`` True (the common indent) or a number
    of characters; line numbers as in the file with ``lineno_match``; ``emphasize_lines`` like
    ``lines``, highlighted.
    """
    import ast
    import inspect
    import textwrap

    def line_numbers(spec, total):  # Sphinx's parselinenos: "1,3-5,8-" -> [0, 2, 3, 4, 7, ...]
        numbers = []
        for part in str(spec).split(","):
            first, dash, last = part.strip().partition("-")
            if not dash:
                numbers.append(int(first) - 1)
            else:
                start = int(first or 1)
                numbers.extend(range(start - 1, int(last or max(start, total))))
        return numbers

    def find(text, pattern, skip_first=False):
        for number, line in enumerate(text):
            if pattern in line and not (skip_first and number == 0):
                return number
        raise ValueError(f"show_source: {pattern!r} not found in {obj.__name__}")

    module = inspect.getmodule(obj)
    text = inspect.getsource(module).splitlines(True)
    offset = 1                                  # the file's line number of text[0]
    if obj is not module:                       # as Sphinx's :pyobject: finds it
        node, body = None, ast.parse("".join(text)).body
        for name in obj.__qualname__.split("."):
            node = next(n for n in body if getattr(n, "name", None) == name)
            body = getattr(node, "body", [])
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        text, offset = text[first - 1:node.end_lineno], first
    if start_at or start_after:
        number = find(text, start_at or start_after) + (0 if start_at else 1)
        text, offset = text[number:], offset + number
    if end_at or end_before:
        number = find(text, end_at or end_before, skip_first=not end_at)
        text = text[:number + 1] if end_at else text[:number]
    if lines:
        numbers = line_numbers(lines, len(text))
        text, offset = [text[n] for n in numbers if n < len(text)], offset + numbers[0]
    if dedent is True or dedent == "":
        text = textwrap.dedent("".join(text)).splitlines(True)
    elif dedent:
        text = [line[int(dedent):] or ("\n" if line.endswith("\n") else "") for line in text]
    text = ([prepend + "\n"] if prepend else []) + text + ([append + "\n"] if append else [])
    marked = set(line_numbers(emphasize_lines, len(text))) if emphasize_lines else set()
    numbered = linenos or lineno_match or lineno_start is not None
    start = offset if lineno_match else int(lineno_start or 1)
    width = len(str(start + len(text) - 1))
    for number, line in enumerate(text):
        line = line.rstrip("\n")
        if numbered:
            line = f"{start + number:>{width}}  {line}"
        if number in marked:                    # black on yellow, as the page highlights
            line = f"\x1b[30;103m{line}\x1b[0m"
        print(line)


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


'''

INTRO = """\
**Runnable notebook of “{title}”** from *{book}*. It was generated from the chapter's source
by the book's build: the text is the page's, with the numbers that build computed, and the
references link to [the page on the site]({page_url}). The first cell imports `scratchnet` (or
installs it from <{repository}>); the digits come from `scratchnet.data.load`, which downloads and
caches MNIST the first time. Run the cells in order: your numbers come from your run.
"""


def setup_code(repository: str) -> str:
    """The first code cell of every notebook (with :func:`show_source` in it)."""
    return SETUP_CODE.format(repository=repository) + inspect.getsource(show_source)


def is_notebook_source(path: Path) -> bool:
    """A MyST Markdown notebook: a ``.md`` file whose front matter names a Jupyter kernel."""
    if path.suffix != ".md" or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]


def show_source_call(module: str, options: dict[str, str]) -> str:
    """The code cell for a literalinclude of the library's ``module`` with ``options``."""
    obj = f"{module}.{options['pyobject']}" if "pyobject" in options else module
    arguments = [obj]
    for key in sorted(SHOW_SOURCE_OPTIONS & options.keys(), key=list(options).index):
        value = options[key].strip()
        if key in ("linenos", "lineno-match") or (key == "dedent" and not value):
            value = "True"
        elif key in ("dedent", "lineno-start"):
            value = str(int(value))
        else:
            value = repr(value)
        arguments.append(f"{key.replace('-', '_')}={value}")
    return f"import {module}\nshow_source({', '.join(arguments)})"


def include_piece(path: str, options: dict[str, str], repository: str, branch: str,
                  read=None, problems: list[str] | None = None):
    """What stands for one literalinclude: a code cell for the library, else the lines the page
    shows (``read(path, options)``, Sphinx's reader in a build) in a code block and a link."""
    unsupported = options.keys() - SHOW_SOURCE_OPTIONS - COSMETIC_OPTIONS - {"pyobject"}
    if unsupported and problems is not None:
        problems.append(f"literalinclude {path}: options {sorted(unsupported)} not shown")
    match = LIBRARY.search(path)
    if match:
        return new_code_cell(show_source_call(match["module"].replace("/", "."), options))
    target = re.sub(r"^(\.\./)+", "", path)
    link = f"[`{target}`]({repository}/blob/{branch}/{target})"
    if read is None:
        return f"*(The book shows {link} here.)*"
    text = read(path, options).rstrip("\n")
    ticks = "`" * max([3] + [len(t) + 1 for t in re.findall(r"`+", text)])
    language = options.get("language", "")
    return f"From {link} in the repository:\n\n{ticks}{language}\n{text}\n{ticks}"


def code_cells(cell, facts: PageFacts) -> list:
    """A chapter's code cell: its source and tags, hidden parts as Jupyter hides them, and its
    figure's caption after it."""
    code = new_code_cell(cell.source)
    metadata = cell.get("metadata", {})
    tags = list(metadata.get("tags") or [])
    if tags:
        code.metadata["tags"] = tags
        hidden = {HIDDEN[t] for t in tags if t in HIDDEN}
        if hidden:
            code.metadata["jupyter"] = dict.fromkeys(sorted(hidden), True)
    figure = (metadata.get("mystnb") or {}).get("figure") or {}
    cells = [code]
    if figure.get("caption"):
        number = facts.numbers.get(figure.get("name", ""), "")
        if figure.get("name") and not number:
            facts.problems.append(f"figure {figure['name']}: no number from the build")
        pieces = convert(str(figure["caption"]).strip(), facts)
        text = " ".join(p for p in pieces if isinstance(p, str))
        cells.append(new_markdown_cell((f"**{number}** " if number else "") + text))
        facts.count("figure caption")
    return cells


def runnable_notebook(source: Path, repository: str, branch: str = "main",
                      book_title: str = "the book",
                      facts: PageFacts | None = None) -> nbformat.NotebookNode:
    """The notebook for one MyST chapter, ready to run and read outside the book (see the module
    docstring). ``facts``: what the build resolved on the page (:func:`page_facts`)."""
    import jupytext

    facts = facts or PageFacts()
    if facts.include is None:
        facts.include = lambda path, options: include_piece(path, options, repository, branch,
                                                            problems=facts.problems)
    nb = jupytext.read(source, fmt="md:myst")
    heading = re.search(r"^# (.+)$", source.read_text(encoding="utf-8"), re.MULTILINE)
    title = heading[1].strip() if heading else source.stem
    title = " ".join(p for p in convert(title, facts) if isinstance(p, str))
    cells = [new_markdown_cell(INTRO.format(title=title, book=escape(book_title),
                                            repository=repository,
                                            page_url=facts.page_url or repository)),
             new_code_cell(setup_code(repository))]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cells.extend(new_markdown_cell(piece) if isinstance(piece, str) else piece
                         for piece in convert(cell.source, facts))
        elif cell.cell_type == "code":
            cells.extend(code_cells(cell, facts))
        else:
            cells.append(cell)
    kernelspec = dict(nb.metadata.get("kernelspec") or
                      {"name": "python3", "display_name": "Python 3", "language": "python"})
    out = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": kernelspec, "language_info": {"name": "python"}})
    nbformat.validate(out)
    return out


# --- what the build resolved: the page's facts ----------------------------------------------


def node_markdown(node: nodes.Node, url) -> str:
    """A resolved doctree fragment (a reference, a title, a citation, a table) as Markdown;
    ``url(reference node)`` gives a link's address."""
    if isinstance(node, nodes.Text):
        return escape(node.astext())
    if isinstance(node, (nodes.system_message, nodes.comment, nodes.target, nodes.raw,
                         nodes.substitution_definition)):
        return ""
    if isinstance(node, nodes.math):
        return f"${node.astext()}$"
    if isinstance(node, nodes.literal):
        return f"`{node.astext()}`"
    if isinstance(node, nodes.table):
        return table_markdown(node, url)
    if isinstance(node, nodes.citation):   # its label and entry (a second resolution of the
        parts = [next(iter(node.findall(kind)), None)  # page appends them again: take the first)
                 for kind in (nodes.label, nodes.paragraph)]
        return "- " + "".join(node_markdown(p, url) for p in parts if p is not None).strip() + "\n"
    inner = "".join(node_markdown(child, url) for child in node.children)
    if isinstance(node, nodes.emphasis):
        return f"*{inner}*"
    if isinstance(node, nodes.strong):
        return f"**{inner}**"
    if isinstance(node, nodes.reference):
        address = url(node)
        text = inner.strip()
        space = (" " if inner[:1].isspace() else "", " " if inner[-1:].isspace() else "")
        return f"{space[0]}[{text}]({address}){space[1]}" if address and text else inner
    if isinstance(node, nodes.label):
        return f"\\[{inner}\\] "
    if isinstance(node, nodes.paragraph):
        return inner.strip() + "\n\n"
    return inner


def table_markdown(table: nodes.table, url) -> str:
    """A doctree table as a pipe table (header row first)."""
    rows = []
    for row in table.findall(nodes.row):
        cells = [node_markdown(entry, url).strip().replace("\n", " ") for entry in row.children]
        rows.append("| " + " | ".join(cells) + " |")
    if not rows:
        return ""
    columns = rows[0].count(" | ") + 1
    return "\n".join([rows[0], "|" + "---|" * columns] + rows[1:]) + "\n\n"


def site_url(app: Sphinx) -> str:
    """The published site: ``scratchnet_site_url``, else ``html_baseurl``, else GitHub Pages of
    the repository (``https://github.com/owner/name`` -> ``https://owner.github.io/name/``)."""
    url = app.config.scratchnet_site_url or app.config.html_baseurl
    if not url:
        repository, _ = _repository(app)
        match = re.match(r"https://github\.com/([^/]+)/([^/]+)", repository)
        url = f"https://{match[1]}.github.io/{match[2]}/" if match else ""
    return url if not url or url.endswith("/") else url + "/"


def page_facts(app: Sphinx, docname: str) -> PageFacts:
    """What the build made of page ``docname``: its references resolved as Sphinx resolves them
    for the page (each wrapped first, so its result can be found), the numbers and titles of its
    equations, tables, figures and exercises, its glued values, and what its bibliography and
    chapter map became."""
    from myst_nb.core.render import get_mime_priority
    from myst_nb.ext.glue.crossref import read_glue_cache
    from sphinx import addnodes
    from sphinx.util.math import get_node_equation_number

    env = app.env
    page_url = urljoin(site_url(app), app.builder.get_target_uri(docname))
    repository, branch = _repository(app)
    source = Path(env.doc2path(docname))

    def url(reference: nodes.reference) -> str:
        if reference.get("refuri"):
            return urljoin(page_url, reference["refuri"])
        return f"{page_url}#{reference['refid']}" if reference.get("refid") else ""

    doctree = env.get_doctree(docname)
    for xref in list(doctree.findall(addnodes.pending_xref)):
        holder = nodes.inline(scratchnet_role=xref.rawsource)
        xref.replace_self(holder)
        holder += xref
    doctree = env.get_and_resolve_doctree(docname, app.builder, doctree=doctree)

    facts = PageFacts(page_url=page_url,
                      glue=read_glue_cache(env.mystnb_config.output_folder, docname),
                      mime_priority=get_mime_priority(
                          app.builder.name, app.config["nb_mime_priority_overrides"]),
                      extensions=frozenset(app.config.myst_enable_extensions),
                      source_url=f"{repository}/raw/{branch}/{_book_folder(app)}/")
    for holder in doctree.findall(nodes.inline):
        if "scratchnet_role" in holder:
            facts.roles.setdefault(holder["scratchnet_role"], node_markdown(holder, url).strip())

    numbers = env.toc_fignumbers.get(docname, {})
    formats = app.config.numfig_format
    by_id = {node_id: formats.get(figtype, "%s") % ".".join(map(str, number))
             for figtype, ids in numbers.items() for node_id, number in ids.items()}
    labels = env.get_domain("std").labels
    facts.numbers = {label: by_id[node_id] for label, (doc, node_id, _) in labels.items()
                     if doc == docname and node_id in by_id}
    writer = SimpleNamespace(builder=SimpleNamespace(config=app.config, fignumbers=numbers,
                                                     name="html"))
    for block in doctree.findall(nodes.math_block):
        if block.get("label") and block.get("ids"):
            facts.equations[block["label"]] = str(get_node_equation_number(writer, block))
    for element in doctree.findall(nodes.Element):
        if type(element).__module__.startswith("sphinx_exercise") and element.get("label") \
                and element.children and isinstance(element.children[0], nodes.title):
            title = node_markdown(element.children[0], url).strip()
            number = next((by_id[i] for i in element["ids"] if i in by_id), "")
            facts.titles[element["label"]] = f"{number} {title}".strip()
    facts.blocks["chapter-map"] = [table_markdown(t, url).strip()
                                   for t in doctree.findall(nodes.table)
                                   if "chapter-map" in t["classes"]]
    citations = [node_markdown(c, url) for c in doctree.findall(nodes.citation)]
    facts.blocks["bibliography"] = ["".join(citations).strip()] if citations else []

    def read(path: str, options: dict[str, str]) -> str:
        from sphinx.directives.code import LiteralIncludeReader

        typed: dict[str, Any] = dict(options)
        if "dedent" in typed:
            typed["dedent"] = int(typed["dedent"]) if typed["dedent"].strip() else None
        if "lineno-start" in typed:
            typed["lineno-start"] = int(typed["lineno-start"])
        text, _ = LiteralIncludeReader(str((source.parent / path).resolve()), typed,
                                       app.config).read()
        return text

    facts.include = lambda path, options: include_piece(
        path, options, repository, branch, read=read, problems=facts.problems)
    return facts


# --- the Sphinx side ------------------------------------------------------------------------------


def _repository(app: Sphinx) -> tuple[str, str]:
    options = app.config.html_theme_options or {}
    url = (options.get("repository_url") or "").rstrip("/")
    return url, options.get("repository_branch") or "main"


def _book_folder(app: Sphinx) -> str:
    """The book's folder in the repository (``repository: path_to_book`` of ``_config.yml``)."""
    options = app.config.html_theme_options or {}
    return (options.get("path_to_docs") or "book").strip("/")


def _notebook_pages(app: Sphinx) -> dict[str, Path]:
    pages = {}
    for docname in sorted(app.env.found_docs):
        path = Path(app.env.doc2path(docname))
        if is_notebook_source(path):
            pages[docname] = path
    return pages


def write_notebooks(app: Sphinx, exception: Exception | None) -> None:
    """build-finished: write ``_notebooks/<page>.ipynb`` for every MyST notebook page."""
    from sphinx.util import logging

    if exception is not None or app.builder.name != "html":
        return      # singlehtml (the PDF's source) has no page of its own to offer a notebook on
    logger = logging.getLogger(__name__)
    repository, branch = _repository(app)
    out = Path(app.outdir) / NOTEBOOK_DIR
    totals: dict[str, int] = {}
    environment = Path(app.doctreedir) / "environment.pickle"   # saved whenever a page was read
    kept = 0
    for docname, path in _notebook_pages(app).items():
        target = out / f"{docname}.ipynb"
        if up_to_date(target, environment):
            kept += 1
            continue
        facts = page_facts(app, docname)
        notebook = runnable_notebook(path, repository, branch, app.config.project, facts)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
        for problem in dict.fromkeys(facts.problems):
            logger.warning(f"{docname}.ipynb: {problem}", type="scratchnet",
                           subtype="notebook", location=docname)
        for construct, count in facts.counts.items():
            totals[construct] = totals.get(construct, 0) + count
    logger.info(f"notebooks: {kept} up to date; converted " + ", ".join(
        f"{construct} {count}" for construct, count in sorted(totals.items())))


def up_to_date(notebook: Path, environment: Path) -> bool:
    """Whether ``notebook`` was written after the build environment was last saved: Sphinx saves
    it whenever it read a page again, so with nothing read since, every notebook still holds what
    it would be written with (a rebuild with no change writes none)."""
    return (notebook.is_file() and environment.is_file()
            and notebook.stat().st_mtime_ns > environment.stat().st_mtime_ns)


def link_notebook(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                  doctree: nodes.document | None) -> None:
    """html-page-context (after the theme's buttons): point downloads and Colab at the notebook."""
    if doctree is None or app.builder.name != "html":
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
    app.add_config_value("scratchnet_site_url", "", "html")
    app.connect("html-page-context", link_notebook, priority=600)
    app.connect("build-finished", write_notebooks)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
