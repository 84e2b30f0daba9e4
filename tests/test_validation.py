"""The input checks shared by all modules: each error names the argument and what was wrong."""

import numpy as np
import pytest

from lecturenn._validation import (
    as_batch,
    as_binary_array,
    as_float_array,
    check_bool,
    check_config_entries,
    check_float_dtype,
    check_in_range,
    check_int,
    check_layer_array,
    check_positive,
    check_real,
    check_rng,
    check_shape,
)
from lecturenn.parameter import Parameter, as_parameter_list, zero_grad


def test_as_float_array_converts_and_keeps_values():
    arr = as_float_array("X", [[1, 2], [3, 4]], ndim=2)
    assert arr.dtype == np.float64
    np.testing.assert_array_equal(arr, [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize(
    ("value", "kwargs", "exc", "match"),
    [
        ([1, 2], {"ndim": 2}, ValueError, r"X must be a 2-dimensional array, got shape \(2,\)"),
        ([], {}, ValueError, r"X must not be empty"),
        ([1.0, np.nan], {}, ValueError, r"X must be finite, got nan at index \(1,\)"),
        (["a", "b"], {}, TypeError, r"X must be a real numeric array"),
        ([1 + 2j], {}, TypeError, r"X must be a real numeric array"),
    ],
)
def test_as_float_array_errors_name_the_argument(value, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        as_float_array("X", value, **kwargs)


def test_as_binary_array_accepts_bools_and_rejects_other_values():
    np.testing.assert_array_equal(as_binary_array("x", [True, False, 1, 0]), [1, 0, 1, 0])
    with pytest.raises(ValueError, match=r"x must be Boolean .* got 2 at index \(1,\)"):
        as_binary_array("x", [0, 2])
    with pytest.raises(ValueError, match=r"got 0.5 at index \(0, 1\)"):
        as_binary_array("x", [[1, 0.5]])


def test_check_shape_reports_expected_and_got():
    check_shape("W", np.zeros((3, 2)), (3, None))
    with pytest.raises(ValueError, match=r"W in layer 1 must have shape \(4, n\), got \(3, 2\)"):
        check_shape("W", np.zeros((3, 2)), (4, None), where="layer 1")


class _Probe:
    """A stand-in layer: its repr is counted, to show it is built only for an error."""

    reprs = 0

    def __repr__(self):
        _Probe.reprs += 1
        return "Probe(3)"


def test_check_layer_array_passes_the_array_through_and_builds_no_repr():
    x = np.zeros((4, 3))
    _Probe.reprs = 0
    assert check_layer_array("x", x, (None, 3), _Probe(), "forward") is x  # no copy
    assert _Probe.reprs == 0


@pytest.mark.parametrize(
    ("value", "expected", "note", "exc", "match"),
    [
        ([[0.0, 1.0, 2.0]], (None, 3), "", TypeError,
         r"^x of _Probe.forward must be a numpy array, got \[\[0.0, 1.0, 2.0\]\]$"),
        (np.zeros((4, 2)), (None, 3), "", ValueError,
         r"^x in Probe\(3\).forward must have shape \(n, 3\), got \(4, 2\)$"),
        (np.zeros(3), (None, 3), "", ValueError, r"must have shape \(n, 3\), got \(3,\)"),
        (np.zeros((4, 3)), (5, 3), " (the last output)", ValueError,
         r"^x in Probe\(3\).forward \(the last output\) must have shape \(5, 3\), "
         r"got \(4, 3\)$"),
    ],
)
def test_check_layer_array_names_argument_layer_and_shapes(value, expected, note, exc, match):
    with pytest.raises(exc, match=match):
        check_layer_array("x", value, expected, _Probe(), "forward", note)


def test_check_config_entries():
    check_config_entries("Dropout", {"n_units": 3, "p": 0.5}, ("n_units", "p"), ("n_units",))
    with pytest.raises(ValueError, match=r"^a Dropout config has the entries \['n_units', 'p'\], "
                       r"got \['W', 'rng'\] besides$"):
        check_config_entries("Dropout", {"n_units": 3, "rng": 0, "W": 1}, ("n_units", "p"))
    with pytest.raises(ValueError, match=r"^an ActivationLayer config has the entries"):
        check_config_entries("ActivationLayer", {"x": 1}, ("n_units",))
    with pytest.raises(ValueError, match=r"^the Network config has the entries"):
        check_config_entries("Network", {"x": 1}, ("dtype",), article="the")
    with pytest.raises(ValueError, match=r"^the Network config has no 'layers' entry: "
                       r"\{'dtype': 'float64'\}$"):
        check_config_entries("Network", {"dtype": "float64"}, ("dtype", "layers"),
                             ("dtype", "layers"))
    with pytest.raises(ValueError, match=r"got \['1'\] besides"):  # a non-string key is named
        check_config_entries("Dense", {1: 0}, ("n_in",))


@pytest.mark.parametrize("bad", [0, -1.0, np.inf, np.nan])
def test_check_positive_rejects(bad):
    with pytest.raises(ValueError, match="lr must be > 0"):
        check_positive("lr", bad)


def test_check_positive_rejects_non_numbers():
    with pytest.raises(TypeError, match="lr must be a real number"):
        check_positive("lr", "0.1")
    with pytest.raises(TypeError, match="lr must be a real number"):
        check_positive("lr", True)
    assert check_positive("eps", 0, strict=False) == 0.0


def test_check_in_range_half_open_interval():
    assert check_in_range("gamma", 0.0, 0, 1) == 0.0
    with pytest.raises(ValueError, match=r"gamma must lie in \[0, 1\), got 1"):
        check_in_range("gamma", 1, 0, 1)


def test_check_rng_seed_and_generator_and_reproducibility():
    a = check_rng(7).normal(size=3)
    b = check_rng(np.random.default_rng(7)).normal(size=3)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator or an int seed"):
        check_rng(np.random.RandomState(0))
    with pytest.raises(TypeError, match="rng must be"):
        check_rng(None)
    with pytest.raises(ValueError, match="rng seed must be a non-negative integer, got -1"):
        check_rng(-1)


def test_parameter_zero_grad_and_list_checks():
    p = Parameter([1, 2, 3], name="w")
    assert p.dtype == np.float64 and p.shape == (3,) and p.grad is None
    zero_grad([p])
    np.testing.assert_array_equal(p.grad, np.zeros(3))
    p.grad += 1
    p.zero_grad()
    np.testing.assert_array_equal(p.grad, np.zeros(3))
    assert as_parameter_list(p) == [p]
    with pytest.raises(TypeError, match="not a bare numpy array"):
        as_parameter_list(np.zeros(3))
    with pytest.raises(ValueError, match="params is empty"):
        as_parameter_list([])
    with pytest.raises(TypeError, match=r"params\[1\] must be a Parameter, got int"):
        as_parameter_list([p, 3])


def test_parameter_keeps_float32():
    p = Parameter(np.zeros(2, dtype=np.float32))
    assert p.dtype == np.float32


def test_parameter_refuses_none_complex_and_nan():
    """Parameter(None) was a float64 NaN; complex values lost their imaginary part."""
    with pytest.raises(TypeError, match=r"data of Parameter 'w' must be a real numeric array, "
                                        r"got None"):
        Parameter(None, name="w")
    with pytest.raises(TypeError, match=r"data of Parameter 'w' must be a real numeric array, "
                                        r"got array of shape \(2,\) and dtype complex128$"):
        Parameter(1j * np.ones(2), name="w")
    with pytest.raises(ValueError, match=r"data of Parameter 'param' must be finite, got inf"):
        Parameter([1.0, np.inf])
    a = np.zeros(3)
    assert Parameter(a).data is a  # a float array is stored as it is (optimizers update it)
    assert Parameter(True).dtype == np.float64


def test_duplicate_parameters_are_refused():
    p, q = Parameter(np.zeros(2), name="w"), Parameter(np.zeros(2), name="w")
    assert as_parameter_list([p, q]) == [p, q]  # equal names, different objects: fine
    with pytest.raises(ValueError, match=r"params\[0\] and params\[2\] are the same Parameter "
                                         r"\('w'\): an optimizer would update it twice"):
        as_parameter_list([p, q, p])


def test_scalar_checks():
    assert check_int("n", np.int64(3), minimum=1) == 3
    for bad in (2.0, True, "3", None):
        with pytest.raises(TypeError, match="n must be an int"):
            check_int("n", bad)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        check_int("n", 0, minimum=1)
    assert check_real("a", np.array(2.5)) == 2.5 and check_real("a", -3) == -3.0
    with pytest.raises(TypeError, match="a must be a real number, got 'x'"):
        check_real("a", "x")
    with pytest.raises(ValueError, match="a must be finite, got nan"):
        check_real("a", float("nan"))
    assert np.isinf(check_real("a", np.inf, finite=False))
    assert check_bool("flag", np.True_) is True
    with pytest.raises(TypeError, match="flag must be True or False, got 'no'"):
        check_bool("flag", "no")
    assert check_float_dtype("dtype", "float32") == np.float32
    for bad in (int, np.float16, "bogus"):
        with pytest.raises(TypeError, match="dtype must be float32 or float64"):
            check_float_dtype("dtype", bad)


def test_as_batch():
    np.testing.assert_array_equal(as_batch("X", [[1, 2]], 2, np.float32), [[1.0, 2.0]])
    assert as_batch("X", [[True, False]], 2, np.float32).dtype == np.float32
    assert as_batch("X", np.zeros((1, 2), np.float32), 2).dtype == np.float32
    with pytest.raises(TypeError, match="X has dtype float64 but the model has dtype float32"):
        as_batch("X", np.zeros((1, 2)), 2, np.float32)
    with pytest.raises(ValueError, match=r"X of layer 0 must have shape \(n, 3\), got \(1, 2\)"):
        as_batch("X", np.zeros((1, 2)), 3, where="layer 0")
    with pytest.raises(ValueError, match="X is an empty batch"):
        as_batch("X", np.zeros((0, 2)), 2)
    with pytest.raises(ValueError, match=r"X must be finite, got nan at index \(0, 1\)"):
        as_batch("X", [[0.0, np.nan]], 2)
    assert np.isnan(as_batch("X", [[0.0, np.nan]], 2, finite=False)[0, 1])
    with pytest.raises(TypeError, match=r"X must be a numeric array \(rows of equal length\)"):
        as_batch("X", [[1, 2], [3]], 2)
