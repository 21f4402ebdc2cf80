"""The ``scratchnet`` command: train, evaluate, predict, and data fetch/info.

Bad input ends with one line on stderr, ``scratchnet: error: <file>: <what is wrong>``, and exit
status 1 — never a traceback; a usage error (a bad or conflicting option) exits 2. ``--json``
output is strict JSON (``errors.strict_json``: no NaN or Infinity) and warnings go to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from scratchnet import __version__
from scratchnet.cli_args import config_setting, non_negative_int, positive_float, positive_int
from scratchnet.cli_data import add_data_commands
from scratchnet.errors import ScratchnetError, TrainingError, one_line, strict_json


def cmd_train(args: argparse.Namespace) -> int:
    """``scratchnet train``: train the dataset's recommended configuration and save the model.

    Refused before training starts: a dataset too small for its splits, settings that need more
    memory than there is (``budget``). A run whose loss becomes nan or infinite stops with an
    error and writes no model.
    """
    from scratchnet import budget, checkpoint, data
    from scratchnet.fast import accuracy_fast, train
    from scratchnet.perf import blas_threads
    from scratchnet.train import RECOMMENDED, TRAIN_SAMPLE_ROWS, training_rows

    say = print if not args.json else (lambda *a, **k: print(*a, **k, file=sys.stderr))
    if args.csv:         # what was read is said once the run is known to be possible (below)
        dataset, about = data.csv_dataset(args.csv, args.dataset, progress=not args.no_progress)
        found = [f"data: {args.csv}: {about['rows']:,} labelled rows ({about['layout']}), "
                 f"sha256 {about['sha256']}", f"      {describe_choice(about)}"]
    else:
        dataset, about = data.load(args.dataset or "mnist"), {}
        found = [f"data: {dataset.name} from {dataset.source} ({dataset.location})"]
    config = RECOMMENDED[dataset.name]
    overrides = {"hidden": args.hidden, "epochs": args.epochs, "batch_size": args.batch_size,
                 "lr": args.lr, "seed": args.seed, "include_dev": args.include_dev}
    overrides = {**dict(args.set or []), **{k: v for k, v in overrides.items() if v is not None}}
    try:
        config = replace(config, **overrides)
    except ValueError as e:
        raise ScratchnetError(f"train: {e}") from None
    default_name = Path(args.csv).name.split(".")[0] if args.csv else dataset.name
    out = Path(args.out or f"models/{default_name}.npz")
    if out.is_dir():
        raise ScratchnetError(f"{out}: is a directory; --out names the model file to write")
    n_test = 0 if dataset.test_labels is None else len(dataset.test_labels)
    needed = budget.training_bytes(config, len(dataset.train_labels), n_test)
    available = budget.available_bytes()
    if needed > available:
        raise ScratchnetError(f"{out}: not trained: 784-{config.hidden}-10 with batches of "
                              f"{config.batch_size} on {len(dataset.train_labels):,} images needs "
                              f"about {budget.gigabytes(needed)} of memory, and "
                              f"{budget.gigabytes(available)} is available")
    splits = data.split(dataset)        # with data.SPLIT_SEED, whatever the training seed
    for line in found:
        say(line)
    say(f"      {splits.description}")
    X, y, X_dev, y_dev = training_rows(config, splits)
    if config.include_dev:
        say(f"      final fit: training on train + dev ({len(y):,} images); no dev accuracy")
    say(f"model: 784-{config.hidden}-10, {config.init} init, {config.optimizer}, "
        f"{config.epochs} {'iterations' if config.optimizer == 'gd' else 'epochs'}, "
        f"lr {config.lr}, seed {config.seed}")
    try:
        with np.errstate(all="ignore"):      # overflow shows as a nan loss, reported below
            params, history = train(config, X, y, X_dev, y_dev, progress=not args.no_progress,
                                    train_eval_rows=None if args.full_train_accuracy else
                                    TRAIN_SAMPLE_ROWS)
    except TrainingError as diverged:
        raise TrainingError(f"{out}: not written: {diverged}") from None
    threads = blas_threads()
    parts = [("train", X, y), ("dev", X_dev, y_dev), ("test", splits.test.X, splits.test.y)]
    metrics = {name: accuracy_fast(params, Xs.astype(config.dtype, copy=False), ys)
               if Xs is not None else None for name, Xs, ys in parts}
    checkpoint.save(out, params, {
        "dataset": {"name": dataset.name, "source": dataset.source, "official": dataset.official,
                    "splits": splits.description, "class_names": list(dataset.class_names),
                    "trained_on": len(y), **about},
        "config": config.to_dict(), "seed": config.seed,
        "metrics": {f"{k}_accuracy": v for k, v in metrics.items()},
        "train_seconds": history.seconds, "blas_threads": threads})
    dev = f"dev {metrics['dev']:.2%}" if metrics["dev"] is not None else "dev (trained on)"
    say(f"trained in {history.seconds:.1f} s: train {metrics['train']:.2%}, {dev}, "
        f"held-out test {metrics['test']:.2%} ({len(splits.test.y)} images)")
    say(f"saved {out}")
    if args.json:
        print(strict_json({"dataset": dataset.name, "source": dataset.source,
                           "config": config.to_dict(), "train_seconds": history.seconds,
                           "train_accuracy": metrics["train"], "dev_accuracy": metrics["dev"],
                           "test_accuracy": metrics["test"], "n_train": int(len(y)),
                           "n_dev": 0 if y_dev is None else int(len(y_dev)),
                           "n_test": int(len(splits.test.y)), "blas_threads": threads,
                           "model": str(out), **({"csv": about} if about else {})}))
    return 0


def describe_choice(about: dict) -> str:
    """One line: which dataset's recommended configuration a CSV gets, and why."""
    from scratchnet.data.kaggle import MNIST_ZERO_SHARE

    share = (f"{about['zero_share']:.1%} of its pixels are 0 (rule: more than "
             f"{MNIST_ZERO_SHARE:.0%} looks like mnist, else fashion-mnist)")
    if about["chosen_by"] == "given":
        return (f"dataset {about['title']} as given (--dataset); by its pixels it looks like "
                f"{about['looks_like']}: {share}")
    return f"looks like {about['title']}: {share}; its recommended configuration"


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``scratchnet evaluate``: a saved model's accuracy, overall and per class.

    Warns (on stderr) when the images look like another dataset than the model was trained on.
    """
    from scratchnet import checkpoint, data
    from scratchnet.evaluate import report
    from scratchnet.model import predict_proba

    params, meta = checkpoint.load(args.model)
    if args.csv:
        images, labels = data.read_csv(args.csv)
    else:
        images, labels = data.read_images_labels(args.images, args.labels)
    warn_if_another_dataset(meta, images, args.csv or args.images)
    names = meta.get("dataset", {}).get("class_names")
    with np.errstate(all="ignore"):
        P = predict_proba(params, data.scale(images).astype(params["W1"].dtype))
    result = report(P, labels.astype(np.int64), names)
    if args.json:
        print(strict_json(result))
    else:
        print(f"accuracy {result['accuracy']:.2%} ({result['correct']} of {result['n']})")
        for name, acc in result["per_class_accuracy"].items():
            print(f"  {name:>12}: {'-' if acc is None else f'{acc:.2%}'}")
    return 0


def warn_if_another_dataset(meta: dict, images: np.ndarray, path: str | Path) -> None:
    """A warning on stderr when ``images`` look like another dataset than the model's."""
    from scratchnet import data

    trained_on = meta.get("dataset", {}).get("name")
    given = data.looks_like(images)
    if trained_on in data.CLASS_NAMES and given is not None and given != trained_on:
        print(f"scratchnet: warning: {path}: these images look like {data.TITLES[given]}, but "
              f"the model was trained on {data.TITLES[trained_on]}: the accuracy below does not "
              "measure what it learned", file=sys.stderr)


