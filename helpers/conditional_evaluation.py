"""Scoring a learned conditional density q(y | x) against the exact p(y | x): KL and calibration.

Everything here is plain NumPy on arrays the caller computes (log-densities, CDF values,
log-densities of the model's own samples), so it works for any model and is tested on
distributions whose answers are known.

- :func:`conditional_kl`: the held-out conditional KL, the mean over fresh pairs of
  :math:`\\log p(y \\mid x) - \\log q(y \\mid x)`, an unbiased estimate of
  :math:`\\mathbb{E}_x\\,\\mathrm{KL}\\big(p(\\cdot \\mid x)\\,\\|\\,q(\\cdot \\mid x)\\big)`, in nats.
- Calibration through *ranks*: for each held-out pair, the probability mass of the smallest
  predictive region of q (at that pair's x) that still contains its y. For a 1-D y and central
  intervals this is :math:`|2F_q(y \\mid x) - 1|` (:func:`central_ranks`, from the probability
  integral transform, PIT); for a 2-D y and highest-density regions it is the share of q's own
  samples at that x that q finds denser than y, randomised so that a finite number of samples
  does not bias it (:func:`hdr_ranks`). A point lies inside q's
  central interval (or highest-density region) of mass :math:`\\alpha` when its rank is at most
  :math:`\\alpha`, so :func:`coverage` is the share of ranks :math:`\\le \\alpha`: for a
  calibrated model it is :math:`\\alpha` at every level, and the ranks are uniform on [0, 1].
  :func:`exact_ranks` gives the exact density's own ranks on the same pairs: what a perfect model scores.
"""

from __future__ import annotations

import math

import numpy as np

from .evaluation import HELD_OUT_SEED_OFFSET, mean_and_se_of_difference
from .validation import ParameterError, require_int

#: Nominal levels reported in the metrics JSON, as their keys ("50", "90") say.
COVERAGE_LEVELS = (0.5, 0.9)

#: How far outside [0, 1] a PIT value may lie and still count as float rounding (a few float32 ulps at 1).
PIT_ROUNDING = 1e-6


def held_out_pairs(dataset, n: int, seed: int):
    """``n`` fresh pairs ``(x, y)`` of a conditional data set, never the training draws of ``seed``."""
    n = require_int("n", n, minimum=2)
    return dataset.sample(n, seed=seed + HELD_OUT_SEED_OFFSET)


def _vector(name, values) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or len(arr) < 1:
        raise ParameterError(f"{name} must be a 1-D array with one value per pair, got shape {arr.shape}")
    return arr


def conditional_kl(log_p, log_q) -> dict:
    """Held-out conditional KL from paired exact and learned log-densities (one per fresh pair).

    Returns ``kl`` (nats), its standard error ``kl_se``, the held-out ``nll``
    (:math:`-\\overline{\\log q}`) and ``n``. A non-finite learned log-density (a pair the model
    says is impossible, or a NaN) gives ``inf`` for all three, never a silently dropped pair.
    """
    log_p, log_q = _vector("log_p", log_p), _vector("log_q", log_q)
    if log_p.shape != log_q.shape:
        raise ParameterError(f"log_p and log_q must have the same shape, got {log_p.shape} and {log_q.shape}")
    if not np.isfinite(log_p).all():
        raise ParameterError("log_p (the exact log-density) has non-finite values")
    kl, se = mean_and_se_of_difference(log_p, log_q)
    nll = float(-log_q.mean()) if math.isfinite(kl) else math.inf
    return {"kl": kl, "kl_se": se, "nll": nll, "n": len(log_q)}


