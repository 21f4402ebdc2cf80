"""scratchnet.fast and scratchnet.perf: the fast path does the readable path's maths, and the FLOP
count is the hand count. No test here is timed: speed is the benchmark's business (benchmarks/)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from quick_model import mnist_splits, toy_data

from scratchnet import augment, blas, fast, fast_augment, perf
from scratchnet import train as train_module
from scratchnet.augment import augmentation
from scratchnet.evaluate import accuracy_of
from scratchnet.model import forward, init_he, init_uniform
from scratchnet.train import TRAIN_SAMPLE_ROWS, TrainConfig, sgd

NAMES = ("W1", "b1", "W2", "b2")
N = 300                         # rows of toy data: not a multiple of any batch size used here


SETTINGS = {
    "cosine-l2": TrainConfig(epochs=1, batch_size=32, lr=0.05, momentum=0.9, l2=1e-4,
                             schedule="cosine", seed=7),
    "plain-step": TrainConfig(epochs=3, batch_size=64, lr=0.1, momentum=0.0, l2=0.0,
                              schedule="step", seed=7),
    "constant-b128": TrainConfig(epochs=2, batch_size=128, lr=0.05, momentum=0.9, l2=1e-3,
                                 schedule="constant", seed=7),
    "flip": TrainConfig(epochs=2, batch_size=50, lr=0.05, flip=True, seed=7),
    "adam": TrainConfig(optimizer="adam", epochs=2, batch_size=32, lr=1e-3, l2=1e-4, seed=7),
    "adam-no-l2": TrainConfig(optimizer="adam", epochs=1, batch_size=64, lr=3e-3, seed=7),
    "early-stopping": TrainConfig(epochs=8, batch_size=32, lr=0.2, schedule="constant",
                                  patience=1, seed=7),
}
AUGMENTED = {
    "affine": TrainConfig(epochs=2, batch_size=64, lr=0.05, l2=1e-4, augment=True, seed=7),
    "elastic+flip": TrainConfig(epochs=2, batch_size=64, lr=0.05, augment=True, elastic=34.0,
                                max_degrees=5.0, max_scale=0.05, max_shift=1.0, flip=True,
                                seed=7),
}
PIXEL_TOLERANCE = fast_augment.DISTORTION_TOLERANCE
"""The float32 distortions of the fast path and the readable float64 ones differ by at most this
much per pixel (pixels are in [0, 1]): rounding, not a different map."""
WEIGHT_TOLERANCE = 1e-4
"""Two epochs trained on those slightly different pixels end this close (a weight is ~0.05)."""
FUSED_TOLERANCE = fast.FUSED_TOLERANCE
"""Training with momentum's update inside BLAS (``fast.momentum_blas``) ends this close to the
readable weights on the toy runs here (a weight is ~0.05, the largest ~3): rounding only."""


@pytest.mark.parametrize("config", SETTINGS.values(), ids=SETTINGS)
def test_fast_path_gives_the_readable_paths_weights_bit_for_bit(config):
    X, y = toy_data(N)
    p0 = init_he(32, np.random.default_rng(1))
    a, ha = sgd(p0, X, y, config, X[:50], y[:50])
    b, hb = fast.sgd_fast(p0, X, y, config, X[:50], y[:50])
    for k in NAMES:
        assert np.array_equal(a[k], b[k]), f"{k}: max |diff| {np.abs(a[k] - b[k]).max()}"
    assert hb.learning_rate == ha.learning_rate and hb.step == ha.step
    assert np.allclose(hb.loss, ha.loss, rtol=1e-5)
    assert hb.train_accuracy == ha.train_accuracy and hb.dev_accuracy == ha.dev_accuracy
    assert hb.batch_accuracy == ha.batch_accuracy


def test_the_blocked_update_of_a_layer_larger_than_a_block_is_the_readable_one():
    H = 100                                     # W1 has 78,400 numbers: a block and a part of one
    assert 784 * H > fast.UPDATE_BLOCK > 784 * H - fast.UPDATE_BLOCK
    X, y = toy_data(N)
    p0 = init_he(H, np.random.default_rng(4))
    config = SETTINGS["cosine-l2"]
    a, _ = sgd(p0, X, y, config)
    b, _ = fast.sgd_fast(p0, X, y, config)
    for k in NAMES:
        assert np.array_equal(a[k], b[k]), k


def test_early_stopping_on_the_fast_path_stops_and_keeps_the_best_epoch():
    X, y = toy_data(N)
    config = SETTINGS["early-stopping"]
    p0 = init_he(32, np.random.default_rng(1))
    best, history = fast.sgd_fast(p0, X, y, config, X[:50], y[:50])
    assert history.step[-1] < config.epochs, "the run should stop early"
    e_hat = history.step[int(np.argmax(history.dev_accuracy))]
    assert e_hat < history.step[-1]                    # the last epoch is not the one returned
    short, _ = fast.sgd_fast(p0, X, y, replace(config, epochs=e_hat, patience=None),
                             X[:50], y[:50])
    for k in NAMES:
        assert np.array_equal(best[k], short[k]), k


@pytest.mark.parametrize("config", AUGMENTED.values(), ids=AUGMENTED)
def test_with_the_readable_transform_the_fast_step_gives_the_readable_weights(config):
    X, y = toy_data(N)
    p0 = init_he(32, np.random.default_rng(1))
    a, ha = sgd(p0, X, y, config, X[:50], y[:50])
    b, hb = sgd({k: v.copy() for k, v in p0.items()}, X, y, config, X[:50], y[:50],
                optimizer=fast.momentum_fast(config), transform=augmentation(config),
                accuracy=fast.accuracy_fast)
    for k in NAMES:
        assert np.array_equal(a[k], b[k]), k
    assert ha.dev_accuracy == hb.dev_accuracy


@pytest.mark.parametrize("config", AUGMENTED.values(), ids=AUGMENTED)
def test_the_fast_distortions_are_the_readable_ones_up_to_rounding(config):
    X, _ = toy_data(200)
    readable = augmentation(config)(X, np.random.default_rng(11))
    quick = fast_augment.augmentation_fast(config)(X, np.random.default_rng(11))
    assert quick.dtype == readable.dtype == X.dtype and quick.shape == X.shape
    assert np.abs(quick - readable).max() <= PIXEL_TOLERANCE
    assert np.abs(readable - X).max() > 0.1          # the maps did move the ink
    other = fast_augment.augmentation_fast(config)(X, np.random.default_rng(12))
    assert np.abs(other - readable).max() > 100 * PIXEL_TOLERANCE


@pytest.mark.parametrize("config", AUGMENTED.values(), ids=AUGMENTED)
def test_augmented_training_on_the_fast_path_stays_within_a_bound_of_the_readable(config):
    X, y = toy_data(N)
    p0 = init_he(32, np.random.default_rng(1))
    a, _ = sgd(p0, X, y, config)
    b, _ = fast.sgd_fast(p0, X, y, config)
    assert 0 < perf.max_difference(a, b) <= WEIGHT_TOLERANCE


@pytest.mark.parametrize("train", [sgd, fast.sgd_fast], ids=["sgd", "sgd_fast"])
def test_train_eval_rows_measures_the_first_rows_and_leaves_the_weights_alone(train):
    n = TRAIN_SAMPLE_ROWS + 200
    X, y = toy_data(n)
    p0 = init_he(16, np.random.default_rng(1))
    config = replace(SETTINGS["cosine-l2"], epochs=2, batch_size=128)
    full, h_full = train(p0, X, y, config, train_eval_rows=None)
    sample, h_sample = train(p0, X, y, config)
    part, h_part = train(p0, X, y, config, train_eval_rows=40)
    for k in NAMES:
        assert np.array_equal(full[k], part[k]) and np.array_equal(full[k], sample[k]), k
    assert h_full.train_accuracy[-1] == accuracy_of(full, X, y)
    assert h_sample.train_accuracy[-1] == accuracy_of(full, X[:TRAIN_SAMPLE_ROWS],
                                                      y[:TRAIN_SAMPLE_ROWS])
    assert h_part.train_accuracy[-1] == accuracy_of(full, X[:40], y[:40])
    assert h_part.loss == h_full.loss


def test_the_batch_accuracy_counts_each_batch_before_its_step():
    """One full batch without momentum: the epoch's batch accuracy is the accuracy of the initial
    weights on all rows, and the next epoch's that of the weights after one step."""
    X, y = toy_data(N)
    config = TrainConfig(epochs=2, batch_size=N, lr=0.5, momentum=0.0, schedule="constant")
    p0 = init_he(16, np.random.default_rng(3))
    for run in (sgd, fast.sgd_fast):
        _, history = run(p0, X, y, config, train_eval_rows=None)
        assert history.batch_accuracy[0] == accuracy_of(p0, X, y)
        assert history.batch_accuracy[1] == history.train_accuracy[0]
        assert history.batch_accuracy[1] != history.batch_accuracy[0]


