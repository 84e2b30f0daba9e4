"""Losses: values, gradients (finite differences and SymPy), stability, target validation."""

import warnings

import mpmath  # a dependency of SymPy: the exact references of the tail tests
import numpy as np
import pytest

from lecturenn.derivations import backprop as D
from lecturenn.gradcheck import numerical_gradient
from lecturenn.losses import (
    LOSSES,
    AbsoluteError,
    EpsilonInsensitive,
    HingeLoss,
    LogisticLoss,
    SoftmaxCrossEntropy,
    SquaredError,
    get_loss,
)

rng0 = np.random.default_rng(7)


def _case(loss, n=6, m=3, dtype=np.float64, rng=rng0):
    if loss.kind == "regression":
        a = rng.normal(size=(n, m)).astype(dtype)
        y = rng.normal(size=(n, m))
        # keep away from kinks |a - y| = 0 and |a - y| = c
        y = a - np.sign(a - y + 1e-9) * (np.abs(a - y) + 0.05)
        y = np.where(np.abs(np.abs(a - y) - 0.1) < 0.02, y + 0.1, y)
        shape = (n, m)
    elif loss.kind == "margin":
        a = rng.normal(size=(n, 1)).astype(dtype)
        a[np.abs(np.abs(a) - 1) < 0.05] += 0.2  # away from the hinge's kink M = 1
        y = rng.choice([-1, 1], size=n)
        shape = (n, 1)
    else:
        a = rng.normal(size=(n, m)).astype(dtype)
        y = rng.integers(0, m, size=n)
        shape = (n, m)
    return a, loss.prepare_target(y, shape, dtype)


ALL = [SquaredError(), AbsoluteError(), EpsilonInsensitive(0.1), LogisticLoss(), HingeLoss(),
       SoftmaxCrossEntropy()]


@pytest.mark.parametrize("loss", ALL, ids=lambda x: x.name)
def test_gradient_matches_finite_differences(loss):
    a, y = _case(loss)
    val, g = loss.value_and_grad(a.copy(), y)
    assert val == pytest.approx(loss.value(a, y), rel=1e-14)
    assert val == pytest.approx(float(np.mean(loss.per_object(a, y))), rel=1e-14)
    num = numerical_gradient(lambda v: loss.value(v, y), a.copy())
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(loss.grad(a, y), g, rtol=0)


def test_values_against_definitions():
    a = np.array([[0.5, -1.0], [2.0, 0.0]])
    y = np.array([[0.0, 0.0], [1.0, 1.0]])
    e = a - y
    assert SquaredError().value(a, y) == pytest.approx(np.mean(0.5 * (e**2).sum(1)))
    assert AbsoluteError().value(a, y) == pytest.approx(np.mean(np.abs(e).sum(1)))
    assert EpsilonInsensitive(0.6).value(a, y) == pytest.approx(
        np.mean(np.maximum(np.abs(e) - 0.6, 0).sum(1)))
    g = np.array([[0.3], [-2.0]])
    t = np.array([[1.0], [1.0]])
    assert LogisticLoss().value(g, t) == pytest.approx(np.mean(np.log1p(np.exp(-g * t))))
    assert HingeLoss().value(g, t) == pytest.approx(np.mean(np.maximum(1 - g * t, 0)))
    logits = np.array([[1.0, 2.0, 0.5]])
    p = np.exp(logits) / np.exp(logits).sum()
    assert SoftmaxCrossEntropy().value(logits, np.array([1])) == pytest.approx(-np.log(p[0, 1]))
    np.testing.assert_allclose(SoftmaxCrossEntropy().probabilities(logits), p)


