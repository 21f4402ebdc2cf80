"""MyST Markdown to plain Markdown, for the chapters' notebooks: what Jupyter and Colab render.

The chapters are written in MyST: roles (``{eq}`label```), directives (```` ```{math} ````,
``:::{exercise}``), targets (``(label)=``) and comments (``% ...``). A notebook reader's Markdown
is CommonMark with ``$``/``$$`` maths, so :func:`convert` rewrites one Markdown cell, keeping
everything else of the text as written. What each construct becomes:

=====================================  ==========================================================
MyST                                   in the notebook
=====================================  ==========================================================
``{glue:text}`name:.1%```, ``{glue}``  the value the build computed, formatted as on the page
``{glue:md}``                          the glued Markdown
``{ref}`` ``{numref}`` ``{eq}``        the text the page shows (a title, "Section 3.2", "(3.2)",
``{doc}`` ``{cite}`` ``{term}``        "Nielsen (2015)"), linked to the site's page
``{math}`x```                          ``$x$``
``(label)=``, ``% comment``, ``+++``   nothing
``{math}`` block, ``$$ $$ (label)``    ``$$ ... \\tag{3.2} $$`` (the page's number)
``{admonition}``, ``{note}`` ...       a block quote headed by the title in bold
``{exercise}``, ``{solution}``         a block quote headed "**Exercise 2.1 (title)**"
``{exercise-start}`` ... ``-end``      a rule and the bold title; a rule at the end
``{table}``, ``{figure}``              "**Table 12.1** caption" above the table; image + caption
``{glue}`` (block)                     the glued output: Markdown, HTML, an image, ``$$`` LaTeX
``{literalinclude}`` of the library    a code cell ``show_source(...)`` (the Sphinx side)
other ``{literalinclude}``             the lines the page shows, in a code block, and a link
``{code-block}``                       a fenced code block
``{grid}``, ``{grid-item}``, ``{card}``  their content
``{raw} html``                         a link to the page on the site (scripts do not run)
``{bibliography}``, ``{chapter-map}``  what the build made of them (a list, a table)
=====================================  ==========================================================

Whatever the build resolved (numbers, titles, glued values, reference texts) comes in a
:class:`PageFacts`; the Sphinx side (:mod:`scratchnet_book.sphinx_notebooks`) fills it from the
build. A role or directive without a rule here, or a reference the facts do not know, is reported
in ``PageFacts.problems`` (the build turns each into a warning), never passed on silently.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from myst_nb.core.variables import format_plain_text
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

Piece = str | NotebookNode
"""A stretch of Markdown, or a code cell that interrupts the Markdown (a ``literalinclude``)."""

MIME_PRIORITY = ["text/markdown", "text/html", "image/svg+xml", "image/png", "image/jpeg",
                 "text/latex", "text/plain"]
"""Which output of a glued value a ``{glue}`` directive shows, outside a build (the build passes
MyST-NB's own order for HTML)."""

ADMONITIONS = {"attention": "Attention", "caution": "Caution", "danger": "Danger",
               "error": "Error", "hint": "Hint", "important": "Important", "note": "Note",
               "seealso": "See also", "tip": "Tip", "warning": "Warning"}
"""Admonitions without a title argument, and the title Sphinx gives them."""

CONTAINERS = {"grid", "grid-item", "grid-item-card", "card", "div", "container", "tab-set",
              "tab-item", "margin", "sidebar", "topic", "epigraph", "dropdown"}
"""Layout directives: the notebook keeps their content (and the title of those that have one)."""

ESCAPE = re.compile(r"([\\`*_\[\]<>$|~])")
ROLE_OR_TICKS = re.compile(r"\\.|\{(?P<name>[a-zA-Z0-9_\-+:]+)\}(?=`)|`+", re.S)


@dataclass
class PageFacts:
    """What the build resolved on one page: everything a conversion needs to write what the
    page shows. Empty outside a build."""

    page_url: str = ""
    """The page on the published site (links of references, raw HTML)."""
    glue: dict[str, dict] = field(default_factory=dict)
    """name -> the glued output (MyST-NB's ``<page>.glue.json``)."""
    roles: dict[str, str] = field(default_factory=dict)
    """A reference role as MyST hands it to Sphinx (``:ref:`label```) -> its Markdown."""
    titles: dict[str, str] = field(default_factory=dict)
    """label of an exercise or solution -> its title on the page, in Markdown
    ("Exercise 2.1 (Shuffled pixels)")."""
    numbers: dict[str, str] = field(default_factory=dict)
    """label of a table or figure -> its number on the page ("Table 12.1", "Fig. 5.1")."""
    equations: dict[str, str] = field(default_factory=dict)
    """label of an equation -> its number on the page ("3.2")."""
    blocks: dict[str, list[str]] = field(default_factory=dict)
    """directive name -> the Markdown of each of its outputs, in page order (``bibliography``,
    ``chapter-map``)."""
    source_url: str = ""
    """Where the page's source folder is served raw (``.../raw/main/book/``), for images."""
    include: Callable[[str, dict[str, str]], NotebookNode | str] | None = None
    """A ``literalinclude`` (path, options) -> its code cell or Markdown."""
    mime_priority: list[str] = field(default_factory=lambda: list(MIME_PRIORITY))
    extensions: frozenset[str] = frozenset({"amsmath", "dollarmath", "colon_fence", "deflist"})
    problems: list[str] = field(default_factory=list)
    """What could not be converted, one line each."""
    counts: dict[str, int] = field(default_factory=dict)
    """construct -> how many were converted (``{eq}``, ``{math}``, ``(label)=`` ...)."""

    def count(self, construct: str) -> None:
        self.counts[construct] = self.counts.get(construct, 0) + 1


def escape(text: str) -> str:
    """Text shown as it is (a glued value, a title): Markdown's special characters escaped."""
    return ESCAPE.sub(r"\\\1", text)


# --- inline: roles ------------------------------------------------------------------------------


def roles_in(text: str):
    """Every role of ``text``, as MyST's parser finds them: (start, end, name, content).

    A role is ``{name}`` followed by a code span; a code span that is not preceded by ``{name}``
    is literal text, roles in it included (the rule of ``mdit_py_plugins.myst_role``)."""
    position = 0
    while match := ROLE_OR_TICKS.search(text, position):
        if match[0].startswith("\\"):
            position = match.end()
        elif match["name"]:
            ticks = re.match(r"`+", text[match.end():])[0]
            start = match.end() + len(ticks)
            close = text.find(ticks, start + 1)
            if close < 0:
                position = match.end()
                continue
            yield match.start(), close + len(ticks), match["name"], \
                text[start:close].replace("\n", " ")
            position = close + len(ticks)
        else:
            close = re.compile(rf"(?<!`){match[0]}(?!`)").search(text, match.end())
            position = close.end() if close else match.end()


def convert_inline(text: str, facts: PageFacts) -> str:
    """``text`` with every role replaced by what the page shows for it."""
    out, position = [], 0
    for start, end, name, content in roles_in(text):
        out += [text[position:start], role_markdown(name, content, facts)]
        position = end
    return "".join(out + [text[position:]])


def role_markdown(name: str, content: str, facts: PageFacts) -> str:
    """One role, as Markdown."""
    facts.count(f"{{{name}}}")
    if name in ("glue:text", "glue", "glue:", "glue:any", "glue:md"):
        return glue_inline(name, content, facts)
    if name == "math":
        return f"${content}$"
    resolved = facts.roles.get(f":{name}:`{content}`")
    if resolved is not None:
        return resolved
    if name in ("sub", "sup"):
        return f"<{name}>{escape(content)}</{name}>"
    if name in ("abbr", "kbd", "dfn", "guilabel", "command", "file", "samp"):
        return escape(content)
    facts.problems.append(f"the role {{{name}}}`{content}` was not resolved by the build")
    explicit = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", content)
    return escape(explicit[1] if explicit else content)


def glue_inline(name: str, content: str, facts: PageFacts) -> str:
    """``{glue:text}`key:spec```, ``{glue}`key```, ``{glue:md}`key```: the glued value."""
    key, spec = content, "s"            # MyST-NB's reading: key[:format spec], key[:format]
    if name in ("glue:text", "glue:md") and ":" in content.replace("::", ""):
        key, spec = content.rsplit(":", 1)
    output = facts.glue.get(key.split("::")[-1])
    if output is None:
        facts.problems.append(f"{{{name}}}`{content}`: no value named {key!r} was glued")
        return escape(key)
    data = output.get("data", {})
    if name == "glue:text":
        return escape(format_plain_text(data.get("text/plain", ""), spec))
    mime = "text/markdown" if name == "glue:md" else next(
        (m for m in facts.mime_priority if m in data), None)
    value = data.get(mime, "")
    if mime == "text/markdown":
        return convert_inline(str(value), facts)
    if mime == "text/latex":
        return "$" + str(value).strip().strip("$") + "$"
    if mime == "text/html":
        return str(value).strip()
    if mime == "text/plain":         # MyST-NB shows the repr, quotes and all, unless told not to
        quoted_text = output.get("metadata", {}).get("strip_text_quotes", False)
        text = str(value)
        return escape(text[1:-1] if quoted_text and re.fullmatch(r"(['\"]).*\1", text) else text)
    facts.problems.append(f"{{{name}}}`{content}`: no output Markdown can show inline")
    return escape(key)


# --- blocks -------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def parser(extensions: frozenset[str]) -> MarkdownIt:
    """MyST's own Markdown parser, with the book's extensions."""
    return create_md_parser(MdParserConfig(enable_extensions=set(extensions)), RendererHTML)


def convert(text: str, facts: PageFacts) -> list[Piece]:
    """One Markdown cell of a chapter, as notebook pieces: Markdown with no MyST left, and the
    code cells that stand for included source. Blocks MyST adds are rewritten; everything else
    keeps its lines, with the roles in them replaced."""
    lines = text.splitlines()
    pieces: list[Piece] = []
    position = 0
    for token in parser(facts.extensions).parse(text):
        if token.map is None or token.map[0] < position:
            continue
        if token.type in ("fence", "code_block", "html_block") and not (
                token.type == "fence" and token.info.startswith("{")):
            replacement = None          # literal text: no role in it is a role
        elif token.type in ("fence", "colon_fence") and token.info.startswith("{"):
            replacement = directive(token, facts)
        elif token.type in ("myst_target", "myst_line_comment", "myst_block_break",
                            "front_matter"):
            facts.count({"myst_target": "(label)=", "myst_line_comment": "% comment",
                         "myst_block_break": "+++", "front_matter": "front matter"}[token.type])
            replacement = []
        elif token.type == "math_block_label":
            facts.count("$$ (label)")
            replacement = [display_math(token.content, token.info, facts)]
        elif token.type == "amsmath":
            facts.count("amsmath")
            replacement = [f"$$\n{token.content.strip()}\n$$"]
        else:
            continue
        start, end = token.map
        if token.type == "amsmath":     # its map stops a line short
            end = start + token.content.strip("\n").count("\n") + 1
        if start > position:
            pieces.append(convert_inline("\n".join(lines[position:start]), facts))
        if replacement is None:
            pieces.append("\n".join(lines[start:end]))
        else:
            first = lines[start]
            cut = first.find(token.markup) if token.markup else -1
            indent = first[:cut] if cut > 0 else first[:len(first) - len(first.lstrip(" >"))]
            pieces.extend(indented(replacement, indent))
        position = end
    if position < len(lines):
        pieces.append(convert_inline("\n".join(lines[position:]), facts))
    return merged(pieces)


def merged(pieces: list[Piece]) -> list[Piece]:
    """Adjacent Markdown joined (one blank line where either side had blank lines), empty
    Markdown dropped. The inside of a piece is kept as it is (a code block's blank lines)."""
    out: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] = joined(out[-1], piece)
        else:
            out.append(piece)
    out = [p.strip("\n") if isinstance(p, str) else p for p in out]
    return [p for p in out if not isinstance(p, str) or p.strip()]


