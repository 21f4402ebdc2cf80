"""scratchnet_book: the book's build and test tooling, kept out of the library.

    page               what every chapter starts with: ``begin`` (the figure style, the book's one
                       split) and ``glue`` (NumPy scalars stored as Python numbers); it imports only
                       the library and MyST-NB's glue, so the notebooks run on Colab
    editions           the student edition: the book without its solutions (``make book-student``,
                       ``python -m scratchnet_book.editions``)
    sphinx_notebooks   a Sphinx extension: every chapter as a runnable Jupyter notebook
    myst_markdown      a chapter's MyST Markdown as the plain Markdown Jupyter and Colab render
    execution_key      a Sphinx extension: a page is executed again when the code, lock or data it
                       depends on changed
    chapter_map        a Sphinx extension: the preface's map of the chapters, from ``_toc.yml``
    sphinx_site        a Sphinx extension: fixes to the theme's HTML that the browser tests found
    measured           which glued values are measurements of the machine (times, load, date),
                       not results of the seeded computation
    pdf                the book as one PDF, printed by Chromium (``make pdf``, ``make pdf-student``)
    browser            the browser the tests and the PDF drive: which Chromium, its flags, a local
                       server for a built site
    grading/           ``scratchnet grade``: the student edition's notebooks graded in limited
                       processes (instructor tooling; the CLI finds it by its entry point)

It imports ``scratchnet`` (never the reverse) and needs the ``book`` extra (Sphinx, PyYAML,
nbformat, jupytext; for grading nbclient, ipykernel and psutil).
"""
