"""Tests of lecturenn.perceptron: the error-correction rule, cycling on XOR, Novikoff's bound."""

import numpy as np
import pytest

from lecturenn.boolean import truth_table_inputs
from lecturenn.perceptron import (
    Perceptron,
    as_signed_labels,
    augment,
    max_margin_direction,
    novikoff_bound,
)

X2 = truth_table_inputs(2).astype(float)


def separable_blobs(n=60, seed=3, gap=0.6):
    """One Gaussian cloud centred on the line x1 + x2 = 1, labelled by side; the points with
    |x1 + x2 - 1| <= gap/2 (closer than gap/(2 sqrt 2) to the line) are dropped."""
    rng = np.random.default_rng(seed)
    X = rng.normal(loc=0.5, scale=1.0, size=(4 * n, 2))
    s = X[:, 0] + X[:, 1] - 1.0
    keep = np.abs(s) > gap / 2
    X, s = X[keep][:n], s[keep][:n]
    return X, (s > 0).astype(int)


def test_augment_and_labels():
    assert augment([[1.0, 2.0]]).tolist() == [[1.0, 2.0, -1.0]]
    assert as_signed_labels([0, 1, 1]).tolist() == [-1, 1, 1]
    assert as_signed_labels([-1, 1]).tolist() == [-1, 1]


@pytest.mark.parametrize("table", [[0, 0, 0, 1], [0, 1, 1, 1], [1, 1, 1, 0], [0, 0, 1, 1]])
@pytest.mark.parametrize("shuffle", [False, True])
def test_learns_separable_boolean_functions(table, shuffle):
    p = Perceptron(shuffle=shuffle, max_epochs=100).fit(X2, table, rng=1)
    assert p.converged_
    assert p.predict(X2).tolist() == table
    ys = 2 * np.array(table) - 1
    assert np.all(ys * p.decision_function(X2) > 0)  # strictly correct: margin > 0


def test_history_records_every_correction():
    p = Perceptron(shuffle=False).fit(X2, [0, 0, 0, 1])
    H = p.weights_history_
    assert H.shape == (p.n_corrections_ + 1, 3)
    assert np.all(H[0] == 0)
    Xa, ys = augment(X2), np.array([-1, -1, -1, 1])
    for k, (epoch, i) in enumerate(p.corrections_):
        assert ys[i] * (Xa[i] @ H[k]) <= 0  # a correction happens only on an error
        np.testing.assert_array_equal(H[k + 1], H[k] + ys[i] * Xa[i])
        assert 1 <= epoch <= p.n_epochs_
    np.testing.assert_array_equal(H[-1], np.r_[p.w.data, p.w0.data])


def test_eta_only_rescales_from_zero():
    a = Perceptron(eta=1.0, shuffle=True).fit(X2, [0, 1, 1, 1], rng=5)
    b = Perceptron(eta=0.1, shuffle=True).fit(X2, [0, 1, 1, 1], rng=5)
    assert a.n_corrections_ == b.n_corrections_
    np.testing.assert_allclose(b.weights_history_, 0.1 * a.weights_history_, rtol=1e-12)


def test_cycles_on_xor():
    p = Perceptron(shuffle=False, max_epochs=1000).fit(X2, [0, 1, 1, 0])
    assert not p.converged_
    assert p.cycle_ is not None
    first, period = p.cycle_
    assert period >= 1 and first + period <= p.n_epochs_ + 1
    # the weight vectors at the start of epochs `first` and `first + period` coincide:
    # re-run for exactly that many epochs with cycle detection off and compare states
    def run(epochs):
        if epochs == 0:
            return np.zeros(3)
        q = Perceptron(shuffle=False, max_epochs=epochs, detect_cycles=False)
        return q.fit(X2, [0, 1, 1, 0]).weights_history_[-1]

    np.testing.assert_array_equal(run(first - 1 + period), run(first - 1))
    # and the weights stay bounded, visiting few distinct states
    H = p.weights_history_
    assert len({tuple(h) for h in H}) < len(H)


