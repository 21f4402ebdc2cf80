"""Helpers of the notebook tests: what of MyST a notebook reader would see, the chapters'
literalincludes, and what ``show_source`` printed."""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

from scratchnet_book.myst_markdown import parse_directive, parser

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
COMMONMARK = MarkdownIt("commonmark")
ROLE_NAME = re.compile(r"\{[a-zA-Z0-9_\-+:]+\}$")
MYST_LINES = {
    "colon fence": re.compile(r"^\s*:{3,}"),
    "target": re.compile(r"^\s*\([^()\s]+\)=\s*$"),
    "comment": re.compile(r"^%"),
    "block break": re.compile(r"^\+\+\+"),
    "labelled $$": re.compile(r"\$\$\s*\([\w:.-]+\)\s*$"),
    "substitution": re.compile(r"\{\{\s*[\w.-]+\s*\}\}"),
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def myst_left(markdown: str) -> list[str]:
    """What a CommonMark renderer (Jupyter's, Colab's) would show of MyST in ``markdown``: roles
    (``{name}`` just before a code span), ``{directive}`` fences, colon fences, targets,
    comments. One line per find; empty when there is none."""
    found = []
    for token in COMMONMARK.parse(markdown):
        if token.type == "fence" and token.info.strip().startswith("{"):
            found.append(f"directive fence {token.info.strip()}")
        if token.type != "inline":
            continue
        children = token.children or []
        for before, after in zip(children, children[1:], strict=False):
            if before.type == "text" and after.type == "code_inline" and \
                    ROLE_NAME.search(before.content):
                found.append(f"role {ROLE_NAME.search(before.content)[0]}`{after.content}`")
        for line in token.content.splitlines():
            found += [f"{kind}: {line.strip()}" for kind, pattern in MYST_LINES.items()
                      if pattern.search(line)]
    return found


def literalincludes(page: str | None = None) -> list[tuple[str, str, dict[str, str]]]:
    """Every ``{literalinclude}`` of the chapters (or of one page): (page, path, options)."""
    found = []
    sources = [BOOK / f"{page}.md"] if page else sorted(BOOK.glob("*.md"))

    def walk(text, name):
        for token in parser(frozenset({"colon_fence", "dollarmath", "amsmath"})).parse(text):
            if token.type in ("fence", "colon_fence") and token.info.startswith("{"):
                d = parse_directive(token.info, token.content)
                if d.name == "literalinclude":
                    found.append((name, d.argument, {k: str(v) for k, v in d.options.items()}))
                else:
                    walk(d.body, name)

    for source in sources:
        walk(source.read_text(encoding="utf-8"), source.stem)
    return found


def shown_lines(printed: str, numbered: bool) -> tuple[list[str], list[int], set[int]]:
    """What ``show_source`` printed: the code's lines, their numbers (when ``numbered``) and the
    1-based positions of the highlighted lines."""
    lines, numbers, marked = [], [], set()
    for position, line in enumerate(printed.split("\n")[:-1], start=1):
        if ANSI.search(line):
            marked.add(position)
            line = ANSI.sub("", line)
        match = re.match(r"^\s*(\d+)  (.*)$", line) if numbered else None
        if match:
            numbers.append(int(match[1]))
        lines.append(match[2] if match else line)
    return lines, numbers, marked
