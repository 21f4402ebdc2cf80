"""Horizontal flips (for clothes): exact mirror images, seeded, and off unless asked for."""

import dataclasses

import numpy as np
import pytest

from scratchnet.augment import flip_horizontal, random_flip
from scratchnet.model import init_he
from scratchnet.train import RECOMMENDED, TrainConfig, sgd


@pytest.fixture
def images():
    return np.random.default_rng(3).uniform(0, 1, (8, 784)).astype(np.float32)


def test_flip_mirrors_each_row_of_pixels_left_to_right(images):
    out = flip_horizontal(images).reshape(-1, 28, 28)
    img = images.reshape(-1, 28, 28)
    for c in range(28):
        np.testing.assert_array_equal(out[:, :, c], img[:, :, 27 - c])
    assert out.dtype == images.dtype


def test_flipping_twice_is_the_identity_and_keeps_the_ink(images):
    np.testing.assert_array_equal(flip_horizontal(flip_horizontal(images)), images)
    np.testing.assert_allclose(flip_horizontal(images).sum(axis=1), images.sum(axis=1), rtol=1e-6)


def test_an_asymmetric_image_changes_and_a_symmetric_one_does_not():
    left = np.zeros((1, 28, 28), np.float32)
    left[0, 10:18, 2:6] = 1.0                                     # ink on the left only
    flipped = flip_horizontal(left.reshape(1, 784)).reshape(28, 28)
    assert flipped[:, :14].sum() == 0 and flipped[:, 14:].sum() == left.sum()
    symmetric = left + left[:, :, ::-1]
    np.testing.assert_array_equal(flip_horizontal(symmetric.reshape(1, 784)),
                                  symmetric.reshape(1, 784))


def test_random_flip_mirrors_exactly_the_rows_its_draws_choose(images):
    out = random_flip(images, np.random.default_rng(7))
    chosen = np.random.default_rng(7).random(len(images)) < 0.5
    assert 0 < chosen.sum() < len(images)                          # the seed picks some, not all
    np.testing.assert_array_equal(out[chosen], flip_horizontal(images[chosen]))
    np.testing.assert_array_equal(out[~chosen], images[~chosen])
    assert not np.shares_memory(out, images)


def test_random_flip_is_seeded_and_p_sets_the_rate():
    X = np.random.default_rng(0).uniform(0, 1, (4000, 784)).astype(np.float32)
    a, b = random_flip(X, np.random.default_rng(1)), random_flip(X, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert np.array_equal(random_flip(X, np.random.default_rng(1), p=0.0), X)
    assert np.array_equal(random_flip(X, np.random.default_rng(1), p=1.0), flip_horizontal(X))
    changed = np.mean(np.any(a != X, axis=1))
    assert 0.45 < changed < 0.55


def test_flip_is_off_by_default_and_off_for_digits():
    assert TrainConfig().flip is False
    assert RECOMMENDED["mnist"].flip is False


def test_sgd_with_flip_trains_differently_and_deterministically():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (256, 784)).astype(np.float32)
    y = rng.integers(0, 10, 256)
    params = init_he(16, np.random.default_rng(0))
    config = TrainConfig(epochs=2, batch_size=64, lr=0.05, seed=0)
    plain, _ = sgd(dict(params), X, y, config)
    flip1, _ = sgd(dict(params), X, y, dataclasses.replace(config, flip=True))
    flip2, _ = sgd(dict(params), X, y, dataclasses.replace(config, flip=True))
    assert not np.array_equal(plain["W1"], flip1["W1"])
    for k in params:
        np.testing.assert_array_equal(flip1[k], flip2[k])


def test_the_config_carries_flip_into_training():
    assert "flip" in TrainConfig().to_dict()
    assert dataclasses.replace(TrainConfig(), flip=True).flip is True
