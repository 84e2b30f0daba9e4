"""The KAN layer: gradients by finite differences, SymPy and PyTorch autograd (a KAN layer of
the same parametrization written in torch here, never in the package); Network, fit,
optimizers, save/load, float32; grid update and extension keep the function; the policy
outside the grid; reproducibility; bad input."""

import numpy as np
import pytest
import torch

import lecturenn as ln
from lecturenn import kan as K
from lecturenn.derivations import kan as DK
from lecturenn.gradcheck import check_gradients
from lecturenn.losses import SquaredError
from lecturenn.optim import Adam
from lecturenn.splines import extend_grid, uniform_grid


def toy(n, seed=0):
    """Liu et al.'s toy function f(x, y) = exp(sin(pi x) + y^2) on [-1, 1]^2."""
    X = np.random.default_rng(seed).uniform(-1, 1, size=(n, 2))
    return X, np.exp(np.sin(np.pi * X[:, :1]) + X[:, 1:] ** 2)


# ------------------------------------------------------------------------------ gradients


@pytest.mark.parametrize("init", ["paper", "pykan"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_finite_differences_all_parameters(init, k):
    net = K.KAN([2, 3, 2], G=4, k=k, init=init, rng=1)
    X = np.random.default_rng(2).uniform(-1.2, 1.2, size=(15, 2))  # the extension too
    y = np.random.default_rng(3).normal(size=(15, 2))
    rep = check_gradients(net, X, y, SquaredError())
    # central differences with eps = 1e-5 on a piecewise cubic: error ~ eps^2 f''' ~ 1e-10,
    # relative to gradients of O(0.1); 1e-6 is far above that and far below a formula error
    assert max(rep.errors.values()) < 1e-6, rep


def test_input_gradient_by_finite_differences():
    layer = K.KANLayer(3, 2, G=5, k=3, rng=4)
    x = np.random.default_rng(5).uniform(-1.3, 1.3, size=(7, 3))
    g = np.random.default_rng(6).normal(size=(7, 2))
    layer.forward(x)
    gx = layer.backward(g)
    h = 1e-6
    fd = np.zeros_like(x)
    for n in range(7):
        for i in range(3):
            xp, xm = x.copy(), x.copy()
            xp[n, i] += h
            xm[n, i] -= h
            fd[n, i] = np.sum((layer.forward(xp) - layer.forward(xm)) * g) / (2 * h)
    # h = 1e-6: truncation h^2 |phi'''| ~ 1e-11, rounding 1e-16/h ~ 1e-10
    np.testing.assert_allclose(gx, fd, atol=1e-8)


def test_input_gradient_without_need():
    layer = K.KANLayer(2, 2, rng=0)
    layer.forward(np.zeros((3, 2)))
    assert layer.backward(np.ones((3, 2)), need_input_grad=False) is None
    assert layer.c.grad.shape == (2, 2, 8)


def test_sympy_tiny_layer():
    assert DK.check_layer_gradients() is True
    assert DK.check_numeric_agreement() is True
    assert not DK.layer_gradients("no_ws")["holds"]


def _torch_basis(x, t, k):
    """Cox-de Boor in torch, differentiable in x; x (n, d), t (d, K)."""
    xe = x[..., None]
    B = ((xe >= t[:, :-1]) & (xe < t[:, 1:])).to(x.dtype)
    for p in range(1, k + 1):
        B = ((xe - t[:, : -p - 1]) / (t[:, p:-1] - t[:, : -p - 1]) * B[..., :-1]
             + (t[:, p + 1:] - xe) / (t[:, p + 1:] - t[:, 1:-p]) * B[..., 1:])
    return B


def _torch_kan_layer(x, t, k, c, w_b, w_s):
    B = _torch_basis(x, t, k)
    return torch.nn.functional.silu(x) @ w_b + torch.einsum("nim,ijm,ij->nj", B, c, w_s)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_against_torch_autograd(dtype, tol):
    # tolerances: float64 rounding of sums of ~50 terms of O(1); float32 the same at 1e-7
    layer = K.KANLayer(3, 4, G=5, k=3, rng=7, dtype=dtype)
    x = np.random.default_rng(8).uniform(-1.4, 1.4, size=(32, 3)).astype(dtype)
    g = np.random.default_rng(9).normal(size=(32, 4)).astype(dtype)
    out = layer.forward(x)
    gx = layer.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    ct = torch.tensor(layer.c.data, requires_grad=True)
    wbt = torch.tensor(layer.w_b.data, requires_grad=True)
    wst = torch.tensor(layer.w_s.data, requires_grad=True)
    yt = _torch_kan_layer(xt, torch.tensor(layer.knots), 3, ct, wbt, wst)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(out, yt.detach().numpy(), atol=tol, rtol=tol)
    for mine, ref in [(gx, xt), (layer.c.grad, ct), (layer.w_b.grad, wbt),
                      (layer.w_s.grad, wst)]:
        assert mine.dtype == dtype
        np.testing.assert_allclose(mine, ref.grad.numpy(), atol=tol * 10, rtol=tol * 10)


# ------------------------------------------------------------------------------ network


def test_training_reduces_the_loss_and_is_reproducible():
    X, y = toy(200)

    def run():
        net = K.KAN([2, 5, 1], G=5, k=3, rng=0)
        opt = Adam(net.parameters(), lr=0.02)
        losses = []
        for _ in range(150):
            losses.append(net.loss_and_grad(X, y, SquaredError()))
            opt.step()
        return net, losses

    net1, l1 = run()
    net2, l2 = run()
    assert l1 == l2  # same seed, same machine: bit-identical
    for a, b in zip(net1.parameters(), net2.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    assert l1[-1] < 0.05 * l1[0]


def test_fit_and_save_load(tmp_path):
    X, y = toy(100)
    net = K.KAN([2, 3, 1], G=4, k=3, rng=3)
    ln.fit(net, X, y, loss="squared", optimizer=Adam(net.parameters(), lr=0.01), epochs=3,
           batch_size=25, rng=0)
    K.update_network_grids(net, X)
    path = ln.save(net, tmp_path / "kan.npz")
    net2 = ln.load(path)
    np.testing.assert_array_equal(net.forward(X), net2.forward(X))
    assert net2.layers[0].config() == net.layers[0].config()


def test_parameter_shapes_match():
    layer = K.KANLayer(3, 2, G=6, k=2, rng=0)
    shapes = K.KANLayer.parameter_shapes({k: v for k, v in layer.config().items()
                                          if k != "type"})
    assert shapes == {p.name: p.data.shape for p in layer.parameters()}


def test_float32_end_to_end():
    net = K.KAN([2, 3, 1], rng=0, dtype=np.float32)
    X, y = toy(20)
    loss = net.loss_and_grad(X.astype(np.float32), y.astype(np.float32), SquaredError())
    assert np.isfinite(loss)
    assert all(p.grad.dtype == np.float32 for p in net.parameters())
    assert net.forward(X.astype(np.float32)).dtype == np.float32


# ------------------------------------------------------------------------------ grids


def test_refine_keeps_the_function():
    X, y = toy(300)
    net = K.KAN([2, 5, 1], G=3, k=3, rng=0)
    opt = Adam(net.parameters(), lr=0.02)
    for _ in range(100):
        net.loss_and_grad(X, y, SquaredError())
        opt.step()
    # uniform grids on the range of every layer's inputs (the hidden outputs leave [-1, 1])
    K.update_network_grids(net, X, grid_eps=1.0)
    before = net.forward(X)
    # G' a multiple of G on the same uniform grid: the old spline is a spline of the new
    # grid, so the refit is exact up to the rounding of least squares
    for G in (6, 9):
        np.testing.assert_allclose(K.refine_network(net, G, X).forward(X), before, atol=1e-10)
    # otherwise the outputs agree to the fit error, which falls as G' grows
    errs = [np.max(np.abs(K.refine_network(net, G, X).forward(X) - before)) for G in (10, 20, 40)]
    assert errs[0] < 1e-2 * np.ptp(before) and errs[2] < errs[1] < errs[0], errs
    fine = K.refine_network(net, 10, X)
    assert fine.layers[0].G == 10 and fine.n_params > net.n_params


def test_refine_loses_what_lies_beyond_the_new_extension():
    # the documented limit: inputs on the old extension but beyond the (shorter) new one
    layer = K.KANLayer(1, 1, G=2, k=3, rng=0)  # h = 1: the extension reaches [-4, 4]
    x = np.linspace(-3.5, 3.5, 200)[:, None]
    inside = x[np.abs(x[:, 0]) <= 1]
    exact = layer.refined(4, inside)
    np.testing.assert_allclose(exact.forward(inside), layer.forward(inside), atol=1e-10)
    fine = layer.refined(4, x)  # h' = 1/2: the new extension reaches [-2.5, 2.5]
    assert np.max(np.abs(fine.forward(x) - layer.forward(x))) > 1e-3


def test_refine_would_fail_with_the_scale_applied_twice():
    # the check can fail: multiplying the refitted coefficients by w_s once more (a double
    # rescale) changes the outputs by far more than the tolerance above
    X, _ = toy(200)
    net = K.KAN([2, 3, 1], G=3, k=3, rng=0)
    for lay in net.layers:
        lay.w_s.data[...] = 0.5
        lay.c.data[...] = np.random.default_rng(1).normal(size=lay.c.data.shape)
    fine = K.refine_network(net, 6, X)
    for lay in fine.layers:
        lay.c.data *= lay.w_s.data[:, :, None]
    assert np.max(np.abs(fine.forward(X) - net.forward(X))) > 0.1


def test_update_grid_moves_the_grid_and_keeps_the_function():
    rng = np.random.default_rng(0)
    X = rng.normal(0.3, 0.25, size=(500, 2))
    layer = K.KANLayer(2, 2, G=5, k=3, rng=1)
    before = layer.forward(X)
    layer.update_grid(X, grid_eps=0.02)
    lo, hi = layer.knots[:, 3], layer.knots[:, 3 + 5]
    np.testing.assert_allclose(lo, X.min(axis=0))
    np.testing.assert_allclose(hi, X.max(axis=0))
    err = np.max(np.abs(layer.forward(X) - before))
    # the old cubic on [-1, 1] refitted on a quantile grid of the samples: the fit error
    assert err < 1e-2 * np.ptp(before), err


def test_update_grid_refuses_degenerate_samples():
    layer = K.KANLayer(1, 1, G=5, rng=0)
    with pytest.raises(ValueError, match="strictly increasing"):
        layer.update_grid(np.zeros((10, 1)), grid_eps=0.0)


def test_out_of_grid_the_residual_carries_the_input():
    layer = K.KANLayer(1, 1, G=5, k=3, rng=0)  # extension reaches [-2.2, 2.2]
    x = np.array([[5.0], [10.0], [-7.0]])
    expected = ln.activations.SiLU().value(x) * layer.w_b.data[0, 0]
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-14)
    B = layer.basis(x)
    np.testing.assert_array_equal(B, 0.0)


def test_edge_scores_and_n_params():
    layer = K.KANLayer(2, 3, G=5, k=3, rng=0)
    X = np.random.default_rng(0).uniform(-1, 1, size=(50, 2))
    phi = layer.edge_values(X)
    np.testing.assert_allclose(phi.sum(axis=1), layer.forward(X), atol=1e-12)
    assert layer.edge_scores(X).shape == (2, 3)
    assert layer.n_params == sum(p.size for p in layer.parameters())


def test_inits_differ_as_documented():
    paper = K.KANLayer(16, 8, G=5, rng=0)
    pyk = K.KANLayer(16, 8, G=5, init="pykan", rng=0)
    np.testing.assert_array_equal(paper.w_s.data, 1.0)
    np.testing.assert_allclose(pyk.w_s.data, 0.25)
    assert np.max(np.abs(paper.w_b.data)) <= np.sqrt(6 / 24)
    assert np.max(np.abs(pyk.w_b.data)) <= 0.25
    # pykan's initial splines are tiny: a fit of noise of amplitude 0.5/G / 2 at 6 points
    xs = np.linspace(-1, 1, 101)[:, None].repeat(16, axis=1)
    assert np.max(np.abs(pyk.spline_values(xs))) < 0.1
    assert 0.05 < np.std(paper.c.data) < 0.15


@pytest.mark.parametrize("call, match", [
    (lambda: K.KANLayer(0, 1), "n_in"),
    (lambda: K.KANLayer(1, 1, G=0), "G of KANLayer"),
    (lambda: K.KANLayer(1, 1, k=-1), "k of KANLayer"),
    (lambda: K.KANLayer(1, 1, grid_range=(1, 1)), "low < high"),
    (lambda: K.KANLayer(1, 1, grid_range="ab"), "grid_range"),
    (lambda: K.KANLayer(1, 1, init="xavier"), "init of KANLayer"),
    (lambda: K.KANLayer(1, 1, noise_scale=-1), "noise_scale"),
    (lambda: K.KANLayer(1, 1, G=2, k=1, knots=[[0, 1, 2]]), "shape"),
    (lambda: K.KANLayer(1, 1, G=2, k=1, knots=[[0, 1, 1, 2, 3]]), "strictly"),
    (lambda: K.KANLayer.parameter_shapes({"n_in": 2}), "n_out"),
    (lambda: K.KANLayer.parameter_shapes({"n_in": 2, "n_out": 1, "W": 1}), "besides"),
    (lambda: K.KANLayer.parameter_shapes({"n_in": 1, "n_out": 1, "G": 2, "k": 1,
                                          "knots": [[0, 1]]}), "knots"),
    (lambda: K.KAN([2]), "widths"),
    (lambda: K.KAN([2, 0]), "widths\\[1\\]"),
    (lambda: K.refine_network(ln.Network([2, 1]), 5, np.zeros((3, 2))), "KANLayer"),
    (lambda: K.KANLayer(2, 1).refined(0, np.zeros((3, 2))), "G"),
    (lambda: K.KANLayer(2, 1).update_grid(np.zeros((3, 2)), grid_eps=2), "grid_eps"),
    (lambda: K.KANLayer(2, 1).update_grid(np.zeros((3, 3))), "x"),
])
def test_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_knots_given_are_used():
    t = extend_grid(uniform_grid(4, 0, 2), 3)[None, :]
    layer = K.KANLayer(1, 1, G=4, k=3, knots=t, rng=0)
    np.testing.assert_array_equal(layer.knots, t)
    assert "knots" in layer.config()


def _scaled_layer(seed=0):
    # w_s far from 1 and a spline part of size O(1): a scale applied twice is visible
    layer = K.KANLayer(2, 3, G=5, k=3, rng=seed)
    gen = np.random.default_rng(seed + 10)
    layer.c.data[...] = gen.normal(size=layer.c.data.shape)
    layer.w_s.data[...] = gen.uniform(0.3, 2.5, size=layer.w_s.data.shape)
    return layer


def test_update_grid_applies_w_s_once():
    # samples spanning exactly the current grid [-1, 1]: with grid_eps = 1 the new grid is the
    # old one, so the refit is exact; refitting w_s * spline (a double rescale, efficient-kan's
    # update_grid) would change the outputs by a factor w_s on the spline part
    layer = _scaled_layer()
    x = np.random.default_rng(1).uniform(-1, 1, size=(400, 2))
    x[0], x[1] = -1.0, 1.0
    before = layer.forward(x)
    layer.update_grid(x, grid_eps=1.0)
    np.testing.assert_allclose(layer.knots[:, 3:9], np.tile(np.linspace(-1, 1, 6), (2, 1)),
                               atol=1e-14)
    np.testing.assert_allclose(layer.forward(x), before, atol=1e-10)
    assert np.ptp(before) > 1 and np.max(np.abs(layer.w_s.data - 1)) > 0.3  # not trivial


def test_update_grid_error_is_the_refit_error_on_a_moved_grid():
    # a genuinely moved grid (quantiles of skewed samples): the new knots do not nest, so the
    # outputs change by the least-squares fit error: not rounding, but a fraction of the range
    # (for these wiggly random splines, c ~ N(0, 1), about a tenth)
    layer = _scaled_layer(2)
    x = np.random.default_rng(3).uniform(0, 1, size=(2000, 2)) ** 2 * 2 - 1
    before = layer.forward(x)
    layer.update_grid(x, grid_eps=0.02)
    err = np.max(np.abs(layer.forward(x) - before))
    assert 1e-3 * np.ptp(before) < err < 0.2 * np.ptp(before), err


def test_refined_grid_interpolates_the_current_grid():
    # the documented grid of refined: the piecewise-linear interpolation of the current grid
    # t_0..t_G at the positions j G / G' (pykan's initialize_grid_from_parent), not the
    # samples' range; on an adaptive (non-uniform) grid, G' = 2G then contains every old point
    layer = _scaled_layer(4)
    skew = np.random.default_rng(5).uniform(0, 1, size=(2000, 2)) ** 2 * 2 - 1
    layer.update_grid(skew, grid_eps=0.0)
    old = layer.knots[:, 3:3 + 6]
    assert np.ptp(np.diff(old, axis=1)) > 0.1  # non-uniform
    inside = skew[(skew[:, 0] > -0.5) & (skew[:, 1] > -0.5) & (skew[:, 0] < 0.5)
                  & (skew[:, 1] < 0.5)]  # narrower than the grid: the grid must not follow it
    fine = layer.refined(10, inside)
    np.testing.assert_allclose(fine.knots[:, 3:3 + 11:2], old, atol=1e-14)
    np.testing.assert_allclose(fine.knots[:, 4:3 + 11:2], (old[:, :-1] + old[:, 1:]) / 2,
                               atol=1e-14)
    # nested interior knots: exact inside [t_0, t_G] even on the non-uniform grid
    x_in = skew[np.all((skew >= old[:, 0]) & (skew <= old[:, -1]), axis=1)]
    np.testing.assert_allclose(layer.refined(10, x_in).forward(x_in), layer.forward(x_in),
                               atol=1e-9)
    # G' = 12, not a multiple of 5: only the fit error
    assert np.max(np.abs(layer.refined(12, x_in).forward(x_in) - layer.forward(x_in))) > 1e-6


# ------------------------------------------------------------------------------ fast path


def _general_twin(layer):
    """The same layer evaluated by the general (searchsorted, de Boor) path."""
    twin = K.KANLayer(layer.n_in, layer.n_out, G=layer.G, k=layer.k, knots=layer.knots,
                      dtype=layer.dtype)
    for p, q in zip(twin.parameters(), layer.parameters(), strict=True):
        p.data = q.data.copy()
    twin._uniform = None
    return twin


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_uniform_grid_path_agrees_with_the_general_path(k):
    # inputs inside the grid, on the extension, beyond the outer knots and at the knots
    layer = K.KANLayer(3, 4, G=5, k=k, rng=2)
    assert layer._uniform is not None
    twin = _general_twin(layer)
    rng = np.random.default_rng(7)
    x = rng.uniform(-4.0, 4.0, size=(60, 3))
    x[:12] = layer.knots[0, rng.integers(0, layer.knots.shape[1], size=(12, 3))]
    x[12, :] = [1e300, -1e300, 0.0]
    g = rng.normal(size=(60, 4))
    out, gx = layer.forward(x), layer.backward(g)
    out2, gx2 = twin.forward(x), twin.backward(g)
    # float64 sums of O(10) products of O(1): 1e-12 is far above rounding
    np.testing.assert_allclose(out, out2, atol=1e-12)
    np.testing.assert_allclose(gx, gx2, atol=1e-12)
    for p, q in zip(layer.parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad, atol=1e-12)
    # and against the dense basis of the splines module
    B = layer.basis(x)
    spl = np.einsum("nim,ijm->nj", B, layer.c.data * layer.w_s.data[:, :, None])
    silu = ln.activations.SiLU().value(x)
    np.testing.assert_allclose(out, silu @ layer.w_b.data + spl, atol=1e-12)


def test_which_grids_take_the_uniform_path():
    layer = K.KANLayer(2, 2, G=5, k=3, rng=0)
    assert layer._uniform is not None
    assert K.KANLayer(2, 2, G=5, k=1, rng=0)._uniform is None  # B' jumps at the knots
    X = np.random.default_rng(0).normal(0.2, 0.3, size=(200, 2))
    layer.update_grid(X, grid_eps=1.0)  # uniform on the samples' range
    assert layer._uniform is not None
    assert layer.refined(10, X)._uniform is not None  # extension of a uniform grid: uniform
    layer.update_grid(X, grid_eps=0.02)  # quantiles: not uniform
    assert layer._uniform is None
    assert layer.refined(10, X)._uniform is None  # refined interpolates the non-uniform grid
    f32 = K.KANLayer(2, 2, G=5, k=3, rng=0, dtype=np.float32)
    assert f32._uniform is not None and f32._uniform[1].dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_layer_holds_no_edge_sized_array(dtype):
    # what backward needs: the design matrix (n, n_in (G + k + 1)) and (k + 1, n n_in)
    # arrays, nothing of (n, n_out, n_in, G + k) (here 16 times the design matrix)
    n, d, q, G, k = 50, 4, 16, 5, 3
    layer = K.KANLayer(d, q, G=G, k=k, rng=0, dtype=dtype)
    layer.forward(np.random.default_rng(0).uniform(-1, 1, size=(n, d)).astype(dtype))
    held = [getattr(layer.cache, name) for name in K.KANCache.__slots__]
    assert all(a.dtype == dtype for a in held if a.dtype.kind == "f")
    assert max(a.size for a in held) <= n * d * (G + k + 1)
    assert sum(a.size for a in held) < n * q * d * (G + k) / 4