def joined(first: str, second: str) -> str:
    head, tail = first.split("\n"), second.split("\n")
    blank = False
    while head and not head[-1].strip():
        head.pop()
        blank = True
    while tail and not tail[0].strip():
        tail.pop(0)
        blank = True
    if head and tail and head[-1].strip() == tail[0].strip() == "---":
        tail.pop(0)                     # an exercise's end rule, the next one's opening rule
    return "\n".join(head + ([""] if blank else []) + tail)


def indented(pieces: list[Piece], indent: str) -> list[Piece]:
    """Markdown put back where a block stood: inside a list item or a quote, its lines carry the
    same prefix (the first line's list marker becomes spaces)."""
    if not indent:
        return pieces
    rest = re.sub(r"[^\s>]", " ", indent)
    out: list[Piece] = []
    for number, piece in enumerate(pieces):
        if isinstance(piece, str):
            lines = piece.split("\n")
            first = indent if number == 0 else rest
            out.append("\n".join([first + lines[0]] + [rest + line for line in lines[1:]]))
        else:
            out.append(piece)
    return out


def quoted(pieces: list[Piece]) -> list[Piece]:
    """A block quote around the Markdown pieces (a code cell in between ends it, the quote goes
    on after it)."""
    return [("\n".join(">" + (" " + line if line else "") for line in p.split("\n"))
             if isinstance(p, str) else p) for p in merged(pieces)]


