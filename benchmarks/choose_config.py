"""Choose ``train.RECOMMENDED`` on dev data: train a candidate configuration, record its dev score.

    python benchmarks/choose_config.py DATASET NAME [--folds cv|split] [--set FIELD=VALUE ...]

Each run trains ``fast.train`` (what ``scratchnet train`` runs) from ``RECOMMENDED[DATASET]`` with
the fields given by ``--set`` changed, and appends one JSON line to
``benchmarks/results/configs.jsonl``: the configuration, the dev accuracy of each fold and their
mean, the dev accuracy after every epoch, the training time and the load of the machine. The test
split is never used here.

Folds:
  split  the library's own split (``data.split``): train on its train rows, score its dev rows
         (MNIST 8,000 / 1,000; Fashion-MNIST 55,000 / 5,000).
  cv     MNIST only: 3-fold cross-validation of the 9,000 train + dev rows of the library's split
         (stratified, seed CV_SEED): train 6,000 / dev 3,000 per fold, 9,000 dev answers in all,
         a standard error of about 0.13 percentage points at 98.5% (1,000 dev rows: 0.4).

Times measured on a shared machine are inflated (``load`` says how busy it was): the budget is
checked by ``check_targets.py`` on the chosen defaults, not here.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from scratchnet import data, fast, perf
from scratchnet.cli_args import config_setting
from scratchnet.data.splits import stratified_order
from scratchnet.train import RECOMMENDED, TrainConfig

RESULTS = Path(__file__).resolve().parent / "results" / "configs.jsonl"
CV_SEED = 100
N_FOLDS = 3


def folds(dataset: str, kind: str):
    """(X_train, y_train, X_dev, y_dev) of each fold, from the library's split (never its test)."""
    splits = data.split(data.load(dataset))
    if kind == "split":
        return [(splits.train.X, splits.train.y, splits.dev.X, splits.dev.y)]
    X = np.concatenate([splits.train.X, splits.dev.X])
    y = np.concatenate([splits.train.y, splits.dev.y])
    order = stratified_order(y, np.random.default_rng(CV_SEED))
    parts = np.array_split(order, N_FOLDS)        # stratified: each part has every class evenly
    out = []
    for k in range(N_FOLDS):
        rest = np.concatenate([parts[j] for j in range(N_FOLDS) if j != k])
        out.append((X[rest], y[rest], X[parts[k]], y[parts[k]]))
    return out


def records(dataset: str, folds: str | None = None, path: Path = RESULTS) -> list[dict]:
    """The recorded candidates of ``dataset`` (scored on ``folds``: "cv", "split", or any), in the
    order they were run; a candidate run again (same name) counts with its latest record."""
    if not path.is_file():
        return []
    latest = {}
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            if record["dataset"] == dataset and folds in (None, record["folds"]):
                latest.pop(record["name"], None)
                latest[record["name"]] = record
    return list(latest.values())


def results_table(dataset: str, folds: str | None = None, path: Path = RESULTS) -> pd.DataFrame:
    """One row per candidate, best mean dev accuracy first: the fields it sets (``--set``), its
    mean dev accuracy, the dev rows that mean is over, and its training seconds per fold."""
    rows = {r["name"]: {"fields set": ", ".join(f"{k}={v}" for k, v in r["changed"].items()),
                        "dev accuracy": r["dev_mean"], "dev rows": r["dev_rows"],
                        "seconds": " / ".join(f"{t:.0f}" for t in r["seconds"])}
            for r in records(dataset, folds, path)}
    table = pd.DataFrame.from_dict(rows, orient="index",
                                   columns=["fields set", "dev accuracy", "dev rows", "seconds"])
    return table.sort_values("dev accuracy", ascending=False, kind="stable")


def chosen(dataset: str, folds: str | None = None, path: Path = RESULTS) -> dict | None:
    """The latest record whose configuration is ``RECOMMENDED[dataset]`` (its final fit aside), or
    None when the recommended configuration was never scored."""
    target = {**RECOMMENDED[dataset].to_dict(), "include_dev": False}
    found = [r for r in records(dataset, folds, path) if r["config"] == target]
    return found[-1] if found else None


def differing_in(dataset: str, record: dict, field: str, folds: str | None = None,
                 path: Path = RESULTS) -> dict | None:
    """The latest other record whose configuration differs from ``record``'s in ``field`` alone,
    or None: the like-with-like comparison for that one choice."""
    def rest(r):
        return {k: v for k, v in r["config"].items() if k != field}

    found = [r for r in records(dataset, folds, path)
             if r["config"][field] != record["config"][field] and rest(r) == rest(record)]
    return found[-1] if found else None


def run_work(record: dict, n_rows: int) -> dict[str, float]:
    """What training ``record``'s configuration on ``n_rows`` rows costs, in the two things its
    time goes to: the FLOPs of its matrix products (``perf.run_matmul_flops``, in GFLOP) and the
    images it distorts (every row of every epoch with augmentation, else none)."""
    config = TrainConfig(**record["config"])
    flops = perf.run_matmul_flops(n_rows, config.epochs, config.batch_size, config.hidden)
    return {"matmul GFLOP": flops / 1e9,
            "images distorted": config.epochs * n_rows if config.augment else 0}


def more_work(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether work ``a`` (a :func:`run_work`) is at least ``b`` in every part and more in one."""
    return all(a[k] >= b[k] for k in b) and any(a[k] > b[k] for k in b)


def rank_of(table: pd.DataFrame, name: str) -> int:
    """The place (1 = best) of candidate ``name`` in a :func:`results_table`; candidates with a
    higher dev accuracy come first, so ties share the best place of their group."""
    return 1 + int((table["dev accuracy"] > table.loc[name, "dev accuracy"]).sum())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=tuple(RECOMMENDED))
    parser.add_argument("name")
    parser.add_argument("--folds", choices=("cv", "split"), default="split")
    parser.add_argument("--only-fold", type=int, help="run one fold of cv only")
    parser.add_argument("--set", action="append", type=config_setting, default=[])
    args = parser.parse_args(argv)
    config = replace(RECOMMENDED[args.dataset], **{"include_dev": False, **dict(args.set)})
    runs = folds(args.dataset, args.folds)
    which = range(len(runs)) if args.only_fold is None else [args.only_fold]
    devs, curves, seconds = [], [], []
    for k in which:
        X, y, X_dev, y_dev = runs[k]
        params, history = fast.train(config, X, y, X_dev, y_dev)
        devs.append(fast.accuracy_fast(params, X_dev.astype(config.dtype), y_dev))
        curves.append([round(a, 5) for a in history.dev_accuracy])
        seconds.append(history.seconds)
        print(f"{args.name} fold {k}: dev {devs[-1]:.4f} in {seconds[-1]:.0f} s", flush=True)
    record = {"dataset": args.dataset, "name": args.name, "folds": args.folds,
              "fold_ids": list(which), "changed": {k: v for k, v in args.set},
              "config": config.to_dict(), "dev": devs, "dev_mean": float(np.mean(devs)),
              "dev_rows": int(sum(len(runs[k][3]) for k in which)), "curves": curves,
              "seconds": seconds, "load": os.getloadavg()[0], "blas_threads": perf.blas_threads(),
              "finished": time.strftime("%Y-%m-%d %H:%M")}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(record) + "\n")
    print(f"{args.name}: mean dev {record['dev_mean']:.4f} over {record['dev_rows']} rows")


if __name__ == "__main__":
    main()
