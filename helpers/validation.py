"""Checks for notebook parameters and data: one clear message naming what is wrong.

Notebooks call these on their papermill parameters before any TensorFlow code
runs, so a bad value stops the run with a ``ParameterError`` such as
``epochs must be an integer >= 1, got 0`` instead of a deep stack trace.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


class ParameterError(ValueError):
    """A notebook parameter or an input array is out of range."""


def require_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int``; it must be integral and within the bounds."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        ok = True  # papermill may pass 1e4 or 200.0 for an integer
    if not ok:
        raise ParameterError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ParameterError(f"{name} must be an integer <= {maximum}, got {value}")
    return value


def require_float(name: str, value, low: float | None = None, high: float | None = None,
                  low_inclusive: bool = True) -> float:
    """Return ``value`` as a finite ``float`` within ``[low, high]`` (or ``(low, high]``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    if low is not None and (value < low or (value == low and not low_inclusive)):
        relation = ">=" if low_inclusive else ">"
        raise ParameterError(f"{name} must be {relation} {low}, got {value}")
    if high is not None and value > high:
        raise ParameterError(f"{name} must be <= {high}, got {value}")
    return value


def require_bool(name: str, value) -> bool:
    """``True`` or ``False`` (also NumPy's booleans); anything else, 0 and 1 included, is refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def require_positive(name: str, value) -> float:
    """A finite number strictly greater than zero."""
    return require_float(name, value, low=0.0, low_inclusive=False)


def require_finite_points(name: str, x, dim: int = 2) -> np.ndarray:
    """An array of shape ``(n, dim)`` with ``n >= 1`` and only finite entries."""
    arr = np.asarray(x)
    if arr.ndim != 2 or arr.shape[1] != dim or arr.shape[0] < 1:
        raise ParameterError(f"{name} must have shape (n, {dim}), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise ParameterError(f"{name} must be numeric, got dtype {arr.dtype}")
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ParameterError(
            f"{name} has {int(bad.sum())} row(s) with NaN or infinite values (first: row {first})"
        )
    return arr


def require_names(name: str, value, allowed, what: str = "names") -> list:
    """A non-empty list (or tuple) whose items are all in ``allowed``, returned as a list without repeats, in
    order. ``what`` names the items in the message (``datasets must be a non-empty list of names from [...]``)."""
    allowed = list(allowed)
    if (not isinstance(value, (list, tuple)) or not value
            or any(not isinstance(v, str) or v not in allowed for v in value)):
        raise ParameterError(f"{name} must be a non-empty list of {what} from {allowed}, got {value!r}")
    return list(dict.fromkeys(value))
