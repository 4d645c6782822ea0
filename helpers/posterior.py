"""Summaries of a posterior over densities, from a stack of log-densities (one row per posterior draw).

A Bayesian flow is not one density but a distribution over densities. Evaluate
``S`` posterior draws of it at ``N`` points and stack the log-densities into an
array of shape ``(S, N)``; the functions here turn that stack into

- the posterior predictive density, the mean density over draws (in logs, computed stably);
- the spread across draws: the standard deviation of the log-density (in nats;
  it settles as ``S`` grows), and the standard deviation and coefficient of
  variation (standard deviation over mean) of the density itself (which, for a
  heavy-tailed spread, keep growing with ``S``: see ``density_spread``), and
  the share of the summed density that the largest draw holds;
- the regions in which to compare a spread: where the exact density holds
  the lowest 1 % of the mass (little or no data) and where it holds the central
  50 % (most of the data), and the mean of a per-cell quantity over each.

Everything works in float64 and with log-densities shifted by their per-point
maximum, so densities far below the float range (log q = -1000) cause no
underflow, division by zero or NaN.
"""

from __future__ import annotations

import numpy as np

from .validation import ParameterError, require_float


def _as_draws(log_q_draws) -> np.ndarray:
    arr = np.asarray(log_q_draws, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ParameterError(f"log_q_draws must have shape (draws, points), got {arr.shape}")
    if np.isnan(arr).any() or np.isposinf(arr).any():
        raise ParameterError("log_q_draws must not contain NaN or +inf")
    return arr


def _shifted(arr: np.ndarray):
    """``(exp(arr - m), m)`` with ``m`` the per-point maximum (0 where every draw is -inf)."""
    m = arr.max(axis=0)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.exp(arr - m), m


def predictive_log_density(log_q_draws) -> np.ndarray:
    r"""Log of the posterior predictive density at each point, :math:`\log \frac1S \sum_s q_s(x)`.

    ``log_q_draws`` has shape ``(S, N)``: ``S`` posterior draws evaluated at
    ``N`` points. Returns shape ``(N,)``; ``-inf`` only where every draw is ``-inf``.
    """
    arr = _as_draws(log_q_draws)
    scaled, m = _shifted(arr)
    with np.errstate(divide="ignore"):
        return np.log(scaled.mean(axis=0)) + m


def density_spread(log_q_draws) -> tuple[np.ndarray, np.ndarray]:
    """Standard deviation and coefficient of variation of the density across draws, per point.

    Returns ``(std, cv)``, each of shape ``(N,)``: ``std`` in density units
    (population standard deviation over the ``S`` draws) and ``cv = std / mean``,
    which is scale-free: 0.1 means the draws disagree by about 10 % there,
    whatever the density's size. ``cv`` is 0 where the mean density is 0.
    With ``S`` draws the coefficient of variation is at most ``sqrt(S - 1)``
    (one draw holding all the density). Where the density's spread across
    draws is heavy-tailed (e.g. log-normal with a standard deviation of a few
    nats, whose true coefficient of variation ``sqrt(exp(sd**2) - 1)`` is in the
    thousands), the sample value is set by that bound and by the rare largest
    draw, and grows with ``S`` instead of settling: use ``log_density_sd`` there.
    """
    arr = _as_draws(log_q_draws)
    scaled, m = _shifted(arr)
    mean = scaled.mean(axis=0)
    var = np.maximum((scaled**2).mean(axis=0) - mean**2, 0.0)
    sd = np.sqrt(var)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(mean > 0, sd / np.where(mean > 0, mean, 1.0), 0.0)
        std = sd * np.exp(m)
    return std, cv


def log_density_sd(log_q_draws) -> np.ndarray:
    r"""Standard deviation of the log-density across draws, per point, in nats.

    ``log_q_draws`` has shape ``(S, N)`` with ``S >= 2`` and every value finite;
    returns shape ``(N,)``, the sample standard deviation (divisor ``S - 1``) of
    each column. 0.1 means the drawn densities differ by about 10 % (for small
    spreads it equals the density's coefficient of variation), 2.3 by about a
    factor of 10. Unlike the coefficient of variation it has no ceiling set by
    ``S``: it converges as draws are added whenever the log-density has a finite
    variance across the posterior.
    """
    arr = _as_draws(log_q_draws)
    if arr.shape[0] < 2:
        raise ParameterError(f"log_q_draws needs at least 2 draws for a spread, got {arr.shape[0]}")
    if not np.isfinite(arr).all():
        raise ParameterError("log_q_draws must be finite (no -inf) for the spread of the log-density")
    return arr.std(axis=0, ddof=1)


def largest_draw_share(log_q_draws) -> np.ndarray:
    r"""Share of the summed density that the single largest draw holds, per point: :math:`\max_s q_s / \sum_s q_s`.

    Returns shape ``(N,)``, between ``1/S`` (all draws equal) and 1 (one draw
    holds everything); NaN where every draw is ``-inf``. Where it is close to 1,
    the mean and the standard deviation of the density across draws are set by
    one draw, and so is their ratio, the coefficient of variation.
    """
    arr = _as_draws(log_q_draws)
    scaled, _ = _shifted(arr)
    total = scaled.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, scaled.max(axis=0) / np.where(total > 0, total, 1.0), np.nan)