def central_ranks(pit) -> np.ndarray:
    """Ranks for central intervals from PIT values :math:`u = F_q(y \\mid x)` (1-D y).

    The central interval of mass :math:`\\alpha` is :math:`F_q^{-1}\\big((1 \\pm \\alpha)/2\\big)`,
    and y lies inside it exactly when :math:`|2u - 1| \\le \\alpha`. A CDF computed in float32 can leave [0, 1]
    by a few units in the last place (a mixture's sum of weighted component CDFs reaches 1.0000001): values within
    ``PIT_ROUNDING`` of [0, 1] are clipped to it, anything further out is refused.
    """
    pit = _vector("pit", pit)
    if not np.isfinite(pit).all() or (pit < -PIT_ROUNDING).any() or (pit > 1 + PIT_ROUNDING).any():
        raise ParameterError(f"pit values must be finite and within [0, 1] (up to rounding, {PIT_ROUNDING:g}), "
                             f"got values from {np.nanmin(pit)!r} to {np.nanmax(pit)!r}"
                             + (" and non-finite ones" if not np.isfinite(pit).all() else ""))
    return np.abs(2.0 * np.clip(pit, 0.0, 1.0) - 1.0)


def hdr_ranks(log_q_points, log_q_samples, seed: int = 0) -> np.ndarray:
    """Ranks for highest-density regions from the model's own samples (any dimension of y).

    ``log_q_points[i]`` is :math:`\\log q(y_i \\mid x_i)`; row ``i`` of ``log_q_samples``
    (shape ``(n, S)``) holds :math:`\\log q` at ``S`` samples drawn from
    :math:`q(\\cdot \\mid x_i)`. The region of mass :math:`\\alpha` is
    :math:`\\{y : \\log q(y \\mid x) \\ge \\ell_\\alpha\\}`, its level :math:`\\ell_\\alpha` the
    :math:`(1 - \\alpha)` quantile of the samples' log-densities, so :math:`y_i` is inside when few
    enough samples are denser than it. The rank is that count, randomised as in simulation-based
    calibration: :math:`(k_i + v_i)/(S + 1)`, with :math:`k_i` the number of samples denser than
    :math:`y_i` (of samples exactly as dense, a random number count) and :math:`v_i` uniform on
    [0, 1), both drawn from ``seed``. For a calibrated model :math:`k_i` is uniform on
    0, ..., S, so these ranks are uniform on [0, 1] for **any** S, and a coverage computed from them
    has no bias from the finite number of samples; the samples only blur a miscalibrated model's
    calibration curve over a width of about :math:`\\sqrt{\\alpha(1-\\alpha)/S}`. A non-finite learned
    log-density at a held-out point gives rank 1 (outside every region).
    """
    points = _vector("log_q_points", log_q_points)
    samples = np.asarray(log_q_samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[0] != len(points) or samples.shape[1] < 1:
        raise ParameterError(f"log_q_samples must have shape ({len(points)}, S), got {samples.shape}")
    denser = (samples > points[:, None]).sum(axis=1)
    ties = (samples == points[:, None]).sum(axis=1)
    rng = np.random.default_rng(seed)
    k = denser + rng.integers(0, ties + 1)   # of the samples as dense as y_i, a random number count as denser
    ranks = (k + rng.random(len(points))) / (samples.shape[1] + 1)
    return np.where(np.isfinite(points), ranks, 1.0)


def exact_ranks(dataset, x, y, n_samples: int = 50, seed: int = 0) -> np.ndarray:
    """The ranks of pairs ``(x, y)`` under the **exact** conditional density of ``dataset``, as a model's are
    computed: :func:`central_ranks` of the exact CDF for a 1-D y, :func:`hdr_ranks` from ``n_samples`` exact
    samples per pair for a 2-D y. Their coverage is what the truth itself scores on these pairs: it differs from
    the nominal levels only by the draw of the pairs (by about :math:`\\sqrt{\\alpha(1-\\alpha)/n}` for n pairs),
    which is how far a perfect model's coverage would land from them."""
    if dataset.y_dim == 1:
        return central_ranks(dataset.cdf(y, x))
    n_samples = require_int("n_samples", n_samples, minimum=1)
    x_rows = np.repeat(np.asarray(x, dtype=np.float64).reshape(-1), n_samples)   # each x, n_samples times in a row
    samples = dataset.sample_y(x_rows, seed=seed)
    log_p_samples = dataset.log_prob(samples, x_rows).reshape(-1, n_samples)
    return hdr_ranks(dataset.log_prob(y, x), log_p_samples, seed=seed)


def coverage(ranks, levels=COVERAGE_LEVELS) -> dict:
    """Share of held-out points inside q's region of each nominal mass, keyed ``"50"``, ``"90"``, ..."""
    ranks = _vector("ranks", ranks)
    return {level_key(level): float((ranks <= level).mean()) for level in _levels(levels)}


def calibration_curve(ranks, levels=None) -> tuple[np.ndarray, np.ndarray]:
    """Nominal levels and the observed coverage at each: the data of a calibration plot.

    A calibrated model's curve is the diagonal; below it the regions are too narrow
    (overconfident), above it too wide.
    """
    ranks = _vector("ranks", ranks)
    levels = np.linspace(0.0, 1.0, 21) if levels is None else _levels(levels)
    return levels, np.array([(ranks <= level).mean() for level in levels])


def pit_histogram(pit, bins: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges and densities of PIT values on [0, 1] (flat at 1 for a calibrated 1-D model)."""
    pit = _vector("pit", pit)
    bins = require_int("bins", bins, minimum=1)
    density, edges = np.histogram(np.clip(pit, 0.0, 1.0), bins=bins, range=(0.0, 1.0), density=True)
    return edges, density


def level_key(level: float) -> str:
    """The metrics JSON key of a nominal level: 0.5 -> "50", 0.9 -> "90", 0.95 -> "95"."""
    return f"{100 * level:g}"


def _levels(levels) -> np.ndarray:
    levels = np.atleast_1d(np.asarray(levels, dtype=np.float64))
    if levels.ndim != 1 or not np.isfinite(levels).all() or (levels < 0).any() or (levels > 1).any():
        raise ParameterError(f"levels must be numbers within [0, 1], got {levels.tolist()}")
    return levels


def stein_check(y, grad_log_q) -> dict:
    """Do a model's samples and its log-density describe the same distribution? Stein's identity says so.

    For any smooth density q that vanishes at infinity and :math:`y \\sim q`,
    :math:`\\mathbb{E}[\\nabla_y \\log q(y)] = 0` and :math:`\\mathbb{E}[y^\\top \\nabla_y \\log q(y)] = -d`
    (:math:`d` the dimension of y: integrate :math:`\\nabla \\cdot (y\\, q)` by parts). The same holds for
    every conditional q(. | x) and so for pairs with one sample per x. Pass the model's own samples
    ``y`` (``(n,)`` or ``(n, d)``) and the gradient of its log-density at them (same shape, e.g. from
    ``tf.GradientTape``). Returns ``score_mean`` (per coordinate, should be 0), ``y_dot_score``
    (should be ``-d``), each with its standard error, and ``d``: a log-density missing its
    log-determinant, or sampled by a different map than the one it inverts, fails this in any dimension.
    """
    y = np.asarray(y, dtype=np.float64)
    g = np.asarray(grad_log_q, dtype=np.float64)
    if y.shape != g.shape or y.ndim not in (1, 2) or len(y) < 2:
        raise ParameterError(f"y and grad_log_q must have the same shape (n,) or (n, d), got {y.shape} and {g.shape}")
    if not (np.isfinite(y).all() and np.isfinite(g).all()):
        return {"score_mean": [math.inf], "score_se": [math.inf], "y_dot_score": math.inf,
                "y_dot_score_se": math.inf, "d": 1 if y.ndim == 1 else y.shape[1]}
    y2, g2 = (y[:, None], g[:, None]) if y.ndim == 1 else (y, g)
    n = len(y2)
    dot = (y2 * g2).sum(axis=1)
    return {"score_mean": g2.mean(axis=0).tolist(), "score_se": (g2.std(axis=0, ddof=1) / math.sqrt(n)).tolist(),
            "y_dot_score": float(dot.mean()), "y_dot_score_se": float(dot.std(ddof=1) / math.sqrt(n)),
            "d": y2.shape[1]}