@dataclass
class Directive:
    name: str
    argument: str
    options: dict[str, Any]
    body: str


def parse_directive(info: str, content: str) -> Directive:
    """A MyST directive's name, argument, options (``:key: value`` lines or a YAML block at the
    top) and body."""
    name, _, argument = info.strip().partition(" ")
    name = name.strip("{}")
    lines = content.split("\n")
    options: dict[str, Any] = {}
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
        if end is not None:
            options = yaml.safe_load("\n".join(lines[1:end])) or {}
            lines = lines[end + 1:]
    else:
        while lines and (option := re.match(r"^:([\w-]+):(?:\s+(.*?))?\s*$", lines[0])):
            options[option[1]] = option[2] or ""
            lines = lines[1:]
    return Directive(name, argument.strip(), options, "\n".join(lines).strip("\n"))


def directive(token, facts: PageFacts) -> list[Piece]:
    """One ``{directive}`` fence (backticks or colons), as notebook pieces."""
    d = parse_directive(token.info, token.content)
    facts.count(f"{{{d.name}}}")
    handler = DIRECTIVES.get(d.name)
    if handler is not None:
        return handler(d, facts)
    if d.name in ADMONITIONS:
        body = "\n".join(filter(None, [d.argument, d.body]))
        return admonition(ADMONITIONS[d.name], body, facts)
    if d.name in CONTAINERS:
        title = d.argument if d.name in ("grid-item-card", "card", "tab-item", "sidebar",
                                         "topic", "dropdown") else ""
        inner = ([f"**{convert_inline(title, facts)}**", ""] if title else []) + \
            convert(d.body, facts)
        return quoted(inner) if d.name in ("dropdown", "sidebar", "topic", "margin") else inner
    facts.problems.append(f"the directive {{{d.name}}} has no notebook form")
    return convert(d.body, facts)


