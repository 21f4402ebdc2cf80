"""benchmarks/check_build.py: the build's targets judged on made-up times, the cold build made cold
(every cache it writes is new), and the pages' times read from a real jupyter-cache. The script
itself builds the book twice, so it is run by `make targets-build`, not by the test suite."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from script_support import benchmark

from scratchnet import targets
from scratchnet.targets import BUILD_TARGETS, build_verdicts

check_build = benchmark("check_build")
COLD, WARM = BUILD_TARGETS["cold_seconds"], BUILD_TARGETS["warm_seconds"]


@pytest.mark.parametrize("cold, warm, met", [
    (COLD - 20, WARM / 3, {"cold_seconds": True, "warm_seconds": True}),
    (COLD, WARM, {"cold_seconds": True, "warm_seconds": True}),                 # equal meets it
    (COLD + 0.1, WARM / 3, {"cold_seconds": False, "warm_seconds": True}),
    (COLD / 2, WARM + 0.1, {"cold_seconds": True, "warm_seconds": False}),
])
def test_build_targets_are_times_at_most(cold, warm, met):
    assert build_verdicts({"cold_seconds": cold, "warm_seconds": warm, "setup_seconds": 999}) == met


def test_the_script_judges_with_the_librarys_targets():
    assert check_build.BUILD_TARGETS is targets.BUILD_TARGETS
    assert check_build.build_verdicts is targets.build_verdicts


def test_the_cold_build_starts_from_new_caches_and_the_warm_one_reuses_them(tmp_path, monkeypatch):
    calls = []
    seconds = iter([3.0, 120.0, 4.0])
    monkeypatch.setattr(check_build, "timed",
                        lambda command, env: calls.append((command, env)) or next(seconds))
    monkeypatch.setattr(check_build, "page_seconds", lambda cache: {"demo": 20.0, "intro": 1.0})
    checked = check_build.check(tmp_path)
    (setup, setup_env), (cold, cold_env), (warm, warm_env) = calls
    assert setup[-2:] == ["tools/bootstrap.py", "book"]
    assert cold == warm and cold[1:3] == ["build", "book/"]
    out = Path(cold[cold.index("--path-output") + 1])
    assert out.is_relative_to(tmp_path) and not out.exists()      # no execution cache to reuse
    for env in (setup_env, cold_env, warm_env):                    # runs and data: a new cache
        assert Path(env["SCRATCHNET_CACHE"]).is_relative_to(tmp_path)
    result = checked["result"]
    assert (result["setup_seconds"], result["cold_seconds"], result["warm_seconds"]) == (
        3.0, 120.0, 4.0)
    assert result["cached_pages_seconds"] == 21.0
    assert checked["met"] == build_verdicts(result)
    assert "cold build 120.0 s" in check_build.describe(checked)


def test_page_seconds_are_read_from_the_execution_cache_longest_first(tmp_path):
    cache = get_cache(str(tmp_path / "jc"))
    for name, seconds in (("intro", 1.5), ("fashion", 30.25), ("demo", 20.0)):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = '{name}'")])
        cache.cache_notebook_bundle(CacheBundleIn(nb, str(tmp_path / f"{name}.md"),
                                               data={"execution_seconds": seconds}),
                                    check_validity=False)
    assert check_build.page_seconds(tmp_path / "jc") == {"fashion": 30.25, "demo": 20.0,
                                                         "intro": 1.5}
    assert list(check_build.page_seconds(tmp_path / "jc")) == ["fashion", "demo", "intro"]
