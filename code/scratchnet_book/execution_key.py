"""Sphinx extension: a page's cached outputs are reused only if nothing they depend on changed.

MyST-NB's execution cache (``execute_notebooks: cache``) keys each page on its code cells alone, so
after a change to the library a rebuild would show the new source (``literalinclude`` reads the
file) beside outputs of the old one. This extension adds to every notebook page, as it is read, one
hidden code cell holding a comment: the fingerprint of what the page's outputs depend on besides
its own code cells —

- the source of every ``scratchnet`` (or ``scratchnet_book``) module the page imports, with the
  modules those import in turn, every file the page includes with ``literalinclude``, and every
  script of ``benchmarks/`` its code names (``bench_torch.py``), with the modules it imports;
- the lock file (``requirements.lock``: the versions of NumPy, pandas, matplotlib, ...);
- the content checksums of the datasets on disk, for pages that use ``scratchnet.data``.

Any change to one of them changes the cell, hence the page's cache key, and the page runs again;
pages that do not depend on the change keep their outputs. With nothing changed, nothing runs.
"""

from __future__ import annotations

import ast
import hashlib
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = ROOT / "code"
BENCHMARKS = ROOT / "benchmarks"
PACKAGES = ("scratchnet", "scratchnet_book")
SCRIPT = re.compile(r"\b(\w+)\.py\b")
LOCK = ROOT / "requirements.lock"
CELL = re.compile(r"^(`{3,})\{code-cell\}[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
INCLUDE = re.compile(r"^[`:]{3,}\{literalinclude\}[ \t]+(\S+)", re.MULTILINE)
MARK = "# outputs depend on:"


def module_file(name: str) -> Path | None:
    """The source file of module ``name`` (``scratchnet.model``) under code/, if it is there."""
    base = CODE.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_names(source: str, package: str | None = None) -> set[str]:
    """Dotted names that ``source`` imports (``from a import b`` gives ``a`` and ``a.b``), with
    relative imports resolved against ``package``. Cells that are not Python (magics) count by
    their ``import``/``from`` lines."""
    python = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                       for line in source.splitlines())          # IPython magics left out
    try:
        trees = [ast.parse(python)]
    except SyntaxError:                 # still not Python: its import lines, one by one
        trees = []
        for line in source.splitlines():
            if line.lstrip().startswith(("import ", "from ")):
                try:
                    trees.append(ast.parse(line.strip()))
                except SyntaxError:     # an import over several lines: not followed
                    pass
    names = set()
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and package:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


@cache
def module_closure(name: str) -> frozenset[Path]:
    """The files of module ``name`` (of :data:`PACKAGES`) and of every such module it imports."""
    seen: set[Path] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        path = module_file(current)
        if path is None or path in seen:
            continue
        seen.add(path)
        package = current if path.name == "__init__.py" else current.rpartition(".")[0]
        todo += [n for n in imported_names(path.read_text(encoding="utf-8"), package)
                 if n.split(".")[0] in PACKAGES]
        if "." in current:                  # importing a.b runs a/__init__.py first
            todo.append(current.rpartition(".")[0])
    return frozenset(seen)


def page_dependencies(source: str, page_dir: Path) -> tuple[list[Path], bool]:
    """The library files a page's outputs depend on, and whether it uses the data layer."""
    cells = [match[2] for match in CELL.finditer(source)]
    code = "\n".join(cells)
    modules = {n for cell in cells for n in imported_names(cell) if n.split(".")[0] in PACKAGES}
    for script in {BENCHMARKS / f"{name}.py" for name in SCRIPT.findall(code)}:
        if script.is_file():
            modules.add(f"benchmarks.{script.stem}")
            modules |= {n for n in imported_names(script.read_text(encoding="utf-8"))
                        if n.split(".")[0] in PACKAGES}
    files = {BENCHMARKS / f"{m.split('.')[1]}.py" for m in modules if m.startswith("benchmarks.")}
    modules = {m for m in modules if not m.startswith("benchmarks.")}
    files |= set().union(*(module_closure(name) for name in modules)) if modules else set()
    for include in INCLUDE.findall(source):
        path = (page_dir / include).resolve()
        if path.is_file():
            files.add(path)
    data_layer = CODE / "scratchnet" / "data"
    uses_data = any(f == data_layer.with_suffix(".py") or f.is_relative_to(data_layer)
                    for f in files)
    return sorted(files), uses_data


def digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def library_fingerprint(files: list[Path]) -> str:
    return digest(*(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes()
                    for f in files))


def lock_fingerprint() -> str:
    return digest(LOCK.read_bytes())


@cache
def data_fingerprint() -> str:
    """Content checksums of every dataset that ``scratchnet.data.load`` would pick now."""
    from scratchnet import data

    found = [(e["name"], e.get("source"), sorted(e.get("checksums", {}).items()), e.get("error"))
             for e in data.info() if e.get("default") or e.get("error")]
    return digest(repr(sorted(found)).encode())


NOTEBOOK = re.compile(r"\A---\n.*?^kernelspec:.*?^---$", re.MULTILINE | re.DOTALL)
"""The front matter of a MyST notebook: only such a page runs its code cells (a plain page may
show a ``{code-cell}`` inside a code block, as the instructor guide's template does)."""


def execution_key(source: str, page_dir: Path) -> str | None:
    """What a notebook page's outputs depend on beyond its code, or None for a page that is not
    a notebook (no kernel in its front matter) or has no code cells."""
    if not NOTEBOOK.match(source) or not CELL.search(source):
        return None
    files, uses_data = page_dependencies(source, page_dir)
    key = f"library {library_fingerprint(files)}, lock {lock_fingerprint()}"
    if uses_data:
        key += f", data {data_fingerprint()}"
    return key


def key_cell(key: str) -> str:
    """The hidden code cell, appended to the page, that puts ``key`` into its cache key."""
    return f"\n\n```{{code-cell}} ipython3\n:tags: [remove-cell]\n{MARK} {key}\n```\n"


def keys(env) -> dict[str, str]:
    if not hasattr(env, "scratchnet_execution_keys"):
        env.scratchnet_execution_keys = {}
    return env.scratchnet_execution_keys


def add_key_cell(app, docname: str, source: list[str]) -> None:
    """``source-read``: append the key cell to a notebook page, and remember its key."""
    path = Path(app.env.doc2path(docname))
    key = execution_key(source[0], path.parent) if path.suffix == ".md" else None
    if key is not None:
        source[0] += key_cell(key)
        keys(app.env)[docname] = key


def outdated(app, env, added, changed, removed) -> list[str]:
    """``env-get-outdated``: pages whose key changed, though their own file did not — Sphinx
    would otherwise not read them again, and their old outputs would stay."""
    stale = []
    for docname, key in keys(env).items():
        if docname in added | changed | removed:
            continue
        path = Path(env.doc2path(docname))
        if path.is_file() and execution_key(path.read_text(encoding="utf-8"),
                                            path.parent) != key:
            stale.append(docname)
    return stale + [d for d in written_before_read(app, env) if d not in stale]


def written_before_read(app, env) -> list[str]:
    """Pages of the html build older than their last reading: another builder sharing
    ``_build/.doctrees`` (the single-page build for the PDF) read them again since, maybe with new
    outputs, and Sphinx, which compares a page only with its source file, would not write them."""
    if app.builder.name != "html":
        return []
    found = []
    for docname, read_at_us in env.all_docs.items():
        target = Path(app.builder.get_outfilename(docname))
        if target.is_file() and target.stat().st_mtime_ns // 1_000 < read_at_us:
            found.append(docname)
    return found


def purge(app, env, docname: str) -> None:
    keys(env).pop(docname, None)


def merge(app, env, docnames, other) -> None:
    keys(env).update({d: k for d, k in keys(other).items() if d in docnames})


def setup(app):
    data_fingerprint.cache_clear()
    module_closure.cache_clear()
    app.connect("source-read", add_key_cell)
    app.connect("env-get-outdated", outdated)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