def admonition(title: str, body: str, facts: PageFacts) -> list[Piece]:
    return quoted([f"**{title}**", ""] + convert(body, facts))


def titled(kind: str, d: Directive, facts: PageFacts) -> str:
    """The bold title of an exercise or solution, as the page numbers it."""
    label = d.options.get("label", "")
    if label in facts.titles:
        return f"**{facts.titles[label]}**"
    facts.problems.append(f"{{{d.name}}} {label or d.argument}: no title from the build")
    words = kind + (f" ({convert_inline(d.argument, facts)})" if d.argument else "")
    return f"**{words}**"


def exercise(d: Directive, facts: PageFacts) -> list[Piece]:
    kind = "Solution" if d.name == "solution" else "Exercise"
    return quoted([titled(kind, d, facts), ""] + convert(d.body, facts))


def gate_start(d: Directive, facts: PageFacts) -> list[Piece]:
    """``{exercise-start}``/``{solution-start}``: the text and code cells up to the matching
    end are the exercise; in the notebook a rule and the title open it."""
    kind = "Solution" if d.name.startswith("solution") else "Exercise"
    return ["", "---", "", titled(kind, d, facts), ""] + convert(d.body, facts)


def gate_end(d: Directive, facts: PageFacts) -> list[Piece]:
    return ["", "---", ""]