def test_logistic_gradient_is_relatively_accurate_in_the_tails():
    """dL/dg = -y sigma(-M): -4.2e-18 at M = 40, where the form (1 - tanh(M/2)) / 2 gives 0."""
    margins = np.array([40.0, 30.0, 10.0, 0.5, -0.5, -10.0, -30.0, -40.0, 700.0])
    for y in (1.0, -1.0):
        g_out = margins * y  # the output g with margin M = g y
        a, t = g_out.reshape(-1, 1), np.full((margins.size, 1), y)
        _, g = LogisticLoss().value_and_grad(a.copy(), t)
        n = margins.size
        exact = np.array([float(-y / (1 + mpmath.exp(mpmath.mpf(m)))) / n for m in margins])
        np.testing.assert_allclose(g[:, 0], exact, rtol=4e-16, atol=0)
    # the check can fail: the former tanh form loses every digit at M = 40
    assert 0.5 * (1 - np.tanh(40.0 / 2)) == 0.0
    assert float(1 / (1 + mpmath.exp(40))) > 4e-18


@pytest.mark.parametrize("name", list(D.loss_expressions()))
def test_symbolic_loss_derivatives(name):
    assert D.check_loss_derivative(name)


def test_symbolic_wrong_derivatives_fail():
    assert not D.check_loss_derivative("squared", claimed=2 * (D.a_sym - D.y_sym))
    assert not D.check_loss_derivative("logistic", claimed=D.y_sym / (1 + D.sp.exp(D.a_sym)))
    assert not D.check_loss_derivative("hinge", claimed=-D.y_sym)
    assert D.check_softmax_cross_entropy_gradient(3)
    assert D.check_softmax_cross_entropy_gradient(2)
    assert not D.check_softmax_cross_entropy_gradient(3, claimed=lambda p, m, y: p[m])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_extreme_outputs(dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = np.array([[1000.0], [-1000.0], [np.finfo(dtype).max / 4]], dtype=dtype)
        t = np.array([[1.0], [1.0], [-1.0]], dtype=dtype)
        v, g = LogisticLoss().value_and_grad(big.copy(), t)
        assert np.isfinite(v) and g.dtype == dtype and np.all(np.isfinite(g))
        # ln(1 + e^{1000}) = 1000 up to rounding: mean of (0, 1000, huge)
        assert LogisticLoss().per_object(big, t)[1] == pytest.approx(1000.0)
        np.testing.assert_allclose(g[:, 0] * 3, [0.0, -1.0, 1.0], atol=1e-6)
        logits = np.array([[1000.0, -1000.0, 0.0], [-5000.0, 5000.0, 0.0]], dtype=dtype)
        v, g = SoftmaxCrossEntropy().value_and_grad(logits.copy(), np.array([1, 1]))
        assert np.isfinite(v) and g.dtype == dtype and np.all(np.isfinite(g))
        assert v == pytest.approx(2000.0 / 2, rel=1e-6)
        for loss in (SquaredError(), AbsoluteError(), EpsilonInsensitive(0.5), HingeLoss()):
            a = big if loss.kind == "margin" else big[:2]
            y = t if loss.kind == "margin" else t[:2]
            v, g = loss.value_and_grad(a.copy(), y)
            assert g.dtype == dtype


def test_squared_error_vs_torch_convention():
    # torch.nn.MSELoss() = mean over all elements of eps^2 = 2 * SquaredError / M
    a = rng0.normal(size=(5, 3))
    y = rng0.normal(size=(5, 3))
    assert np.mean((a - y) ** 2) == pytest.approx(2 * SquaredError().value(a, y) / 3)


def test_targets_canonical_forms():
    assert SquaredError().prepare_target([1, 2], (2, 1)).shape == (2, 1)
    assert LogisticLoss().prepare_target([1, -1], (2, 1)).shape == (2, 1)
    assert LogisticLoss().prepare_target(np.array([[1], [-1]]), (2, 1)).shape == (2, 1)
    y = SoftmaxCrossEntropy().prepare_target(np.array([0.0, 2.0]), (2, 3))
    assert y.dtype == np.intp and list(y) == [0, 2]
    assert SquaredError().prepare_target([1, 2], (2, 1), np.float32).dtype == np.float32


def test_target_errors():
    with pytest.raises(ValueError, match=r"class label y\[1\] = 3 is out of range.*0\.\.2"):
        SoftmaxCrossEntropy().prepare_target([0, 3], (2, 3))
    with pytest.raises(ValueError, match=r"class label y\[0\] = -1"):
        SoftmaxCrossEntropy().prepare_target([-1, 0], (2, 3))
    with pytest.raises(TypeError, match="integer class labels"):
        SoftmaxCrossEntropy().prepare_target([0.5, 1], (2, 3))
    with pytest.raises(ValueError, match="M >= 2 outputs"):
        SoftmaxCrossEntropy().prepare_target([0, 1], (2, 1))
    with pytest.raises(ValueError, match=r"must be -1 or \+1.*got 0 at index 1"):
        LogisticLoss().prepare_target([1, 0], (2, 1))
    # 0/1 labels get a hint how to convert them; other wrong labels do not
    with pytest.raises(ValueError, match=r"got 0 at index 1 \(for 0/1 labels pass 2 \* y - 1"):
        LogisticLoss().prepare_target([1, 0, 1], (3, 1))
    with pytest.raises(ValueError, match=r"got 2 at index 1$"):
        HingeLoss().prepare_target([1, 2, 0], (3, 1))
    with pytest.raises(ValueError, match="must have 1 output"):
        HingeLoss().prepare_target([1, -1], (2, 2))
    with pytest.raises(ValueError, match=r"must have shape \(n, 2\)"):
        SquaredError().prepare_target([1.0, 2.0], (2, 2))
    with pytest.raises(ValueError, match="y has 3 objects but the network output has 2"):
        SquaredError().prepare_target([1.0, 2.0, 3.0], (2, 1))
    with pytest.raises(TypeError, match="real numeric array"):
        SquaredError().prepare_target(["a", "b"], (2, 1))
    with pytest.raises(ValueError, match="must not be empty"):
        SquaredError().prepare_target(np.zeros((0, 1)), (0, 1))
    with pytest.raises(ValueError, match="finite"):
        SquaredError().prepare_target([1.0, np.nan], (2, 1))
    with pytest.raises(ValueError, match="c must be >= 0"):
        EpsilonInsensitive(-1)


def test_epsilon_insensitive_gradient_is_zero_on_the_edge():
    """sign(eps) [|eps| > c]: zero for |eps| <= c, the edge |eps| = c included (exact in binary)."""
    a = np.array([[0.5], [-0.5], [0.75], [-0.75], [0.25]])
    y = np.array([[0.25], [-0.25], [0.25], [-0.25], [0.25]])  # eps = c, -c, 2c, -2c, 0
    value, g = EpsilonInsensitive(c=0.25).value_and_grad(a, y)
    np.testing.assert_array_equal(g, np.array([[0.0], [0.0], [1.0], [-1.0], [0.0]]) / 5)
    assert value == pytest.approx(2 * 0.25 / 5, rel=1e-15)


def test_hinge_gradient_is_zero_at_margin_one():
    """-y [M < 1]: zero at M = 1 exactly, -y just below it."""
    a = np.array([[1.0], [-1.0], [0.5], [-0.5]])
    y = np.array([[1.0], [-1.0], [1.0], [-1.0]])  # M = 1, 1, 0.5, 0.5
    value, g = HingeLoss().value_and_grad(a, y)
    np.testing.assert_array_equal(g, np.array([[0.0], [0.0], [-1.0], [1.0]]) / 4)
    assert value == pytest.approx((0.5 + 0.5) / 4, rel=1e-15)


def test_cross_entropy_canonical_labels_are_range_checked():
    """Labels already of dtype intp take a fast path; label M must still be refused."""
    y = np.array([0, 3], dtype=np.intp)
    with pytest.raises(ValueError, match=r"class label y\[1\] = 3 is out of range.*0\.\.2"):
        SoftmaxCrossEntropy().prepare_target(y, (2, 3))
    with pytest.raises(ValueError, match=r"class label y\[0\] = -1 is out of range"):
        SoftmaxCrossEntropy().prepare_target(np.array([-1, 0], dtype=np.intp), (2, 3))
    ok = np.array([0, 2], dtype=np.intp)  # the largest valid label is M - 1
    assert SoftmaxCrossEntropy().prepare_target(ok, (2, 3)) is ok


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_canonical_regression_targets_are_checked_for_finiteness(dtype, bad):
    """Targets already (n, M) of the output's dtype take a fast path; NaN/inf still refused."""
    y = np.array([[0.5, bad]], dtype=dtype)
    with pytest.raises(ValueError, match="y must be finite, got NaN or infinity"):
        SquaredError().prepare_target(y, (1, 2), dtype)
    ok = np.array([[0.5, 1.0]], dtype=dtype)
    assert SquaredError().prepare_target(ok, (1, 2), dtype) is ok


def test_get_loss():
    for name, cls in LOSSES.items():
        assert isinstance(get_loss(name), cls)
    assert get_loss({"name": "epsilon_insensitive", "c": 0.3}).c == 0.3
    loss = HingeLoss()
    assert get_loss(loss) is loss
    with pytest.raises(ValueError, match="unknown loss 'l7'"):
        get_loss("l7")
    # "mse" is a metric of fit, not a loss: the lecture's squared loss is (1/2) sum eps^2
    with pytest.raises(ValueError, match="unknown loss 'mse'"):
        get_loss("mse")
    with pytest.raises(TypeError, match="loss must be a name"):
        get_loss(1.0)


# -- calling a loss directly checks its inputs (as Network.loss_and_grad does) -----------
def test_calling_a_loss_validates_targets_as_loss_and_grad_does():
    """loss(out, y) with y of shape (n,) used to broadcast (n, 1) against (n,) to (n, n)."""
    from lecturenn.network import Network

    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    y = np.array([1.0, -1.0, 1.0, -1.0])
    net = Network([2, 3, 1], rng=0)
    out = net(X)
    for loss in (SquaredError(), AbsoluteError(), LogisticLoss(), HingeLoss()):
        expected = net.loss_and_grad(X, y, loss)
        assert loss(out, y) == pytest.approx(expected, rel=1e-15)
        assert loss.value(out, list(y)) == pytest.approx(expected, rel=1e-15)
        g = loss.grad(out, y)
        assert g.shape == (4, 1)
        np.testing.assert_allclose(g, loss.value_and_grad(out, loss.prepare_target(y, (4, 1)))[1])
    # the reference by hand: (1/n) sum_i (1/2)(a_i - y_i)^2
    assert SquaredError()(out, y) == pytest.approx(0.5 * np.mean((out[:, 0] - y) ** 2))


def test_calling_a_loss_rejects_what_loss_and_grad_rejects():
    logits = np.array([[0.0, 5.0]])
    with pytest.raises(ValueError, match=r"class label y\[0\] = -1 is out of range"):
        SoftmaxCrossEntropy()(logits, np.array([-1]))  # was read as class 1 (0.0067)
    with pytest.raises(ValueError, match=r"class label y\[0\] = 5 is out of range"):
        SoftmaxCrossEntropy().value(logits, [5])
    with pytest.raises(TypeError, match="must be integer class labels"):
        SoftmaxCrossEntropy().grad(logits, [0.5])
    assert SoftmaxCrossEntropy()([[0.0, 5.0]], [1]) == pytest.approx(np.log1p(np.exp(-5.0)))
    g = np.array([[0.3], [-0.2]])
    with pytest.raises(ValueError, match=r"must be -1 or \+1 .* \(for 0/1 labels pass 2 \* y - 1"):
        LogisticLoss()(g, [1, 0])
    with pytest.raises(ValueError, match=r"a \(the network output\) must be a 2-dimensional "
                                         r"array, got shape \(2,\)"):
        SquaredError()(np.array([0.3, -0.2]), [1.0, 2.0])
    with pytest.raises(TypeError, match=r"a \(the network output\) must be a real numeric"):
        SquaredError()([["a"], ["b"]], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"y has 3 objects but the network output has 2"):
        HingeLoss()(g, [1, -1, 1])
    with pytest.raises(ValueError, match=r"a \(the scores\) must be a 2-dimensional"):
        SoftmaxCrossEntropy().probabilities([1.0, 2.0])


def test_calling_a_loss_keeps_float32():
    a = np.array([[0.5, -1.0]], dtype=np.float32)
    assert SquaredError().grad(a, [[0.0, 0.0]]).dtype == np.float32
    assert SoftmaxCrossEntropy().grad(a, [1]).dtype == np.float32
