"""The reproducibility appendix: the BLAS-thread rule it states is checked by the build that
prints it, with a verdict whose logic is tested here on known cases, and its section has the label
other chapters link to."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
from book_support import BOOK, glue_values, soup_of
from page_code import page_function

PAGE = "reproducibility"


def weights(*values):
    return {"W1": np.array(values, dtype=np.float32), "b1": np.zeros(2, dtype=np.float32)}


def test_identical_and_largest_difference_compare_every_array():
    identical = page_function(PAGE, "identical")
    largest = page_function(PAGE, "largest_difference")
    a, b = weights(1.0, 2.0), weights(1.0, 2.0)
    assert identical(a, b)
    b["b1"][1] = np.nextafter(np.float32(0), np.float32(1))       # one bit of one bias
    assert not identical(a, b)
    assert largest(a, b) == float(b["b1"][1])
    assert not identical(a, {"W1": a["W1"]})                       # a missing array differs too
    assert largest(weights(1.0, 5.0), weights(1.5, 2.0)) == 3.0


def test_the_thread_rule_verdict_follows_the_runs():
    verdict = page_function(PAGE, "thread_rule_verdict",
                            identical=page_function(PAGE, "identical"))
    same, other = weights(1.0, 2.0), weights(1.0, 2.5)
    assert verdict({}) == "not verified"
    assert verdict({1: [same, weights(1.0, 2.0)], 2: [other, weights(1.0, 2.5)]}) == "verified"
    assert verdict({1: [same, weights(1.0, 2.0)], 2: [other, same]}) == "contradicted"


def test_the_threads_section_has_the_label_other_chapters_link_to(built_book):
    assert re.search(r"^\(reproducibility-threads\)=\n#", (BOOK / f"{PAGE}.md").read_text(), re.M)
    soup = soup_of(built_book, PAGE)
    assert soup.find(id="reproducibility-threads") is not None


def test_the_build_verified_the_thread_rule_it_states(built_book):
    """With threadpoolctl (a dependency of the library) the build trains twice at 1 and at 2
    threads; two runs with the same thread count are identical, so the page says *verified*."""
    glued = glue_values(PAGE)
    assert importlib.util.find_spec("threadpoolctl"), "threadpoolctl is a dependency of the library"
    assert glued["repro_thread_verdict"] == "verified"
    assert glued["repro_threads_in_use"][0] == 1
    assert glued["repro_thread_difference"] >= 0
    assert int(glued["repro_thread_rows"].replace(",", "")) > 0


def test_the_fingerprints_are_those_of_the_library_lock_and_data_the_build_used(built_book):
    from scratchnet_book import execution_key

    values = glue_values(PAGE)
    library = sorted((execution_key.CODE / "scratchnet").rglob("*.py"))
    assert values["repro_fingerprint_library"] == execution_key.library_fingerprint(library)
    assert values["repro_fingerprint_lock"] == execution_key.lock_fingerprint()
    assert values["repro_fingerprint_data"] == execution_key.data_fingerprint()


def test_the_seeds_table_records_the_blas_thread_count_of_the_build(built_book):
    from scratchnet.perf import blas_threads
    threads = glue_values(PAGE)["repro_blas_threads"]
    assert isinstance(threads, int) and threads == blas_threads() >= 1
