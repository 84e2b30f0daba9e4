"""lecturenn.init: the formulas, the laws of the samples, torch.nn.init, Dense/Network, derivations.

Distribution tests use the Kolmogorov-Smirnov distance D between an empirical CDF and the
law claimed (or a second sample). Under the claim, P(D > c / sqrt(n)) <= 2 exp(-2 c^2)
(Dvoretzky-Kiefer-Wolfowitz-Massart); c = 2.7 gives at most 9e-7 per test, so a failure
means the law is wrong, not bad luck. Each test also shows that the same check rejects a
wrong law of equal variance (the check can fail).
"""

import functools
import math

import numpy as np
import pytest
import torch

import lecturenn as ln
import lecturenn.derivations.init as dinit
from lecturenn import init as lninit
from lecturenn.init_diagnostics import signal_second_moments
from lecturenn.layers import INITS as LAYERS_INITS
from lecturenn.layers import Dense
from lecturenn.network import Network

C_KS = 2.7  # one-sample: P(false alarm) <= 2 exp(-2 * 2.7^2) = 9e-7


def ks_uniform(x, b):
    x = np.sort(np.ravel(x))
    n = x.size
    cdf = np.clip((x + b) / (2 * b), 0, 1)
    return max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))


_erf = np.vectorize(math.erf)


def ks_normal(x, s):
    x = np.sort(np.ravel(x))
    n = x.size
    cdf = 0.5 * (1 + _erf(x / (s * math.sqrt(2))))
    return max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))


def ks_two(a, b):
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.concatenate([a, b])
    return np.max(np.abs(np.searchsorted(a, grid, side="right") / a.size
                         - np.searchsorted(b, grid, side="right") / b.size))


N_IN, N_OUT = 400, 300  # 120000 draws per matrix

UNIFORM = {  # name -> (our sampler, its bound by the formula, torch's initialiser)
    "lecun_uniform": (lninit.lecun_uniform, math.sqrt(3 / N_IN),
                      lambda w: torch.nn.init.kaiming_uniform_(w, a=1.0)),  # gain 1
    "glorot_uniform": (lninit.glorot_uniform, math.sqrt(6) / math.sqrt(N_IN + N_OUT),
                       torch.nn.init.xavier_uniform_),
    "he_uniform": (lninit.he_uniform, math.sqrt(3) * math.sqrt(2 / N_IN),
                   lambda w: torch.nn.init.kaiming_uniform_(w, nonlinearity="relu")),
    "he_uniform_prelu": (functools.partial(lninit.he_uniform, a=0.25),
                         math.sqrt(3) * math.sqrt(2 / ((1 + 0.25**2) * N_IN)),
                         lambda w: torch.nn.init.kaiming_uniform_(w, a=0.25)),
    "he_uniform_fan_out": (functools.partial(lninit.he_uniform, mode="fan_out"),
                           math.sqrt(3) * math.sqrt(2 / N_OUT),
                           lambda w: torch.nn.init.kaiming_uniform_(w, mode="fan_out",
                                                                    nonlinearity="relu")),
}
NORMAL = {  # name -> (our sampler, its std by the formula, torch's initialiser)
    "lecun_normal": (lninit.lecun_normal, 1 / math.sqrt(N_IN),
                     lambda w: torch.nn.init.kaiming_normal_(w, a=1.0)),
    "glorot_normal": (lninit.glorot_normal, math.sqrt(2 / (N_IN + N_OUT)),
                      torch.nn.init.xavier_normal_),
    "he_normal": (lninit.he_normal, math.sqrt(2 / N_IN),
                  lambda w: torch.nn.init.kaiming_normal_(w, nonlinearity="relu")),
    "he_normal_prelu": (functools.partial(lninit.he_normal, a=0.25),
                        math.sqrt(2 / ((1 + 0.25**2) * N_IN)),
                        lambda w: torch.nn.init.kaiming_normal_(w, a=0.25)),
}


