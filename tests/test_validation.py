"""helpers.validation: one clear message naming the bad parameter."""

import numpy as np
import pytest

from helpers.validation import (ParameterError, require_bool, require_finite_points, require_float, require_int,
                                require_names, require_positive)


@pytest.mark.parametrize("value, expected", [(3, 3), (1e4, 10000), (200.0, 200), (np.int64(5), 5)])
def test_require_int_accepts_integral_values(value, expected):
    assert require_int("epochs", value, minimum=1) == expected


@pytest.mark.parametrize("value, message", [
    (0, "epochs must be an integer >= 1, got 0"),
    (-3, "epochs must be an integer >= 1, got -3"),
    (2.5, "epochs must be an integer, got 2.5"),
    ("10", "epochs must be an integer, got '10'"),
    (True, "epochs must be an integer, got True"),
    (float("nan"), "epochs must be an integer, got nan"),
])
def test_require_int_names_the_parameter(value, message):
    with pytest.raises(ParameterError) as err:
        require_int("epochs", value, minimum=1)
    assert str(err.value) == message


def test_require_int_maximum():
    with pytest.raises(ParameterError, match="n must be an integer <= 5, got 6"):
        require_int("n", 6, maximum=5)


@pytest.mark.parametrize("value", [0.0, -1.0, float("inf"), float("nan"), "0.1", None])
def test_require_positive_refuses(value):
    with pytest.raises(ParameterError, match="learning_rate"):
        require_positive("learning_rate", value)


def test_require_float_bounds():
    assert require_float("corner", 0.0, low=0.0) == 0.0
    with pytest.raises(ParameterError, match="corner must be >= 0.0, got -0.1"):
        require_float("corner", -0.1, low=0.0)
    with pytest.raises(ParameterError, match="p must be <= 1.0, got 2.0"):
        require_float("p", 2, high=1.0)


def test_require_finite_points_names_the_bad_rows():
    x = np.zeros((5, 2))
    x[3, 1] = np.inf
    x[4, 0] = np.nan
    with pytest.raises(ParameterError, match=r"x_train has 2 row\(s\) with NaN or infinite values \(first: row 3\)"):
        require_finite_points("x_train", x)


@pytest.mark.parametrize("shape", [(5,), (5, 3), (0, 2)])
def test_require_finite_points_checks_shape(shape):
    with pytest.raises(ParameterError, match=r"must have shape \(n, 2\)"):
        require_finite_points("x", np.zeros(shape))


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_require_bool_accepts_booleans(value):
    assert require_bool("mix_coordinates", value) is bool(value)


@pytest.mark.parametrize("value", [1, 0, "True", None, 1.0])
def test_require_bool_refuses_everything_else(value):
    with pytest.raises(ParameterError) as err:
        require_bool("mix_coordinates", value)
    assert str(err.value) == f"mix_coordinates must be True or False, got {value!r}"


def test_require_names_drops_repeats_and_keeps_order():
    assert require_names("flows", ("maf", "nsf", "maf"), ["realnvp", "maf", "nsf"]) == ["maf", "nsf"]


@pytest.mark.parametrize("value", [[], "maf", ["maf", "glow"], [1], None])
def test_require_names_says_what_is_allowed(value):
    with pytest.raises(ParameterError, match=r"^flows must be a non-empty list of names from \['realnvp', 'maf'\], got "):
        require_names("flows", value, ["realnvp", "maf"])
