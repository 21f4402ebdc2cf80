"""scratchnet_book: the book's build tooling, kept out of the library.

    editions           the student edition: the book without its solutions (``make book-student``,
                       ``python -m scratchnet_book.editions``)
    sphinx_notebooks   a Sphinx extension: every chapter as a runnable Jupyter notebook

It imports ``scratchnet`` (never the reverse) and needs the ``book`` extra (Sphinx, PyYAML,
nbformat, jupytext).
"""