def test_fast_path_matches_in_float64_too():
    X, y = toy_data(N)
    X = X.astype(np.float64)
    p0 = init_uniform(16, np.random.default_rng(2), dtype=np.float64)
    config = TrainConfig(epochs=1, batch_size=50, lr=0.05, momentum=0.9, l2=1e-4,
                         schedule="cosine", seed=3, dtype="float64")
    a, _ = sgd(p0, X, y, config)
    b, _ = fast.sgd_fast(p0, X, y, config)
    for k in NAMES:
        assert b[k].dtype == np.float64
        assert np.abs(a[k] - b[k]).max() < 1e-12, k


def test_fast_path_leaves_the_callers_parameters_alone():
    X, y = toy_data(N)
    p0 = init_he(16, np.random.default_rng(0))
    before = {k: v.copy() for k, v in p0.items()}
    fast.sgd_fast(p0, X, y, TrainConfig(epochs=1, batch_size=32))
    for k in NAMES:
        assert np.array_equal(p0[k], before[k]), k


def test_fast_path_is_deterministic_and_the_seed_fixes_the_order():
    X, y = toy_data(N)
    p0 = init_he(32, np.random.default_rng(0))
    config = TrainConfig(epochs=2, batch_size=32, lr=0.05, momentum=0.9, l2=1e-4, seed=1)
    a, ha = fast.sgd_fast(p0, X, y, config)
    b, hb = fast.sgd_fast(p0, X, y, config)
    c, _ = fast.sgd_fast(p0, X, y, replace(config, seed=2))
    for k in NAMES:
        assert np.array_equal(a[k], b[k]), k
    assert ha.loss == hb.loss
    assert not np.array_equal(a["W1"], c["W1"])


