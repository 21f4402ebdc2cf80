"""The layout of the code: the library never reaches for the book's tooling, each part imports only
the parts its package's docstring lists above it (the data layer below the network), no module
imports another's private names, and none is over 400 lines."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

CODE = Path(__file__).resolve().parents[1] / "code"
LIBRARY = sorted((CODE / "scratchnet").rglob("*.py"))
BOOK_TOOLING = ("scratchnet_book", "yaml", "nbformat", "jupytext", "sphinx", "docutils", "myst_nb")


def module_name(path: Path) -> str:
    parts = path.relative_to(CODE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(tree: ast.Module, typing: bool = True) -> set[str]:
    """The dotted names a module imports (``from a import b`` gives ``a`` and ``a.b``); with
    ``typing=False``, not those it imports only for type checking (under ``if TYPE_CHECKING:``)."""
    typing_only = set() if typing else {
        id(inner) for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imported_modules(path: Path) -> set[str]:
    """Every scratchnet module ``path`` imports (``from scratchnet.x import y`` counts as x, and
    as x.y when y is a module)."""
    known = {module_name(p) for p in LIBRARY}
    return imported_names(ast.parse(path.read_text(encoding="utf-8"))) & known


def parts_imported(tree: ast.Module, package: str = "scratchnet") -> set[str]:
    """The parts of ``package`` (``model``, ``data``, ...) a module imports when it runs: not those
    it names only for type checking."""
    prefix = package + "."
    parts = {name.removeprefix(prefix).split(".")[0]
             for name in imported_names(tree, typing=False) if name.startswith(prefix)}
    return {part for part in parts if part[0].islower()}


def listed_parts(docstring: str) -> list[list[str]]:
    """The parts a package's docstring lists, one list per line: a line indented four spaces
    names them (``fast_augment, fast``), comma-separated, before two spaces and their meaning."""
    head = re.compile(r"    ([\w/]+(?:, [\w/]+)*)(?:  |$)")
    heads = [head.match(line) for line in docstring.splitlines()]
    return [[name.rstrip("/") for name in m[1].split(", ")] for m in heads if m]


def layer_problems(layers: list[list[str]], imports: dict[str, set[str]]) -> list[str]:
    """Each module (part -> the parts it imports) that imports a part on a later line than its
    own, or on its own line after itself; and each part not listed."""
    place = {name: (row, col) for row, names in enumerate(layers) for col, name in enumerate(names)}
    problems = [f"{part}: not in the list" for part in sorted(imports) if part not in place]
    for part, used in sorted(imports.items()):
        if part in place:
            later = sorted(u for u in used - {part} if u not in place or place[u] > place[part])
            problems += [f"{part} imports {u}, listed after it" for u in later]
    return problems


def test_the_layer_check_finds_an_import_of_a_later_part():
    layers = [["errors"], ["model"], ["train", "fast"]]
    good = {"errors": set(), "model": {"errors"}, "train": {"model"}, "fast": {"train", "model"}}
    assert layer_problems(layers, good) == []
    bad = {**good, "model": {"train"}, "train": {"fast"}, "cli": set()}
    assert layer_problems(layers, bad) == [
        "cli: not in the list", "model imports train, listed after it",
        "train imports fast, listed after it"]
    tree = ast.parse("from scratchnet import SIDE, model\nfrom typing import TYPE_CHECKING\n"
                     "import scratchnet.data.formats\nif TYPE_CHECKING:\n"
                     "    from scratchnet.train import Config\n")
    assert parts_imported(tree) == {"model", "data"}
    assert parts_imported(tree, "scratchnet.data") == {"formats"}
    assert listed_parts("Intro.\n\n    a, b/     meaning\n                more meaning\n"
                        "    c\n                       its meaning\n") == [["a", "b"], ["c"]]


@pytest.mark.parametrize(("package", "expected"), [
    ("scratchnet", {"data", "selfcheck", "model", "fast", "cli"}),
    ("scratchnet.data", {"formats", "sources", "datasets", "splits", "preprocess"}),
])
def test_each_part_imports_only_the_parts_listed_above_it(package, expected):
    """A package's docstring is its layout (``scratchnet/__init__.py``, and the data layer's
    ``scratchnet/data/__init__.py``): a module of a part may import the parts on the lines above
    its own (and those before it on its line), nothing below."""
    folder = CODE.joinpath(*package.split("."))
    layers = listed_parts(ast.get_docstring(ast.parse(
        (folder / "__init__.py").read_text(encoding="utf-8"))))
    imports: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        part = path.relative_to(folder).parts[0].removesuffix(".py")
        if part not in ("__init__", "__main__"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imports.setdefault(part, set()).update(parts_imported(tree, package) - {part})
    assert expected <= set(imports)
    assert layer_problems(layers, imports) == []


def test_the_library_imports_none_of_the_book_tooling():
    """Importing every module of scratchnet loads no Sphinx, YAML or notebook machinery."""
    script = ("import importlib, pkgutil, sys, scratchnet\n"
              "for m in pkgutil.walk_packages(scratchnet.__path__, 'scratchnet.'):\n"
              "    if m.name != 'scratchnet.__main__': importlib.import_module(m.name)\n"
              f"print(sorted(m for m in sys.modules if m.split('.')[0] in {BOOK_TOOLING!r}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("path", [p for p in LIBRARY if "data" in p.relative_to(CODE).parts],
                         ids=lambda p: module_name(p))
def test_the_data_layer_imports_nothing_above_it(path):
    """data/ may use the package's constants, errors and files, never the network or training."""
    allowed = {"scratchnet", "scratchnet.errors", "scratchnet.files"}
    above = {m for m in imported_modules(path)
             if m not in allowed and not m.startswith("scratchnet.data")}
    assert not above, f"{module_name(path)} imports {sorted(above)}"