def check_evaluate(args: argparse.Namespace) -> str | None:
    """What is wrong with ``evaluate``'s options (None: nothing): one data set, given fully."""
    if args.csv and (args.images or args.labels):
        return "--csv cannot be combined with --images/--labels: give one data set"
    if not args.csv and not (args.images and args.labels):
        missing = "--labels" if args.images else "--images" if args.labels else None
        return (f"{missing} is missing: give --images IDX and --labels IDX together"
                if missing else "give --images IDX and --labels IDX, or --csv CSV")
    return None


def cmd_predict(args: argparse.Namespace) -> int:
    """``scratchnet predict``: the class of each picture, with the probabilities; or, with
    ``--csv``, of each row of a Kaggle test file, written as a submission."""
    from scratchnet import checkpoint
    from scratchnet.model import predict_proba

    if args.csv:
        if args.images:
            raise ScratchnetError("predict: give pictures or --csv CSV, not both")
        return predict_csv(args)
    if args.submission:
        raise ScratchnetError("predict: --submission needs --csv (a Kaggle test file)")
    if not args.images:
        raise ScratchnetError("predict: give one or more pictures, or --csv CSV")
    from scratchnet.data.preprocess import picture_to_row

    params, meta = checkpoint.load(args.model)
    names = meta.get("dataset", {}).get("class_names") or [str(k) for k in range(10)]
    rows = np.stack([picture_to_row(p) for p in args.images]).astype(params["W1"].dtype)
    with np.errstate(all="ignore"):
        P = predict_proba(params, rows)
    for path, p in zip(args.images, P, strict=True):
        best = int(p.argmax())
        if args.json:
            print(strict_json({"image": str(path), "label": best, "name": names[best],
                               "probabilities": [float(v) for v in p]}))
        else:
            probs = " ".join(f"{k}:{v:.3f}" for k, v in enumerate(p))
            print(f"{path}: {names[best]} (p = {p[best]:.3f})  [{probs}]")
    return 0


