"""Sphinx extension: three fixes to the HTML that Sphinx 7.4, MyST-NB 1.4 and docutils 0.21 write,
each found by the browser tests (``tests/test_browser.py``). Registered in ``_config.yml``
(``sphinx: extra_extensions``).

- **Inline scripts written twice.** ``app.add_js_file(None, body=...)`` called after the builder
  starts (sphinx-thebe's and sphinx-togglebutton's configuration) registers the script under the
  name ``None`` with the builder and ``''`` when the builder re-reads the registry before writing,
  so every page carries it twice and ``const THEBE_JS_URL`` is declared twice: a JavaScript error
  on every page. Sphinx fixed it upstream (sphinx-doc/sphinx#13402, Sphinx 8.2); this backports
  the fix: the builder gets ``''`` both times.
- **"Show code cell source" toggles.** MyST-NB labels the ``<summary>`` of a hidden cell "Toggle
  hidden content", which is not the text a reader sees (axe: label-content-name-mismatch, WCAG
  2.5.3). Written here without the ``aria-label``, the summary's name is its visible text.
- **References list.** docutils writes each citation as ``role="doc-biblioentry"`` inside
  ``role="list"``; the role is deprecated in DPUB-ARIA 1.1 and is not a list item, so the list
  has no items (axe: aria-required-children, critical). Written here as ``role="listitem"``.
"""

from __future__ import annotations

from html import escape

from docutils import nodes

BIBLIOENTRY = 'role="doc-biblioentry"'


def backport_inline_script_fix(app) -> None:
    """Make the HTML builder store inline scripts under ``''``, as Sphinx 8.2 does."""
    builder = app.builder
    if not hasattr(builder, "add_js_file"):
        return
    add_js_file = builder.add_js_file

    def add_js_file_named(filename, **kwargs):
        return add_js_file(filename or "", **kwargs)

    builder.add_js_file = add_js_file_named


def visit_hidden_cell(self, node) -> None:
    """MyST-NB's ``visit_HideCellInput``, with no ``aria-label`` on the summary."""
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n')
    self.body.append("<summary>\n")
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def depart_hidden_cell(self, node) -> None:
    self.body.append("</details>\n")


def visit_citation(self, node) -> None:
    """docutils' ``visit_citation``, each entry a list item of the references list."""
    type(self).visit_citation(self, node)
    for i in range(len(self.body) - 1, -1, -1):
        if BIBLIOENTRY in self.body[i]:
            self.body[i] = self.body[i].replace(BIBLIOENTRY, 'role="listitem"')
            break


def depart_citation(self, node) -> None:
    type(self).depart_citation(self, node)


def setup(app):
    from myst_nb.sphinx_ import HideCodeCellNode

    app.setup_extension("myst_nb")
    # before any extension adds an inline script on builder-inited (sphinx-togglebutton: 500)
    app.connect("builder-inited", backport_inline_script_fix, priority=100)
    # for every HTML builder: one registering handlers for "singlehtml" (sphinx-exercise does)
    # hides the "html" ones from it, and MyST-NB registers its node for "html" only
    for node, handlers in ((HideCodeCellNode, (visit_hidden_cell, depart_hidden_cell)),
                           (nodes.citation, (visit_citation, depart_citation))):
        app.add_node(node, override=True, html=handlers, singlehtml=handlers, dirhtml=handlers)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