def test_xor_with_shuffling_does_not_converge_and_weights_repeat():
    p = Perceptron(shuffle=True, max_epochs=300).fit(X2, [0, 1, 1, 0], rng=0)
    assert not p.converged_ and p.n_epochs_ == 300 and p.cycle_ is None
    H = p.weights_history_
    distinct = {tuple(h) for h in H}
    # integer weights that stay in a small box must repeat: few states, visited many times
    assert np.abs(H).max() <= 3
    assert len(H) > 300 and len(distinct) <= 7**3 and len(distinct) < len(H) / 10


def test_novikoff_bound_on_separable_data():
    X, y = separable_blobs()
    mm = max_margin_direction(X, y)
    assert 0 < mm["gamma_lower"] <= mm["gamma_upper"] * (1 + 1e-9)
    assert mm["gamma_upper"] - mm["gamma_lower"] < 1e-6 * mm["gamma_upper"]
    nb = novikoff_bound(X, y, mm["u"])
    assert nb["gamma"] == pytest.approx(mm["gamma_lower"], rel=1e-12)
    np.testing.assert_allclose(nb["R"], np.max(np.linalg.norm(augment(X), axis=1)))
    for seed in range(10):
        p = Perceptron(shuffle=True, max_epochs=10_000).fit(X, y, rng=seed)
        assert p.converged_
        assert 0 < p.n_corrections_ <= nb["bound"]
    # a worse (but valid) separator gives a larger, still valid bound
    worse = novikoff_bound(X, y, [1.0, 1.0, 1.0])
    assert worse["gamma"] <= mm["gamma_upper"] and worse["bound"] >= nb["bound"] * (1 - 1e-9)


def test_novikoff_bound_refuses_a_zero_margin():
    """u = (w, w0) = (1, 0) puts the object x = 0 on the hyperplane: gamma = 0 is no separator
    (the bound (R/gamma)^2 would be infinite)."""
    with pytest.raises(ValueError, match=r"u does not separate the data: its margin is 0 <= 0"):
        novikoff_bound([[0.0], [2.0]], [-1, 1], [1.0, 0.0])
    assert novikoff_bound([[0.0], [2.0]], [-1, 1], [1.0, 1.0])["gamma"] == pytest.approx(
        1 / np.sqrt(2), rel=1e-15)  # shifted by w0 = 1 it separates with margin 1/sqrt(2)


def test_max_margin_against_sklearn():
    from sklearn.svm import LinearSVC

    X, y = separable_blobs()
    mm = max_margin_direction(X, y)
    svc = LinearSVC(C=1e6, loss="hinge", fit_intercept=False, tol=1e-10, max_iter=1_000_000,
                    dual=True).fit(augment(X), y)
    v = svc.coef_.ravel()
    ys = 2 * y - 1
    gamma_sk = np.min(ys * (augment(X) @ v)) / np.linalg.norm(v)
    # sklearn's solution is a separator: its margin cannot beat the certified upper bound
    assert gamma_sk <= mm["gamma_upper"] * (1 + 1e-9)
    # and agrees with ours to solver tolerance (loose: liblinear stops early)
    assert gamma_sk == pytest.approx(mm["gamma_lower"], rel=1e-3)


def test_max_margin_rejects_non_separable():
    # XOR: the certificate |v| / sum(alpha) >= gamma* falls below 1e-3 R within a few
    # hundred sweeps, long before max_iter
    with pytest.raises(ValueError, match=r"not linearly separable through the origin.*"
                                         r"diverges \(after (\d{2,3}) sweeps\)"):
        max_margin_direction(X2, [0, 1, 1, 0])


def test_max_margin_of_and_is_one_over_sqrt17():
    mm = max_margin_direction(X2, [0, 0, 0, 1])
    assert mm["gamma_lower"] == pytest.approx(1 / np.sqrt(17), rel=1e-9)
    assert mm["gamma_upper"] == pytest.approx(1 / np.sqrt(17), rel=1e-6)


