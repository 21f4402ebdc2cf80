"""Evaluation: accuracy, the confusion matrix, per-class accuracy, the most confident mistakes.

Rows are examples: y_true, y_pred (n,) integer labels; P (n, K) predicted probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from scratchnet import N_CLASSES
from scratchnet.model import Params, predict


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """acc = (1/n) sum_i [y_pred_i = y_true_i]; nan for n = 0 (no rows, no accuracy)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_pred == y_true)) if y_true.size else math.nan


def accuracy_of(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    """The network's accuracy on rows X (n, 784) with labels y (n,): acc of y_pred = predict."""
    return accuracy(y, predict(params, X))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray,
                     n_classes: int = N_CLASSES) -> np.ndarray:
    """C_jk = number of examples of true class j predicted as class k. Returns (K, K) int64."""
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return C


def per_class_accuracy(C: np.ndarray) -> np.ndarray:
    """acc_j = C_jj / sum_k C_jk: the fraction of class j recognised (nan for an absent class)."""
    totals = C.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(C) / totals, np.nan)


def most_confident_mistakes(P: np.ndarray, y_true: np.ndarray, k: int = 10) -> np.ndarray:
    """Indices of up to k wrong predictions, most confident first (largest max_k P_ik)."""
    y_pred = P.argmax(axis=1)
    wrong = np.flatnonzero(y_pred != y_true)
    confidence = P[wrong, y_pred[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")[:k]]


def report(P: np.ndarray, y_true: np.ndarray,
           class_names: Sequence[str] | None = None) -> dict:
    """Everything above for one set, as plain Python values (for JSON and the book)."""
    n_classes = P.shape[1]
    y_pred = P.argmax(axis=1)
    C = confusion_matrix(y_true, y_pred, n_classes)
    names = list(class_names) if class_names is not None else [str(k) for k in range(n_classes)]
    return {
        "accuracy": accuracy(y_true, y_pred),
        "n": int(len(y_true)),
        "correct": int(np.sum(y_pred == y_true)),
        "per_class_accuracy": {name: (None if np.isnan(a) else float(a))
                               for name, a in zip(names, per_class_accuracy(C), strict=True)},
        "confusion_matrix": C.tolist(),
    }