def mass_regions(log_p, low_mass: float = 0.01, central_mass: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of the low-data and the central region of an exact density on a regular grid.

    ``log_p`` holds the exact log-density at the cells of a regular grid (any
    shape; equal cell areas, so a cell's mass is proportional to its density).
    Cells are sorted by density and their masses accumulated, as fractions of
    the mass on the grid:

    - ``low``: the lowest-density cells that together hold at most ``low_mass``
      of it (where a sample of data rarely or never lands);
    - ``central``: the fewest highest-density cells that together hold at least
      ``central_mass`` of it (the highest-density region).

    Both masks have the shape of ``log_p``; they never overlap.
    """
    low_mass = require_float("low_mass", low_mass, low=0.0, high=1.0, low_inclusive=False)
    central_mass = require_float("central_mass", central_mass, low=0.0, high=1.0, low_inclusive=False)
    if low_mass + central_mass > 1.0:
        raise ParameterError(f"low_mass + central_mass must be <= 1, got {low_mass} + {central_mass}")
    lp = np.asarray(log_p, dtype=np.float64)
    flat = lp.reshape(-1)
    if flat.size < 2 or np.isnan(flat).any() or np.isposinf(flat).any():
        raise ParameterError("log_p must hold at least 2 values, none NaN or +inf")
    order = np.argsort(flat, kind="stable")  # lowest density first
    mass = np.exp(flat[order] - flat.max())
    cum = np.cumsum(mass) / mass.sum()
    low = np.zeros(flat.size, dtype=bool)
    low[order[cum <= low_mass]] = True
    # from the top: a cell is needed while the cells denser than it hold less than central_mass
    central = np.zeros(flat.size, dtype=bool)
    central[order[(1.0 - cum) < central_mass]] = True
    central &= ~low
    return low.reshape(lp.shape), central.reshape(lp.shape)


def region_means(values, low, central) -> dict:
    """Mean of a per-cell quantity (e.g. a spread) over the low-data and central regions, and their ratio.

    ``values``, ``low`` and ``central`` hold one entry per grid cell (any
    shape, the same size; the masks as from ``mass_regions``). Returns
    ``{"low": ..., "central": ..., "ratio": low / central}`` (ratio ``inf``
    when the central mean is 0). Both regions must be non-empty.
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    low = np.asarray(low, dtype=bool).reshape(-1)
    central = np.asarray(central, dtype=bool).reshape(-1)
    if not (values.shape == low.shape == central.shape):
        raise ParameterError(f"values, low and central must have the same size, "
                             f"got {values.size}, {low.size}, {central.size}")
    if not low.any() or not central.any():
        raise ParameterError("both regions must hold at least one cell")
    lo, ce = float(values[low].mean()), float(values[central].mean())
    return {"low": lo, "central": ce, "ratio": lo / ce if ce > 0 else float("inf")}
