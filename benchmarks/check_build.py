"""Check the book's build-time targets: a cold build, then a warm rebuild, as a newcomer runs them.

    python benchmarks/check_build.py [--json PATH] [--keep DIR]

Cold: the set-up (``tools/bootstrap.py book``, the first half of ``make book``) and then
``jupyter-book build book/``, with an empty execution cache (the build writes to a new
``--path-output`` folder), an empty cache of trained runs and an empty data cache
(``SCRATCHNET_CACHE`` names a new folder): the data is only what the set-up fetches into it, as on
a fresh machine. Warm: the same ``jupyter-book build`` again, nothing changed. Each command's wall
time is taken around its process; the targets (``scratchnet.targets.BUILD_TARGETS``) are judged on
the two builds, the set-up's time is reported beside them. The caches of the repository and of the
user are not touched: everything is written under one temporary folder, removed at the end unless
``--keep`` names where to leave it.

Each page's execution time is read from the build's execution cache (jupyter-cache's
``execution_seconds``); a page executed on every build (``execution_mode: force``) is not in that
cache and is counted in the build's time only. With PyTorch installed (``make bench``) the
performance chapter also runs a small PyTorch comparison, so the line says whether it is. Times
grow when other jobs share the machine (the load average is printed). Exit status 0 when both
targets were met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_torch import torch_installed  # a script beside this one (benchmarks/)
from jupyter_cache import get_cache

from scratchnet.targets import BUILD_TARGETS, build_verdicts

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def timed(command: list[str], env: dict[str, str]) -> float:
    """Run ``command`` from the repository root with ``env``; its wall time in seconds.

    A failure ends the script with the command's last line of error output."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        sys.exit(f"check_build.py: {' '.join(command)} failed (exit {done.returncode}): {last}")
    return seconds


def page_seconds(cache: Path) -> dict[str, float]:
    """Each page's execution time in the jupyter-cache at ``cache``, by page name, longest first."""
    pages = {Path(r.uri).stem: float(r.data["execution_seconds"])
             for r in get_cache(str(cache)).list_cache_records()}
    return dict(sorted(pages.items(), key=lambda item: -item[1]))


def check(work: Path) -> dict:
    """The cold set-up and build, then the warm build, all writing under ``work``."""
    env = {**os.environ, "SCRATCHNET_CACHE": str(work / "cache")}
    out = work / "out"
    build = [str(BIN / "jupyter-book"), "build", "book/", "--path-output", str(out)]
    setup = timed([sys.executable, "tools/bootstrap.py", "book"], env)
    cold = timed(build, env)
    warm = timed(build, env)
    pages = page_seconds(out / "_build" / ".jupyter_cache")
    result = {"setup_seconds": setup, "cold_seconds": cold, "warm_seconds": warm,
              "page_seconds": pages, "cached_pages_seconds": sum(pages.values()),
              "torch_installed": torch_installed(),
              "load_average": os.getloadavg()[0], "cpus": os.cpu_count()}
    return {"result": result, "targets": BUILD_TARGETS, "met": build_verdicts(result)}


def describe(checked: dict) -> str:
    """The measured figures, each with its target and whether it was met, and the pages' times."""
    result, target, met = checked["result"], checked["targets"], checked["met"]

    def judged(name: str, what: str) -> str:
        return (f"{what} {result[name]:.1f} s (target <= {target[name]:g} s: "
                f"{'met' if met[name] else 'NOT MET'})")

    pages = ", ".join(f"{name} {s:.1f}" for name, s in result["page_seconds"].items())
    torch = ("installed: the performance chapter runs its comparison"
             if result["torch_installed"] else "not installed")
    return "\n".join([
        f"book: {judged('cold_seconds', 'cold build')}, {judged('warm_seconds', 'warm rebuild')}; "
        f"set-up before it {result['setup_seconds']:.1f} s",
        f"pages executed (s): {pages}; {result['cached_pages_seconds']:.1f} s in all",
        f"PyTorch {torch}; "
        f"load {result['load_average']:.1f} on {result['cpus']} cores"])


def main(argv: list[str] | None = None) -> int:
    """Measure the cold and the warm build; exit status 0 when both targets were met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR (new or empty) and keep it")
    args = parser.parse_args(argv)
    if args.keep:
        work = Path(args.keep)
        if work.exists() and any(work.iterdir()):
            sys.exit(f"check_build.py: {work}: not empty; a cold build needs an empty folder")
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="scratchnet-build-"))
    try:
        checked = check(work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(describe(checked), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(checked, indent=2))
    return 0 if all(checked["met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
