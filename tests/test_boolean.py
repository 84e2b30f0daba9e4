"""Tests of lecturenn.boolean: AND/OR/NOT neurons, DNF compilation, the XOR constructions."""

from itertools import product

import numpy as np
import pytest

from lecturenn.boolean import (
    ThresholdNetwork,
    and_neuron,
    as_truth_table,
    compile_dnf,
    not_neuron,
    or_neuron,
    truth_table,
    truth_table_inputs,
    xor_feature_neuron,
    xor_features,
    xor_network,
)

X2 = truth_table_inputs(2)


def test_standard_order():
    assert truth_table_inputs(2).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    # row k is the binary expansion of k, x^1 the most significant bit, for n = 3
    X3 = truth_table_inputs(3)
    assert [int("".join(map(str, r)), 2) for r in X3] == list(range(8))
    assert truth_table_inputs(0).shape == (1, 0)


def test_truth_table_of_callable():
    assert truth_table(lambda x: x[0] and not x[1], 2).tolist() == [0, 0, 1, 0]
    assert truth_table(lambda x: sum(x) >= 2, 3).tolist() == [0, 0, 0, 1, 0, 1, 1, 1]


def test_and_or_not_on_full_truth_table():
    assert and_neuron()(X2).tolist() == [int(a and b) for a, b in X2]
    assert or_neuron()(X2).tolist() == [int(a or b) for a, b in X2]
    assert not_neuron()(np.array([[0], [1]])).tolist() == [1, 0]


def test_weights_match_the_exact_derivation():
    from lecturenn.derivations.neurons import boolean_weights

    derived = boolean_weights()
    for name, neuron in (("AND", and_neuron()), ("OR", or_neuron()), ("NOT", not_neuron())):
        assert neuron.w.data.tolist() == [float(v) for v in derived[name]["w"]]
        assert float(neuron.w0.data) == float(derived[name]["w0"])


def _all_tables(n):
    return [np.array(t) for t in product((0, 1), repeat=2**n)]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_compile_dnf_exhaustive(n):
    X = truth_table_inputs(n)
    tables = _all_tables(n)
    assert len(tables) == 2 ** (2**n)  # 4, 16, 256 functions
    for table in tables:
        net = compile_dnf(table, n)
        assert net(X).tolist() == table.tolist()
        ones = int(table.sum())
        expected_hidden = 0 if ones == 2**n else ones
        assert net.n_hidden == expected_hidden <= 2**n - 1
        if net.n_hidden:
            assert set(np.unique(net.W)) <= {-1.0, 1.0}
            # threshold = number of positive literals - 1/2
            np.testing.assert_array_equal(net.b, (net.W == 1).sum(axis=1) - 0.5)
            # hidden neuron r fires exactly at its own row
            H = net.hidden(X)
            assert (H.sum(axis=0) == 1).all() and (H.sum(axis=1) <= 1).all()


def test_compile_dnf_from_callable_and_constants():
    maj = compile_dnf(lambda x: sum(x) >= 2, 3)
    assert maj.n_hidden == 4
    assert maj(truth_table_inputs(3)).tolist() == [0, 0, 0, 1, 0, 1, 1, 1]
    zero, one = compile_dnf([0] * 8, 3), compile_dnf([1] * 8, 3)
    assert zero.n_hidden == one.n_hidden == 0
    assert zero(truth_table_inputs(3)).tolist() == [0] * 8
    assert one(truth_table_inputs(3)).tolist() == [1] * 8


def test_parity_needs_2_to_the_n_minus_1_minterms():
    for n in range(1, 7):
        net = compile_dnf(lambda x: sum(x) % 2, n)
        assert net.n_hidden == 2 ** (n - 1)
        assert net(truth_table_inputs(n)).tolist() == [sum(r) % 2 for r in truth_table_inputs(n)]


def test_broken_dnf_network_fails():
    net = compile_dnf([0, 1, 1, 0], 2)
    net.b = net.b + 1.0  # threshold = number of positive literals + 1/2: never fires at r
    assert net(X2).tolist() != [0, 1, 1, 0]


def test_xor_constructions():
    assert xor_features(X2).tolist() == [[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 1]]
    assert xor_feature_neuron()(X2).tolist() == [0, 1, 1, 0]
    net = xor_network()
    assert net.n_hidden == 2
    assert net.hidden(X2).tolist() == [[0, 0], [1, 0], [1, 0], [1, 1]]  # (OR, AND)
    assert net(X2).tolist() == [0, 1, 1, 0]
    net.v = np.array([1.0, 1.0])  # (x1 or x2) + (x1 and x2) - 1/2: that is OR, not XOR
    assert net(X2).tolist() == [0, 1, 1, 1]


def test_bad_input():
    with pytest.raises(ValueError, match=(r"table must have 2\*\*n = 8 entries for "
                                          r"n = 3 variables, got 4")):
        as_truth_table([0, 1, 1, 0], 3)
    with pytest.raises(ValueError, match=r"table must be Boolean \(0/1 or False/True\), got 2"):
        compile_dnf([0, 2, 1, 0], 2)
    with pytest.raises(ValueError, match=r"table must be Boolean .* got 0.5 at index \(1,\)"):
        compile_dnf([0, 0.5, 1, 0], 2)
    with pytest.raises(ValueError, match=(r"f\(x\) \(the values of the Boolean "
                                          r"function\) must be Boolean")):
        truth_table(lambda x: 3, 2)
    with pytest.raises(TypeError, match="n .* must be an int, got 2.0"):
        compile_dnf([0, 1, 1, 0], 2.0)
    with pytest.raises(ValueError, match=r"n .* must lie in \[0, 20\], got -1"):
        truth_table_inputs(-1)
    with pytest.raises(ValueError, match=(r"X in a network with 2 inputs must have "
                                          r"shape \(n, 2\), got \(4, 3\)")):
        xor_network()(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=(r"X in xor_features must have shape "
                                          r"\(n, 2\), got \(4, 1\)")):
        xor_features(np.zeros((4, 1)))
    with pytest.raises(ValueError, match=(r"b in ThresholdNetwork .* must have "
                                          r"shape \(2,\), got \(3,\)")):
        ThresholdNetwork(np.ones((2, 2)), [0, 0, 0], [1, 1], 0.5)
    with pytest.raises(TypeError, match="f must be a callable"):
        truth_table(5, 2)


def test_compile_dnf_names_a_failing_function_and_refuses_zero_variables():
    with pytest.raises(ValueError, match=r"f failed on x = \(0, 0\) \(it is called with a tuple "
                                         r"of n = 2 ints 0/1\): IndexError: tuple index"):
        compile_dnf(lambda x: x[5], 2)
    with pytest.raises(ValueError, match=r"compile_dnf must be >= 1, got 0"):
        compile_dnf([1], 0)  # built a network that no input could be given to
