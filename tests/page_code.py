"""What the chapters' code cells define (from the executed notebooks) and print (from the pages).

A chapter that draws a claim from computed numbers (a verdict, a "largest", a comparison) does it
with a small pure function defined in a visible cell. ``page_function`` gets that function out of
the executed notebook, so that a test can check it on cases where the answer is known, and the
page's own numbers with it.
"""

from __future__ import annotations

import ast
import builtins
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "jupyter_execute"


def code_cells(page: str, executed: Path = EXECUTED) -> list[dict]:
    """The code cells of the executed notebook ``page``, ``_build/jupyter_execute/<page>.ipynb``."""
    path = executed / f"{page}.ipynb"
    assert path.is_file(), f"{path.name}: not written (was the book built?)"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def page_function(page: str, name: str, executed: Path = EXECUTED):
    """The function ``name`` as the page defines it in a code cell, compiled on its own.

    Only the ``def`` is run, with NumPy as ``np``: a function that needs anything else from the page
    is not the small pure function the book promises, and fails here with a ``NameError``.
    """
    for cell in code_cells(page, executed):
        text = source(cell)
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                namespace = {"np": np}
                exec(compile(ast.Module([node], []), f"<{page}: {name}>", "exec"), namespace)
                return namespace[name]
    raise AssertionError(f"{page} defines no function {name}")


def printed(soup) -> str:
    """Everything the page's code cells printed (their stream outputs), in order, read from the
    built page ``soup``. Not from the executed notebook: on a cache hit MyST-NB 1.4 writes
    ``_build/jupyter_execute/<page>.ipynb`` without its outputs (it merges the cached outputs into
    a copy of the notebook and writes the original)."""
    return "\n".join(pre.get_text() for pre in soup.select("div.cell_output div.output.stream pre"))


HIDDEN_CODE = {"remove-cell", "remove-input"}
"""Tags whose cell's code the reader never sees (hide-input only folds it away)."""


def defined_names(tree: ast.AST) -> set[str]:
    """Names a piece of code binds: assignments, loop targets, imports, functions and classes."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def names_from_hidden_code(cells: list[dict], trusted: int = 0) -> dict[int, set[str]]:
    """For each cell the reader sees, the names it uses that only hidden code defined before it.

    ``cells``: code cells in page order. The first ``trusted`` cells (the chapter's set-up cell)
    count as seen whatever their tags. The result maps a cell's index to the offending names.
    """
    seen = set(dir(builtins)) | {"display", "get_ipython"}
    hidden = set()
    found = {}
    for index, cell in enumerate(cells):
        tree = ast.parse(source(cell))
        tags = set(cell.get("metadata", {}).get("tags", []))
        if index >= trusted and tags & HIDDEN_CODE:
            hidden |= defined_names(tree) - seen
            continue
        used = {node.id for node in ast.walk(tree)
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
        offending = (used & hidden) - seen - defined_names(tree)
        if offending:
            found[index] = offending
        seen |= defined_names(tree)
    return found