@pytest.mark.parametrize("path", sorted(CODE.rglob("*.py")), ids=lambda p: module_name(p))
def test_no_module_imports_a_private_name_of_another(path):
    """No ``from x import _y`` and no ``x._y`` for an imported module x: what a module keeps
    private may change without notice."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            private = [a.name for a in node.names if a.name.startswith("_") and
                       not a.name.startswith("__")]
            assert not private, f"{module_name(path)}: from {node.module} import {private}"
            modules.update(alias.asname or alias.name for alias in node.names)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            pytest.fail(f"{module_name(path)}:{node.lineno}: {node.value.id}.{node.attr}")


MAX_LINES = 400
"""The longest a module of the library may be: past it, a module holds more than one part."""


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: module_name(p))
def test_no_module_of_the_library_is_over_400_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module_name(path)}: {lines} lines"


def unannotated(tree: ast.Module) -> list[str]:
    """The public functions of a module (and public methods of its public classes) with a
    parameter or the return value not annotated."""
    found = []
    for node in tree.body:
        functions = [node] if isinstance(node, ast.FunctionDef) else []
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            functions = [n for n in node.body if isinstance(n, ast.FunctionDef)]
        for fn in functions:
            if fn.name.startswith("_"):
                continue
            args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
            args += [a for a in (fn.args.vararg, fn.args.kwarg) if a is not None]
            bare = [a.arg for a in args if a.annotation is None and a.arg not in ("self", "cls")]
            if bare or fn.returns is None:
                found.append(f"{fn.name}({', '.join(bare)}){'' if fn.returns else ' -> ?'}")
    return found


def test_the_type_hint_check_finds_a_missing_hint():
    tree = ast.parse("def f(x: int) -> int: ...\ndef g(x) -> int: ...\ndef h(x: int): ...\n"
                     "def _private(x): ...\nclass C:\n    def m(self, y): ...\n")
    assert unannotated(tree) == ["g(x)", "h() -> ?", "m(y) -> ?"]


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: module_name(p))
def test_every_public_function_of_the_library_has_type_hints(path):
    missing = unannotated(ast.parse(path.read_text(encoding="utf-8")))
    assert not missing, f"{module_name(path)}: {missing}"
