"""Reading a chapter's code cells from its MyST source: the functions it defines (to test the logic
behind a computed claim on a case whose answer is known), and the names its visible cells use.

A page's claim logic lives in small pure functions defined in its cells. ``page_function`` compiles
one such definition on its own — not the cell around it — so a test can call it without running the
page. ``names_from_hidden_cells`` finds visible cells that would fail for a reader who copies the
visible cells in order: they use a name that only a removed cell defines. ``pyflakes_problems`` runs
ruff's pyflakes rules over a page's cells, as over a module.
"""

from __future__ import annotations

import ast
import builtins
import math
import re
import subprocess
import symtable
import sys
from pathlib import Path

import jupytext
import numpy as np

BOOK = Path(__file__).resolve().parents[1] / "book"
HIDDEN = {"remove-cell", "remove-input"}
"""Tags whose cells' code a reader does not see (``hide-input`` is collapsed, not hidden)."""
NOTEBOOK_NAMES = {"display", "get_ipython", "In", "Out"}
"""Names IPython provides in every notebook."""


def code_cells(page: str) -> list[tuple[str, set[str]]]:
    """(source, tags) of every code cell of ``book/<page>.md``, in page order."""
    notebook = jupytext.read(BOOK / f"{page}.md")
    return [(cell.source, set(cell.metadata.get("tags", [])))
            for cell in notebook.cells if cell.cell_type == "code"]


def python_of(source: str) -> str:
    """A cell's source without IPython magics and shell escapes (``%``, ``!`` lines)."""
    return "\n".join("" if re.match(r"\s*[%!]", line) else line for line in source.splitlines())


def page_function(page: str, name: str, **names):
    """The function ``name`` defined at the top level of one of the page's code cells, compiled
    alone with ``np`` and ``names`` as its globals."""
    for source, _ in code_cells(page):
        tree = ast.parse(python_of(source))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                namespace = {"np": np, **names}
                exec(compile(ast.Module([node], type_ignores=[]), f"{page}.md:{name}", "exec"),
                     namespace)
                return namespace[name]
    raise AssertionError(f"{page}.md defines no function {name}")


def page_functions(page: str, namespace: dict | None = None) -> dict:
    """Every function defined at the top level of the page's code cells, compiled from their
    source alone (no cell runs), with ``np``, ``math`` and ``namespace`` as their globals."""
    namespace = {"np": np, "math": math, **(namespace or {})}
    filename = f"{page}.md"
    for source, _ in code_cells(page):
        for node in ast.parse(python_of(source)).body:
            if isinstance(node, ast.FunctionDef):
                exec(compile(ast.Module([node], type_ignores=[]), filename, "exec"), namespace)
    return {name: value for name, value in namespace.items()
            if getattr(getattr(value, "__code__", None), "co_filename", None) == filename}


def _defined_and_used(source: str) -> tuple[set[str], set[str]]:
    """Names a cell defines at its top level, and the global names it (or its functions) reads."""
    table = symtable.symtable(python_of(source), "<cell>", "exec")
    defined, used = set(), set()
    for symbol in table.get_symbols():
        binds = symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace()
        if binds:
            defined.add(symbol.get_name())
        elif symbol.is_referenced():
            used.add(symbol.get_name())
    stack = list(table.get_children())
    while stack:
        scope = stack.pop()
        stack.extend(scope.get_children())
        used |= {s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced()}
    return defined, used - defined


def names_from_hidden_cells(page_or_cells: str | list[tuple[str, set[str]]]
                            ) -> list[tuple[int, list[str]]]:
    """(cell number, names) for each visible code cell that reads names which neither an earlier
    visible cell, nor the set-up cell (the page's first, shared by every chapter), nor Python
    defines — names a reader copying the visible cells would not have. Takes a page's name, or
    its cells as :func:`code_cells` gives them."""
    cells = code_cells(page_or_cells) if isinstance(page_or_cells, str) else page_or_cells
    known = set(dir(builtins)) | NOTEBOOK_NAMES | _defined_and_used(cells[0][0])[0]
    problems = []
    for number, (source, tags) in enumerate(cells[1:], start=2):
        defined, used = _defined_and_used(source)
        if tags & HIDDEN:
            continue
        missing = sorted(used - known)
        if missing:
            problems.append((number, missing))
        known |= defined
    return problems


def printed(soup) -> str:
    """Everything the page's code cells printed (their stream outputs), in order, read from the
    built page ``soup``. Not from the executed notebook: on a cache hit MyST-NB 1.4 writes
    ``_build/jupyter_execute/<page>.ipynb`` without its outputs (it merges the cached outputs into
    a copy of the notebook and writes the original)."""
    return "\n".join(pre.get_text() for pre in soup.select("div.cell_output div.output.stream pre"))


def pyflakes_problems(sources: list[str], name: str = "page") -> list[str]:
    """What ruff's pyflakes rules (``F``: unused imports, undefined or shadowed names, ...) find in
    code cells ``sources`` taken as one notebook, one ``<name>.py:line:col: code message`` each."""
    code = "\n\n".join(python_of(source) for source in sources) + "\n"
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F", "--no-cache",
         "--config", f"builtins = {sorted(NOTEBOOK_NAMES)!r}", "--output-format", "concise",
         "--stdin-filename", f"{name}.py", "-"],
        input=code, capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 1), done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith(f"{name}.py:")]
