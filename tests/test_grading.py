"""``scratchnet grade``: a correct submission scores, a wrong one does not, and one that loops,
crashes, hogs memory, replaces or patches the checks, or writes to the gradebook or to another
submission is stopped or scores nothing for it, while grading goes on.

The adversarial submissions are small notebooks graded in one run (two workers, short limits);
the student edition's real notebook of chapter 5, filled in with the book's worked solutions, is
graded too. The parts (reading the graded exercises, extracting definitions, the sandbox's wire
format, the LMS files) have unit tests below.
"""

from __future__ import annotations

import csv
import inspect
import io
import os
import pickle
import pkgutil
import sys
import textwrap
import time

import numpy as np
import psutil
import pytest
from grading_support import BOOK, filled_in, notebook, solution_code, student_notebook, write

import scratchnet
from scratchnet import cli, selfcheck
from scratchnet.errors import ScratchnetError
from scratchnet_book.grading import extract, gradebook, sandbox
from scratchnet_book.grading.exercises import exercises_of_page, graded_exercises
from scratchnet_book.grading.grade import Graded, Row

pytestmark = pytest.mark.slow   # each test starts processes: make test-fast leaves them out

EXERCISES = graded_exercises(BOOK)
BACKWARD = [ex for ex in EXERCISES if ex.chapter == "backward"]
LIMITS = ["--timeout", "25", "--memory", "1536", "--call-timeout", "4", "--jobs", "2"]
MARKER = "scratchnet-grading-test-daemon"


def answers(**changes: str) -> str:
    """The right answers of chapter 5's graded exercises, with some replaced."""
    code = {ex.function: solution_code(ex) for ex in BACKWARD}
    code.update(changes)
    return "import numpy as np\nfrom scratchnet import model, selfcheck\n\n" + "\n\n".join(
        code.values())