def test_the_fast_path_has_a_step_for_every_optimiser_but_the_full_batch_one():
    assert set(fast.FAST_OPTIMIZERS) == set(train_module.OPTIMIZERS)
    X, y = toy_data(40)
    with pytest.raises(ValueError, match="gradient_descent"):
        fast.sgd_fast(init_he(8, np.random.default_rng(0)), X, y,
                      replace(train_module.SEED_CONFIG, epochs=2), X, y)


def test_the_fast_step_plugs_into_the_readable_loop():
    """sgd_fast is train.sgd with three parts replaced: the step, the transform, the accuracy."""
    X, y = toy_data(N)
    config = AUGMENTED["elastic+flip"]
    p0 = init_he(16, np.random.default_rng(2))
    a, ha = fast.sgd_fast(p0, X, y, config, X[:50], y[:50])
    b, hb = sgd({k: v.copy() for k, v in p0.items()}, X, y, config, X[:50], y[:50],
                optimizer=fast.momentum_fast(config),
                transform=fast_augment.augmentation_fast(config),
                accuracy=fast.accuracy_fast)
    for k in NAMES:
        assert np.array_equal(a[k], b[k]), k
    assert ha.loss == hb.loss and ha.dev_accuracy == hb.dev_accuracy


@pytest.mark.parametrize("config", [SETTINGS["cosine-l2"], SETTINGS["adam"],
                                    AUGMENTED["elastic+flip"],
                                    replace(train_module.SEED_CONFIG, epochs=12)],
                         ids=["momentum", "adam", "elastic", "gd"])
def test_fast_train_is_train_with_the_fast_parts(config):
    X, y = toy_data(N)
    config = replace(config, hidden=16)
    a, ha = fast.train(config, X, y, X[:50], y[:50])
    b, hb = train_module.train(config, X, y, X[:50], y[:50], parts=fast.FAST)
    for k in NAMES:
        assert np.array_equal(a[k], b[k]), k
    assert ha.dev_accuracy == hb.dev_accuracy
    if not config.augment:                    # no float32 distortions: the readable weights too,
        c, _ = train_module.train(config, X, y, X[:50], y[:50])
        if config.optimizer == "momentum":    # up to BLAS's rounding of the fused update
            assert 0 < perf.max_difference(a, c) <= FUSED_TOLERANCE
        else:
            for k in NAMES:
                assert np.array_equal(a[k], c[k]), k


