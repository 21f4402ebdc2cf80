"""Sphinx extension: the preface's map of the chapters, built from the table of contents.

In a page::

    ```{chapter-map}
    data: the seed's CSV file, the IDX format, ...
    architecture: the network drawn, ...
    ```

Each line gives one document of ``_toc.yml`` and what it does, in MyST Markdown (the prose stays
in the page). The directive renders a table in the order of the table of contents — part, the
chapter's number and title as a link, what it does — so the map cannot drift from the book: a
document of the table of contents without a line, or a line for a document that is not in it,
stops the build with an error naming it.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

TOC = Path(__file__).resolve().parents[2] / "_toc.yml"


class chapter_map(nodes.General, nodes.Element):
    """Placeholder, replaced by the table once every document has been read."""


def toc_entries(toc_path: Path = TOC) -> list[tuple[str, str]]:
    """(part caption, document) for every chapter of the table of contents, in reading order."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    entries = []

    def walk(caption, items):
        for item in items or []:
            if "file" in item:
                entries.append((caption, str(Path(item["file"]).with_suffix(""))))
            walk(caption, item.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("caption", ""), part.get("chapters"))
    walk("", toc.get("chapters"))
    return entries


class ChapterMapDirective(SphinxDirective):
    has_content = True

    def run(self):
        self.env.note_dependency(str(TOC))
        node = chapter_map(descriptions={})
        for number, line in enumerate(self.content):
            if not line.strip():
                continue
            doc, sep, text = line.partition(":")
            if not sep:
                raise self.error(f"chapter-map: line {number + 1}: expected 'document: text'")
            paragraph = nodes.paragraph()
            self.state.nested_parse(
                type(self.content)([text.strip()], items=[self.content.items[number]]),
                self.content_offset + number, paragraph)
            node["descriptions"][doc.strip()] = paragraph.children
        listed = {doc for _, doc in toc_entries()} - {self.env.config.root_doc}
        missing = sorted(listed - node["descriptions"].keys())
        unknown = sorted(node["descriptions"].keys() - listed)
        if missing or unknown:
            raise self.error("chapter-map: "
                             + "; ".join(filter(None, [
                                 missing and f"no line for {', '.join(missing)}",
                                 unknown and f"not in _toc.yml: {', '.join(unknown)}"])))
        return [node]


def chapter_number(env, doc: str) -> str:
    numbers = env.toc_secnumbers.get(doc, {}).get("")
    return ".".join(map(str, numbers)) + "." if numbers else ""


class BuildChapterMaps(SphinxPostTransform):
    """Before references are resolved (priority 5 < 10), so the links below get resolved."""

    default_priority = 5

    def run(self, **kwargs):
        for placeholder in self.document.findall(chapter_map):
            placeholder.replace_self(self.table(placeholder["descriptions"]))

    def table(self, descriptions) -> nodes.table:
        table = nodes.table(classes=["chapter-map"])
        group = nodes.tgroup(cols=3)
        table += group
        for width in (2, 3, 7):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += self.row([nodes.Text(t)] for t in ("part", "chapter", "what it does"))
        body = nodes.tbody()
        root = self.env.config.root_doc
        for caption, doc in toc_entries():
            if doc == root:
                continue
            link = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget=f"/{doc}",
                                         refdoc=self.env.docname, refexplicit=False,
                                         refwarn=True)
            link += nodes.inline("", "", classes=["doc"])
            number = chapter_number(self.env, doc)
            chapter = ([nodes.Text(f"{number} ")] if number else []) + [link]
            body += self.row([[nodes.Text(caption)], chapter,
                              [child.deepcopy() for child in descriptions[doc]]])
        group += head
        group += body
        return table

    @staticmethod
    def row(cells) -> nodes.row:
        row = nodes.row()
        for content in cells:
            entry = nodes.entry()
            paragraph = nodes.paragraph()
            paragraph.extend(list(content))
            entry += paragraph
            row += entry
        return row


def setup(app):
    app.add_node(chapter_map)
    app.add_directive("chapter-map", ChapterMapDirective)
    app.add_post_transform(BuildChapterMaps)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
