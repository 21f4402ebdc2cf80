"""Robustness tools: the reject option, calibration and PCA do what their definitions say."""

import numpy as np
import pytest

from scratchnet.robustness import (
    add_noise,
    calibration_direction,
    confidence_gap,
    coverage_accuracy,
    expected_calibration_error,
    more_or_less,
    pca,
    reliability,
)


def test_noise_is_seeded_clipped_and_of_the_requested_size():
    X = np.full((200, 784), 0.5, np.float32)
    a, b = add_noise(X, 0.1, np.random.default_rng(0)), add_noise(X, 0.1, np.random.default_rng(0))
    assert np.array_equal(a, b) and a.dtype == np.float32
    assert abs(float((a - X).std()) - 0.1) < 0.005
    assert add_noise(X, 5.0, np.random.default_rng(1)).min() >= 0
    assert add_noise(X, 5.0, np.random.default_rng(1)).max() <= 1


def test_reject_option_trades_coverage_for_accuracy():
    P = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.55, 0.45]])
    y = np.array([0, 1, 1, 0])                       # the 0.6 one is wrong
    coverage, acc = coverage_accuracy(P, y, np.array([0.0, 0.58, 0.7, 0.95]))
    np.testing.assert_allclose(coverage, [1.0, 0.75, 0.5, 0.0])
    np.testing.assert_allclose(acc[:3], [0.75, 2 / 3, 1.0])
    assert np.isnan(acc[3])


def test_a_perfectly_calibrated_predictor_has_near_zero_ece_and_an_overconfident_one_does_not():
    rng = np.random.default_rng(0)
    n = 20000
    c = rng.uniform(0.5, 1.0, n)
    right = rng.random(n) < c                       # right with probability equal to its confidence
    y = np.where(right, 0, 1)
    P = np.stack([c, 1 - c], axis=1)
    assert expected_calibration_error(P, y) < 0.02
    P_over = np.stack([np.full(n, 0.99), np.full(n, 0.01)], axis=1)
    y_over = np.where(rng.random(n) < 0.7, 0, 1)    # right only 70% of the time
    assert abs(expected_calibration_error(P_over, y_over) - 0.29) < 0.02


def test_reliability_bins_count_every_prediction_once():
    rng = np.random.default_rng(1)
    P = rng.dirichlet(np.ones(10), 500)
    conf, acc, count = reliability(P, rng.integers(0, 10, 500), n_bins=10)
    assert count.sum() == 500
    used = count > 0
    lower, upper = np.arange(10)[used] / 10, np.arange(1, 11)[used] / 10
    assert np.all((conf[used] >= lower) & (conf[used] <= upper))


def test_pca_finds_the_direction_of_largest_variance():
    rng = np.random.default_rng(2)
    t = rng.normal(size=1000)
    direction = np.array([3.0, 4.0, 0.0]) / 5
    A = np.outer(t * 10, direction) + rng.normal(scale=0.1, size=(1000, 3)) + 7.0
    coords, explained = pca(A, k=2)
    assert coords.shape == (1000, 2)
    assert explained[0] > 0.99
    assert abs(abs(np.corrcoef(coords[:, 0], t)[0, 1]) - 1) < 1e-3
    np.testing.assert_allclose(coords.mean(axis=0), 0, atol=1e-9)


def test_confidence_gap_is_mean_confidence_minus_accuracy_with_its_standard_error():
    P = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    y = np.array([0, 1, 1, 1])                      # right, wrong, right, wrong
    gap, se = confidence_gap(P, y)
    d = np.array([0.9 - 1, 0.8 - 0, 0.7 - 1, 0.6 - 0])
    assert gap == pytest.approx(d.mean())           # mean confidence 0.75 - accuracy 0.5
    assert gap == pytest.approx(0.25)
    assert se == pytest.approx(d.std(ddof=1) / 2)
    always_right = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert confidence_gap(always_right, np.array([0, 1])) == (0.0, 0.0)


def test_calibration_direction_follows_the_sign_of_the_gap_beyond_k_standard_errors():
    assert calibration_direction(0.05, 0.01) == "overconfident"
    assert calibration_direction(-0.05, 0.01) == "underconfident"
    assert calibration_direction(-0.003, 0.005) == "calibrated"      # inside the noise
    assert calibration_direction(0.015, 0.01) == "calibrated"        # 1.5 se < 2 se
    assert calibration_direction(0.015, 0.01, k=1) == "overconfident"


def test_an_overconfident_and_an_underconfident_predictor_are_named_so():
    rng = np.random.default_rng(3)
    n = 5000
    y = np.zeros(n, int)
    right = rng.random(n) < 0.7                       # right 70% of the time
    y[~right] = 1
    for c, word in ((0.95, "overconfident"), (0.55, "underconfident")):
        P = np.stack([np.full(n, c), np.full(n, 1 - c)], axis=1)
        assert calibration_direction(*confidence_gap(P, y)) == word


def test_more_or_less_compares_at_the_precision_shown():
    assert more_or_less(64.04, 50.0, 1) == "more"
    assert more_or_less(12.0, 50.0, 1) == "less"
    assert more_or_less(3.04, 3.01, 1) == "as much"                  # both shown as 3.0
    assert more_or_less(3.06, 3.01, 1) == "more"                     # 3.1 against 3.0