def math_parts(tex: str, nowrap: bool = False) -> str:
    """The TeX of a ``{math}`` block as Sphinx hands it to MathJax: blank-line separated
    equations aligned together, a multi-line equation in an ``aligned`` environment."""
    if nowrap:
        return tex.strip()
    parts = [p.strip() for p in re.split(r"\n\s*\n", tex) if p.strip()]
    wrapped = [rf"\begin{{aligned}}{p}\end{{aligned}}" if "\\\\" in p and "\\begin" not in p
               else p for p in parts]
    if len(wrapped) > 1:
        return "\\begin{aligned}" + " \\\\\n".join(wrapped) + "\\end{aligned}"
    return wrapped[0] if wrapped else ""


def display_math(tex: str, label: str, facts: PageFacts, nowrap: bool = False) -> str:
    """``$$ ... $$``, with the page's equation number as ``\\tag``."""
    tag = ""
    if label:
        if label in facts.equations:
            tag = f" \\tag{{{facts.equations[label]}}}"
        else:
            facts.problems.append(f"equation {label}: no number from the build")
    body = math_parts(tex, nowrap)
    return f"$$\n{body}{tag}\n$$"


def math_directive(d: Directive, facts: PageFacts) -> list[Piece]:
    tex = "\n".join(filter(None, [d.argument, d.body]))
    return [display_math(tex, d.options.get("label", ""), facts, "nowrap" in d.options)]


def table(d: Directive, facts: PageFacts) -> list[Piece]:
    name = d.options.get("name", "")
    number = facts.numbers.get(name)
    if name and number is None:
        facts.problems.append(f"table {name}: no number from the build")
    caption = convert_inline(d.argument, facts)
    head = f"**{number}** {caption}" if number else caption
    return ([head, ""] if head else []) + convert(d.body, facts)


def figure(d: Directive, facts: PageFacts) -> list[Piece]:
    name = d.options.get("name", "")
    number = facts.numbers.get(name, "")
    alt = d.options.get("alt", "")
    image = d.argument if re.match(r"\w+:", d.argument) else facts.source_url + d.argument
    caption = " ".join(filter(None, [f"**{number}**" if number else "",
                                     convert_inline(d.body, facts)]))
    return [f"![{escape(alt)}]({image})", ""] + ([f"*{caption}*"] if caption else [])


