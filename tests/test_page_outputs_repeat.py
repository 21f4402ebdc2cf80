"""Two executions of the same page on the same machine glue the same values, but measurements.

The build's values (``_build/jupyter_execute/<page>.glue.json``) are compared with a second
execution of the page's notebook, made here in a fresh kernel. Every value that differs must be a
measurement of the machine (a timing, the date, the load...), as :mod:`scratchnet_book.measured`
names them and the reproducibility appendix lists them; anything else that differs means a page
whose outputs do not follow from its seeded code.
"""

from __future__ import annotations

import jupytext
import nbclient
import pytest
from book_support import BOOK, glue_values, glue_values_of

from scratchnet_book.measured import MEASURED, is_measured

PAGES = ("training", "evaluation", "reproducibility")
"""Pages that train (from the run cache and directly), time and describe the machine."""


def test_measured_names_are_matched_by_their_patterns_only():
    assert is_measured("ch7_sgd_seconds") and is_measured("perf_t_fast")
    assert is_measured("repro_date") and is_measured("perf_bench_ratio")
    assert not is_measured("ch7_sgd_dev_accuracy") and not is_measured("repro_split_seed")
    assert not is_measured("seconds") and not is_measured("perf_hidden")
    assert all(isinstance(what, str) and what for what in MEASURED.values())


def execute(page: str):
    """The page's notebook, executed in a fresh kernel from ``book/`` (as the build runs it)."""
    notebook = jupytext.read(BOOK / f"{page}.md")
    client = nbclient.NotebookClient(notebook, timeout=1800, kernel_name="python3",
                                     resources={"metadata": {"path": str(BOOK)}})
    return client.execute()


@pytest.mark.parametrize("page", PAGES)
def test_a_second_execution_glues_the_same_values_but_the_measured_ones(built_book, page):
    first, second = glue_values(page), glue_values_of(execute(page))
    assert set(first) == set(second), set(first) ^ set(second)
    differ = sorted(name for name in first if first[name] != second[name])
    unexpected = [f"{name}: {first[name]!r} then {second[name]!r}"
                  for name in differ if not is_measured(name)]
    assert not unexpected, unexpected
