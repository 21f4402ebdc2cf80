"""The "Making it fast" chapter as built (book/performance.md).

The page exists with its executed outputs and figures (alt text, captions); its FLOP table is
``perf.flops_breakdown`` as computed here at test time; the fast path's bit-identity assertion ran;
and the PyTorch benchmark section matches this environment: with torch importable, a time ratio and
a share of the peak that parse and verdicts that agree with them; without it, the "not run"
admonition and no ratio at all. Nothing here depends on how fast the (shared, busy) machine was:
times are only parsed, never compared with a threshold.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from scratchnet import fast, perf
from book_support import assert_figures_are_images_with_alt_text_and_captions, glued, text_of

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "performance.md"
HIDDEN, BATCH = 256, 128                     # the workload the page and the benchmark describe


def importable(name: str) -> bool:
    """Whether ``import name`` would find the package (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


TORCH = importable("torch")
RATIO = re.compile(r"\(best runs\), `?sgd_fast`?\s*/ PyTorch: (\d+(?:\.\d+)?)× "
                   r"\(target ≤ (\d+(?:\.\d+)?)×\): (met|not met)")
PEAK = re.compile(r"reached by `?sgd_fast`?\s*\(best run\): (\d+(?:\.\d+)?)% \(target ≥ (\d+)%\): "
                  r"(met|not met)")
ANY_RATIO = re.compile(r"\d+(?:\.\d+)?\s*×(?!\s*\d)")    # '0.53×' but not '1024 × 1024'


def number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


@pytest.fixture(scope="module")
def page(built_book) -> BeautifulSoup:
    path = built_book / "performance.html"
    assert path.is_file(), "performance.html was not built (is it in _toc.yml?)"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def section(page: BeautifulSoup, heading: str):
    for h in page.find_all(["h1", "h2"]):
        if text_of(h).rstrip("#").strip().endswith(heading):
            return h.find_parent("section")
    raise AssertionError(f"no section {heading!r}")


# --- the page as a whole -------------------------------------------------------------------------


def test_performance_page_has_figures_with_alt_text_and_captions(page):
    figures = page.select("main figure") or page.select("figure")
    assert len(figures) >= 2, "expected the loops figure and the roofline"
    assert_figures_are_images_with_alt_text_and_captions(figures, min_alt=40)
    assert page.select("div.cell_output"), "no executed outputs"
    assert not page.select(".output.error, .output.traceback"), "a cell failed"


def test_performance_page_numbers_its_equations_and_has_learning_goals_and_summary(page):
    for label in ("z1-sum", "matmul-flops", "flops-forward", "flops-backward", "flops-rest",
                  "intensity", "roofline", "matmul-intensity", "achieved", "loss-pieces"):
        assert page.find(id=f"equation-eq-performance-{label}"), label
    assert "Learning goals" in text_of(page)
    section(page, "Summary")


def test_performance_page_shows_the_current_fast_path_source(page):
    shown = " ".join(" ".join(pre.get_text("").split()) for pre in page.select("div.highlight pre"))
    for fn in (fast.gather_batch, fast.forward_into, fast.softmax_into, fast.backward_into,
               fast.momentum_update_into, fast.train_step, perf.flops_breakdown):
        source = " ".join(inspect.getsource(fn).split())
        assert source in shown, f"{fn.__name__} is not shown as it is in the library"


def test_glued_measurements_are_present_and_parse(page):
    keys = set(re.findall(r"\{glue:(?:text|md)\}`(perf_\w+)", PAGE.read_text(encoding="utf-8")))
    assert len(keys) > 30
    prose = " ".join(text_of(p) for p in page.select("main p, main td") or page.select("p, td"))
    assert not [key for key in keys if key in prose], "an unresolved glue key"
    roof = [p for p in page.find_all("p")
            if text_of(p).startswith("This machine's measured float32")]
    assert roof, "no paragraph with the measured peak"
    peak, _copy_mib, bandwidth, ridge = (number(v) for v in glued(roof[0])[:4])
    assert peak > 0 and bandwidth > 0 and ridge == pytest.approx(peak / bandwidth, rel=0.05)
    loops = section(page, "Loops versus matrix products")
    values = glued(loops)
    assert len(values) >= 8 and all(re.fullmatch(r"[\d.,]+", v) for v in values), values


# --- the FLOP table ------------------------------------------------------------------------------


def test_flop_table_is_perf_flops_breakdown_at_test_time(page):
    table = page.find(id="tbl-performance-flops")
    table = table if table.name == "table" else table.find("table")
    assert table is not None, "no FLOP table"
    rows = {text_of(tr.find_all("td")[0]): [text_of(td) for td in tr.find_all("td")]
            for tr in table.select("tbody tr")}
    breakdown = perf.flops_breakdown(BATCH, HIDDEN)
    expected = {"forward matrix products": breakdown["forward_matmul"],
                "backward matrix products": breakdown["backward_matmul"],
                "elementwise": breakdown["elementwise"], "update": breakdown["update"],
                "one step": perf.flops_per_step(BATCH, HIDDEN)}
    for name, flops in expected.items():
        assert name in rows, f"row {name!r} missing"
        assert int(rows[name][2].replace(",", "")) == flops, name
    for name in ("forward matrix products", "backward matrix products", "elementwise", "update"):
        share = number(rows[name][3]) / 100
        assert share == pytest.approx(expected[name] / expected["one step"], abs=5e-5), name


# --- the fast path -----------------------------------------------------------------------------


def test_fast_path_bit_identity_was_asserted_on_the_page(page):
    text = text_of(page)
    assert "sgd_fast gives the readable sgd's weights bit for bit: max |difference| = 0.0" in text
    fast_section = section(page, "The fast path")
    assert "bit-identical" in glued(fast_section)


def test_threads_section_matches_threadpoolctl_availability(page):
    text = text_of(section(page, "Threads"))
    if importable("threadpoolctl"):
        assert re.search(r"NumPy uses \S+ \S+ with \d+ threads? on \d+ cores", text)
        assert "same thread count, bit-identical: True" in text
    else:
        assert "threadpoolctl is not installed in this build" in text


# --- the benchmark against PyTorch ---------------------------------------------------------------


def test_benchmark_section_matches_whether_torch_is_installed(page):
    bench = section(page, "The benchmark against PyTorch CPU")
    text = text_of(bench).replace("*", "")
    admonition = [a for a in bench.select("div.admonition")
                  if "PyTorch comparison not run" in text_of(a)]
    if TORCH:
        assert not admonition, "torch is installed, yet the page says the comparison was not run"
        ratio, peak = RATIO.search(text), PEAK.search(text)
        assert ratio and peak, text[:2000]
        value, target, verdict = float(ratio.group(1)), float(ratio.group(2)), ratio.group(3)
        assert value > 0 and target == 0.8
        assert verdict == ("met" if value <= target else "not met")
        value, target, verdict = float(peak.group(1)), float(peak.group(2)), peak.group(3)
        assert value > 0 and target == 60
        assert verdict == ("met" if value >= target else "not met")
        assert re.search(r"Measured \d{4}-\d\d-\d\d \d\d:\d\d UTC with PyTorch \S+", text)
    else:
        assert len(admonition) == 1, "no 'not run' admonition without torch"
        note = text_of(admonition[0])
        assert "PyTorch is not installed in this build" in note and "make bench" in note
        assert not ANY_RATIO.search(text), "a ratio is shown although the comparison was not run"
        assert not RATIO.search(text) and not PEAK.search(text)


def page_function(name: str):
    """The function ``name`` defined in a code cell of book/performance.md, executed here."""
    source = PAGE.read_text(encoding="utf-8")
    for cell in re.findall(r"```\{code-cell\} ipython3\n(.*?)```", source, flags=re.S):
        if f"def {name}(" in cell:
            code = "\n".join(line for line in cell.splitlines() if not line.startswith(":tags:"))
            namespace: dict = {}
            exec(compile(code, str(PAGE), "exec"), namespace)
            return namespace[name]
    raise AssertionError(f"no code cell defines {name}")


def made_up_results(ratio: float, percent: float, step_percent: float = 50.0) -> dict:
    """A bench_torch.py result whose best runs give the fast/torch time ratio ``ratio`` and
    ``percent`` % of the peak; its medians are worse (1.5x the ratio, half the share), so a verdict
    read off the medians would differ."""
    result = {"seconds_median": 1.0, "seconds_best": 0.9, "gflops_per_s": 10.0,
              "percent_of_peak": 20.0, "gflops_per_s_best": 11.0, "percent_of_peak_best": 22.0,
              "test_accuracy": 0.8}
    return {"measured_at": "2026-01-01 00:00 UTC", "repeats": 3, "peak_gflops": 100.0,
            "machine": {"torch": "2.x", "numpy": "2.x", "threads": 2, "cpu_count": 2},
            "workload": {"layers": [784, 256, 10], "batch_size": 128, "epochs": 1,
                         "train_images": 60000, "flops": 7.4e10},
            "results": {"scratchnet": dict(result),
                        "fast": dict(result, percent_of_peak=percent / 2,
                                     percent_of_peak_best=percent),
                        "torch": dict(result)},
            "ratio_to_torch": {"scratchnet": 1.3, "fast": ratio * 1.5},
            "ratio_to_torch_best": {"scratchnet": 1.2, "fast": ratio},
            "single_steps": {name: {"ratio_to_torch_best": 0.9,
                                    "percent_of_peak_best": step_percent}
                             for name in ("scratchnet", "fast", "torch")},
            "fast_matches_readable": 0.0, "torch_vs_fast_max_weight_difference": 0.01}


@pytest.mark.parametrize("ratio, percent, verdicts", [(0.53, 71.0, ("met", "met")),
                                                      (1.25, 12.5, ("not met", "not met")),
                                                      (0.8, 60.0, ("met", "met"))])
def test_bench_section_computes_its_verdicts_from_the_numbers(ratio, percent, verdicts):
    md = page_function("bench_section")(made_up_results(ratio, percent), "").replace("*", "")
    r, p = RATIO.search(md), PEAK.search(md)
    assert r and p, md
    assert float(r.group(1)) == ratio and r.group(3) == verdicts[0]
    assert float(p.group(1)) == percent and p.group(3) == verdicts[1]
    assert "PyTorch comparison not run" not in md


def test_bench_section_without_torch_is_an_admonition_with_no_number():
    problem = "PyTorch is not installed in this build (`import torch` fails)."
    md = page_function("bench_section")(None, problem)
    assert md.startswith(":::{admonition} PyTorch comparison not run")
    assert problem in md and "make bench" in md and "not run" in md
    assert not ANY_RATIO.search(md) and not re.search(r"\d+(\.\d+)?%", md)


def test_bench_section_passes_on_the_benchmarks_busy_warnings():
    stdout = ("load average (1 min) at the end: 8.2 on 2 cores  -- the machine was busy: "
              "times are inflated and noisy\n")
    md = page_function("bench_section")(made_up_results(0.5, 70.0, step_percent=120.0), "",
                                        stdout)
    assert "The build machine was busy" in md and "the machine was busy" in md
    assert "peak measurement itself was disturbed" in md
    quiet = page_function("bench_section")(made_up_results(0.5, 70.0), "", "load average 0.3\n")
    assert "The build machine was busy" not in quiet
    assert "peak measurement itself was disturbed" not in quiet


def test_the_hand_count_in_the_flops_exercise_is_what_perf_computes():
    """The solution of ex-performance-flops types its hand count (H = 256, B = 128) as an answer:
    it must stay equal to scratchnet.perf's count."""
    source = PAGE.read_text(encoding="utf-8")
    solution = source[source.index(":::{solution} ex-performance-flops"):]
    solution = solution[:solution.index("\n:::\n")]

    def row(part: str) -> int:
        match = re.search(rf"^\s*\| {part} \|[^|]*\| ([\d,]+) \|$", solution, flags=re.M)
        assert match, f"no row {part!r} in the solution's table"
        return int(match.group(1).replace(",", ""))

    parts = perf.flops_breakdown(BATCH, HIDDEN)
    assert row("forward products") == parts["forward_matmul"]
    assert row("backward products") == parts["backward_matmul"]
    assert row("elementwise") == parts["elementwise"]
    assert row("update") == parts["update"]
    assert row("one step") == perf.flops_per_step(BATCH, HIDDEN)