def glue_block(d: Directive, facts: PageFacts) -> list[Piece]:
    """``{glue} name`` and its variants: the glued output itself."""
    key = d.argument.split("::")[-1]
    output = facts.glue.get(key)
    if output is None:
        facts.problems.append(f"{{{d.name}}} {d.argument}: no value named {key!r} was glued")
        return []
    data = output.get("data", {})
    wanted = {"glue:md": ["text/markdown"], "glue:math": ["text/latex"]}.get(
        d.name, facts.mime_priority)
    mime = next((m for m in wanted if m in data), None)
    value = data.get(mime, "")
    value = "".join(value) if isinstance(value, list) else str(value)
    if mime == "text/markdown":
        shown = convert(value, facts)
    elif mime == "text/html":
        shown = ["\n".join(line for line in value.splitlines() if line.strip())]
    elif mime and mime.startswith("image/"):
        raw = value if mime != "image/svg+xml" else base64.b64encode(value.encode()).decode()
        shown = [f"![{escape(key)}](data:{mime};base64,{raw.strip()})"]
    elif mime == "text/latex":
        shown = [display_math(value.strip().strip("$"), d.options.get("label", ""), facts)]
    elif mime == "text/plain":
        shown = ["```", format_plain_text(value, ""), "```"]
    else:
        facts.problems.append(f"{{{d.name}}} {key}: no output Markdown can show ({sorted(data)})")
        return []
    if d.name == "glue:figure":
        number = facts.numbers.get(d.options.get("name", ""), "")
        caption = " ".join(filter(None, [f"**{number}**" if number else "",
                                         convert_inline(d.body, facts)]))
        shown += ["", f"*{caption}*"] if caption else []
    return shown


def literalinclude(d: Directive, facts: PageFacts) -> list[Piece]:
    if facts.include is None:
        facts.problems.append(f"literalinclude {d.argument}: no reader outside the build")
        return []
    return [facts.include(d.argument, {k: str(v) for k, v in d.options.items()})]


def code_block(d: Directive, facts: PageFacts) -> list[Piece]:
    ticks = "`" * max([3] + [len(t) + 1 for t in re.findall(r"`+", d.body)])
    return [f"{ticks}{d.argument}", d.body, ticks]


def code_cell(d: Directive, facts: PageFacts) -> list[Piece]:
    cell = new_code_cell(d.body)
    tags = d.options.get("tags")
    if tags:
        cell.metadata["tags"] = list(tags) if isinstance(tags, list) else yaml.safe_load(tags)
    return [cell]


def raw(d: Directive, facts: PageFacts) -> list[Piece]:
    """Raw HTML is the page's own (a demo's placeholder, scripts): the notebook links to it."""
    if d.argument.strip() != "html":
        return []
    where = f"[the page on the site]({facts.page_url})" if facts.page_url else "the book's page"
    return [f"*(Here the web page has an interactive part: see {where}.)*"]


def made_by_build(d: Directive, facts: PageFacts) -> list[Piece]:
    """A directive whose content the build makes (``{bibliography}``, ``{chapter-map}``)."""
    made = facts.blocks.get(d.name) or []
    if not made:
        facts.problems.append(f"{{{d.name}}}: nothing from the build to show")
        return []
    return [made.pop(0)]


DIRECTIVES: dict[str, Callable[[Directive, PageFacts], list[Piece]]] = {
    "admonition": lambda d, facts: admonition(convert_inline(d.argument, facts) or "Note",
                                              d.body, facts),
    "exercise": exercise,
    "solution": exercise,
    "exercise-start": gate_start,
    "solution-start": gate_start,
    "exercise-end": gate_end,
    "solution-end": gate_end,
    "math": math_directive,
    "table": table,
    "figure": figure,
    "glue": glue_block, "glue:": glue_block, "glue:any": glue_block, "glue:figure": glue_block,
    "glue:md": glue_block, "glue:math": glue_block,
    "literalinclude": literalinclude,
    "code-block": code_block, "code": code_block, "sourcecode": code_block,
    "code-cell": code_cell,
    "raw": raw,
    "bibliography": made_by_build,
    "chapter-map": made_by_build,
}
"""The directives the chapters use (and a few close relatives), and what each becomes."""
