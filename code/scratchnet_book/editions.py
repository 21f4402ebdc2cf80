"""Two editions of the book from one source: the main one, and a student edition without solutions.

``python -m scratchnet_book.editions`` (``make book-student``) copies ``book/`` into
``_build/student/source/``, removes every solution from the MyST sources, sets sphinx-exercise's
``hide_solutions``, builds it with ``jupyter-book build`` and places the site at
``_build/student/html/``. The downloadable notebooks of that site are made from the stripped
sources too (:mod:`scratchnet_book.sphinx_notebooks`), so no solution reaches a student.

What is removed (the grammar; anything else is kept verbatim):

- a ``{solution}`` directive, from its opening fence to its closing fence. Fences follow MyST
  (CommonMark): ``:::``, ``````` or ``~~~``, at most 3 spaces of indent; the block ends at the first
  line made only of the same character, at least as many as the opening (so nest a
  ``:::{note}`` inside with a longer outer fence, ``::::{solution}``);
- a gated solution: from the line opening ``{solution-start}`` to the closing fence of the next
  ``{solution-end}``, with everything between (code cells, prose, outputs).

Fenced code blocks (no ``{directive}``, or ``{code-cell}``, ``{code}``, ``{code-block}``,
``{math}``) are literal text: solution markup shown inside them, as in the instructor guide, is
kept. A ``{solution-end}`` without a start, a ``{solution-start}`` (or ``{solution}``) inside an
open gated solution, a gated solution never ended, or a fence never closed raise
:class:`SolutionMarkupError` with the line number, and the build stops.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from scratchnet.errors import ScratchnetError

FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*?)\s*$")
DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}")
LITERAL = {"code-cell", "code", "code-block", "sourcecode", "math", "raw", "eval-rst"}
# Root entries never linked into the student source tree (everything else is, e.g. code/, data/).
NOT_LINKED = {"book", "_build", ".git", ".venv", "_config.yml", "_toc.yml", "__pycache__"}


class SolutionMarkupError(ScratchnetError):
    """Unbalanced or nested solution markers in a book source."""


def _closes(line: str, fence: str) -> bool:
    match = FENCE.match(line)
    return bool(match and not match["info"] and match["fence"][0] == fence[0]
                and len(match["fence"]) >= len(fence))


def _directive(info: str) -> str | None:
    match = DIRECTIVE.match(info)
    return match["name"] if match else None


def _block_end(lines: list[str], start: int, fence: str, where: str) -> int:
    """Index of the line closing the fence opened at ``start``."""
    for j in range(start + 1, len(lines)):
        if _closes(lines[j], fence):
            return j
    raise SolutionMarkupError(f"{where}:{start + 1}: the fence {fence} opened here is never closed")


def split_solutions(text: str, where: str = "<text>") -> tuple[str, list[str]]:
    """(text without its solutions, the removed solution blocks in order): see the module
    docstring."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    removed: list[str] = []
    open_directives: list[str] = []  # fences of enclosing directives whose content is MyST
    gate: int | None = None  # line index of an open {solution-start}
    i = 0
    while i < len(lines):
        line = lines[i]
        match = FENCE.match(line)
        closes_parent = bool(open_directives) and _closes(line, open_directives[-1])
        if closes_parent or not match:
            if closes_parent:
                open_directives.pop()
            if gate is None:
                kept.append(line)
            i += 1
            continue
        fence, name = match["fence"], _directive(match["info"])
        end = _block_end(lines, i, fence, where)
        if name == "solution-end":
            if gate is None:
                raise SolutionMarkupError(
                    f"{where}:{i + 1}: {{solution-end}} without a {{solution-start}}")
            removed.append("".join(lines[gate:end + 1]))
            gate = None
        elif name in ("solution-start", "solution"):
            if gate is not None:
                raise SolutionMarkupError(
                    f"{where}:{i + 1}: {{{name}}} inside the gated solution opened at "
                    f"line {gate + 1} (a {{solution-end}} is missing)")
            if name == "solution-start":
                gate = i
            else:
                removed.append("".join(lines[i:end + 1]))
        elif name is None or name in LITERAL:
            if gate is None:
                kept.extend(lines[i:end + 1])
        else:  # a directive with MyST content: look inside it
            open_directives.append(fence)
            if gate is None:
                kept.append(line)
            i += 1
            continue
        i = end + 1
    if gate is not None:
        raise SolutionMarkupError(
            f"{where}:{gate + 1}: {{solution-start}} is never closed by a {{solution-end}}")
    return "".join(kept), removed


