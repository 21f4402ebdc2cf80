"""The student's definitions, taken from the source of a notebook's code cells.

The checks call the student's functions, and those functions need what they use: the imports,
helper functions and constants defined in the notebook. :func:`definitions` keeps exactly those
top-level statements of every code cell, in notebook order: ``import`` and ``from … import``,
``def`` and ``class``, and assignments to names of an expression without calls (``EPS = 1e-6``,
``SEED = RECOMMENDED["mnist"].seed``). Everything else — loading data, training, plotting, calls
of any kind, ``try`` blocks, IPython magics — is left out, so re-creating the namespace is quick
and runs no chapter code (a definition that needs a value the chapter computed fails there, and
is reported). The text is parsed, never run, here; it runs only in the sandbox
(:mod:`scratchnet_book.grading.sandbox`).
"""

from __future__ import annotations

import ast

KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def cell_sources(notebook: dict) -> list[str]:
    """The source of each code cell of a notebook (nbformat 4, as a dict), in order."""
    sources = []
    for cell in notebook.get("cells", []):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            sources.append("".join(source) if isinstance(source, list) else str(source))
    return sources


def python_of(source: str) -> str:
    """A cell's source as plain Python: IPython's magics and shell escapes become calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # IPython's transformer gave up: the cell is then parsed as it is
        return source


def without_calls(node: ast.expr) -> bool:
    """True for an expression that calls nothing (no call, lambda, comprehension or await)."""
    banned = (ast.Call, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
              ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)
    return not any(isinstance(n, banned) for n in ast.walk(node))


def kept(node: ast.stmt) -> bool:
    if isinstance(node, KEPT):
        return True
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return all(isinstance(t, ast.Name) for t in targets) and without_calls(node.value)
    return False


def definitions(sources: list[str]) -> tuple[list[str], list[str]]:
    """The kept top-level statements of the cells (each as source text, in order) and a note for
    each cell that does not parse."""
    statements, notes = [], []
    for number, source in enumerate(sources, start=1):
        try:
            tree = ast.parse(python_of(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            notes.append(f"code cell {number} does not parse "
                         f"({getattr(error, 'msg', type(error).__name__)}): left out")
            continue
        statements += [ast.unparse(node) for node in tree.body if kept(node)]
    return statements, notes


def defined_names(sources: list[str]) -> set[str]:
    """The names of the functions defined at the top level of the cells."""
    names = set()
    for source in sources:
        try:
            tree = ast.parse(python_of(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        names |= {n.name for n in tree.body
                  if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    return names
