"""The slide's claims on the shape of the losses: proved, and shown to fail on other shapes."""

import sympy as sp

from lecturenn.derivations import losses as D

e = sp.Symbol("e", real=True)
M = sp.Symbol("M", real=True)


def test_the_slides_losses_have_the_claimed_shapes():
    assert D.check_loss_shapes() is True


def test_a_loss_without_the_claimed_shape_fails():
    # not unimodal at 0: minimum elsewhere, or monotone
    assert D.check_loss_shapes(regression={"shifted": (e - 1) ** 2}) is False
    assert D.check_loss_shapes(regression={"cubic": e**3}) is False
    assert D.check_loss_shapes(regression={"offset": e**2 + 1}) is False  # L(0) != 0
    # increasing somewhere in M
    assert D.check_loss_shapes(margin={"square": (1 - M) ** 2}) is False
    assert D.check_loss_shapes(margin={"growing": sp.exp(M)}) is False
    # each family is checked on its own: a good margin set does not hide a bad regression one
    assert D.check_loss_shapes(regression={"cubic": e**3},
                               margin={"hinge": sp.Max(1 - M, 0)}) is False
