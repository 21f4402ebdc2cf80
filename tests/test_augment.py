"""Data augmentation: the affine resampling is exact where it should be and keeps digits digits."""

import numpy as np
import pytest

from scratchnet.augment import (
    affine_sample_points,
    bilinear,
    elastic_field,
    gaussian_matrix,
    random_affine,
    random_elastic,
    rotate_images,
    shift_images,
)


@pytest.fixture
def digits():
    rng = np.random.default_rng(1)
    X = np.zeros((6, 28, 28), np.float32)
    for img in X:                # blobs of ink at random places, away from the border
        r, c = rng.integers(8, 20, 2)
        img[r - 3:r + 4, c - 2:c + 3] = rng.uniform(0.3, 1.0, (7, 5))
    return X.reshape(6, 784)


def test_identity_map_returns_the_image_unchanged(digits):
    n = len(digits)
    points = affine_sample_points(np.zeros(n), np.ones(n), np.zeros((n, 2)))
    out = bilinear(digits.reshape(n, 28, 28), points)
    assert np.array_equal(out, digits)


@pytest.mark.parametrize("dr, dc", [(2, -1), (-3, 0), (0, 2)])
def test_whole_pixel_translation_equals_a_shift(digits, dr, dc):
    n = len(digits)
    points = affine_sample_points(np.zeros(n), np.ones(n), np.tile([float(dr), float(dc)], (n, 1)))
    out = bilinear(digits.reshape(n, 28, 28), points)
    np.testing.assert_allclose(out, shift_images(digits, dr, dc), atol=1e-6)


def test_shift_moves_the_centre_of_mass_by_the_shift(digits):
    def centre(X):
        img = X.reshape(-1, 28, 28)
        r, c = np.indices((28, 28))
        m = img.sum(axis=(1, 2))
        return np.stack([(img * r).sum(axis=(1, 2)) / m, (img * c).sum(axis=(1, 2)) / m], 1)

    np.testing.assert_allclose(centre(shift_images(digits, 2, -1)) - centre(digits), [[2, -1]] * 6,
                               atol=1e-4)


def test_four_quarter_turns_come_back_to_the_start(digits):
    out = digits
    for _ in range(4):
        out = rotate_images(out, 90.0)
    np.testing.assert_allclose(out, digits, atol=1e-5)


def test_a_quarter_turn_is_a_transpose_and_flip(digits):
    img = digits.reshape(-1, 28, 28)
    turned = rotate_images(digits, 90.0).reshape(-1, 28, 28)
    # counter-clockwise on screen (rows down): new[r, c] = old[c, 27 - r]
    expected = np.rot90(img, k=1, axes=(1, 2))
    np.testing.assert_allclose(turned, expected, atol=1e-5)


def test_random_affine_is_seeded_keeps_range_dtype_and_mostly_the_ink(digits):
    a = random_affine(digits, np.random.default_rng(3))
    b = random_affine(digits, np.random.default_rng(3))
    c = random_affine(digits, np.random.default_rng(4))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.dtype == digits.dtype and a.shape == digits.shape
    assert a.min() >= 0 and a.max() <= 1
    ratio = a.sum(axis=1) / digits.sum(axis=1)   # small maps keep the ink, scaled by about s^2
    assert np.all((ratio > 0.7) & (ratio < 1.3))
    assert not np.allclose(a, digits)


# --- elastic distortions ------------------------------------------------------------------------


def test_the_gaussian_matrix_is_a_normalised_symmetric_blur():
    K = gaussian_matrix(2.0)
    assert K.shape == (28, 28) and np.allclose(K, K.T)
    np.testing.assert_allclose(K[14].sum(), 1.0, atol=1e-3)      # away from the border: mass 1
    assert K[0].sum() < 0.6                                         # at it, half falls outside
    assert K[14, 14] > K[14, 15] > K[14, 17]                        # falls off with distance


def test_the_field_of_a_constant_noise_is_a_constant_shift_inside_the_image():
    u = np.ones((1, 2, 28, 28), np.float32)
    u[0, 1] = -0.5
    d = elastic_field(u, alpha=3.0, sigma=1.0).reshape(2, 28, 28)
    np.testing.assert_allclose(d[0, 10:18, 10:18], 3.0, rtol=1e-3)
    np.testing.assert_allclose(d[1, 10:18, 10:18], -1.5, rtol=1e-3)


def test_the_field_is_alpha_times_the_blurred_noise_and_smooth():
    rng = np.random.default_rng(0)
    u = 2 * rng.random((50, 2, 28, 28), dtype=np.float32) - 1
    d1, d2 = elastic_field(u, 1.0, 4.0), elastic_field(u, 34.0, 4.0)
    np.testing.assert_allclose(d2, 34.0 * d1, rtol=1e-5, atol=1e-6)
    img = d2.reshape(50, 2, 28, 28)
    step = np.abs(np.diff(img, axis=3)).mean()
    rough = 34.0 * np.abs(np.diff(u, axis=3)).mean()
    assert step < rough / 10                                        # the blur smooths the noise
    assert 0.3 < np.abs(img[:, :, 8:20, 8:20]).mean() < 3            # a pixel or so, for 34 / 4


def test_random_elastic_without_elastic_field_is_random_affine(digits):
    a = random_elastic(digits, np.random.default_rng(5), alpha=0.0)
    b = random_affine(digits, np.random.default_rng(5), max_degrees=5.0, max_scale=0.05,
                      max_shift=1.0)
    assert np.array_equal(a, b)


def test_random_elastic_is_seeded_bends_the_ink_and_keeps_most_of_it(digits):
    a = random_elastic(digits, np.random.default_rng(3))
    assert np.array_equal(a, random_elastic(digits, np.random.default_rng(3)))
    assert a.dtype == digits.dtype and a.shape == digits.shape
    assert a.min() >= 0 and a.max() <= 1
    ratio = a.sum(axis=1) / digits.sum(axis=1)     # a local stretch or squeeze, on average none
    assert np.all((ratio > 0.4) & (ratio < 1.8)) and 0.8 < ratio.mean() < 1.2
    affine_only = random_elastic(digits, np.random.default_rng(3), alpha=0.0)
    assert np.abs(a - affine_only).max() > 0.1                      # the field moved strokes


def test_the_configs_default_ranges_are_random_affines():
    """``augment=True`` with the other fields left alone draws what ``random_affine`` draws."""
    import inspect

    from scratchnet.train import TrainConfig
    defaults = inspect.signature(random_affine).parameters
    config = TrainConfig(augment=True)
    assert config.elastic == 0
    for name in ("max_degrees", "max_scale", "max_shift"):
        assert getattr(config, name) == defaults[name].default, name
