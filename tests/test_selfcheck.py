"""The exercise self-checks: a right answer passes, each kind of wrong answer fails with a reason
that names the broken property, a stub reports "not implemented yet", and no check ever raises.

The cases live with their topic (tests/test_selfcheck_<module>.py, one per library module whose
functions the exercises rebuild); this file runs the harness's promises over all of them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import test_selfcheck_data
import test_selfcheck_evaluate
import test_selfcheck_model
import test_selfcheck_train
import yaml
from selfcheck_support import stub, verdict

from scratchnet import model, selfcheck
from scratchnet.selfcheck.harness import CheckResult, registered, run_checks

ROOT = Path(__file__).resolve().parents[1]

CASES = {**test_selfcheck_data.CASES, **test_selfcheck_model.CASES, **test_selfcheck_train.CASES,
         **test_selfcheck_evaluate.CASES}
"""Every check's (check, right implementation, [(wrong implementation, reason), ...])."""


def book_calls() -> dict[str, set[str]]:
    """For each page of the book, the names of the self-checks its cells call."""
    call = re.compile(r"selfcheck\.check_(\w+)\(")
    return {page.stem: set(call.findall(page.read_text(encoding="utf-8")))
            for page in sorted((ROOT / "book").glob("*.md"))}


# --- the registry ------------------------------------------------------------------------------


def test_every_check_has_cases_and_is_the_packages_check_of_that_name():
    assert set(CASES) == set(selfcheck.CHECKS)
    for name, (check, _, _) in CASES.items():
        assert selfcheck.CHECKS[name] is check
        assert getattr(selfcheck, f"check_{name}") is check and f"check_{name}" in selfcheck.__all__


def test_every_check_a_chapter_calls_exists():
    called = set().union(*book_calls().values())
    assert called, "the chapters call no self-check at all"
    assert called <= set(selfcheck.CHECKS), called - set(selfcheck.CHECKS)


def test_each_check_lives_in_the_module_of_the_chapter_that_calls_it():
    for page, names in book_calls().items():
        if page == "instructor-guide":            # its examples reuse the chapters' checks
            continue
        for name in names:
            module = selfcheck.CHECKS[name].__module__
            assert module == f"scratchnet.selfcheck.{page.replace('-', '_')}", (page, name)


def test_the_checks_are_listed_in_the_order_of_the_chapters():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    chapters = [c["file"].replace("-", "_") for part in toc["parts"] for c in part["chapters"]]
    seen = []
    for check in selfcheck.CHECKS.values():
        module = check.__module__.rsplit(".", 1)[1]
        if module not in seen:
            seen.append(module)
    assert seen == [c for c in chapters if c in seen], seen
    assert len(seen) == 8, "one module per chapter with exercises"


def test_the_decorator_registers_a_check_under_the_name_it_checks():
    @registered
    def check_double(fn, quiet=False) -> CheckResult:
        return run_checks("double", [lambda: None], "fine", quiet)

    try:
        assert selfcheck.CHECKS["double"] is check_double
    finally:
        del selfcheck.CHECKS["double"]
    assert "double" not in selfcheck.CHECKS


# --- the verdicts ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_a_right_implementation_passes(name, capsys):
    check, right, _ = CASES[name]
    result, printed = verdict(check, right, capsys)
    assert result.passed and bool(result), printed
    assert printed.startswith(f"✓ correct: {name}")


@pytest.mark.parametrize("name,index",
                         [(n, i) for n, c in CASES.items() for i in range(len(c[2]))])
def test_a_wrong_implementation_fails_and_says_why(name, index, capsys):
    check, _, wrong = CASES[name]
    fn, reason = wrong[index]
    result, printed = verdict(check, fn, capsys)
    assert not result.passed and result.status == "not yet"
    assert printed.startswith(f"✗ not yet: {name} — ")
    assert reason in printed, printed


@pytest.mark.parametrize("name", CASES)
def test_a_stub_is_not_implemented_yet(name, capsys):
    result, printed = verdict(CASES[name][0], stub, capsys)
    assert result.status == "not implemented" and not result
    assert printed == f"… {name} not implemented yet (it raises NotImplementedError)"


@pytest.mark.parametrize("name", CASES)
def test_a_function_that_crashes_is_reported_not_raised(name, capsys):
    def crashes(*args):
        raise KeyError("oops")

    result, printed = verdict(CASES[name][0], crashes, capsys)
    assert result.status == "not yet" and "raised KeyError" in printed


def test_an_error_in_the_readers_code_is_named_with_its_message(capsys):
    def broken(Z):
        return Z @ np.ones((3, 3))  # wrong inner dimension

    result, printed = verdict(selfcheck.check_softmax, broken, capsys)
    assert result.status == "not yet" and "raised ValueError" in printed


def test_the_verdict_never_prints_the_expected_values(capsys):
    def almost(Z):
        return model.softmax(Z * 1.01)

    result, printed = verdict(selfcheck.check_softmax, almost, capsys)
    assert not result.passed and "differs from the right answer" in printed
    assert "[" not in printed.split("shape")[0] and "array" not in printed


@pytest.mark.parametrize("name", CASES)
def test_the_verdicts_never_print_the_data(name, capsys):
    check, _, wrong = CASES[name]
    for fn, _ in wrong:
        check(fn)
        printed = capsys.readouterr().out
        assert "array(" not in printed and "[[" not in printed and "0 0 0" not in printed, printed


def test_quiet_checks_print_nothing(capsys):
    assert selfcheck.check_relu(model.relu, quiet=True).passed
    assert capsys.readouterr().out == ""
