"""scratchnet against PyTorch CPU: the same training, each implementation in a process of its own.

    python benchmarks/bench_torch.py [--epochs 3] [--repeats 3] [--threads N] [--json results.json]

Workload (issue 11): a 784-256-10 network (He init, ReLU, softmax cross-entropy) trained with
mini-batch SGD (batch 128, momentum 0.9, L2 1e-4 on the weights, constant learning rate 0.05) on all
60,000 Fashion-MNIST training images (the train and dev rows of ``data.split``, in that order: the
final fit), then scored on the official 10,000 test images.

Four implementations do the same work from the same initial weights and the same minibatch order
(one ``np.random.default_rng(seed)``):
  cli          ``scratchnet train`` as a user runs it (``python -m scratchnet train ... --json``):
               its own ``train_seconds``, i.e. ``fast.train``, whose momentum update runs
               inside BLAS's product (``fast.momentum_blas``): its weights differ from fast's
               in the last bits, and the difference grows over the epochs
  scratchnet   scratchnet.train.sgd       the readable loop the book shows
  fast         scratchnet.fast.sgd_fast   the same maths with preallocated buffers, in place
  torch        torch.nn.Linear + ReLU + CrossEntropyLoss, torch.optim.SGD(momentum, weight_decay)
With a constant learning rate eta, torch's momentum (b <- mu b + g, theta <- theta - eta b) is the
heavy-ball update of scratchnet (v <- mu v - eta g, theta <- theta + v) with v = -eta b.

What is timed is the training loop alone, as ``History.seconds`` measures it: every step, plus,
after each epoch, what ``sgd`` records: the mean loss and accuracy of the epoch's batches (from
their own forward passes) and the accuracy on a fixed sample of ``train.TRAIN_SAMPLE_ROWS``
training rows; torch does the same. Data loading, initialisation and the final test are outside.
Before its run, each in-process implementation times single steps alone, many times: the best of
those short timings is the estimate least disturbed by other jobs on a shared machine, and the
steps also warm the process up (thread pools started, buffers allocated, caches filled), so that a
one-epoch run does not pay for what every later epoch gets for free. The CLI is run cold, as a
user runs it.

Every run is a fresh Python process (``--worker NAME``, or the ``scratchnet`` command), one at a
time, the order rotated between the ``--repeats`` repeats; the median and the best (fastest) run
are reported. Other jobs on a shared machine can only add time to a run, never take it away, so the
best run is the estimate least disturbed by them (Chen & Revels 2016, "Robust benchmarking in noisy
environments"), as the peak is the best of its products. Two libraries in one process would disturb
each other: after a parallel product, the worker threads of PyTorch's OpenMP and of NumPy's OpenBLAS
keep spinning on the cores for a while, waiting for more work, and whichever library runs next finds
its cores busy. Each process runs ``--threads`` threads (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
torch.set_num_threads), and only the torch process imports torch.

FLOPs are counted by scratchnet.perf (one step: forward 2B(784H + 10H), backward 2B(784H + 2*10H),
no gradient for the pixels; plus elementwise work and the update; plus one forward pass over the
training sample per epoch) and divided by the median time. The peak is this machine's best float32
matrix product, scratchnet.perf.matmul_peak_gflops (best of 20 at 2048 x 2048 and of 50 at
1024 x 1024), measured in a process of its own before and after the runs, with the same threads.
The targets (``scratchnet.targets.BENCH_TARGETS``) are judged on the CLI's best run. PyTorch is
optional: without it the comparison is reported as not run. ``--rows`` (a quick check) trains the
in-process implementations on the first ROWS images and leaves out the CLI, which trains on all.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from scratchnet import checkpoint, data, evaluate, fast, model, perf, train
from scratchnet.targets import BENCH_TARGETS

HIDDEN, BATCH, LR, MOMENTUM, L2, SEED = 256, 128, 0.05, 0.9, 1e-4, 0
PEAK_REPEATS = 20
STEP_SAMPLES = 200
IMPLEMENTATIONS = ("cli", "scratchnet", "fast", "torch")
JUDGED = "cli"
"""The implementation the targets are judged on: what users run."""
NOT_RUN = "PyTorch not installed: comparison not run"
TARGETS = {"ratio_to_torch": BENCH_TARGETS["time_vs_torch"],
           "percent_of_peak": BENCH_TARGETS["percent_of_peak"]}
"""The targets of ``scratchnet.targets.BENCH_TARGETS``, read off the best runs of the CLI: its
training loop in at most that many times PyTorch's time, at that share of the measured float32
matrix-product peak or more."""
NOT_MEASURED = "—"
"""What a table of results shows for a value that was not measured."""
LABELS = {"cli": "CLI", "scratchnet": "sgd", "fast": "fast", "torch": "PyTorch"}
"""The implementations as the book's table heads them."""
ROWS = ("best time (s)", "median time (s)", "best GFLOP/s", "best % of peak",
        "best time / PyTorch", "median / PyTorch", "best step (ms)",
        "step / PyTorch", "step % of peak", "test accuracy (%)",
        "max |w − fast's|")