@pytest.mark.parametrize("n, chunk", [(1000, 300), (1000, 2048), (2048, 1024), (1, 7)])
def test_fast_accuracy_is_accuracy_of_computed_in_chunks(n, chunk):
    X, y = toy_data(n)
    for seed in range(3):
        params = init_he(32, np.random.default_rng(seed))
        assert fast.accuracy_fast(params, X, y, chunk=chunk) == accuracy_of(params, X, y)
    trained, _ = sgd(init_he(32, np.random.default_rng(0)), X, y, SETTINGS["cosine-l2"])
    assert fast.accuracy_fast(trained, X, y, chunk=chunk) == accuracy_of(trained, X, y)
    assert math.isnan(fast.accuracy_fast(params, X[:0], y[:0]))


def test_fast_forward_writes_what_model_forward_returns():
    X, y = toy_data(70)
    params = init_he(32, np.random.default_rng(0))
    ws = fast.allocate(params, 128)
    A1, Z2 = fast.forward_into(params, fast.gather_batch(X, np.arange(70), ws), ws)
    cache = forward(params, X)
    assert np.array_equal(A1, cache["A1"]) and np.array_equal(Z2, cache["Z2"])


def test_the_fast_sample_points_are_the_readable_ones_in_float32():
    rng = np.random.default_rng(0)
    maps = augment.random_maps(20, rng, 30.0, 0.2, 3.0)
    readable = augment.affine_sample_points(*maps)
    quick = fast_augment.sample_points_fast(*maps)
    assert quick.dtype == np.float32 and quick.shape == readable.shape == (20, 2, 784)
    assert np.abs(quick - readable).max() < 1e-5


def test_fast_bilinear_reads_zero_outside_the_image_like_the_readable_one():
    X, _ = toy_data(10)
    X[:, :28] = 1.0                                  # ink on the top row: the border matters
    rng = np.random.default_rng(1)
    points = rng.uniform(-3, 31, (10, 2, 784))       # many points outside the image
    readable = augment.bilinear(X.reshape(10, 28, 28), points)
    quick = fast_augment.bilinear_fast(X, points.astype(np.float32))
    assert np.abs(quick - readable).max() < 1e-5


@pytest.mark.slow
def test_fast_path_learns_real_digits_above_90_percent():
    splits = mnist_splits()
    params0 = init_he(128, np.random.default_rng(0))
    config = TrainConfig(epochs=3, batch_size=64, lr=0.05, momentum=0.9, l2=1e-4)
    params, history = fast.sgd_fast(params0, splits.train.X, splits.train.y, config,
                                    splits.dev.X, splits.dev.y)
    assert history.loss[-1] < history.loss[0]
    assert accuracy_of(params, splits.test.X, splits.test.y) > 0.90


# --- perf: FLOP counts and the measured peak -------------------------------------------------


def test_matmul_flops_is_two_multiply_adds_per_term():
    assert perf.matmul_flops(2, 3, 4) == 2 * 2 * 3 * 4


def test_flops_per_step_equals_a_hand_count_for_784_256_10_batch_128():
    B, H = 128, 256
    forward_mm = 2 * 128 * 784 * 256 + 2 * 128 * 256 * 10             # X W1, A1 W2
    backward_mm = 2 * 256 * 128 * 10 + 2 * 128 * 10 * 256 + 2 * 784 * 128 * 256  # dW2, dA1, dW1
    elementwise = 5 * 128 * 256 + 8 * 128 * 10
    update = 6 * (784 * 256 + 256 * 10) + 4 * (256 + 10)
    assert perf.flops_breakdown(B, H) == {"forward_matmul": forward_mm,
                                          "backward_matmul": backward_mm,
                                          "elementwise": elementwise, "update": update}
    assert perf.flops_per_step(B, H) == forward_mm + backward_mm + elementwise + update
    assert forward_mm == 52_035_584 and backward_mm == 52_035_584 + 655_360


def test_flops_per_epoch_counts_the_short_last_batch_and_the_evaluation():
    n, B, H = 300, 128, 16
    expected = (2 * perf.flops_per_step(128, H) + perf.flops_per_step(44, H)
                + perf.flops_forward(n, H))
    assert perf.flops_per_epoch(n, B, H, evaluated_rows=n) == expected
    assert perf.flops_forward(10, H) == 2 * 10 * 784 * H + 2 * 10 * H * 10 + 2 * 10 * H + 10 * 10


