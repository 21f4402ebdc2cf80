"""The exercise self-checks: a right answer passes, each kind of wrong answer fails with a reason
that names the broken property, a stub reports "not implemented yet", and no check ever raises."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet import model, selfcheck, train


from selfcheck_support import stub, verdict


# (check, right implementation, [(wrong implementation, words expected in the reason), ...])
CASES = {
    "relu": (selfcheck.check_relu, model.relu, [
        (lambda Z: np.abs(Z), "negative inputs"),
        (lambda Z: np.maximum(Z, 0.1), "negative inputs"),
        (lambda Z: np.maximum(Z, 0, out=Z), "changed its input"),
    ]),
    "softmax": (selfcheck.check_softmax, model.softmax, [
        (lambda Z: np.exp(Z), "rows do not sum to 1"),
        (lambda Z: np.exp(Z) / np.exp(Z).sum(), "rows do not sum to 1"),
        (lambda Z: np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True), "±1e4"),
        (lambda Z: np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum(axis=1, keepdims=True), "±1e4"),
        (lambda Z: np.exp(-Z) / np.exp(-Z).sum(axis=1, keepdims=True), "largest logit"),
        (lambda Z: model.softmax(Z)[:, :-1], "shape"),
        (lambda Z: None, "None"),
    ]),
    "log_softmax": (selfcheck.check_log_softmax, model.log_softmax, [
        (lambda Z: np.log(model.softmax(Z)), "log(softmax"),
        (lambda Z: Z - Z.max(axis=1, keepdims=True), "does not sum to 1"),
    ]),
    "forward": (selfcheck.check_forward, model.forward, [
        (lambda p, X: {"Z1": X @ p["W1"], "A1": model.relu(X @ p["W1"]),
                       "Z2": model.relu(X @ p["W1"]) @ p["W2"] + p["b2"],
                       "P": model.softmax(model.relu(X @ p["W1"]) @ p["W2"] + p["b2"])}, 'cache["Z1"] is wrong'),
        (lambda p, X: {k: v for k, v in model.forward(p, X).items() if k != "A1"}, "missing A1"),
        (lambda p, X: model.forward(p, X)["P"], "should return a dict"),
    ]),
    "cross_entropy": (selfcheck.check_cross_entropy, model.cross_entropy, [
        (lambda Z, Y: -(Y * model.log_softmax(Z)).sum(), "repeated"),
        (lambda Z, Y: -(Y * np.log(model.softmax(Z))).sum() / len(Z), "±1e4"),
        (lambda Z, Y: -(Y * model.log_softmax(Z)).sum(axis=1) / len(Z), "one number"),
        (lambda Z, Y: -(Y * model.log_softmax(Z)).sum() / Z.size, "log 10"),
        (lambda Z, Y: model.cross_entropy(1.1 * Z, Y), "differs from the right answer"),
    ]),
    "relu_backward": (selfcheck.check_relu_backward, model.relu_backward, [
        (lambda dA, Z: dA, "Z < 0"),
        (lambda dA, Z: Z * (dA > 0), "mask comes from Z"),
        (lambda dA, Z: dA * (Z > 0) * 2, "numerical gradient"),
    ]),
    "backward": (selfcheck.check_backward, model.backward, [
        (lambda p, c, Y: {**model.backward(p, c, Y), "b2": model.backward(p, c, Y)["b2"] * 2}, "db2"),
        (lambda p, c, Y: {**model.backward(p, c, Y), "W1": model.backward(p, c, Y)["W1"].T}, "dW1 has shape"),
        (lambda p, c, Y: {k: v for k, v in model.backward(p, c, Y).items() if k != "b1"}, "b1"),
        (lambda p, c, Y: model.backward(p, {**c, "Z1": -c["Z1"]}, Y), "db1 disagrees"),
    ]),
    "gradient_descent_step": (selfcheck.check_gradient_descent_step, train.gradient_descent_step, [
        (lambda p, g, a: {k: p[k] + a * g[k] for k in p}, "uphill"),
        (lambda p, g, a: {k: p[k] - g[k] for k in p}, "wrong on a random step"),
    ]),
    "momentum_step": (selfcheck.check_momentum_step, train.momentum_step, [
        (lambda p, g, v, lr, mu: train.gradient_descent_step(p, g, lr), "pair"),
        (lambda p, g, v, lr, mu: train.momentum_step(p, g, v, lr, 1 - mu), "velocity after step 2"),
        (lambda p, g, v, lr, mu: (train.gradient_descent_step(p, g, lr), v), "velocity after step 1"),
    ]),
    "l2_gradient": (selfcheck.check_l2_gradient, train.l2_gradient, [
        (lambda p, g, lam: {k: g[k] + lam * p[k] for k in g}, "weights only"),
        (lambda p, g, lam: {k: g[k] + 2 * lam * p[k] if k[0] == "W" else g[k] for k in g}, "penalised"),
    ]),
}


from test_selfcheck_ch1245 import CASES as CASES_CH1245  # noqa: E402
from test_selfcheck_ch678 import CASES as CASES_CH678  # noqa: E402

OWN_CASES = CASES
CASES = {**OWN_CASES, **CASES_CH1245, **CASES_CH678}
"""Every check's cases, the later chapters' from tests/test_selfcheck_<chapters>.py."""


def test_every_check_has_cases():
    assert set(CASES) == set(selfcheck.CHECKS)


@pytest.mark.parametrize("name", CASES)
def test_a_right_implementation_passes(name, capsys):
    check, right, _ = CASES[name]
    result, printed = verdict(check, right, capsys)
    assert result.passed and bool(result), printed
    assert printed.startswith(f"✓ correct: {name}")


@pytest.mark.parametrize("name,index", [(n, i) for n, c in CASES.items() for i in range(len(c[2]))])
def test_a_wrong_implementation_fails_and_says_why(name, index, capsys):
    check, _, wrong = CASES[name]
    fn, reason = wrong[index]
    result, printed = verdict(check, fn, capsys)
    assert not result.passed and result.status == "not yet"
    assert printed.startswith(f"✗ not yet: {name} — ")
    assert reason in printed, printed


@pytest.mark.parametrize("name", CASES)
def test_a_stub_is_not_implemented_yet(name, capsys):
    result, printed = verdict(CASES[name][0], stub, capsys)
    assert result.status == "not implemented" and not result
    assert printed == f"… {name} not implemented yet (it raises NotImplementedError)"


def test_a_function_that_crashes_is_reported_not_raised(capsys):
    def broken(Z):
        return Z @ np.ones((3, 3))  # wrong inner dimension

    result, printed = verdict(selfcheck.check_softmax, broken, capsys)
    assert result.status == "not yet" and "raised ValueError" in printed


def test_the_verdict_never_prints_the_expected_values(capsys):
    def almost(Z):
        return model.softmax(Z * 1.01)

    result, printed = verdict(selfcheck.check_softmax, almost, capsys)
    assert not result.passed and "differs from the right answer" in printed
    assert "[" not in printed.split("shape")[0] and "array" not in printed


def test_quiet_checks_print_nothing(capsys):
    assert selfcheck.check_relu(model.relu, quiet=True).passed
    assert capsys.readouterr().out == ""
