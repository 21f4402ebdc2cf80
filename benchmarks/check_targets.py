"""Check the accuracy and time targets of the issues with the CLI's own defaults.

    python benchmarks/check_targets.py [--dataset mnist|fashion-mnist|all] [--json PATH]

Runs ``scratchnet train --dataset D --json`` (the recommended configuration, nothing overridden) in
a fresh process for each dataset, and compares what it prints with the targets of issue 5, stated
once in ``scratchnet.targets``: for MNIST a held-out test accuracy and a time for the training
loop, for Fashion-MNIST the official test accuracy.

The time is the training loop's own wall time (``History.seconds``); it grows when other jobs share
the machine, so a miss on time is worth a second run on a quiet machine. Exit status 0 when every
target checked was met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from scratchnet.targets import TARGETS, verdicts


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


def main(argv: list[str] | None = None) -> int:
    """Check the targets of the chosen datasets; exit status 0 when all were met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=(*TARGETS, "all"), default="all")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = parser.parse_args(argv)
    names = list(TARGETS) if args.dataset == "all" else [args.dataset]
    report, ok = {}, True
    for name in names:
        result = run_default(name)
        met = verdicts(name, result)
        ok &= all(met.values())
        report[name] = {"result": result, "targets": TARGETS[name], "met": met}
        target = TARGETS[name]
        line = (f"{name:14s} test {result['test_accuracy']:.2%} on {result['n_test']:,} images "
                f"(target >= {target['test_accuracy']:.1%}: "
                f"{'met' if met['test_accuracy'] else 'NOT MET'}), "
                f"trained on {result['n_train']:,} images in {result['train_seconds']:.1f} s")
        if "train_seconds" in target:
            line += (f" (target <= {target['train_seconds']:.0f} s: "
                     f"{'met' if met['train_seconds'] else 'NOT MET'})")
        print(line, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
