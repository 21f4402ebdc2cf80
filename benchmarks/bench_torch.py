"""scratchnet against PyTorch CPU: the same training, timed in one run.

    python benchmarks/bench_torch.py [--epochs 3] [--repeats 3] [--threads N] [--json results.json]

Workload (issue 2, "Benchmark"): a 784-256-10 network (He init, ReLU, softmax cross-entropy) trained
with mini-batch SGD (batch 128, momentum 0.9, L2 1e-4 on the weights, constant learning rate 0.05)
on all 60,000 Fashion-MNIST training images, then scored on the official 10,000 test images.

Three implementations do the same work from the same initial weights and the same minibatch order
(one ``np.random.default_rng(seed)``):
  scratchnet   scratchnet.train.sgd       the readable loop the book shows
  fast         scratchnet.fast.sgd_fast   the same maths with preallocated buffers, in place
  torch        torch.nn.Linear + ReLU + CrossEntropyLoss, torch.optim.SGD(momentum, weight_decay)
With a constant learning rate eta, torch's momentum (b <- mu b + g, theta <- theta - eta b) is the
heavy-ball update of scratchnet (v <- mu v - eta g, theta <- theta + v) with v = -eta b.

What is timed is the training loop alone, as ``History.seconds`` measures it: every step, plus,
after each epoch, the mean training loss and the accuracy on the 60,000 training images (torch does
the same). Data loading, initialisation and the final test are outside. Each implementation runs
``--repeats`` times, interleaved, and the median is reported. Both libraries use the same number of
threads (NumPy's BLAS through threadpoolctl, torch through torch.set_num_threads).

FLOPs are counted by scratchnet.perf (one step: forward 2B(784H + 10H), backward 2B(784H + 2*10H),
no gradient for the pixels; plus elementwise work and the update; plus one forward pass over the
training set per epoch) and divided by the median time. The peak is this machine's best float32
matrix product, scratchnet.perf.matmul_peak_gflops (best of 20 at 2048 x 2048 and of 50 at
1024 x 1024, before and after the runs), with the same threads. Each step is also timed alone,
many times, interleaved between the implementations: the best of those short timings is the
estimate least disturbed by other jobs on a shared machine.
PyTorch is optional: without it the comparison is reported as not run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

from scratchnet import data, fast, model, perf, train

try:
    import torch
except ImportError:
    torch = None

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:
    threadpool_info = threadpool_limits = None

HIDDEN, BATCH, LR, MOMENTUM, L2, SEED = 256, 128, 0.05, 0.9, 1e-4, 0
PEAK_REPEATS = 20
STEP_SAMPLES = 200
NOT_RUN = "PyTorch not installed: comparison not run"


def limit_threads(threads: int):
    """Hold NumPy's BLAS (and torch) to ``threads`` threads; returns the threadpoolctl context."""
    if torch is not None:
        torch.set_num_threads(threads)
    if threadpool_limits is None:
        return None
    return threadpool_limits(limits=threads, user_api="blas")


def load_fashion_mnist():
    """All 60,000 training and the 10,000 official test images, float32 (n, 784) in [0, 1]."""
    ds = data.load("fashion-mnist")
    if not ds.official:
        sys.exit(f"need the official Fashion-MNIST files, found only {ds.location}")
    return (data.scale(ds.train_images), ds.train_labels.astype(np.int64),
            data.scale(ds.test_images), ds.test_labels.astype(np.int64), ds)


def run_scratchnet(sgd, X, y, X_test, y_test, epochs: int) -> dict:
    """Train with ``sgd`` (train.sgd or fast.sgd_fast); the loop time, test accuracy, weights."""
    params0 = model.init_he(HIDDEN, np.random.default_rng(SEED))
    params, history = sgd(params0, X, y, epochs=epochs, batch_size=BATCH, lr=LR,
                          momentum=MOMENTUM, l2=L2, schedule="constant", seed=SEED)
    return {"seconds": history.seconds, "loss": history.loss[-1],
            "test_accuracy": train.accuracy_of(params, X_test, y_test), "params": params}


def run_torch(X, y, X_test, y_test, epochs: int) -> dict:
    """The same training in PyTorch: same initial weights, minibatch order and history work."""
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
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    rng = np.random.default_rng(SEED)
    start = time.perf_counter()
    for _ in range(epochs):
        total = torch.zeros(())
        for idx in train.minibatches(len(X), BATCH, rng):
            it = torch.from_numpy(idx)
            xb, yb = Xt[it], yt[it]
            optimiser.zero_grad()
            loss = loss_fn(net(xb), yb)
            loss.backward()
            optimiser.step()
            total += loss.detach() * len(idx)
        with torch.no_grad():                   # the history: mean loss, training accuracy
            epoch_loss = float(total) / len(X)
            train_accuracy = float((net(Xt).argmax(1) == yt).double().mean())  # noqa: F841
    seconds = time.perf_counter() - start
    with torch.no_grad():
        test_accuracy = float((net(torch.from_numpy(X_test)).argmax(1) == torch.from_numpy(y_test))
                              .double().mean())
    params = {"W1": layer1.weight.detach().numpy().T, "b1": layer1.bias.detach().numpy(),
              "W2": layer2.weight.detach().numpy().T, "b2": layer2.bias.detach().numpy()}
    return {"seconds": seconds, "loss": epoch_loss, "test_accuracy": test_accuracy,
            "params": params}


