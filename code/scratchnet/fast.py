"""The fast training path: the parts of ``scratchnet.train`` again, fewer trips to memory.

The readable ``sgd`` allocates a fresh array for every intermediate of every step (Z1, A1, Z2, P,
P - Y, each gradient, lambda W, eta g, the new velocity, the new parameters). Here every array a
step writes is allocated once, in a :class:`Workspace`, and each equation writes into its place with
NumPy's ``out=`` argument or an in-place operator. The maths, and the order of the floating-point
operations, are those of the readable path, so the two give the same weights bit for bit.

The fast path is a set of parts of the readable loop, not a second loop (:data:`FAST`). The
steps :func:`momentum_fast` and :func:`adam_fast` are optimisers (``train.Optimizer``) like
``train.momentum`` and ``train.adam``. ``fast_augment.augmentation_fast`` is
``augment.augmentation`` with the distortions computed in float32 (the same random draws and maps,
rounded differently, so pixels agree to about 1e-5, not bit for bit). :func:`accuracy_fast` is
``accuracy_of`` chunk by chunk. :func:`train` is ``train.train`` with these parts: the one entry
point that ``scratchnet train``, ``runs.train_or_load`` and the book's chapters train with. Rows
are examples, as everywhere in scratchnet: a batch is Xb (m, 784), m <= B.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scratchnet.blas import Blas, numpy_blas
from scratchnet.epochs import History
from scratchnet.evaluate import accuracy
from scratchnet.fast_augment import augmentation_fast
from scratchnet.model import Params
from scratchnet.train import (
    TRAIN_SAMPLE_ROWS,
    Optimizer,
    Parts,
    TrainConfig,
    sgd,
)
from scratchnet.train import train as train_with


@dataclass
class Workspace:
    """Every array one training step writes, allocated once for batches of up to B rows.

    A batch of m < B rows (the last of an epoch) uses the first m rows, ``ws.X[:m]``, which is
    still a contiguous array, so every matrix product sees the same memory layout as in ``sgd``.
    """

    X: np.ndarray         # (B, 784)  the batch Xb, gathered from the training set
    A1: np.ndarray        # (B, H)    Z1, then A1 = ReLU(Z1) in place
    active: np.ndarray    # (B, H)    bool 1[Z1 > 0]
    dA1: np.ndarray       # (B, H)    dA1, then dZ1 in place
    P: np.ndarray         # (B, 10)   Z2, then P, then dZ2 = (P - Y)/m in place
    row: np.ndarray       # (B, 1)    m_i = max_k Z2_ik, then sum_k exp(.)
    grads: Params         # dL/dtheta, one array per parameter
    velocity: Params      # v, one array per parameter
    scratch: Params       # one array per parameter (Adam's m / (1 - beta1^t), ...)
    block: np.ndarray     # (UPDATE_BLOCK,) lambda W and eta g, one block at a time


UPDATE_BLOCK = 65536
"""Numbers per block of the momentum update: 256 KiB of float32 per array, so that the block's
g, v, theta and scratch (1 MiB) stay in a core's L2 cache through the update's five operations."""


def allocate(params: Params, batch_size: int) -> Workspace:
    """Allocate the workspace for ``params`` (784-H-10) and batches of up to ``batch_size`` rows."""
    (n_in, H), n_out, dtype = params["W1"].shape, params["W2"].shape[1], params["W1"].dtype

    def empty(*shape, kind=dtype):
        return np.empty(shape, dtype=kind)

    return Workspace(X=empty(batch_size, n_in), A1=empty(batch_size, H),
                     active=empty(batch_size, H, kind=bool), dA1=empty(batch_size, H),
                     P=empty(batch_size, n_out), row=empty(batch_size, 1),
                     grads={k: np.empty_like(p) for k, p in params.items()},
                     velocity={k: np.zeros_like(p) for k, p in params.items()},
                     scratch={k: np.empty_like(p) for k, p in params.items()},
                     block=empty(UPDATE_BLOCK))


def gather_batch(X: np.ndarray, idx: np.ndarray, ws: Workspace) -> np.ndarray:
    """Xb = X[idx], copied into the workspace: rows idx_1..idx_m of the training set, (m, 784).

    ``mode="clip"`` (idx is a permutation, always in range) lets ``np.take`` write straight into
    ``out``; the default mode copies through a temporary buffer, several times slower.
    """
    return np.take(X, idx, axis=0, out=ws.X[:len(idx)], mode="clip")


def forward_into(params: Params, Xb: np.ndarray, ws: Workspace) -> tuple[np.ndarray, np.ndarray]:
    """Z1 = Xb W1 + b1,  A1 = ReLU(Z1),  Z2 = A1 W2 + b2, each written over the last.

    Returns the views A1 (m, H) and Z2 (m, 10). ReLU runs in place: Z1 itself is not kept, because
    1[Z1 > 0] = 1[A1 > 0] is all the backward pass needs of it.
    """
    m = len(Xb)
    A1, Z2 = ws.A1[:m], ws.P[:m]
    np.matmul(Xb, params["W1"], out=A1)
    A1 += params["b1"]
    np.maximum(A1, 0, out=A1)
    np.matmul(A1, params["W2"], out=Z2)
    Z2 += params["b2"]
    return A1, Z2


def softmax_into(Z2: np.ndarray, y: np.ndarray, ws: Workspace) -> float:
    """P = softmax(Z2) in place; returns the batch's summed loss  sum_i -log P_{i,y_i}.

    S = Z2 - m (m_i = max_k Z2_ik),  P_ik = exp(S_ik) / sum_j exp(S_ij), and
    -log P_{i,y_i} = log sum_j exp(S_ij) - S_{i,y_i}: the log-softmax of ``cross_entropy``.
    """
    m = len(Z2)
    row = ws.row[:m]
    np.max(Z2, axis=1, keepdims=True, out=row)
    Z2 -= row
    true_class = Z2[np.arange(m), y].sum(dtype=np.float64)
    np.exp(Z2, out=Z2)
    np.sum(Z2, axis=1, keepdims=True, out=row)
    Z2 /= row
    return float(np.log(row).sum(dtype=np.float64) - true_class)


def deltas_into(params: Params, A1: np.ndarray, P: np.ndarray, y: np.ndarray,
                ws: Workspace) -> tuple[np.ndarray, np.ndarray]:
    """The errors of the two layers, each written over a workspace array; returns (dZ2, dZ1).

    dZ2 = (P - Y)/m (in place: subtract 1 at each row's true class, divide by m),
    dA1 = dZ2 W2^T,  dZ1 = dA1 * 1[A1 > 0] (in place).
    """
    m = len(A1)
    P[np.arange(m), y] -= 1
    dZ2 = np.divide(P, m, out=P)
    dZ1 = np.matmul(dZ2, params["W2"].T, out=ws.dA1[:m])
    dZ1 *= np.greater(A1, 0, out=ws.active[:m])
    return dZ2, dZ1


def backward_into(params: Params, Xb: np.ndarray, A1: np.ndarray, P: np.ndarray,
                  y: np.ndarray, ws: Workspace) -> Params:
    """The backward pass of ``model.backward``, each gradient written into ``ws.grads``:
    dZ2 and dZ1 (:func:`deltas_into`), then

    dW2 = A1^T dZ2,  db2 = sum_i dZ2_i,  dW1 = Xb^T dZ1,  db1 = sum_i dZ1_i.
    """
    g = ws.grads
    dZ2, dZ1 = deltas_into(params, A1, P, y, ws)
    np.matmul(A1.T, dZ2, out=g["W2"])
    np.sum(dZ2, axis=0, out=g["b2"])
    np.matmul(Xb.T, dZ1, out=g["W1"])
    np.sum(dZ1, axis=0, out=g["b1"])
    return g


def momentum_update_into(params: Params, ws: Workspace, eta: float, mu: float, lam: float) -> None:
    """For each parameter theta with gradient g, in place:

    g <- g + lambda theta (weights only: L2),  v <- mu v - eta g,  theta <- theta + v.

    Block by block of ``UPDATE_BLOCK`` numbers: each operation reads and writes whole arrays, so
    on a whole W1 (784 H numbers, larger than the cache) each would fetch it from memory again;
    on a block, all of them find it in the cache. The sum g + lambda theta goes to a scratch
    block, so g is read and never written back. Each number sees the readable path's operations,
    in its order (x + y = y + x exactly), so the weights come out the same bit for bit.
    """
    for name, theta in params.items():
        decay = lam != 0 and name.startswith("W")
        flat = theta.reshape(-1), ws.grads[name].reshape(-1), ws.velocity[name].reshape(-1)
        for start in range(0, theta.size, UPDATE_BLOCK):
            t, g, v = (a[start:start + UPDATE_BLOCK] for a in flat)
            tmp = ws.block[:len(t)]
            if decay:                                   # tmp = lambda theta + g: g is only read
                np.multiply(t, lam, out=tmp)
                tmp += g
                tmp *= eta
            else:
                np.multiply(g, eta, out=tmp)
            v *= mu
            v -= tmp
            t += v


def train_step(params: Params, X: np.ndarray, y: np.ndarray, idx: np.ndarray, ws: Workspace,
               eta: float, mu: float, lam: float) -> float:
    """One SGD step on the batch idx, params updated in place; returns the batch's summed loss."""
    Xb, yb = gather_batch(X, idx, ws), y[idx]
    return step_into(params, Xb, yb, ws, eta, mu, lam)


def forward_loss_into(params: Params, Xb: np.ndarray, yb: np.ndarray,
                      ws: Workspace) -> tuple[np.ndarray, np.ndarray, float, int]:
    """The forward pass, the count of right answers #{i : argmax_k Z2_ik = y_i} (before the
    softmax, which keeps each row's order), then P = softmax(Z2) and the batch's summed loss:
    returns (A1, P, m L_B, count)."""
    A1, Z2 = forward_into(params, Xb, ws)
    correct = int(np.count_nonzero(Z2.argmax(axis=1) == yb))
    batch_loss = softmax_into(Z2, yb, ws)
    return A1, Z2, batch_loss, correct


def gradients_into(params: Params, Xb: np.ndarray, yb: np.ndarray,
                   ws: Workspace) -> tuple[float, int]:
    """``train.batch_gradients`` without the L2 term, into ``ws.grads``: forward, the count of
    right answers #{i : argmax_k Z2_ik = y_i}, softmax and loss, backward. Returns (m L_B, count).
    """
    A1, P, batch_loss, correct = forward_loss_into(params, Xb, yb, ws)
    backward_into(params, Xb, A1, P, yb, ws)
    return batch_loss, correct


def step_into(params: Params, Xb: np.ndarray, yb: np.ndarray, ws: Workspace, eta: float,
              mu: float, lam: float) -> tuple[float, int]:
    """One SGD step on the batch Xb (m, 784), labels yb (m,): forward, softmax and loss, backward,
    update, each into ``ws``, params updated in place; returns the batch's summed loss and its
    count of right answers (before the step)."""
    batch_loss, correct = gradients_into(params, Xb, yb, ws)
    momentum_update_into(params, ws, eta, mu, lam)
    return batch_loss, correct


def momentum_fast(config: TrainConfig) -> Optimizer:
    """``train.momentum`` on the fast path: the same step, written into a :class:`Workspace`.

    Its state is the workspace (velocity v = 0 to start); each step updates the parameters in
    place and returns the same dictionary, so an epoch's parameters are not kept by the next.
    """
    def step(params, ws, Xb, yb, eta):
        return params, ws, *step_into(params, Xb, yb, ws, eta, config.momentum, config.l2)

    return Optimizer(start=lambda params: allocate(params, config.batch_size), step=step)


def backward_momentum_into(params: Params, Xb: np.ndarray, A1: np.ndarray, P: np.ndarray,
                           y: np.ndarray, ws: Workspace, eta: float, mu: float, lam: float,
                           blas: Blas) -> None:
    """The backward pass and the momentum update in one, each weight's update inside the matrix
    product of its gradient (BLAS's C <- alpha A^T B + beta C, ``scratchnet.blas``): dZ2 and dZ1
    (:func:`deltas_into`, with W2 before its update); then for W1 with inputs Xb and dZ1, and W2
    with inputs A1 and dZ2:
        v <- mu v - eta Inputs^T dZ        one gemm: alpha = -eta, beta = mu
        v <- v - eta lambda W              one axpy: the L2 term
        W <- W + v                         one axpy
    and for each bias: v <- mu v - eta sum_i dZ_i,  b <- b + v. The maths of ``backward_into``
    and ``momentum_update_into``, dW never written to memory: three passes over W1's numbers,
    product included, instead of seven. BLAS rounds -eta (Inputs^T dZ) + mu v once, where they
    round the product, then each operation, so the weights differ from theirs in the last bits.
    """
    dZ2, dZ1 = deltas_into(params, A1, P, y, ws)
    for weight, bias, inputs, dZ in (("W1", "b1", Xb, dZ1), ("W2", "b2", A1, dZ2)):
        W, v = params[weight], ws.velocity[weight]
        blas.gemm(-eta, inputs, dZ, mu, v, trans_a=True)
        if lam != 0:
            blas.axpy(-eta * lam, W, v)
        blas.axpy(1.0, v, W)
        g, v = np.sum(dZ, axis=0, out=ws.grads[bias]), ws.velocity[bias]
        v *= mu
        v -= np.multiply(g, eta, out=g)
        params[bias] += v


FUSED_TOLERANCE = 1e-5
"""How far short runs of :func:`momentum_blas` may end from the exact steps' weights (rounding)."""


def momentum_blas(config: TrainConfig) -> Optimizer:
    """``train.momentum`` with the update inside BLAS's products, the momentum step of ``scratchnet
    train`` and ``fast.train``: per batch :func:`forward_loss_into`, then
    :func:`backward_momentum_into`, parameters updated in place. Where NumPy's BLAS cannot be
    called (``blas.numpy_blas()`` is None) it is :func:`momentum_fast`."""
    blas = numpy_blas()
    if blas is None:
        return momentum_fast(config)

    def step(params, ws, Xb, yb, eta):
        A1, P, batch_loss, correct = forward_loss_into(params, Xb, yb, ws)
        backward_momentum_into(params, Xb, A1, P, yb, ws, eta, config.momentum, config.l2, blas)
        return params, ws, batch_loss, correct

    return Optimizer(start=lambda params: allocate(params, config.batch_size), step=step)


@dataclass
class AdamState:
    """Adam's state on the fast path: the workspace, the step count t, the moments m and v, and
    a second scratch array per parameter."""

    ws: Workspace
    t: int
    m: Params
    v: Params
    scratch: Params


def adam_update_into(params: Params, state: AdamState, eta: float, beta1: float = 0.9,
                     beta2: float = 0.999, eps: float = 1e-8) -> None:
    """``train.adam_step`` in place, the same operations in the same order, for each parameter:

    m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2;
    theta <- theta - eta (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps).
    """
    state.t += 1
    c1, c2 = 1 - beta1 ** state.t, 1 - beta2 ** state.t
    for name, theta in params.items():
        g, m, v = state.ws.grads[name], state.m[name], state.v[name]
        tmp, den = state.ws.scratch[name], state.scratch[name]
        m *= beta1
        m += np.multiply(g, 1 - beta1, out=tmp)
        np.multiply(g, 1 - beta2, out=tmp)
        tmp *= g
        v *= beta2
        v += tmp
        np.divide(v, c2, out=den)
        np.sqrt(den, out=den)
        den += eps
        np.divide(m, c1, out=tmp)
        tmp *= eta
        tmp /= den
        theta -= tmp


def adam_fast(config: TrainConfig) -> Optimizer:
    """``train.adam`` on the fast path: g = dL_B/dtheta + lambda W into the workspace, then
    :func:`adam_update_into`; from t = 0 and m = v = 0, parameters updated in place."""
    def start(params):
        return AdamState(allocate(params, config.batch_size), 0,
                         {k: np.zeros_like(p) for k, p in params.items()},
                         {k: np.zeros_like(p) for k, p in params.items()},
                         {k: np.empty_like(p) for k, p in params.items()})

    def step(params, state, Xb, yb, eta):
        loss, correct = gradients_into(params, Xb, yb, state.ws)
        if config.l2 != 0:
            for name in ("W1", "W2"):
                state.ws.grads[name] += np.multiply(params[name], config.l2,
                                                    out=state.ws.scratch[name])
        adam_update_into(params, state, eta)
        return params, state, loss, correct

    return Optimizer(start=start, step=step)


FAST_OPTIMIZERS = {"momentum": momentum_fast, "adam": adam_fast}
"""The fast steps by ``TrainConfig.optimizer``, one for each of ``train.OPTIMIZERS``: the readable
steps' operations in their order (the same weights bit for bit), as :func:`sgd_fast` runs them."""

TRAIN_OPTIMIZERS = {**FAST_OPTIMIZERS, "momentum": momentum_blas}
"""The steps of :data:`FAST`, what ``scratchnet train`` runs: momentum's update inside BLAS."""


def accuracy_fast(params: Params, X: np.ndarray, y: np.ndarray, chunk: int = 2048) -> float:
    """``evaluate.accuracy_of`` on a fast path: the same predictions, chunk by chunk.

    y_pred_i = argmax_k Z2_ik, which is argmax_k P_ik (softmax keeps the order of a row's logits),
    computed for ``chunk`` rows at a time so that Z1 stays small and in cache; then
    ``evaluate.accuracy(y, y_pred)``. ``tests/test_fast.py`` checks that the two agree.
    """
    y_pred = np.empty(len(X), dtype=np.intp)
    A1 = np.empty((min(chunk, len(X)), params["W1"].shape[1]), dtype=params["W1"].dtype)
    for start in range(0, len(X), chunk):
        rows = slice(start, start + chunk)
        a1 = np.matmul(X[rows], params["W1"], out=A1[:len(X[rows])])
        a1 += params["b1"]
        np.maximum(a1, 0, out=a1)
        y_pred[rows] = (a1 @ params["W2"] + params["b2"]).argmax(axis=1)
    return accuracy(y, y_pred)


FAST = Parts(TRAIN_OPTIMIZERS, augmentation_fast, accuracy_fast)
"""The fast parts: steps, batch transform and accuracy (``train.READABLE``: the readable ones)."""


def sgd_fast(params: Params, X: np.ndarray, y: np.ndarray, config: TrainConfig,
             X_dev: np.ndarray | None = None, y_dev: np.ndarray | None = None, *,
             train_eval_rows: int | None = TRAIN_SAMPLE_ROWS,
             progress: bool = False) -> tuple[Params, History]:
    """``scratchnet.train.sgd`` with the fast steps :data:`FAST_OPTIMIZERS`, the fast transform and
    accuracy: the same arguments, the same loop, early stopping included. Without augmentation it
    gives the readable path's weights bit for bit; with it, the float32 distortions make them
    differ (a bounded difference). :func:`train` also fuses momentum's update into BLAS.

    The caller's ``params`` are copied (to X's dtype), never modified.
    """
    if config.optimizer not in FAST_OPTIMIZERS:
        raise ValueError(f"sgd_fast has no optimizer {config.optimizer!r} (the seed's full batch "
                         "is train.gradient_descent): choose from "
                         + ", ".join(map(repr, FAST_OPTIMIZERS)))
    params = {name: np.array(p, dtype=X.dtype) for name, p in params.items()}
    step = FAST_OPTIMIZERS[config.optimizer](config)
    return sgd(params, X, y, config, X_dev, y_dev, optimizer=step,
               transform=augmentation_fast(config), accuracy=accuracy_fast,
               train_eval_rows=train_eval_rows, progress=progress)


def train(config: TrainConfig, X: np.ndarray, y: np.ndarray, X_dev: np.ndarray | None = None,
          y_dev: np.ndarray | None = None, progress: bool = False, *,
          train_eval_rows: int | None = TRAIN_SAMPLE_ROWS) -> tuple[Params, History]:
    """``scratchnet.train.train`` with the fast parts :data:`FAST`: what ``scratchnet train``,
    ``runs.train_or_load`` and the chapters train with. The seed's full-batch loop ("gd") is the
    readable ``gradient_descent``: one product over all rows per step leaves little to save."""
    return train_with(config, X, y, X_dev, y_dev, progress, parts=FAST,
                      train_eval_rows=train_eval_rows)