def predict_csv(args: argparse.Namespace) -> int:
    """``predict MODEL --csv test.csv [--submission FILE]``: Kaggle's ``ImageId,Label`` for every
    row, to FILE (atomically) or to stdout; a summary on stderr."""
    import time

    from scratchnet import checkpoint, data
    from scratchnet.data.kaggle import submission_text, write_submission
    from scratchnet.model import predict

    params, _ = checkpoint.load(args.model)
    start = time.perf_counter()
    images, labels, layout = data.read_csv_rows(args.csv, progress=not args.no_progress)
    predicted = predict(params, data.scale(images).astype(params["W1"].dtype))
    seconds = time.perf_counter() - start
    ignored = "; its label column is ignored" if labels is not None else ""
    if args.submission:
        write_submission(args.submission, predicted)
        where = str(args.submission)
    else:
        sys.stdout.write(submission_text(predicted))
        where = "stdout"
    summary = {"csv": str(args.csv), "layout": layout, "rows": int(len(predicted)),
               "seconds": seconds, "submission": where,
               "counts": np.bincount(predicted, minlength=10).tolist()}
    if args.json:
        print(strict_json(summary), file=sys.stderr)
    else:
        print(f"predicted {len(predicted):,} rows of {args.csv} ({layout}{ignored}) in "
              f"{seconds:.2f} s; submission (ImageId,Label, ImageId 1–{len(predicted):,}) "
              f"written to {where}", file=sys.stderr)
    return 0


TRAIN_DESCRIPTION = (
    "Train the dataset's recommended configuration (scratchnet.train.RECOMMENDED) on the fast "
    "path and save it. Reproducibility: the same seed, data and BLAS thread count give the same "
    "weights bit for bit; a different thread count (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS) sums "
    "the matrix products in another order and may change the weights in their last bits. The "
    "model file records the thread count.")