def measured_peak(n: int) -> float:
    """Best float32 matmul GFLOP/s seen: n x n products (best of 20) and 1024 x 1024 (best of 50).

    The shorter products are more likely to find both cores free on a busy machine.
    """
    return max(perf.matmul_peak_gflops(n, repeats=PEAK_REPEATS),
               perf.matmul_peak_gflops(1024, repeats=50))


def step_functions(X, y) -> dict:
    """One training step of each implementation, as a function of the batch's row indices."""
    params = model.init_he(HIDDEN, np.random.default_rng(SEED))
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    Y = model.one_hot(y)

    def readable(idx):                  # the body of train.sgd's loop
        nonlocal params, velocity
        cache = model.forward(params, X[idx])
        grads = train.l2_gradient(params, model.backward(params, cache, Y[idx]), L2)
        params, velocity = train.momentum_step(params, grads, velocity, LR, MOMENTUM)
        return model.cross_entropy(cache["Z2"], Y[idx])

    fast_params = {k: v.copy() for k, v in params.items()}
    ws = fast.allocate(fast_params, BATCH)
    steps = {"scratchnet": readable,
             "fast": lambda idx: fast.train_step(fast_params, X, y, idx, ws, LR, MOMENTUM, L2)}
    if torch is not None:
        net = torch.nn.Sequential(torch.nn.Linear(784, HIDDEN), torch.nn.ReLU(),
                                  torch.nn.Linear(HIDDEN, 10))
        optimiser = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=L2)
        loss_fn, Xt, yt = torch.nn.CrossEntropyLoss(), torch.from_numpy(X), torch.from_numpy(y)

        def torch_step(idx):
            it = torch.from_numpy(idx)
            optimiser.zero_grad()
            loss = loss_fn(net(Xt[it]), yt[it])
            loss.backward()
            optimiser.step()
            return loss.detach()

        steps["torch"] = torch_step
    return steps


def time_steps(X, y, n_steps: int) -> dict:
    """Seconds per step, each step timed alone, implementations interleaved step by step.

    The best (minimum) of many short timings is hardly touched by other jobs on the machine,
    unlike the wall time of a whole run: it estimates the time of an undisturbed step.
    """
    steps = step_functions(X, y)
    rng = np.random.default_rng(SEED)
    times = {name: [] for name in steps}
    for i in range(n_steps + 10):
        idx = rng.choice(len(X), BATCH, replace=False)
        for name, step in steps.items():
            start = time.perf_counter()
            step(idx)
            if i >= 10:                   # the first 10 steps warm up
                times[name].append(time.perf_counter() - start)
    return {name: {"best": min(t), "median": statistics.median(t)} for name, t in times.items()}


def max_weight_difference(a: dict, b: dict) -> float:
    """max over all parameters of |a - b|: how far two trainings ended apart."""
    return max(float(np.abs(a[k] - b[k]).max()) for k in a)