def strip_solutions(text: str, where: str = "<text>") -> str:
    """``text`` with every solution removed (raises :class:`SolutionMarkupError` on bad markup)."""
    return split_solutions(text, where)[0]


def prepare_student_sources(root: Path, dest: Path) -> list[Path]:
    """Write the student edition's sources under ``dest``: returns the files that lost solutions.

    ``dest/book`` is a copy of ``root/book`` with the solutions stripped from every ``.md``;
    ``dest/_config.yml`` is the book's with ``hide_solutions: true`` and the main edition's
    execution cache; ``dest/_toc.yml`` is copied;
    every other top-level entry of ``root`` (``code/``, ``data/``, ...) is linked, so
    ``../code/scratchnet/model.py`` in a ``literalinclude`` resolves as in the main edition.
    A file whose content is unchanged is not rewritten (Sphinx re-reads only what changed).
    """
    root, dest = Path(root).resolve(), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for entry in root.iterdir():
        link = dest / entry.name
        if entry.name in NOT_LINKED or link.is_symlink() or link.exists():
            continue
        link.symlink_to(entry, target_is_directory=entry.is_dir())
    config = yaml.safe_load((root / "_config.yml").read_text())
    config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
    # Share the main edition's execution cache: only the pages that lost a solution run again.
    config.setdefault("execute", {}).setdefault("cache", str(root / "_build" / ".jupyter_cache"))
    _write_if_changed(dest / "_config.yml",
                      "# Generated by scratchnet_book.editions: the student edition.\n"
                      + yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    _write_if_changed(dest / "_toc.yml", (root / "_toc.yml").read_text())
    stripped: list[Path] = []
    book, out = root / "book", dest / "book"
    wanted = set()
    for source in sorted(book.rglob("*")):
        rel = source.relative_to(book)
        if rel.parts[0] in ("_build", ".ipynb_checkpoints", "__pycache__"):
            continue
        target = out / rel
        wanted.add(target)
        if source.is_dir() and not source.is_symlink():
            target.mkdir(parents=True, exist_ok=True)
        elif source.is_symlink() and not source.resolve().is_relative_to(book):
            if not target.is_symlink() or os.readlink(target) != os.readlink(source):
                target.unlink(missing_ok=True)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(os.readlink(source))  # e.g. _toc.yml -> ../_toc.yml
        elif source.suffix == ".md":
            text, removed = split_solutions(source.read_text(), str(source.relative_to(root)))
            _write_if_changed(target, text)
            if removed:
                stripped.append(rel)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.read_bytes() != source.read_bytes():
                shutil.copy2(source, target)
    for old in sorted(out.rglob("*"), reverse=True):  # files deleted from book/ since last time
        if old not in wanted and not old.is_relative_to(out / "_build"):
            old.unlink() if (old.is_file() or old.is_symlink()) else shutil.rmtree(old)
    return stripped


def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def build_student(root: Path, *jupyter_book_args: str) -> Path:
    """Build the student edition into ``root/_build/student/html`` and return that path."""
    root = Path(root).resolve()
    student = root / "_build" / "student"
    source = student / "source"
    stripped = prepare_student_sources(root, source)
    print(f"student edition: solutions removed from {len(stripped)} page(s): "
          + ", ".join(str(p) for p in stripped))
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    jupyter_book = shutil.which("jupyter-book", path=env["PATH"]) or "jupyter-book"
    subprocess.run([jupyter_book, "build", "book/", *jupyter_book_args], cwd=source, env=env,
                   check=True)
    site = student / "html"
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(source / "_build" / "html", site, symlinks=False)
    return site


def main(argv: list[str] | None = None) -> int:
    """``python -m scratchnet_book.editions [jupyter-book options]``: build the student edition."""
    argv = sys.argv[1:] if argv is None else argv
    start = time.perf_counter()
    try:
        site = build_student(Path.cwd(), *argv)
    except SolutionMarkupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"error: the student edition's build failed (exit {error.returncode})",
              file=sys.stderr)
        return 1
    print(f"student edition built in {time.perf_counter() - start:.0f} s: {site}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
