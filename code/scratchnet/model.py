"""The two-layer network, 784 -> H (ReLU) -> 10 (softmax), and its gradients.

Notation (the book's, chapter 2): rows are examples.

    X   (n, 784)   a batch of n images, pixels scaled to [0, 1]
    Y   (n, 10)    one-hot labels
    W1  (784, H)   b1 (H,)     first layer
    W2  (H, 10)    b2 (10,)    second layer

Forward pass (chapter 3)::

    Z1 = X W1 + b1          (n, H)
    A1 = ReLU(Z1)           (n, H)
    Z2 = A1 W2 + b2         (n, 10)
    P  = softmax(Z2)        (n, 10)

Loss (chapter 4): L = -(1/n) sum_i sum_k Y_ik log P_ik.

Every function here is pure: it reads its arguments and returns new arrays.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from scratchnet import N_CLASSES, N_PIXELS  # 784 inputs (28 x 28 pixels), 10 classes

Params = dict[str, np.ndarray]
"""The network's parameters: ``{"W1": ..., "b1": ..., "W2": ..., "b2": ...}``."""


# --- initialisation (chapter 2) ---------------------------------------------------------------


def init_uniform(n_hidden: int, rng: np.random.Generator, dtype: npt.DTypeLike = np.float32,
                 n_in: int = N_PIXELS, n_out: int = N_CLASSES) -> Params:
    """The seed's initialisation: every weight and bias drawn from U[-0.5, 0.5].

    W1 ~ U[-0.5, 0.5]^(n_in x H), b1 ~ U[-0.5, 0.5]^H, W2 ~ U[-0.5, 0.5]^(H x n_out),
    b2 ~ U[-0.5, 0.5]^n_out. Var(W) = 1/12 whatever the layer's width.
    """
    def draw(*shape):
        return (rng.random(shape) - 0.5).astype(dtype)

    return {"W1": draw(n_in, n_hidden), "b1": draw(n_hidden),
            "W2": draw(n_hidden, n_out), "b2": draw(n_out)}


def init_he(n_hidden: int, rng: np.random.Generator, dtype: npt.DTypeLike = np.float32,
            n_in: int = N_PIXELS, n_out: int = N_CLASSES) -> Params:
    """He-normal initialisation (He et al. 2015): W ~ N(0, 2 / fan_in), b = 0.

    W1 ~ N(0, 2/n_in)^(n_in x H), W2 ~ N(0, 2/H)^(H x n_out), b1 = 0, b2 = 0, which keeps
    E[z^2] of each layer's pre-activations equal to E[x^2] of its inputs through a ReLU.
    """
    def draw(fan_in, fan_out):
        return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(dtype)

    return {"W1": draw(n_in, n_hidden), "b1": np.zeros(n_hidden, dtype),
            "W2": draw(n_hidden, n_out), "b2": np.zeros(n_out, dtype)}


INITIALISERS = {"uniform": init_uniform, "he": init_he}


def count_parameters(params: Params) -> int:
    """Number of trainable numbers: 784 H + H + 10 H + 10 for the two-layer net."""
    return sum(int(p.size) for p in params.values())


# --- the pieces of the forward pass (chapter 3) -------------------------------------------------


def relu(Z: np.ndarray) -> np.ndarray:
    """ReLU(Z) = max(Z, 0), elementwise."""
    return np.maximum(Z, 0)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise softmax: P_ik = exp(Z_ik - m_i) / sum_j exp(Z_ij - m_i), m_i = max_j Z_ij.

    Subtracting the row maximum m_i changes nothing mathematically (softmax is shift-invariant)
    but keeps every exponent <= 0, so logits of 1e4 do not overflow. Z: (n, K) -> P: (n, K).
    """
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def log_softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise log P_ik = (Z_ik - m_i) - log sum_j exp(Z_ij - m_i), finite for any finite Z."""
    S = Z - Z.max(axis=1, keepdims=True)
    return S - np.log(np.exp(S).sum(axis=1, keepdims=True))


def one_hot(y: np.ndarray, n_classes: int = N_CLASSES,
            dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """Y_ik = 1 if y_i = k else 0. y: (n,) integer labels -> Y: (n, K)."""
    Y = np.zeros((len(y), n_classes), dtype=dtype)
    Y[np.arange(len(y)), y] = 1
    return Y


def cross_entropy(Z2: np.ndarray, Y: np.ndarray) -> float:
    """L = -(1/n) sum_i sum_k Y_ik log P_ik with P = softmax(Z2), computed from the logits.

    Working from the logits through ``log_softmax`` means log 0 never happens: the loss is finite
    (never inf or nan) even for logits of +-1e4. Z2, Y: (n, K).
    """
    return float(-(Y * log_softmax(Z2)).sum() / len(Z2))


def forward(params: Params, X: np.ndarray) -> dict[str, np.ndarray]:
    """The forward pass, keeping every intermediate the backward pass needs.

    Z1 = X W1 + b1,  A1 = ReLU(Z1),  Z2 = A1 W2 + b2,  P = softmax(Z2).
    X: (n, 784) -> cache with X, Z1, A1 (n, H), Z2, P (n, 10).
    """
    Z1 = X @ params["W1"] + params["b1"]
    A1 = relu(Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    P = softmax(Z2)
    return {"X": X, "Z1": Z1, "A1": A1, "Z2": Z2, "P": P}


# --- the backward pass (chapter 5) --------------------------------------------------------------


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """dL/dZ = dL/dA * ReLU'(Z), with ReLU'(z) = 1 if z > 0 else 0 (elementwise)."""
    return dA * (Z > 0)


def backward(params: Params, cache: dict[str, np.ndarray], Y: np.ndarray) -> Params:
    """Gradients of L by the chain rule, one line per equation of chapter 5.

    dZ2 = (P - Y) / n,   dW2 = A1^T dZ2,  db2 = sum_i dZ2_i,
    dA1 = dZ2 W2^T,      dZ1 = dA1 * ReLU'(Z1),
    dW1 = X^T dZ1,       db1 = sum_i dZ1_i.
    Returns ``{"W1": dL/dW1, "b1": dL/db1, "W2": dL/dW2, "b2": dL/db2}``, same shapes as params.
    """
    X, Z1, A1, P = cache["X"], cache["Z1"], cache["A1"], cache["P"]
    n = X.shape[0]
    dZ2 = (P - Y) / n
    dW2 = A1.T @ dZ2
    db2 = dZ2.sum(axis=0)
    dA1 = dZ2 @ params["W2"].T
    dZ1 = relu_backward(dA1, Z1)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def loss(params: Params, X: np.ndarray, Y: np.ndarray) -> float:
    """L(W1, b1, W2, b2) on a batch: cross_entropy(Z2, Y) after a forward pass."""
    return cross_entropy(forward(params, X)["Z2"], Y)


# --- using the network ------------------------------------------------------------------------


def predict_proba(params: Params, X: np.ndarray) -> np.ndarray:
    """P = softmax(Z2): each row the probabilities of the 10 classes. X: (n, 784) -> (n, 10)."""
    return forward(params, X)["P"]


def predict(params: Params, X: np.ndarray) -> np.ndarray:
    """y_hat_i = argmax_k P_ik. X: (n, 784) -> (n,) integer labels."""
    return predict_proba(params, X).argmax(axis=1)