def benchmark(epochs: int, repeats: int, threads: int, peak_size: int) -> dict:
    """Run every implementation ``repeats`` times (interleaved) and summarise."""
    X, y, X_test, y_test, ds = load_fashion_mnist()
    runners = {"scratchnet": lambda: run_scratchnet(train.sgd, X, y, X_test, y_test, epochs),
               "fast": lambda: run_scratchnet(fast.sgd_fast, X, y, X_test, y_test, epochs)}
    if torch is not None:
        runners["torch"] = lambda: run_torch(X, y, X_test, y_test, epochs)
    with limit_threads(threads) or _nothing():
        blas = threadpool_info() if threadpool_info else "threadpoolctl not installed"
        peak = measured_peak(peak_size)
        runs = {name: [] for name in runners}
        for r in range(repeats):
            names = list(runners)
            for name in names[r % len(names):] + names[:r % len(names)]:   # rotate the order
                runs[name].append(runners[name]())
                print(f"  repeat {r + 1}/{repeats} {name:10s} {runs[name][-1]['seconds']:7.2f} s",
                      flush=True)
        steps = time_steps(X, y, STEP_SAMPLES)
        peak_after = measured_peak(peak_size)
    flops = epochs * perf.flops_per_epoch(len(X), BATCH, HIDDEN, evaluated_rows=len(X))
    results = {}
    for name, rs in runs.items():
        seconds = statistics.median(r["seconds"] for r in rs)
        results[name] = {"seconds_median": seconds, "seconds_best": min(r["seconds"] for r in rs),
                         "seconds_all": [r["seconds"] for r in rs],
                         "gflops_per_s": flops / seconds / 1e9,
                         "percent_of_peak": 100 * flops / seconds / 1e9 / max(peak, peak_after),
                         "test_accuracy": rs[0]["test_accuracy"], "final_loss": rs[0]["loss"]}
    out = {"workload": {"dataset": "fashion-mnist", "source": ds.source, "train_images": len(X),
                        "test_images": len(X_test), "layers": [784, HIDDEN, 10],
                        "batch_size": BATCH,
                        "epochs": epochs, "lr": LR, "momentum": MOMENTUM, "l2": L2,
                        "schedule": "constant", "seed": SEED, "flops": flops,
                        "flops_per_step": perf.flops_per_step(BATCH, HIDDEN)},
           "machine": {"cpu_count": os.cpu_count(), "threads": threads,
                       "processor": platform.processor() or platform.machine(),
                       "load_average": os.getloadavg(), "numpy": np.__version__,
                       "torch": torch.__version__ if torch is not None else None, "blas": blas},
           "peak_gflops": max(peak, peak_after), "peak_gflops_before_after": [peak, peak_after],
           "repeats": repeats, "results": results, "torch_run": torch is not None}
    peak_best = out["peak_gflops"]
    for name, t in steps.items():
        t["gflops_per_s_best"] = perf.flops_per_step(BATCH, HIDDEN) / t["best"] / 1e9
        t["percent_of_peak_best"] = 100 * t["gflops_per_s_best"] / peak_best
        if torch is not None:
            t["ratio_to_torch_best"] = t["best"] / steps["torch"]["best"]
    out["single_steps"] = steps
    out["fast_matches_readable"] = max_weight_difference(runs["scratchnet"][0]["params"],
                                                         runs["fast"][0]["params"])
    if torch is not None:
        t = results["torch"]["seconds_median"]
        out["ratio_to_torch"] = {name: results[name]["seconds_median"] / t
                                 for name in ("scratchnet", "fast")}
        best = results["torch"]["seconds_best"]
        out["ratio_to_torch_best"] = {name: results[name]["seconds_best"] / best
                                      for name in ("scratchnet", "fast")}
        out["torch_vs_fast_max_weight_difference"] = max_weight_difference(
            runs["torch"][0]["params"], runs["fast"][0]["params"])
    else:
        out["ratio_to_torch"] = None
        out["note"] = NOT_RUN
    return out


class _nothing:
    """A do-nothing context manager (when threadpoolctl is missing)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def report(out: dict) -> None:
    """Print the results as a small table."""
    w = out["workload"]
    print(f"\n784-{HIDDEN}-10, batch {w['batch_size']}, {w['epochs']} epoch(s) on "
          f"{w['train_images']:,} "
          f"Fashion-MNIST images, {out['machine']['threads']} threads, median of {out['repeats']}")
    print(f"float32 matmul peak (measured): {out['peak_gflops']:.1f} GFLOP/s; "
          f"work: {w['flops'] / 1e9:.1f} GFLOP ({w['flops_per_step'] / 1e6:.1f} MFLOP per step)")
    print(f"{'':12s}{'median s':>9s}{'best s':>8s}{'GFLOP/s':>9s}{'% peak':>8s}{'test acc':>10s}"
          f"{'vs torch':>10s}{'(best)':>8s}")
    for name, r in out["results"].items():
        ratios = ""
        if out["ratio_to_torch"] and name != "torch":
            ratios = f"{out['ratio_to_torch'][name]:9.2f}x{out['ratio_to_torch_best'][name]:7.2f}x"
        print(f"{name:12s}{r['seconds_median']:9.2f}{r['seconds_best']:8.2f}"
              f"{r['gflops_per_s']:9.1f}"
              f"{r['percent_of_peak']:8.1f}{r['test_accuracy']:10.4f}{ratios}")
    print(f"one step alone (batch {w['batch_size']}), {STEP_SAMPLES} steps each, interleaved:")
    for name, t in out["single_steps"].items():
        ratio = f"{t['ratio_to_torch_best']:6.2f}x torch" if "ratio_to_torch_best" in t else ""
        print(f"  {name:10s} best {t['best'] * 1e6:7.0f} us  median {t['median'] * 1e6:7.0f} us  "
              f"{t['gflops_per_s_best']:6.1f} GFLOP/s ({t['percent_of_peak_best']:4.1f}% of peak) "
              + ratio)
    if any(t["percent_of_peak_best"] > 100 for t in out["single_steps"].values()):
        print("  (a step beat the measured peak: other jobs disturbed the peak measurement)")
    print(f"fast vs readable weights: max |difference| = {out['fast_matches_readable']:.3g}")
    if out["torch_run"]:
        print(f"torch vs fast weights: max |difference| = "
              f"{out['torch_vs_fast_max_weight_difference']:.3g}")
    else:
        print(NOT_RUN)
    load = out["machine"]["load_average"][0]
    print(f"load average (1 min) at the end: {load:.1f} on {out['machine']['cpu_count']} cores"
          + ("  -- the machine was busy: times are inflated and noisy" if load > 1.5 * (
              out["machine"]["cpu_count"] or 1) else ""))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--peak-size", type=int, default=2048)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = parser.parse_args(argv)
    if torch is None:
        print(NOT_RUN)
    out = benchmark(args.epochs, args.repeats, args.threads, args.peak_size)
    report(out)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2, default=str)


if __name__ == "__main__":
    main()
