"""Check the accuracy and time targets of the issues with the CLI's own defaults.

    python benchmarks/check_targets.py [--dataset mnist|fashion-mnist|all] [--json PATH]

Runs ``scratchnet train --dataset D --json`` (the recommended configuration, nothing overridden) in
a fresh process for each dataset, and compares what it prints with the targets stated once in
``scratchnet.targets``: the held-out test accuracy, the training loop's wall time
(``train_seconds``, i.e. ``History.seconds``), and its ratio to the *matmul bound*: the time the
run's matrix products alone (``perf.run_matmul_flops``: every step's, and the history's forward
passes over the training sample and the dev rows) would take at this machine's float32 matmul
peak, measured in processes of their own just before and just after the run with the same threads
(the best of the two). The ratio is reported for every dataset and judged where a target says so.

MNIST is trained on the 10,000 offline digits; when the official MNIST test set is not on the
machine its test accuracy is the held-out split's (1,000 digits), and the line says so.

Times grow when other jobs share the machine (the load average is printed): a miss on time is worth
a second run on a quiet machine. Exit status 0 when every target checked was met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from scratchnet import perf
from scratchnet.targets import TARGETS, verdicts
from scratchnet.train import RECOMMENDED, TRAIN_SAMPLE_ROWS, TrainConfig

PEAK_SIZES = ((2048, 10), (1024, 30))
"""The peak is the best of these (n, repeats) square products, each process measuring both."""


def run_default(dataset: str) -> dict:
    """``python -m scratchnet train --dataset DATASET --json`` in a fresh process: its JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "scratchnet", "train", "--dataset", dataset,
                   "--json", "--no-progress", "--out", str(Path(tmp) / "model.npz")]
        done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"check_targets.py: scratchnet train --dataset {dataset} failed: "
                 f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_peak() -> float:
    """This machine's float32 matmul peak (GFLOP/s), measured in a fresh process."""
    code = ("from scratchnet import perf; print(max(perf.matmul_peak_gflops(n, repeats=r) "
            f"for n, r in {PEAK_SIZES!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"check_targets.py: the peak measurement failed: {done.stderr.strip()[-200:]}")
    return float(done.stdout.strip())


def matmul_bound(result: dict, peak_gflops: float) -> dict:
    """The run's matrix-product FLOPs, the seconds they need at ``peak_gflops``, and
    train_seconds / those seconds (the ratio to the matmul bound)."""
    config = TrainConfig(**result["config"])
    n_dev = 0 if result["dev_accuracy"] is None else result["n_dev"]
    flops = perf.run_matmul_flops(result["n_train"], config.epochs, config.batch_size,
                                  config.hidden,
                                  evaluated_rows=min(result["n_train"], TRAIN_SAMPLE_ROWS) + n_dev)
    seconds = flops / (peak_gflops * 1e9)
    return {"matmul_gflop": flops / 1e9, "peak_gflops": peak_gflops,
            "matmul_bound_seconds": seconds,
            "matmul_bound_ratio": result["train_seconds"] / seconds}


def check(dataset: str) -> dict:
    """Train ``dataset``'s default between two peak measurements; the result and its verdicts."""
    before = measure_peak()
    result = run_default(dataset)
    after = measure_peak()
    result.update(matmul_bound(result, max(before, after)), peak_before_after=[before, after],
                  load_average=os.getloadavg()[0])
    return {"result": result, "targets": TARGETS[dataset], "met": verdicts(dataset, result)}


def describe(dataset: str, checked: dict) -> str:
    """One line: each measured figure, its target and whether it was met."""
    result, target, met = checked["result"], checked["targets"], checked["met"]

    def judged(name: str, text: str) -> str:
        if name not in target:
            return text
        sign = "<=" if name != "test_accuracy" else ">="
        shown = f"{target[name]:.1%}" if name == "test_accuracy" else f"{target[name]:g}"
        return f"{text} (target {sign} {shown}: {'met' if met[name] else 'NOT MET'})"

    where = ("the held-out split" if result["source"] == "npm" else "the official test set")
    accuracy = judged("test_accuracy", f"test {result['test_accuracy']:.2%}")
    return ", ".join([
        f"{dataset}: {accuracy} on {result['n_test']:,} images of {where}",
        f"trained on {result['n_train']:,} images "
        + judged("train_seconds", f"in {result['train_seconds']:.1f} s"),
        judged("matmul_bound_ratio", f"{result['matmul_bound_ratio']:.2f}x the matmul bound "
               f"({result['matmul_bound_seconds']:.1f} s at {result['peak_gflops']:.0f} GFLOP/s)"),
        f"{result['blas_threads']} BLAS threads, load {result['load_average']:.1f}"])


def main(argv: list[str] | None = None) -> int:
    """Check the targets of the chosen datasets; exit status 0 when all were met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=(*TARGETS, "all"), default="all")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = parser.parse_args(argv)
    names = list(TARGETS) if args.dataset == "all" else [args.dataset]
    report, ok = {}, True
    for name in names:
        report[name] = check(name)
        ok &= all(report[name]["met"].values())
        print(describe(name, report[name]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0 if ok else 1


assert set(RECOMMENDED) == set(TARGETS), "a target for every dataset scratchnet train knows"

if __name__ == "__main__":
    sys.exit(main())