def test_matmul_peak_is_a_positive_finite_speed():
    gflops = perf.matmul_peak_gflops(n=128, repeats=2)
    assert math.isfinite(gflops) and gflops > 0


MOMENTUM = {k: c for k, c in {**SETTINGS, **AUGMENTED}.items() if c.optimizer == "momentum"}


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("m, lam", [(64, 1e-3), (41, 0.0)], ids=["full-l2", "short-no-l2"])
def test_the_fused_update_is_backward_then_the_momentum_update(dtype, tolerance, m, lam):
    """One step from a nonzero velocity: backward_momentum_into leaves the parameters and the
    velocity where backward_into + momentum_update_into leave them, up to rounding."""
    X, y = toy_data(m)
    X = X.astype(dtype)
    rng = np.random.default_rng(5)
    start = {k: v.astype(dtype) for k, v in init_he(24, rng).items()}
    velocities = {k: (0.01 * rng.standard_normal(v.shape)).astype(dtype) for k, v in start.items()}
    ends = []
    for fused in (False, True):
        params = {k: v.copy() for k, v in start.items()}
        ws = fast.allocate(params, 64)
        for k, v in velocities.items():
            ws.velocity[k][...] = v
        A1, Z2 = fast.forward_into(params, X, ws)
        fast.softmax_into(Z2, y, ws)
        if fused:
            fast.backward_momentum_into(params, X, A1, Z2, y, ws, 0.1, 0.9, lam,
                                        blas.numpy_blas())
        else:
            fast.backward_into(params, X, A1, Z2, y, ws)
            fast.momentum_update_into(params, ws, 0.1, 0.9, lam)
        ends.append((params, ws.velocity))
    (p_a, v_a), (p_b, v_b) = ends
    for k in NAMES:
        assert p_b[k].dtype == dtype
        scale = np.abs(v_a[k]).max()
        assert np.abs(v_a[k] - v_b[k]).max() <= tolerance * scale, k
        assert np.abs(p_a[k] - p_b[k]).max() <= tolerance * (np.abs(p_a[k]).max() + scale), k
    assert not np.array_equal(v_a["W1"], velocities["W1"].astype(dtype))     # the step moved v


@pytest.mark.parametrize("config", MOMENTUM.values(), ids=MOMENTUM)
def test_fast_train_stays_within_rounding_of_the_exact_fast_path(config):
    X, y = toy_data(N)
    config = replace(config, hidden=32)
    exact, _ = train_module.train(config, X, y, X[:50], y[:50],
                                  parts=fast.FAST._replace(optimizers=fast.FAST_OPTIMIZERS))
    fused, _ = fast.train(config, X, y, X[:50], y[:50])
    assert perf.max_difference(exact, fused) <= FUSED_TOLERANCE
    again, _ = fast.train(config, X, y, X[:50], y[:50])
    for k in NAMES:                           # and it is deterministic
        assert np.array_equal(fused[k], again[k]), k


def test_the_fast_parts_fuse_momentum_into_blas():
    config = replace(SETTINGS["cosine-l2"], hidden=32)
    X, y = toy_data(N)
    assert fast.FAST.optimizers["momentum"] is fast.momentum_blas
    exact, _ = fast.sgd_fast(init_he(32, np.random.default_rng(1)), X, y, config)
    fused, _ = sgd(init_he(32, np.random.default_rng(1)), X, y, config,
                   optimizer=fast.momentum_blas(config))
    assert perf.max_difference(exact, fused) > 0      # BLAS rounds the update its own way


def test_without_numpy_blas_the_fused_step_is_the_exact_one(monkeypatch):
    monkeypatch.setattr(fast, "numpy_blas", lambda: None)
    config = SETTINGS["cosine-l2"]
    X, y = toy_data(N)
    p0 = init_he(32, np.random.default_rng(1))
    exact, _ = fast.sgd_fast(p0, X, y, config)
    fallback, _ = sgd({k: v.copy() for k, v in p0.items()}, X, y, config,
                      optimizer=fast.momentum_blas(config))
    for k in NAMES:
        assert np.array_equal(exact[k], fallback[k]), k