def torch_sample(init, seed=0):
    torch.manual_seed(seed)
    w = torch.empty(N_OUT, N_IN, dtype=torch.float64)  # torch's (out, in) layout
    init(w)
    return w.numpy().T  # our (in, out)


# -- the formulas -------------------------------------------------------------------------------
def test_formulas_equal_torch_gains_and_fans():
    """std and bound as derived; torch's calculate_gain and fans give the same numbers."""
    assert lninit.he_gain(0) == pytest.approx(torch.nn.init.calculate_gain("relu"), rel=1e-15)
    assert lninit.he_gain(0.25) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.25), rel=1e-15)
    w = torch.empty(N_OUT, N_IN)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(w)
    assert (fan_in, fan_out) == (N_IN, N_OUT)
    assert lninit.glorot_std(N_IN, N_OUT) == pytest.approx(math.sqrt(2 / (fan_in + fan_out)))
    assert lninit.he_std(N_IN) == pytest.approx(math.sqrt(2 / fan_in))
    assert lninit.he_std(N_IN, N_OUT, mode="fan_out") == pytest.approx(math.sqrt(2 / fan_out))
    assert lninit.uniform_bound(1.0) == pytest.approx(math.sqrt(3))
    # the derived forms, numerically from the SymPy results
    d = dinit.glorot_conditions()
    n, m = sorted(d["compromise"].free_symbols, key=str)[::-1]  # N_{l-1}, N_l
    assert float(d["compromise_bound"].subs({n: N_IN, m: N_OUT})) == pytest.approx(
        lninit.uniform_bound(lninit.glorot_std(N_IN, N_OUT)), rel=1e-14)


@pytest.mark.parametrize("name", sorted(UNIFORM))
def test_uniform_bounds_equal_torch(name):
    """torch's samples reach the bound of the formula and never pass it; ours too, same law.

    With 120000 draws, P(max |w| < (1 - 1e-4) b) = (1 - 1e-4)^120000 = 6e-6.
    """
    ours, b, theirs = UNIFORM[name]
    t = torch_sample(theirs)
    w = ours(N_IN, N_OUT, rng=0)
    for x in (t, w):
        assert np.abs(x).max() <= b * (1 + 1e-12)
        assert np.abs(x).max() >= b * (1 - 1e-4)
        assert ks_uniform(x, b) < C_KS / math.sqrt(x.size)
    assert ks_two(w, t) < C_KS * math.sqrt(2 / w.size)  # two-sample form of the same bound


@pytest.mark.parametrize("name", sorted(NORMAL))
def test_normal_std_equal_torch(name):
    """Sample std within 1% of the formula (its standard error is 1/sqrt(2n) = 0.2%); KS."""
    ours, s, theirs = NORMAL[name]
    t = torch_sample(theirs)
    w = ours(N_IN, N_OUT, rng=0)
    for x in (t, w):
        assert x.std() == pytest.approx(s, rel=0.01)
        assert abs(x.mean()) < 5 * s / math.sqrt(x.size)
        assert ks_normal(x, s) < C_KS / math.sqrt(x.size)
    assert ks_two(w, t) < C_KS * math.sqrt(2 / w.size)


def test_distribution_checks_can_fail():
    """The checks above reject a normal law of the right variance as uniform, and vice versa."""
    b = math.sqrt(3 / N_IN)
    w_normal = lninit.lecun_normal(N_IN, N_OUT, rng=0)
    w_uniform = lninit.lecun_uniform(N_IN, N_OUT, rng=0)
    assert ks_uniform(w_normal, b) > 3 * C_KS / math.sqrt(w_normal.size)
    assert ks_normal(w_uniform, b / math.sqrt(3)) > 3 * C_KS / math.sqrt(w_normal.size)
    assert ks_two(w_normal, w_uniform) > 3 * C_KS * math.sqrt(2 / w_normal.size)
    # and a bound 5% too large is caught by the max test
    assert np.abs(w_uniform).max() < (1.05 * b) * (1 - 1e-4)
    # glorot with the slide's 6 instead of sqrt 6 is caught against torch
    slide = lninit.scaled_uniform(lambda n, m: 6 / math.sqrt(n + m))(N_IN, N_OUT, rng=0)
    t = torch_sample(torch.nn.init.xavier_uniform_)
    assert ks_two(slide, t) > 0.25  # exactly (1 - 1/sqrt 6)/2 = 0.296 between the two laws