class OneLineParser(argparse.ArgumentParser):
    """argparse, except that a usage mistake is one line on stderr (exit 2), like every error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="scratchnet", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"scratchnet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a network and save it as .npz",
                       description=TRAIN_DESCRIPTION)
    t.add_argument("--dataset", choices=("mnist", "fashion-mnist"),
                   help="the dataset (default mnist); with --csv, what the CSV holds (default: "
                        "what its pixels look like, scratchnet.data.kaggle.looks_like)")
    t.add_argument("--csv", help="train on a Kaggle-style CSV (label first, then 784 pixels; "
                                 "dev and a held-out test are carved from it)")
    t.add_argument("--hidden", type=positive_int, help="hidden units H")
    t.add_argument("--epochs", type=positive_int, help="epochs (iterations for full batch)")
    t.add_argument("--batch-size", type=positive_int)
    t.add_argument("--lr", type=positive_float, help="learning rate")
    t.add_argument("--seed", type=non_negative_int,
                   help="seed of the initial weights and the batch order (the train / dev split "
                        "always uses scratchnet.data.SPLIT_SEED)")
    t.add_argument("--include-dev", action=argparse.BooleanOptionalAction, default=None,
                   help="train on train + dev (the final fit; default: as the dataset's "
                        "recommended configuration says)")
    t.add_argument("--set", action="append", type=config_setting, metavar="FIELD=VALUE",
                   help="set any other field of TrainConfig, e.g. --set schedule=constant "
                        "--set augment=false (repeatable)")
    t.add_argument("--full-train-accuracy", action="store_true",
                   help="measure the training accuracy after every epoch on all training rows "
                        "(default: on a fixed sample of them; the final accuracies are always "
                        "of all rows)")
    t.add_argument("--out", help="where to save the model (default models/DATASET.npz, or "
                                 "models/NAME.npz for --csv NAME.csv)")
    t.add_argument("--json", action="store_true", help="end with one JSON line of results")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="accuracy of a saved model on MNIST-format files")
    e.add_argument("model")
    e.add_argument("--images", help="IDX images file (raw or .gz)")
    e.add_argument("--labels", help="IDX labels file (raw or .gz)")
    e.add_argument("--csv", help="Kaggle-style CSV with a label column")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_evaluate, check=check_evaluate)

    p = sub.add_parser("predict", help="classify pictures of digits (PNG, JPEG, ...), or the "
                                       "rows of a Kaggle test CSV")
    p.add_argument("model")
    p.add_argument("images", nargs="*", help="pictures")
    p.add_argument("--csv", help="a Kaggle test CSV (784 pixels a row; a label column is ignored)")
    p.add_argument("--submission", help="with --csv: write Kaggle's ImageId,Label file here "
                                        "(default: to stdout)")
    p.add_argument("--json", action="store_true", help="one JSON line per picture (with --csv: "
                                                       "the summary as JSON, on stderr)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_predict)

    add_data_commands(sub)
    add_plugin_commands(sub)
    return parser


def add_plugin_commands(sub: Any) -> None:
    """Subcommands registered by other installed packages under the entry-point group
    ``scratchnet.commands`` (``scratchnet grade``, from scratchnet_book): each entry is a function
    that adds its parser to ``sub``. One that cannot be loaded is left out."""
    from importlib.metadata import entry_points

    for entry in entry_points(group="scratchnet.commands"):
        try:
            entry.load()(sub)
        except ImportError:
            continue


EXIT_PIPE_CLOSED = 141
"""The exit status when whoever reads the output stops reading (``scratchnet predict … | head -1``):
128 + SIGPIPE, what a shell reports for a command the closed pipe ended."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); the exit status.

    0 on success; 1 with one line on stderr for bad input (``scratchnet: error: <file>: <what is
    wrong>``); 2 for a usage error; ``EXIT_PIPE_CLOSED``, quietly, when stdout is closed early.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = args.check(args) if hasattr(args, "check") else None
    if problem:
        parser.error(f"{args.command}: {problem}")
    try:
        status = args.func(args)
        sys.stdout.flush()                    # a closed pipe shows here, not at exit
        return status
    except ScratchnetError as e:
        print(f"scratchnet: error: {one_line(e)}", file=sys.stderr)
        return 1
    except MemoryError:
        print("scratchnet: error: out of memory (the input is larger than this machine can "
              "hold)", file=sys.stderr)
        return 1
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing more to write, and no complaint at exit
        return EXIT_PIPE_CLOSED
    except KeyboardInterrupt:
        print("scratchnet: interrupted", file=sys.stderr)
        return 130