def d(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


WRONG_LEAKY = d("""
    def my_leaky_relu_backward(dA, Z, slope):
        return dA * (Z > 0)
    """)
WRONG_SE = d("""
    def my_squared_error_backward(params, cache, Y):
        return model.backward(params, cache, Y)
    """)

SUBMISSIONS = {          # in the order they are graded: the vandal early, its victim last
    "right": [answers()],
    "writes-gradebook-and-others": [answers(my_leaky_relu_backward=WRONG_LEAKY), d("""
        import glob, os
        victims = os.environ["VICTIMS"]
        os.makedirs(victims + "/gradebook-feedback", exist_ok=True)
        for path in [*glob.glob(victims + "/*.ipynb"), victims + "/gradebook.csv",
                     victims + "/gradebook-feedback/right.txt"]:
            open(path, "w").write("overwritten by a submission")
        """)],
    "wrong": [answers(my_leaky_relu_backward=WRONG_LEAKY, my_squared_error_backward=WRONG_SE)],
    "stub": [answers(my_leaky_relu_backward="def my_leaky_relu_backward(dA, Z, slope):\n"
                                            "    raise NotImplementedError")],
    "loops": [answers(), "while True:\n    pass"],
    "sleeps-in-a-function": [answers(my_leaky_relu_backward=d("""
        def my_leaky_relu_backward(dA, Z, slope):
            import time
            time.sleep(10_000)
        """))],
    "hogs-memory": [answers(), "hog = np.ones((10**5, 10**5))"],
    "hogs-memory-in-a-function": [answers(my_leaky_relu_backward=d("""
        def my_leaky_relu_backward(dA, Z, slope):
            return np.ones((10**5, 10**5))
        """))],
    "exits-its-kernel": [answers(), "import os\nos._exit(3)"],
    "crashes-its-kernel": [answers(), "import ctypes\nctypes.string_at(0)"],
    "replaces-the-checks": [
        answers(my_leaky_relu_backward=WRONG_LEAKY, my_squared_error_backward=WRONG_SE),
        d("""
        from scratchnet.selfcheck import harness
        passed = lambda fn, quiet=False, seed=0: harness.CheckResult("x", "correct", "yes")
        for name in list(selfcheck.CHECKS):
            selfcheck.CHECKS[name] = passed
            setattr(selfcheck, "check_" + name, passed)
        harness.run_checks = lambda name, *a, **k: harness.CheckResult(name, "correct", "")
        harness.require = lambda *a, **k: None
        """)],
    "patches-scratchnet-when-called": [answers(my_leaky_relu_backward=d("""
        def my_leaky_relu_backward(dA, Z, slope):
            import scratchnet.gradcheck, scratchnet.selfcheck.harness as h
            h.require = lambda *a, **k: None
            h.gradient_close = lambda *a, **k: 0.0
            scratchnet.gradcheck.numerical_gradient = lambda f, t, eps=0, indices=None: 0 * t
            return 0 * dA
        """))],
    "leaves-a-daemon": [answers(), d(f"""
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)  # {MARKER}"],
                         start_new_session=True)
        """)],
    "victim-graded-after-the-vandal": [answers()],
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every submission above, plus a file that is not a notebook, graded in one run; the
    gradebook's rows by file, the feedback folder, the folder, and the run's seconds."""
    folder = tmp_path_factory.mktemp("grading")
    victims = folder / "victims"
    victims.mkdir()
    paths = [write(notebook(*cells), victims / f"{name}.ipynb")
             for name, cells in SUBMISSIONS.items()]
    (victims / "garbage.ipynb").write_bytes(b"\x00not json")
    paths.append(victims / "garbage.ipynb")
    out = victims / "gradebook.csv"
    os.environ["VICTIMS"] = str(victims)      # where the vandal looks (the kernel inherits it)
    try:
        start = time.monotonic()
        code = cli.main(["grade", *map(str, paths), "--out", str(out), *LIMITS])
        seconds = time.monotonic() - start
    finally:
        del os.environ["VICTIMS"]
    assert code == 0
    rows: dict[str, list[dict]] = {}
    with open(out, newline="") as file:
        for row in csv.DictReader(file):
            rows.setdefault(row["file"], []).append(row)
    return rows, victims / "gradebook-feedback", victims, seconds


def score(rows, name) -> dict[str, tuple[int, str]]:
    return {r["exercise"]: (int(r["points"]), r["reason"]) for r in rows[f"{name}.ipynb"]}


def test_a_right_submission_scores_every_point(graded):
    rows = score(graded[0], "right")
    assert rows == {ex.label: (ex.points, rows[ex.label][1]) for ex in BACKWARD}
    assert all(reason.startswith("✓ correct") for _, reason in rows.values())


def test_a_wrong_submission_scores_nothing_and_says_why(graded):
    rows = score(graded[0], "wrong")
    assert rows["ex-backward-leaky-relu"][0] == 0 and "slope" in rows["ex-backward-leaky-relu"][1]
    assert rows["ex-backward-squared-error"] == (0, rows["ex-backward-squared-error"][1])
    assert "cross-entropy" in rows["ex-backward-squared-error"][1]


def test_a_stub_scores_nothing_as_not_implemented(graded):
    rows = score(graded[0], "stub")
    assert rows["ex-backward-leaky-relu"][0] == 0
    assert "not implemented" in rows["ex-backward-leaky-relu"][1]
    assert rows["ex-backward-squared-error"][0] == 2


@pytest.mark.parametrize("name, words", [
    ("loops", "ran longer than 25 s"),
    ("hogs-memory", "out of memory"),
    ("exits-its-kernel", "kernel"),
    ("crashes-its-kernel", "kernel crashed"),
])
def test_a_notebook_that_is_stopped_scores_zero_with_the_reason(graded, name, words):
    rows = score(graded[0], name)
    assert set(rows) == {ex.label for ex in BACKWARD}
    for points, reason in rows.values():
        assert points == 0 and reason.startswith("stopped:") and words in reason, reason


def test_a_function_that_hangs_or_hogs_is_stopped_and_the_other_exercise_still_counts(graded):
    for name, words in (("sleeps-in-a-function", "did not return within 4 s"),
                        ("hogs-memory-in-a-function", "MemoryError")):
        rows = score(graded[0], name)
        assert rows["ex-backward-leaky-relu"][0] == 0 and words in rows["ex-backward-leaky-relu"][1]
        assert rows["ex-backward-squared-error"][0] == 2


def test_replacing_or_patching_the_checks_changes_nothing(graded):
    for name in ("replaces-the-checks", "patches-scratchnet-when-called"):
        rows = score(graded[0], name)
        assert rows["ex-backward-leaky-relu"][0] == 0, (name, rows)
    assert score(graded[0], "replaces-the-checks")["ex-backward-squared-error"][0] == 0


def test_writing_to_the_gradebook_or_another_submission_changes_nothing(graded):
    rows, feedback, victims, _ = graded
    assert score(rows, "writes-gradebook-and-others")["ex-backward-leaky-relu"][0] == 0
    assert sum(p for p, _ in score(rows, "victim-graded-after-the-vandal").values()) == 3
    assert len(rows) == len(SUBMISSIONS) + 1                           # the grader's gradebook
    for name in ("right", "victim-graded-after-the-vandal"):
        assert "overwritten" not in (feedback / f"{name}.txt").read_text()


def test_nothing_a_submission_started_outlives_its_grading(graded):
    assert score(graded[0], "leaves-a-daemon")["ex-backward-leaky-relu"][0] == 1
    left = [p for p in psutil.process_iter(["cmdline"])
            if any(MARKER in part for part in (p.info["cmdline"] or []))]
    assert not left, left


def test_a_file_that_is_not_a_notebook_is_one_row_with_the_reason(graded):
    (row,) = graded[0]["garbage.ipynb"]
    assert row["points"] == "0" and "not a Jupyter notebook" in row["reason"]


def test_each_submission_gets_a_feedback_file_with_its_score(graded):
    rows, feedback, _, _ = graded
    for file, its_rows in rows.items():
        text = (feedback / file.replace(".ipynb", ".txt")).read_text()
        earned = sum(int(r["points"]) for r in its_rows)
        assert text.startswith(f"{file}: {earned} of ")
        for row in its_rows:
            assert row["reason"] in text


def test_the_real_student_notebook_scores_zero_as_given_and_full_when_solved(tmp_path):
    """The student edition's chapter 5, as given (stubs) and filled in with the book's solutions,
    run whole in the grader's kernel."""
    nb = student_notebook("backward")
    stub = write(nb, tmp_path / "as-given.ipynb")
    solved = write(filled_in(nb, BACKWARD), tmp_path / "solved.ipynb")
    out = tmp_path / "gradebook.csv"
    assert cli.main(["grade", str(stub), str(solved), "--out", str(out), "--timeout", "300",
                     "--jobs", "2"]) == 0
    with open(out, newline="") as file:
        rows = list(csv.DictReader(file))
    points = {(r["file"], r["exercise"]): int(r["points"]) for r in rows}
    assert points == {**{("as-given.ipynb", ex.label): 0 for ex in BACKWARD},
                      **{("solved.ipynb", ex.label): ex.points for ex in BACKWARD}}


# --- the graded exercises: read from the book, and their answers are nowhere to be seen ----------

def test_the_graded_exercises_are_read_from_the_chapters():
    assert [(ex.label, ex.function, ex.check, ex.points) for ex in BACKWARD] == [
        ("ex-backward-leaky-relu", "my_leaky_relu_backward", "leaky_relu_backward", 1),
        ("ex-backward-squared-error", "my_squared_error_backward", "squared_error_backward", 2)]
    assert all(ex.check in selfcheck.CHECKS for ex in EXERCISES)


def test_a_graded_exercise_without_a_check_is_refused(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("````{exercise-start} T\n:label: ex-p-x\n:class: graded\n````\n\n"
                    "```{code-cell} ipython3\ndef my_x(a):\n    raise NotImplementedError\n```\n\n"
                    "```{exercise-end}\n```\n")
    with pytest.raises(ScratchnetError, match="p.md:1: a graded exercise needs a stub"):
        exercises_of_page(page)


def library_functions():
    """Every public function of the library, by name."""
    found = {}
    for info in pkgutil.walk_packages(scratchnet.__path__, "scratchnet."):
        if info.name.endswith("__main__"):
            continue
        module = __import__(info.name, fromlist=["_"])
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == info.name and not name.startswith("_"):
                found[f"{info.name}.{name}"] = fn
    return found


def student_edition_functions():
    """Every function the student edition's code cells define, outside the exercises' stubs."""
    found = {}
    for page in sorted(BOOK.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        if "kernelspec" not in text[:500]:
            continue
        statements, _ = extract.definitions([c.source for c in student_notebook(page.stem).cells
                                             if c.cell_type == "code"])
        namespace: dict = {}
        for statement in statements:
            try:
                exec(statement, namespace)
            except Exception:
                continue
        found.update({f"{page.stem}.{k}": v for k, v in namespace.items()
                      if inspect.isfunction(v) and not k.startswith("_")})
    return found


def passes(check, fn) -> bool:
    """Whether ``fn`` passes ``check``; a function that exits (a CLI's parser) does not."""
    try:
        return check(fn, quiet=True).passed
    except SystemExit:
        return False


def takes(fn, n: int) -> bool:
    try:
        inspect.signature(fn).bind(*range(n))
        return True
    except (TypeError, ValueError):
        return False


def test_no_graded_exercise_is_answered_by_the_library_or_the_student_edition(tmp_path,
                                                                             monkeypatch):
    """Every function the library provides and every one the student edition defines is run
    through each graded exercise's check: none may pass (the old relu_backward and backward
    exercises fail this, since scratchnet.model answers them)."""
    monkeypatch.chdir(tmp_path)
    candidates = {**library_functions(), **student_edition_functions()}
    assert "scratchnet.model.relu_backward" in candidates
    for ex in EXERCISES:
        stub = next(c for c in student_notebook(ex.chapter).cells
                    if c.cell_type == "code" and f"def {ex.function}(" in c.source)
        arity = len(inspect.signature(extract_function(stub.source, ex.function)).parameters)
        check = selfcheck.CHECKS[ex.check]
        for name, fn in candidates.items():
            if takes(fn, arity) and name.rsplit(".", 1)[1] != ex.function:
                assert not passes(check, fn), f"{name} answers {ex.label}"
        assert check(extract_function(solution_code(ex), ex.function), quiet=True).passed


def extract_function(source: str, name: str):
    namespace: dict = {}
    exec("import numpy as np\nfrom scratchnet import model\n" + source, namespace)
    return namespace[name]


def test_the_old_chapter_5_exercises_would_fail_the_rule():
    """The rule's test can fail: the library's backward pass passes a check of the cross-entropy
    gradient, so an exercise asking for it would be flagged."""
    from scratchnet import model
    from scratchnet.selfcheck.harness import gradient_close, run_checks, small_network

    def check_backward(fn, quiet=True):
        params, X, Y = small_network(np.random.default_rng(0))
        grads = fn(params, model.forward(params, X), Y)
        return run_checks("backward", [lambda: gradient_close(
            grads["W1"], lambda t: model.loss({**params, "W1": t}, X, Y), params["W1"], "dW1")],
            "ok", quiet)
    assert check_backward(library_functions()["scratchnet.model.backward"]).passed


# --- the parts -------------------------------------------------------------------------------

def test_definitions_keep_imports_functions_and_call_free_constants():
    cells = ["import numpy as np\n%matplotlib inline\nX = np.ones(3)\nEPS = 1e-6",
             "def f(x):\n    return x + EPS\nprint(f(1))\nSEED = CONFIG['a'].seed",
             "class C:\n    pass\nfor i in range(3):\n    pass", "def broken(:"]
    statements, notes = extract.definitions(cells)
    assert statements == ["import numpy as np", "EPS = 1e-06", "def f(x):\n    return x + EPS",
                          "SEED = CONFIG['a'].seed", "class C:\n    pass"]
    assert notes == ["code cell 4 does not parse (invalid syntax): left out"]
    assert extract.defined_names(cells) == {"f"}


def test_replies_travel_as_json_and_npy_never_as_pickle():
    value = {"W": np.arange(6.0).reshape(2, 3), "n": 3, "t": (1.5, None, "s"), "l": [True],
             "f": np.float32(2.5)}
    back = sandbox.decode(sandbox.encode(value))
    np.testing.assert_array_equal(back["W"], value["W"])
    assert back["n"] == 3 and back["t"] == (1.5, None, "s") and back["l"] == [True]
    assert back["f"].dtype == np.float32
    opaque = sandbox.decode(sandbox.encode({"o": object(), "a": np.array([object()])}))
    assert isinstance(opaque["o"], sandbox.Opaque) and isinstance(opaque["a"], sandbox.Opaque)

    class Boom:
        def __reduce__(self):
            return (sys.exit, ("unpickled!",))
    for forged in (pickle.dumps(Boom()), b"\x00" * 3, sandbox.HEADER.pack(10**9) + b"{}"):
        with pytest.raises(ValueError):
            sandbox.decode(forged)


def test_arrays_changed_in_the_sandbox_are_copied_back():
    a, params = np.zeros(3), {"W": np.zeros((2, 2))}
    sandbox.copy_back((a, params, 5), [np.ones(3), {"W": np.full((2, 2), 2.0)}, None])
    assert a.tolist() == [1, 1, 1] and params["W"].sum() == 8
    sandbox.copy_back((a,), [np.ones(4)])               # another shape: left alone
    assert a.tolist() == [1, 1, 1]


def test_a_sandbox_calls_the_students_function_and_restarts_after_a_stop(tmp_path):
    statements = ["import numpy as np", "def twice(x):\n    x *= 2\n    return x",
                  "def spin():\n    while True:\n        pass", "def gone():\n    import os\n"
                  "    os._exit(1)", "def nope():\n    raise ValueError('bad input')"]
    with sandbox.Sandbox(statements, tmp_path, 1024, 60, call_timeout=2) as box:
        x = np.ones(2)
        assert box.function("twice")(x).tolist() == [2, 2] and x.tolist() == [2, 2]
        with pytest.raises(sandbox.Stopped, match="did not return within 2 s"):
            box.function("spin")()
        assert box.function("twice")(np.ones(1)).tolist() == [2]     # a fresh sandbox
        with pytest.raises(sandbox.Stopped, match="ended before replying"):
            box.function("gone")()
        with pytest.raises(Exception, match="bad input") as raised:
            box.function("nope")()
        assert type(raised.value).__name__ == "ValueError"
        with pytest.raises(Exception, match="not defined"):
            box.function("absent")()


def test_lms_files_have_the_columns_canvas_and_gradescope_import(tmp_path):
    results = [Graded("alice.ipynb", "backward", [Row("alice.ipynb", "a", 1, 1, True, ""),
                                                  Row("alice.ipynb", "b", 2, 2, True, "")]),
               Graded("bob.ipynb", "backward", [Row("bob.ipynb", "a", 0, 1, False, "")])]
    roster = tmp_path / "roster.csv"
    roster.write_text("file,Student,ID,SIS User ID,SIS Login ID,Section,Name,Email,SID\n"
                      "alice.ipynb,\"Doe, Alice\",101,S1,alice,A,Alice Doe,a@x.edu,9001\n")
    people = gradebook.read_roster(roster)
    canvas = list(csv.reader(io.StringIO(gradebook.lms_rows(results, "canvas", people,
                                                            "Backward (77)"))))
    assert canvas == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Backward (77)"],
                      ["Doe, Alice", "101", "S1", "alice", "A", "3"],
                      ["bob.ipynb", "", "", "", "", "0"]]
    scope = list(csv.reader(io.StringIO(gradebook.lms_rows(results, "gradescope", people, ""))))
    assert scope[0] == ["Name", "Email", "SID", "Total Score"]
    assert scope[1] == ["Alice Doe", "a@x.edu", "9001", "3"]


def test_grade_refuses_bad_arguments_in_one_line(tmp_path, capsys):
    nb = write(notebook("x = 1"), tmp_path / "a.ipynb")
    for extra, words in ((["--book", str(tmp_path / "none")], "no such folder"),
                         (["--book", str(tmp_path)], "no graded exercise"),
                         (["--memory", "10"], "--memory: must be at least 256")):
        code = cli.main(["grade", str(nb), "--out", str(tmp_path / "g.csv"), *extra])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and len(err) == 1 and words in err[0], err
    roster = tmp_path / "r.csv"
    roster.write_text("name\nx\n")
    with pytest.raises(ScratchnetError, match="'file' column"):
        gradebook.read_roster(roster)