@pytest.mark.parametrize("shape", [(300, 200), (200, 300), (50, 50)])
def test_orthogonal_is_orthonormal_with_gain(shape):
    n_in, n_out = shape
    g = 1.7
    W = lninit.orthogonal(n_in, n_out, rng=3, gain=g)
    assert W.shape == shape
    G = W.T @ W if n_in >= n_out else W @ W.T
    # float64 Householder QR: orthonormal to ~ n eps; 1e-12 leaves a margin of 100 for n = 300
    assert np.abs(G - g * g * np.eye(min(shape))).max() < 1e-12
    s = np.linalg.svd(W, compute_uv=False)
    assert np.abs(s - g).max() < 1e-12


def _sphere_coordinate_cdf(t, n=4):
    """CDF of one coordinate of a uniform unit vector of R^4: density (2/pi) sqrt(1 - t^2)."""
    assert n == 4
    t = np.clip(t, -1, 1)
    return 0.5 + (t * np.sqrt(1 - t * t) + np.arcsin(t)) / np.pi


def _ks_law(x, cdf):
    x = np.sort(np.ravel(x))
    n = x.size
    F = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - F), np.max(F - np.arange(n) / n))


def test_orthogonal_sign_fix_gives_haar_law():
    """Each column of a Haar-distributed Q is a uniform unit vector, so every entry, the diagonal
    ones too, has the law of one coordinate of it; LAPACK's raw Q does not.

    4 x 4 matrices, 3000 draws, the 4 diagonal entries Q_jj pooled per source (12000 values): the
    one-sample KS distance to the exact law (density (2/pi) sqrt(1 - t^2) on [-1, 1]) must stay
    below C_KS / sqrt(n) for ours and for torch.nn.init.orthogonal_ (the DKW bound: 9e-7 false
    alarms; the pooled values are not independent across one matrix, so the bound is applied to
    the 3000 matrices, the conservative count). The raw QR factor (no sign fix) has Q_11 < 0
    always (LAPACK's dlarfg makes r_11 = -sign(g_11) ||g_1||, by its specification): its diagonal
    fails by far. (Pooled entries of a 200 x 200 matrix could not tell: about n of the n^2
    entries are biased, a CDF shift of at most 1/n = 0.005 against a KS bound of 0.019; that
    comparison with torch is kept for the scale only, with a wrong scale shown to fail.)
    """
    rng = np.random.default_rng(0)
    M = 3000
    ours = np.array([np.diag(lninit.orthogonal(4, 4, rng=rng)) for _ in range(M)])
    torch.manual_seed(0)
    theirs = []
    for _ in range(M):
        t = torch.empty(4, 4, dtype=torch.float64)
        torch.nn.init.orthogonal_(t)
        theirs.append(np.diag(t.numpy()))
    raw = np.array([np.diag(np.linalg.qr(rng.normal(size=(4, 4)))[0]) for _ in range(M)])
    bound = C_KS / math.sqrt(M)
    assert _ks_law(ours, _sphere_coordinate_cdf) < bound
    assert _ks_law(np.array(theirs), _sphere_coordinate_cdf) < bound
    assert _ks_law(raw, _sphere_coordinate_cdf) > 3 * bound  # the check can fail
    assert np.all(raw[:, 0] < 0)  # what the fix corrects
    # sign of Q_11 over draws: Binomial(3000, 1/2), SD 27; +-200 is 7 SD
    assert abs(int(np.sum(ours[:, 0] > 0)) - M // 2) < 200
    # the scale against torch at n = 200 (entries of about N(0, 1/n)): two-sample KS
    torch.manual_seed(0)
    t = torch.empty(200, 200, dtype=torch.float64)
    torch.nn.init.orthogonal_(t)
    w = lninit.orthogonal(200, 200, rng=0)
    assert ks_two(w, t.numpy()) < C_KS * math.sqrt(2 / w.size)
    assert ks_two(2 * w, t.numpy()) > 3 * C_KS * math.sqrt(2 / w.size)


def test_standard_bound_shrinks_the_signal_by_a_third_per_layer():
    """Erratum «item 1: the bound»: U(+-1/sqrt(N_{l-1})) has Var w = 1/(3 N_{l-1}).

    Linear layers (the regime of the erratum), width 200, 10 layers, 256 Gaussian inputs,
    zero thresholds, 5 seeds: the second moment of x^l is multiplied by 1/3 per layer with the
    slide's bound, by 1 with U(+-sqrt(3/N_{l-1})). Per layer E(x^l)^2 / E(x^{l-1})^2 is a mean of
    200 x 256 products, relative SD about sqrt(2/200) = 0.1 per layer and seed; the geometric
    mean of the 10 layer ratios has relative SD about 0.03: 15% is 5 SD. The slide's printed N_l
    (fan-out) with N_{l-1} != N_l: a layer 400 -> 100 multiplies by N_{l-1}/(3 N_l) = 4/3.
    """
    slide = lninit.scaled_uniform(lambda n, m: 1 / math.sqrt(n))
    for seed in range(5):
        X = np.random.default_rng(seed).normal(size=(256, 200))
        for init, per_layer in ((slide, 1 / 3), ("lecun_uniform", 1.0)):
            net = Network([200] * 11, activation="identity", init=init, rng=seed)
            m = signal_second_moments(net, X)
            ratio = math.exp(np.mean(np.log(m[1:] / m[:-1])))
            assert ratio == pytest.approx(per_layer, rel=0.15)
    fan_out = lninit.scaled_uniform(lambda n, m: 1 / math.sqrt(m))  # the slide's N_l, literally
    X = np.random.default_rng(0).normal(size=(256, 400))
    r = [np.mean(Network([400, 100], activation="identity", init=fan_out, rng=s).forward(X) ** 2)
         / np.mean(X**2) for s in range(5)]
    assert np.mean(r) == pytest.approx(4 / 3, rel=0.1)  # 400 inputs, 100 neurons


def test_quarter_circle_mean_against_samples():
    """Mean singular value of an n x n matrix with i.i.d. N(0, 1/n) entries: 8/(3 pi) = 0.849.

    n = 400, 5 matrices: the finite-n deviation of the mean singular value was measured below
    0.003 (it is O(1/n)); 0.01 is the tolerance. The standard bound U(+-1/sqrt n) gives 0.490.
    """
    d = dinit.quarter_circle_mean()
    mean, standard = float(d["mean"]), float(d["mean_standard"])
    for seed in range(5):
        s = np.linalg.svd(lninit.lecun_normal(400, 400, rng=seed), compute_uv=False)
        assert abs(s.mean() - mean) < 0.01
        u = lninit.scaled_uniform(lambda n, m: 1 / math.sqrt(n))(400, 400, rng=seed)
        assert abs(np.linalg.svd(u, compute_uv=False).mean() - standard) < 0.01
    assert abs(mean - 1.0) > 0.1  # the Jacobian is not an isometry even at Var w = 1/n


# -- Dense and Network ------------------------------------------------------------------------
def test_inits_moved_and_old_names_unchanged():
    assert LAYERS_INITS is lninit.INITS
    for old in ("uniform", "xavier", "glorot", "he", "zeros"):
        assert old in lninit.INITS
    # the draws of the old names, as the earlier chapters print them
    rng = np.random.default_rng(7)
    expected = rng.uniform(-1 / np.sqrt(4), 1 / np.sqrt(4), size=(5, 3))
    np.testing.assert_array_equal(Dense(4, 3, rng=7).W.data, expected)
    rng = np.random.default_rng(7)
    expected = rng.normal(0, np.sqrt(2 / 4), size=(5, 3))
    expected[0] = 0
    np.testing.assert_array_equal(Dense(4, 3, init="he", rng=7).W.data, expected)


@pytest.mark.parametrize("name", ["lecun_uniform", "lecun_normal", "glorot_uniform",
                                  "glorot_normal", "he_uniform", "he_normal", "orthogonal"])
def test_dense_takes_every_name(name):
    layer = Dense(6, 4, "relu", init=name, rng=2, dtype=np.float32)
    W = layer.W.data
    assert W.dtype == np.float32 and W.shape == (7, 4)
    assert np.all(W[0] == 0)  # zero thresholds
    sampler = getattr(lninit, name)
    np.testing.assert_allclose(W[1:], sampler(6, 4, rng=2), rtol=1e-6)  # float32 rounding


def test_dense_and_network_take_a_callable():
    prelu_init = functools.partial(lninit.he_normal, a=0.25)
    layer = Dense(5, 3, init=prelu_init, rng=1)
    np.testing.assert_array_equal(layer.W.data[1:], lninit.he_normal(5, 3, rng=1, a=0.25))
    full = Dense(2, 2, init=lambda n, m, rng: np.ones((n + 1, m)))
    assert np.all(full.W.data == 1)  # a whole matrix: thresholds too
    net = Network([4, 8, 8, 2], activation="relu", init=lninit.orthogonal, rng=0)
    W1 = net.layers[1].W.data[1:]
    assert np.abs(W1.T @ W1 - np.eye(8)).max() < 1e-12
    assert net.layers[0].W.data[0].tolist() == [0.0] * 8


def test_init_errors_name_the_argument():
    with pytest.raises(ValueError, match="unknown init 'lecun'"):
        Dense(2, 3, init="lecun")
    with pytest.raises(TypeError, match="init must be a name .* or a callable"):
        Dense(2, 3, init=3)
    with pytest.raises(ValueError, match=r"must return an array of shape \(2, 3\)"):
        Dense(2, 3, init=lambda n, m, rng: np.zeros((3, 2)))
    with pytest.raises(ValueError, match="the array returned by init .*finite"):
        Dense(2, 3, init=lambda n, m, rng: np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="n_in must be >= 1"):
        lninit.he_normal(0, 3)
    with pytest.raises(ValueError, match="mode must be one of"):
        lninit.he_normal(3, 3, mode="fan")
    with pytest.raises(ValueError, match="gain must be"):
        lninit.orthogonal(3, 3, gain=-1)
    with pytest.raises(TypeError, match="rng must be"):
        lninit.glorot_uniform(3, 3, rng="x")
    with pytest.raises(TypeError, match="a must be"):
        lninit.he_gain("0.1")
    with pytest.raises(ValueError, match="mode='fan_out' needs n_out"):
        lninit.he_std(3, mode="fan_out")
    with pytest.raises(TypeError, match="bound must be a function"):
        lninit.scaled_uniform(3)
    with pytest.raises(ValueError, match="bound\\(n_in, n_out\\) must be"):
        lninit.scaled_uniform(lambda n, m: -1.0)(2, 2)


def test_he_keeps_the_signal_through_30_relu_layers():
    """He et al. (2015), Fig. 2 in numbers: E x^2 after 30 ReLU layers of width 256.

    With Var w = 2/n the log of the ratio of second moments is a sum of 30 per-layer
    fluctuations; over seeds its SD was measured 0.47 (12 seeds). So: each seed within a
    factor 10 (4.9 SD), the geometric mean of 5 seeds within a factor 3 (5 SD of the mean).
    With 1/n it is halved per layer, (1/2)^30 = 9e-10, below 1e-6 on every seed (15 SD).
    """
    he, lecun = [], []
    for seed in range(5):
        X = np.random.default_rng(seed).normal(size=(64, 256))
        for name, out in (("he_normal", he), ("lecun_normal", lecun)):
            net = Network([256] * 31, activation="relu", output="relu", init=name, rng=seed)
            out.append(np.mean(net.forward(X) ** 2) / np.mean(X**2))
    assert all(0.1 < r < 10 for r in he)
    assert 1 / 3 < math.exp(np.mean(np.log(he))) < 3
    assert max(lecun) < 1e-6


# -- the derivations ------------------------------------------------------------------------
@pytest.mark.parametrize("check", [n for n in dinit.__all__ if n.startswith("check_")])
def test_derivation_checks_hold(check):
    assert getattr(dinit, check)() is True


def test_derivations_fail_when_broken():
    import sympy as sp

    d = dinit.uniform_variance()
    assert not dinit.is_zero(d["variance"] - d["a"] ** 2 / 2)
    f = dinit.layer_fans(4, 7)
    assert (f["forward_fan"], f["backward_fan"]) == (4, 7)
    with pytest.raises(ValueError, match="must differ"):
        dinit.layer_fans(3, 3)
    g = dinit.glorot_conditions()
    assert g["slide_item2_factor"] != 1 and g["slide_item1_factor"] != 1
    p = dinit.prelu_second_moment()
    a = sp.Symbol("a", real=True)
    m = p["moments"]["normal"]
    assert not dinit.is_zero(m["prelu"] - (1 + a) / 2 * m["m2"])  # a, not a^2
    # the expectation helper: wrong moments give a wrong answer
    w = sp.Symbol("w")
    assert dinit.expectation(w**2, {w: lambda k: {1: 0, 2: 5}[k]}) == 5


def test_derivations_against_monte_carlo():
    """Each formula against 10^6 draws: within 6 standard errors."""
    rng = np.random.default_rng(0)
    n, N = 5, 1_000_000
    w = rng.uniform(-0.3, 0.3, size=(N, n))
    x = rng.normal(0.7, 0.5, size=(N, n))  # non-zero mean: the second moment enters
    S = (w * x).sum(axis=1)
    var_formula = n * (0.3**2 / 3) * (0.5**2 + 0.7**2)
    se = S.var() * math.sqrt(2 / N) * 3  # heavy-ish tails: a generous 3x on the Gaussian SE
    assert abs(S.var() - var_formula) < 6 * se
    s = rng.normal(0, 1.3, size=N)
    prelu = np.maximum(s, 0) + 0.25 * np.minimum(s, 0)
    target = (1 + 0.25**2) / 2 * 1.3**2
    assert abs(np.mean(prelu**2) - target) < 6 * np.std(prelu**2) / math.sqrt(N)
    # gaussian products: Var ||P x||^2 = (1 + 2/n)^L - 1, n = 8, L = 6, 10^5 draws
    n, L, M = 8, 6, 100_000
    v = np.zeros((M, n))
    v[:, 0] = 1
    for _ in range(L):
        W = rng.normal(0, 1 / math.sqrt(n), size=(M, n, n))
        v = np.einsum("mij,mj->mi", W, v)
    q = (v**2).sum(axis=1)
    assert abs(q.mean() - 1) < 6 * q.std() / math.sqrt(M)
    # the variance estimate of a heavy-tailed q has a relative SE of 4% here (from the
    # moments E (chi2_8/8)^k): 25% is 6 SE
    assert q.var() == pytest.approx((1 + 2 / n) ** L - 1, rel=0.25)


def test_top_level_exposes_the_module():
    assert ln.init is lninit