"""The rows of :func:`results_table`, in order."""
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def torch_installed() -> bool:
    """Whether ``import torch`` would find PyTorch (without importing it: that takes seconds)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def load_fashion_mnist(rows: int | None = None):
    """The first ``rows`` (default all 60,000) training rows as ``scratchnet train`` trains on
    them (``train.training_rows`` of the final fit: the split's train rows, then its dev rows) and
    the 10,000 official test images, float32 (n, 784) in [0, 1]."""
    ds = data.load("fashion-mnist")
    if not ds.official:
        sys.exit(f"need the official Fashion-MNIST files, found only {ds.location}")
    splits = data.split(ds)
    X, y, _, _ = train.training_rows(sgd_config(1), splits)
    return (X[:rows], y[:rows].astype(np.int64), splits.test.X, splits.test.y.astype(np.int64), ds)


# --- inside a worker process: one implementation ------------------------------------------------


def sgd_config(epochs: int) -> train.TrainConfig:
    """The workload above as a TrainConfig: what train.sgd, fast.sgd_fast and the CLI are given."""
    return train.TrainConfig(hidden=HIDDEN, optimizer="momentum", epochs=epochs, batch_size=BATCH,
                             lr=LR, momentum=MOMENTUM, l2=L2, schedule="constant", seed=SEED,
                             include_dev=True)


def cli_arguments(epochs: int) -> list[str]:
    """``scratchnet train``'s arguments for the workload: :func:`sgd_config` from the Fashion-MNIST
    default, every field that differs set on the command line."""
    config, default = sgd_config(epochs), train.RECOMMENDED["fashion-mnist"]
    named = {"hidden": "--hidden", "epochs": "--epochs", "batch_size": "--batch-size",
             "lr": "--lr", "seed": "--seed"}
    args = ["train", "--dataset", "fashion-mnist", "--include-dev"]
    for name, value in config.to_dict().items():
        if name in named:
            args += [named[name], str(value)]
        elif name != "include_dev" and value != getattr(default, name):
            args += ["--set", f"{name}={value}"]
    return args


def run_scratchnet(sgd, X, y, X_test, y_test, epochs: int) -> dict:
    """Train with ``sgd`` (train.sgd or fast.sgd_fast); the loop time, test accuracy, weights."""
    params0 = model.init_he(HIDDEN, np.random.default_rng(SEED))
    params, history = sgd(params0, X, y, sgd_config(epochs))
    return {"seconds": history.seconds, "loss": history.loss[-1],
            "test_accuracy": evaluate.accuracy_of(params, X_test, y_test), "params": params}


def torch_net():
    """784-256-10 in PyTorch from scratchnet's initial weights, and its SGD optimiser."""
    import torch
    params0 = model.init_he(HIDDEN, np.random.default_rng(SEED))
    layer1, layer2 = torch.nn.Linear(784, HIDDEN), torch.nn.Linear(HIDDEN, 10)
    with torch.no_grad():                       # nn.Linear keeps W^T: (out, in)
        layer1.weight.copy_(torch.from_numpy(params0["W1"].T))
        layer2.weight.copy_(torch.from_numpy(params0["W2"].T))
        layer1.bias.zero_()
        layer2.bias.zero_()
    net = torch.nn.Sequential(layer1, torch.nn.ReLU(), layer2)
    optimiser = torch.optim.SGD([{"params": [layer1.weight, layer2.weight], "weight_decay": L2},
                                 {"params": [layer1.bias, layer2.bias], "weight_decay": 0.0}],
                                lr=LR, momentum=MOMENTUM)
    return net, optimiser


def run_torch(X, y, X_test, y_test, epochs: int) -> dict:
    """The same training in PyTorch: same initial weights, minibatch order and history work."""
    import torch
    net, optimiser = torch_net()
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    sample = slice(0, train.TRAIN_SAMPLE_ROWS)
    rng = np.random.default_rng(SEED)
    start = time.perf_counter()
    for _ in range(epochs):
        total, right = torch.zeros(()), torch.zeros((), dtype=torch.int64)
        for idx in train.minibatches(len(X), BATCH, rng):
            it = torch.from_numpy(idx)
            xb, yb = Xt[it], yt[it]
            optimiser.zero_grad()
            logits = net(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimiser.step()
            total += loss.detach() * len(idx)
            right += (logits.detach().argmax(1) == yb).sum()
        with torch.no_grad():   # the history: mean loss, batch accuracy, accuracy on the sample
            epoch_loss = float(total) / len(X)
            batch_accuracy = float(right) / len(X)  # noqa: F841
            train_accuracy = float((net(Xt[sample]).argmax(1) == yt[sample]).double().mean())  # noqa: F841
    seconds = time.perf_counter() - start
    with torch.no_grad():
        test_accuracy = float((net(torch.from_numpy(X_test)).argmax(1) == torch.from_numpy(y_test))
                              .double().mean())
    layer1, layer2 = net[0], net[2]
    params = {"W1": layer1.weight.detach().numpy().T, "b1": layer1.bias.detach().numpy(),
              "W2": layer2.weight.detach().numpy().T, "b2": layer2.bias.detach().numpy()}
    return {"seconds": seconds, "loss": epoch_loss, "test_accuracy": test_accuracy,
            "params": params}


def step_function(name: str, X, y):
    """One training step of implementation ``name``, as a function of the batch's row indices."""
    params = model.init_he(HIDDEN, np.random.default_rng(SEED))
    if name == "scratchnet":
        optimizer = train.momentum(sgd_config(1))
        velocity = optimizer.start(params)

        def readable(idx):                  # train.momentum's step, as train.sgd's loop runs it
            nonlocal params, velocity
            params, velocity, loss, _ = optimizer.step(params, velocity, X[idx], y[idx], LR)
            return loss

        return readable
    if name == "fast":
        ws = fast.allocate(params, BATCH)
        return lambda idx: fast.train_step(params, X, y, idx, ws, LR, MOMENTUM, L2)
    import torch
    net, optimiser = torch_net()
    loss_fn, Xt, yt = torch.nn.CrossEntropyLoss(), torch.from_numpy(X), torch.from_numpy(y)

    def torch_step(idx):
        it = torch.from_numpy(idx)
        optimiser.zero_grad()
        loss = loss_fn(net(Xt[it]), yt[it])
        loss.backward()
        optimiser.step()
        return loss.detach()

    return torch_step


def time_steps(name: str, X, y, n_steps: int) -> list[float]:
    """Seconds of each of ``n_steps`` single steps (after 10 that warm up), each timed alone."""
    step, rng, times = step_function(name, X, y), np.random.default_rng(SEED), []
    for i in range(n_steps + 10):
        idx = rng.choice(len(X), BATCH, replace=False)
        start = time.perf_counter()
        step(idx)
        if i >= 10:
            times.append(time.perf_counter() - start)
    return times


def blas_info():
    """What threadpoolctl says about NumPy's BLAS, or why it cannot say."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    return [b for b in threadpool_info() if b["user_api"] == "blas"]


def run_cli(args, folder: Path, tag: str) -> dict:
    """``scratchnet train`` for the workload, as a user runs it, in a fresh process with
    ``args.threads`` threads: its JSON line's train_seconds and test accuracy, and its weights."""
    model_file = folder / f"cli-{tag}.npz"
    env = dict(os.environ, **{v: str(args.threads) for v in THREAD_VARIABLES})
    command = [sys.executable, "-m", "scratchnet", *cli_arguments(args.epochs), "--json",
               "--no-progress", "--out", str(model_file)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        tail = (stderr or stdout).strip().splitlines()[-1:] or ["no output"]
        sys.exit(f"bench_torch.py: scratchnet train failed: {tail[0]}")
    line = json.loads(stdout.strip().splitlines()[-1])
    params, _ = checkpoint.load(model_file)
    return {"seconds": line["train_seconds"], "test_accuracy": line["test_accuracy"],
            "loss": None, "params": params, "pid": process.pid, "torch_imported": False,
            "step_times": [], "train_images": line["n_train"],
            "blas_threads": line["blas_threads"]}


def worker(name: str, epochs: int, threads: int, peak_size: int, rows: int | None,
           result: Path) -> None:
    """The body of ``--worker NAME``: one run of one implementation (or the peak), its results
    written to ``result`` (JSON) and its weights next to it (``.npz``)."""
    if name == "peak":
        out = {"peak_gflops": max(perf.matmul_peak_gflops(peak_size, repeats=PEAK_REPEATS),
                                  perf.matmul_peak_gflops(1024, repeats=50)),
               "blas": blas_info()}
        result.write_text(json.dumps(out, default=str))
        return
    X, y, X_test, y_test, ds = load_fashion_mnist(rows)
    step_times = time_steps(name, X, y, STEP_SAMPLES)   # first: it also warms the process up
    if name == "torch":
        import torch
        torch.set_num_threads(threads)
        run = run_torch(X, y, X_test, y_test, epochs)
        version = torch.__version__
    else:
        run = run_scratchnet(train.sgd if name == "scratchnet" else fast.sgd_fast,
                             X, y, X_test, y_test, epochs)
        version = np.__version__
    np.savez(result.with_suffix(".npz"), **run.pop("params"))
    run.update(step_times=step_times, version=version,
               source=ds.source, train_images=len(X), test_images=len(X_test), pid=os.getpid(),
               torch_imported="torch" in sys.modules)
    result.write_text(json.dumps(run))


# --- the parent: every run in a process of its own ----------------------------------------------


def run_worker(name: str, args, folder: Path, tag: str) -> dict:
    """Run ``--worker name`` (the CLI: ``scratchnet train``) in a fresh Python process with
    ``args.threads`` threads."""
    if name == "cli":
        return run_cli(args, folder, tag)
    result = folder / f"{name}-{tag}.json"
    env = dict(os.environ, **{v: str(args.threads) for v in THREAD_VARIABLES})
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", name,
               "--epochs", str(args.epochs), "--threads", str(args.threads),
               "--peak-size", str(args.peak_size), "--result", str(result)]
    if args.rows:
        command += ["--rows", str(args.rows)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0 or not result.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        sys.exit(f"bench_torch.py: the {name} run failed: {tail[0]}")
    out = json.loads(result.read_text())
    if result.with_suffix(".npz").is_file():
        with np.load(result.with_suffix(".npz")) as weights:
            out["params"] = {k: weights[k] for k in weights.files}
    return out


def benchmark(args) -> dict:
    """Run every implementation ``args.repeats`` times, each in its own process, and summarise."""
    names = [n for n in IMPLEMENTATIONS
             if (n != "torch" or torch_installed()) and (n != "cli" or not args.rows)]
    with tempfile.TemporaryDirectory(prefix="bench_torch-") as tmp:
        folder = Path(tmp)
        before = run_worker("peak", args, folder, "before")
        runs = {name: [] for name in names}
        for r in range(args.repeats):
            for name in names[r % len(names):] + names[:r % len(names)]:   # rotate the order
                runs[name].append(run_worker(name, args, folder, str(r)))
                print(f"  repeat {r + 1}/{args.repeats} {name:10s} "
                      f"{runs[name][-1]['seconds']:7.2f} s", flush=True)
        after = run_worker("peak", args, folder, "after")
    first = runs["fast"][0]
    n, epochs = first["train_images"], args.epochs
    flops = epochs * perf.flops_per_epoch(n, BATCH, HIDDEN,
                                          evaluated_rows=min(n, train.TRAIN_SAMPLE_ROWS))
    peak = max(before["peak_gflops"], after["peak_gflops"])
    step_flops = perf.flops_per_step(BATCH, HIDDEN)
    results, steps = {}, {}
    for name, rs in runs.items():
        seconds = statistics.median(r["seconds"] for r in rs)
        best = min(r["seconds"] for r in rs)
        results[name] = {"seconds_median": seconds, "seconds_best": best,
                         "seconds_all": [r["seconds"] for r in rs],
                         "gflops_per_s": flops / seconds / 1e9,
                         "percent_of_peak": 100 * flops / seconds / 1e9 / peak,
                         "gflops_per_s_best": flops / best / 1e9,
                         "percent_of_peak_best": 100 * flops / best / 1e9 / peak,
                         "test_accuracy": rs[0]["test_accuracy"], "final_loss": rs[0]["loss"],
                         "processes": [r["pid"] for r in rs],
                         "torch_imported": any(r["torch_imported"] for r in rs)}
        times = [t for r in rs for t in r["step_times"]]
        if not times:                   # the CLI is run as a user runs it: no single steps
            continue
        steps[name] = {"best": min(times), "median": statistics.median(times)}
        steps[name]["gflops_per_s_best"] = step_flops / steps[name]["best"] / 1e9
        steps[name]["percent_of_peak_best"] = 100 * steps[name]["gflops_per_s_best"] / peak
    torch_run = "torch" in runs
    if torch_run:
        for t in steps.values():
            t["ratio_to_torch_best"] = t["best"] / steps["torch"]["best"]
    out = {"workload": {"dataset": "fashion-mnist", "source": first["source"], "train_images": n,
                        "test_images": first["test_images"], "layers": [784, HIDDEN, 10],
                        "batch_size": BATCH, "epochs": epochs, "lr": LR, "momentum": MOMENTUM,
                        "l2": L2, "schedule": "constant", "seed": SEED, "flops": flops,
                        "flops_per_step": step_flops},
           "machine": {"cpu_count": os.cpu_count(), "threads": args.threads,
                       "processor": platform.processor() or platform.machine(),
                       "load_average": os.getloadavg(), "numpy": first["version"],
                       "torch": runs["torch"][0]["version"] if torch_run else None,
                       "blas": before["blas"]},
           "peak_gflops": peak,
           "peak_gflops_before_after": [before["peak_gflops"], after["peak_gflops"]],
           "repeats": args.repeats, "results": results, "single_steps": steps,
           "one_process_per_run": True, "torch_run": torch_run,
           "fast_matches_readable": perf.max_difference(runs["scratchnet"][0]["params"],
                                                          first["params"]),
           "cli_run": "cli" in runs,
           "cli_matches_fast": (perf.max_difference(runs["cli"][0]["params"], first["params"])
                                if "cli" in runs else None)}
    if torch_run:
        t, best = results["torch"]["seconds_median"], results["torch"]["seconds_best"]
        ours = [name for name in names if name != "torch"]
        out["ratio_to_torch"] = {name: results[name]["seconds_median"] / t for name in ours}
        out["ratio_to_torch_best"] = {name: results[name]["seconds_best"] / best
                                      for name in ours}
        out["torch_vs_fast_max_weight_difference"] = perf.max_difference(
            runs["torch"][0]["params"], first["params"])
    else:
        out["ratio_to_torch"] = None
        out["note"] = NOT_RUN
    return out


# --- the results as words and tables: for this script's output and the book --------------------


def verdict(value: float | None, target: float, at_most: bool) -> str:
    """Whether a measured value meets its target: "met" if value <= target (``at_most``) or
    value >= target (otherwise), "not met" if not, "not run" when nothing was measured (None)."""
    if value is None:
        return "not run"
    return "met" if (value <= target if at_most else value >= target) else "not met"


def verdicts(out: dict | None) -> dict[str, str]:
    """The two targets of :data:`TARGETS`, judged on ``out`` (this script's results, or None when
    it did not run): the CLI's time / PyTorch's and its share of the peak, both of the best runs.
    Without PyTorch there is no ratio, and without the CLI (``--rows``) nothing to judge: then
    both are "not run"."""
    if out is None or not out.get("torch_run") or JUDGED not in out["results"]:
        return {"ratio_to_torch": "not run", "percent_of_peak": "not run"}
    ratio = out["ratio_to_torch_best"][JUDGED]
    percent = out["results"][JUDGED]["percent_of_peak_best"]
    return {"ratio_to_torch": verdict(ratio, TARGETS["ratio_to_torch"], at_most=True),
            "percent_of_peak": verdict(percent, TARGETS["percent_of_peak"], at_most=False)}


def peak_disturbed(out: dict) -> bool:
    """Whether a single step came out faster than the measured peak: impossible undisturbed, so
    other jobs slowed the peak measurement down and every percentage of the peak is too high."""
    rates = {name: t["gflops_per_s_best"] for name, t in out["single_steps"].items()}
    return bool(perf.rates_above_peak(rates, out["peak_gflops"]))


def summary(out: dict | None, problem: str = "") -> dict[str, str]:
    """The benchmark's figures as short texts by name (numbers formatted, words such as "met"),
    for a table of the book: each is :data:`NOT_MEASURED` when the benchmark did not run
    (``out`` None, ``problem`` saying why, or a run without PyTorch or without the CLI); ``why``
    holds ``problem`` then, and is empty for a run."""
    ran = out is not None and bool(out.get("torch_run")) and JUDGED in out["results"]
    judged = verdicts(out if ran else None)
    values = {"status": "run" if ran else "not run", "why": "" if ran else problem,
              "verdict_ratio": judged["ratio_to_torch"],
              "verdict_peak": judged["percent_of_peak"],
              "target_ratio": f"{TARGETS['ratio_to_torch']:g}",
              "target_peak": f"{TARGETS['percent_of_peak']:g}"}
    names = ("measured_at", "torch", "numpy", "threads", "cores", "epochs", "images", "gflop",
             "repeats", "peak", "load", "busy", "disturbed", "ratio", "percent")
    if not ran:
        return {**values, **dict.fromkeys(names, NOT_MEASURED)}
    w, m, load = out["workload"], out["machine"], out["machine"]["load_average"][0]
    return {**values, "measured_at": out.get("measured_at", NOT_MEASURED), "torch": m["torch"],
            "numpy": m["numpy"], "threads": str(m["threads"]), "cores": str(m["cpu_count"]),
            "epochs": str(w["epochs"]), "images": f"{w['train_images']:,}",
            "gflop": f"{w['flops'] / 1e9:.1f}", "repeats": str(out["repeats"]),
            "peak": f"{out['peak_gflops']:.1f}", "load": f"{load:.1f}",
            "busy": "yes" if perf.machine_busy(load, m["cpu_count"]) else "no",
            "disturbed": "yes" if peak_disturbed(out) else "no",
            "ratio": f"{out['ratio_to_torch_best'][JUDGED]:.2f}",
            "percent": f"{out['results'][JUDGED]['percent_of_peak_best']:.1f}"}


def results_table(out: dict | None) -> pd.DataFrame:
    """One column per implementation, one row per figure (best and median runs, single steps,
    test accuracy, final weights); :data:`NOT_MEASURED` where there is nothing to show (``out``
    None: the benchmark did not run; a ratio to PyTorch without PyTorch)."""
    names = list(out["results"]) if out is not None else list(IMPLEMENTATIONS)
    columns = {LABELS[n]: [NOT_MEASURED] * len(ROWS) for n in names}
    for n in (names if out is not None else []):
        r, step = out["results"][n], out["single_steps"].get(n, {})
        best_ratio = (out.get("ratio_to_torch_best") or {}).get(n)
        median_ratio = (out.get("ratio_to_torch") or {}).get(n)
        weights = {"scratchnet": out["fast_matches_readable"], "cli": out.get("cli_matches_fast"),
                   "torch": out.get("torch_vs_fast_max_weight_difference")}.get(n)
        values = [f"{r['seconds_best']:.2f}", f"{r['seconds_median']:.2f}",
                  f"{r['gflops_per_s_best']:.1f}", f"{r['percent_of_peak_best']:.1f}",
                  best_ratio, median_ratio,
                  f"{step['best'] * 1e3:.2f}" if step else None,
                  step.get("ratio_to_torch_best") if n != "torch" else None,
                  f"{step['percent_of_peak_best']:.1f}" if step else None,
                  f"{100 * r['test_accuracy']:.2f}",
                  None if weights is None else f"{weights:.1g}"]
        columns[LABELS[n]] = [NOT_MEASURED if v is None else f"{v:.2f}" if isinstance(v, float)
                              else v for v in values]
    return pd.DataFrame(columns, index=ROWS)


def report(out: dict) -> None:
    """Print the results: the workload, the table of :func:`results_table`, the verdicts."""
    w, s = out["workload"], summary(out)
    print(f"\n784-{HIDDEN}-10, batch {w['batch_size']}, epochs: {w['epochs']}, on "
          f"{w['train_images']:,} Fashion-MNIST images; threads: {out['machine']['threads']}; "
          f"runs of each: {out['repeats']}, one process per run")
    print(f"float32 matmul peak (measured): {out['peak_gflops']:.1f} GFLOP/s; "
          f"work: {w['flops'] / 1e9:.1f} GFLOP ({w['flops_per_step'] / 1e6:.1f} MFLOP per step); "
          f"single steps: {STEP_SAMPLES} per run")
    print(results_table(out).to_string())
    if out["torch_run"]:
        print(f"scratchnet train / PyTorch, best runs: {s['ratio']}x "
              f"(target <= {s['target_ratio']}x): {s['verdict_ratio']}; "
              f"share of the peak: {s['percent']}% (target >= {s['target_peak']}%): "
              f"{s['verdict_peak']}")
    else:
        print(NOT_RUN)
    if peak_disturbed(out):
        print("  (a step beat the measured peak: other jobs disturbed the peak measurement)")
    load = out["machine"]["load_average"][0]
    print(f"load average (1 min) at the end: {load:.1f} on {out['machine']['cpu_count']} cores"
          + ("  -- the machine was busy: times are inflated and noisy"
             if perf.machine_busy(load, out["machine"]["cpu_count"]) else ""))


def run_for_book(bench_args: list[str], timeout: float) -> tuple[dict | None, str]:
    """Run this script in a process of its own with ``bench_args``, as the book does at build
    time: (its results, "") or (None, why it did not run, in a few words)."""
    if not torch_installed():
        return None, "PyTorch is not installed"
    with tempfile.TemporaryDirectory() as tmp:
        json_path = Path(tmp) / "bench.json"
        command = [sys.executable, str(Path(__file__).resolve()), *bench_args,
                   "--json", str(json_path)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, f"it did not finish within {timeout:.0f} s"
        if done.returncode != 0 or not json_path.is_file():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return None, f"it failed ({tail[0][:80]})"
        out = json.loads(json_path.read_text())
    if not out.get("torch_run"):
        return None, "PyTorch could not be imported"
    out["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return out, ""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--peak-size", type=int, default=2048)
    parser.add_argument("--rows", type=int, default=None,
                        help="train on the first ROWS images only (a quick check, not a benchmark)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--worker", choices=("peak", *IMPLEMENTATIONS), help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.epochs, args.threads, args.peak_size, args.rows, args.result)
        return
    if not torch_installed():
        print(NOT_RUN)
    out = benchmark(args)
    report(out)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2, default=str)


if __name__ == "__main__":
    main()
