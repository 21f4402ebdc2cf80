"""The ``scratchnet`` command: train, evaluate, predict, and data fetch/info.

Bad input ends with one line on stderr, ``scratchnet: error: <file>: <what is wrong>``, and exit
status 1 — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import numpy as np

from scratchnet import __version__
from scratchnet.cli_data import add_data_commands
from scratchnet.errors import ScratchnetError, one_line


def positive_int(text: str) -> int:
    """argparse type: a whole number > 0."""
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def config_setting(text: str) -> tuple[str, object]:
    """argparse type of ``--set FIELD=VALUE``: a field of ``TrainConfig`` and its value, read as
    the field's default is typed (true/false for a flag, none for no patience)."""
    from dataclasses import fields

    from scratchnet.train import TrainConfig

    name, sep, value = text.partition("=")
    known = {f.name: f.default for f in fields(TrainConfig)}
    if not sep or name not in known:
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE with FIELD one of "
                                         f"{', '.join(known)}, got {text!r}")
    default, word = known[name], value.strip().lower()
    if word == "none" and name == "patience":
        return name, None
    if isinstance(default, bool) or word in ("true", "false"):
        if word not in ("true", "false"):
            raise argparse.ArgumentTypeError(f"{name} is true or false, got {value!r}")
        return name, word == "true"
    kind = int if name == "patience" else type(default)
    try:
        return name, kind(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name} must be {kind.__name__}, got {value!r}") from None


def cmd_train(args: argparse.Namespace) -> int:
    """``scratchnet train``: train the dataset's recommended configuration and save the model."""
    from scratchnet import checkpoint, data
    from scratchnet.fast import accuracy_fast, train
    from scratchnet.perf import blas_threads
    from scratchnet.train import RECOMMENDED, TRAIN_SAMPLE_ROWS, training_rows

    config = RECOMMENDED[args.dataset]
    overrides = {"hidden": args.hidden, "epochs": args.epochs, "batch_size": args.batch_size,
                 "lr": args.lr, "seed": args.seed, "include_dev": args.include_dev}
    overrides = {**dict(args.set or []), **{k: v for k, v in overrides.items() if v is not None}}
    try:
        config = replace(config, **overrides)
    except ValueError as e:
        raise ScratchnetError(f"train: {e}") from None
    dataset = data.load(args.dataset)
    splits = data.split(dataset)        # with data.SPLIT_SEED, whatever the training seed
    say = print if not args.json else (lambda *a, **k: print(*a, **k, file=sys.stderr))
    say(f"data: {dataset.name} from {dataset.source} ({dataset.location})")
    say(f"      {splits.description}")
    X, y, X_dev, y_dev = training_rows(config, splits)
    if config.include_dev:
        say(f"      final fit: training on train + dev ({len(y):,} images); no dev accuracy")
    say(f"model: 784-{config.hidden}-10, {config.init} init, {config.optimizer}, "
        f"{config.epochs} {'iterations' if config.optimizer == 'gd' else 'epochs'}, "
        f"lr {config.lr}, seed {config.seed}")
    params, history = train(config, X, y, X_dev, y_dev, progress=not args.no_progress,
                            train_eval_rows=None if args.full_train_accuracy else
                            TRAIN_SAMPLE_ROWS)
    threads = blas_threads()
    parts = [("train", X, y), ("dev", X_dev, y_dev), ("test", splits.test.X, splits.test.y)]
    metrics = {name: accuracy_fast(params, Xs.astype(config.dtype, copy=False), ys)
               if Xs is not None else None for name, Xs, ys in parts}
    out = Path(args.out or f"models/{dataset.name}.npz")
    checkpoint.save(out, params, {
        "dataset": {"name": dataset.name, "source": dataset.source, "official": dataset.official,
                    "splits": splits.description, "class_names": list(dataset.class_names),
                    "trained_on": len(y)},
        "config": config.to_dict(), "seed": config.seed,
        "metrics": {f"{k}_accuracy": v for k, v in metrics.items()},
        "train_seconds": history.seconds, "blas_threads": threads})
    dev = f"dev {metrics['dev']:.2%}" if metrics["dev"] is not None else "dev (trained on)"
    say(f"trained in {history.seconds:.1f} s: train {metrics['train']:.2%}, {dev}, "
        f"held-out test {metrics['test']:.2%} ({len(splits.test.y)} images)")
    say(f"saved {out}")
    if args.json:
        print(json.dumps({"dataset": dataset.name, "source": dataset.source,
                          "config": config.to_dict(), "train_seconds": history.seconds,
                          "train_accuracy": metrics["train"], "dev_accuracy": metrics["dev"],
                          "test_accuracy": metrics["test"], "n_train": int(len(y)),
                          "n_dev": 0 if y_dev is None else int(len(y_dev)),
                          "n_test": int(len(splits.test.y)), "blas_threads": threads,
                          "model": str(out)}))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``scratchnet evaluate``: a saved model's accuracy, overall and per class."""
    from scratchnet import checkpoint, data
    from scratchnet.evaluate import report
    from scratchnet.model import predict_proba

    params, meta = checkpoint.load(args.model)
    if args.csv:
        images, labels = data.read_csv(args.csv)
    elif args.images and args.labels:
        images, labels = data.read_images_labels(args.images, args.labels)
    else:
        raise ScratchnetError("evaluate: give --images IDX and --labels IDX, or --csv CSV")
    names = meta.get("dataset", {}).get("class_names")
    result = report(predict_proba(params, data.scale(images).astype(params["W1"].dtype)),
                    labels.astype(np.int64), names)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"accuracy {result['accuracy']:.2%} ({result['correct']} of {result['n']})")
        for name, acc in result["per_class_accuracy"].items():
            print(f"  {name:>12}: {'-' if acc is None else f'{acc:.2%}'}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """``scratchnet predict``: the class of each picture, with the probabilities."""
    from scratchnet import checkpoint
    from scratchnet.data.preprocess import picture_to_row
    from scratchnet.model import predict_proba

    params, meta = checkpoint.load(args.model)
    names = meta.get("dataset", {}).get("class_names") or [str(k) for k in range(10)]
    rows = np.stack([picture_to_row(p) for p in args.images]).astype(params["W1"].dtype)
    for path, p in zip(args.images, predict_proba(params, rows), strict=True):
        best = int(p.argmax())
        if args.json:
            print(json.dumps({"image": str(path), "label": best, "name": names[best],
                              "probabilities": [float(v) for v in p]}))
        else:
            probs = " ".join(f"{k}:{v:.3f}" for k, v in enumerate(p))
            print(f"{path}: {names[best]} (p = {p[best]:.3f})  [{probs}]")
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
    t.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist")
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
    t.add_argument("--out", help="where to save the model (default models/DATASET.npz)")
    t.add_argument("--json", action="store_true", help="end with one JSON line of results")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="accuracy of a saved model on MNIST-format files")
    e.add_argument("model")
    e.add_argument("--images", help="IDX images file (raw or .gz)")
    e.add_argument("--labels", help="IDX labels file (raw or .gz)")
    e.add_argument("--csv", help="Kaggle-style CSV with a label column")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="classify pictures of digits (PNG, JPEG, ...)")
    p.add_argument("model")
    p.add_argument("images", nargs="+")
    p.add_argument("--json", action="store_true", help="one JSON line per picture")
    p.set_defaults(func=cmd_predict)

    add_data_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ScratchnetError as e:
        print(f"scratchnet: error: {one_line(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("scratchnet: interrupted", file=sys.stderr)
        return 130