def test_max_margin_rejects_a_margin_below_1e_3_R():
    # separable through the origin by u = (0, 1, 0), but only with margin 1e-4 (R ~ sqrt 2)
    X = np.array([[1.0, 1e-4], [1.0, -1e-4]])
    with pytest.raises(ValueError, match=r"or only with a margin gamma\* <= "):
        max_margin_direction(X, [1, 0])


def test_bad_input():
    with pytest.raises(ValueError, match=(r"y must hold labels in \{-1, \+1\} or in \{0, 1\}, "
                                          r"got the values \[0.0, 1.0, 2.0\]")):
        Perceptron().fit(X2, [0, 1, 2, 0])
    with pytest.raises(ValueError, match=(r"y must hold one label per row of X: "
                                          r"shape \(4,\), got \(3,\)")):
        Perceptron().fit(X2, [0, 1, 1])
    with pytest.raises(ValueError, match="eta must be > 0, got -1"):
        Perceptron(eta=-1)
    with pytest.raises(ValueError, match="max_epochs must be >= 1, got 0"):
        Perceptron(max_epochs=0)
    with pytest.raises(TypeError, match="max_epochs must be an int"):
        Perceptron(max_epochs=1.5)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator or an int seed"):
        Perceptron().fit(X2, [0, 0, 0, 1], rng="seed")
    with pytest.raises(RuntimeError, match="not fitted yet"):
        Perceptron().predict(X2)
    p = Perceptron().fit(X2, [0, 0, 0, 1])
    with pytest.raises(ValueError, match=(r"X in a neuron with 2 weights must have "
                                          r"shape \(n, 2\), got \(4, 3\)")):
        p.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="u does not separate the data"):
        novikoff_bound(X2, [0, 0, 0, 1], [-1.0, -1.0, -1.5])
    with pytest.raises(ValueError, match=(r"u in novikoff_bound .* must have "
                                          r"shape \(3,\), got \(2,\)")):
        novikoff_bound(X2, [0, 0, 0, 1], [1.0, 1.0])


def test_flags_and_numbers_are_checked_and_repr():
    with pytest.raises(TypeError, match="shuffle must be True or False, got 'no'"):
        Perceptron(shuffle="no")  # was bool('no') == True
    with pytest.raises(TypeError, match="detect_cycles must be True or False, got 0"):
        Perceptron(detect_cycles=0)
    p = Perceptron(eta=0.5, max_epochs=7, shuffle=False)
    assert repr(p) == "Perceptron(eta=0.5, max_epochs=7, shuffle=False)"
    p.fit(X2, [0, 0, 0, 1])
    assert repr(p) == "Perceptron(eta=0.5, max_epochs=7, shuffle=False, fitted on 2 features)"
    with pytest.raises(TypeError, match="max_iter must be an int, got 'a'"):
        max_margin_direction(X2, [0, 0, 0, 1], max_iter="a")
    with pytest.raises(ValueError, match="tol must be > 0, got -1"):
        max_margin_direction(X2, [0, 0, 0, 1], tol=-1)


def test_max_margin_returns_its_multipliers():
    """alpha >= 0 with v = sum_i alpha_i y_i x~_i along u, and gamma_upper = 1/sqrt(2 D(alpha))."""
    X, y = separable_blobs()
    mm = max_margin_direction(X, y)
    Z = augment(X) * (2 * np.asarray(y) - 1)[:, None]
    a = mm["alpha"]
    assert a.shape == (len(X),) and np.all(a >= 0) and np.count_nonzero(a) >= 2
    v = a @ Z
    np.testing.assert_allclose(v / np.linalg.norm(v), mm["u"], rtol=0, atol=1e-12)
    dual = a.sum() - v @ v / 2
    assert mm["gamma_upper"] == pytest.approx(1 / np.sqrt(2 * dual), rel=1e-12)
