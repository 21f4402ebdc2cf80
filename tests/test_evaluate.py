"""scratchnet.evaluate: accuracy, confusion matrix, per-class accuracy, confident mistakes, the
report."""

import json
import math
import warnings

import numpy as np
from quick_model import toy_data

from scratchnet.evaluate import (
    accuracy,
    accuracy_of,
    confusion_matrix,
    most_confident_mistakes,
    per_class_accuracy,
    report,
)
from scratchnet.model import init_he, predict


def test_accuracy_is_the_fraction_of_matching_labels():
    assert accuracy(np.array([0, 1, 2, 3]), np.array([0, 1, 0, 0])) == 0.5
    assert accuracy([7, 7, 7], [7, 7, 7]) == 1.0
    assert accuracy(np.array([1, 2]), np.array([2, 1])) == 0.0


def test_accuracy_of_no_rows_is_nan_not_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(accuracy(np.zeros(0, int), np.zeros(0, int)))
        params = init_he(8, np.random.default_rng(0))
        assert math.isnan(accuracy_of(params, np.zeros((0, 784), np.float32), np.zeros(0, int)))


def test_a_networks_accuracy_is_the_accuracy_of_its_predictions():
    X, y = toy_data(300)
    params = init_he(16, np.random.default_rng(1))
    y_pred = predict(params, X)
    assert 0 < accuracy_of(params, X, y) < 1
    assert accuracy_of(params, X, y) == accuracy(y, y_pred) == np.count_nonzero(y_pred == y) / 300


def test_confusion_matrix_counts_true_class_rows_against_predicted_class_columns():
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    y_pred = np.array([0, 0, 1, 1, 2, 2, 2, 0, 2])
    C = confusion_matrix(y_true, y_pred, n_classes=3)
    np.testing.assert_array_equal(C, [[2, 1, 0],
                                      [0, 1, 1],
                                      [1, 0, 3]])
    assert C.dtype == np.int64
    assert C.sum() == len(y_true)
    np.testing.assert_array_equal(C.sum(axis=1), np.bincount(y_true))


def test_confusion_matrix_has_ten_classes_by_default_and_the_trace_counts_the_correct():
    y_true = np.array([9, 9, 4])
    y_pred = np.array([9, 4, 4])
    C = confusion_matrix(y_true, y_pred)
    assert C.shape == (10, 10)
    assert C[9, 9] == 1 and C[9, 4] == 1 and C[4, 4] == 1
    assert np.trace(C) == 2


def test_per_class_accuracy_is_the_diagonal_over_the_row_sums():
    C = np.array([[2, 1, 0],
                  [0, 1, 1],
                  [2, 0, 3]])            # row sums 3, 2, 5 (column sums differ: 4, 2, 4)
    np.testing.assert_allclose(per_class_accuracy(C), [2 / 3, 1 / 2, 3 / 5])


def test_per_class_accuracy_is_nan_for_an_absent_class_without_warning():
    C = confusion_matrix(np.array([0, 0, 2]), np.array([0, 1, 2]), n_classes=3)
    with np.errstate(all="raise"):
        acc = per_class_accuracy(C)
    assert acc[0] == 0.5 and acc[2] == 1.0
    assert math.isnan(acc[1])


def test_most_confident_mistakes_lists_wrong_predictions_most_confident_first():
    P = np.array([[0.90, 0.10],   # 0: predicted 0, true 1 -> mistake, confidence 0.90
                  [0.20, 0.80],   # 1: predicted 1, true 1 -> right
                  [0.60, 0.40],   # 2: predicted 0, true 1 -> mistake, confidence 0.60
                  [0.01, 0.99],   # 3: predicted 1, true 0 -> mistake, confidence 0.99
                  [0.70, 0.30]])  # 4: predicted 0, true 0 -> right
    y = np.array([1, 1, 1, 0, 0])
    np.testing.assert_array_equal(most_confident_mistakes(P, y, k=10), [3, 0, 2])
    np.testing.assert_array_equal(most_confident_mistakes(P, y, k=2), [3, 0])


def test_most_confident_mistakes_is_empty_when_everything_is_right():
    P = np.eye(3)
    assert len(most_confident_mistakes(P, np.array([0, 1, 2]))) == 0


def test_report_gathers_accuracy_counts_per_class_and_confusion_as_plain_json():
    P = np.array([[0.8, 0.1, 0.1],
                  [0.1, 0.8, 0.1],
                  [0.6, 0.3, 0.1],
                  [0.2, 0.2, 0.6]])
    y = np.array([0, 1, 1, 0])
    r = report(P, y, class_names=["zero", "one", "two"])
    assert r["accuracy"] == 0.5 and r["n"] == 4 and r["correct"] == 2
    assert r["per_class_accuracy"] == {"zero": 0.5, "one": 0.5, "two": None}   # class 2 absent
    assert r["confusion_matrix"] == [[1, 0, 1], [1, 1, 0], [0, 0, 0]]
    assert json.loads(json.dumps(r)) == r          # plain Python values, JSON round trip


def test_report_names_classes_by_digit_when_no_names_are_given():
    r = report(np.eye(10), np.arange(10))
    assert list(r["per_class_accuracy"]) == [str(k) for k in range(10)]
    assert r["accuracy"] == 1.0
    assert all(v == 1.0 for v in r["per_class_accuracy"].values())
