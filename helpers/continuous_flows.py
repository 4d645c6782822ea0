"""Continuous-time flows (notebook 07): a velocity field whose flow is known in closed form, and chunked scoring.

``TanhShearField`` is a test case for ODE-based log-densities: a standard Gaussian pushed for a time ``t`` along

.. math:: \\frac{dx}{dt} = v(x) = M^{-1}\\,\\big(\\alpha \\odot \\tanh(M x)\\big),

with ``M`` a shear. In the sheared coordinates ``y = M x`` every coordinate moves on its own,
``dy_i/dt = alpha_i tanh(y_i)``, whose solution is ``sinh(y_i(t)) = sinh(y_i(0)) e^{alpha_i t}``. So the map at
time ``t``, its inverse and its log-determinant are exact, and so is the pushed density: what an ODE solver and
the instantaneous change of variables must reproduce. All functions here are NumPy (float64); the notebook writes
the same field in TensorFlow for the solver.
"""

from __future__ import annotations

import time

import numpy as np

from .evaluation import mean_and_se_of_difference
from .progress import tracked
from .validation import ParameterError, require_finite_points, require_float, require_int


class TanhShearField:
    """The velocity field ``v(x) = M^{-1} (alpha * tanh(M x))`` with ``M = [[1, 0], [shear, 1]]``.

    With ``alpha_0 = 2`` (the default) the flow pushes mass away from the line ``y_0 = 0``: a standard Gaussian
    becomes two bumps by ``t = 1``.
    """

    def __init__(self, alpha=(2.0, 0.5), shear: float = 0.8):
        self.alpha = np.asarray(alpha, dtype=np.float64)
        if self.alpha.shape != (2,) or not np.all(np.isfinite(self.alpha)):
            raise ParameterError(f"alpha must be two finite numbers, got {alpha!r}")
        self.shear = require_float("shear", shear)
        self.matrix = np.array([[1.0, 0.0], [self.shear, 1.0]])
        self.inverse_matrix = np.linalg.inv(self.matrix)

    def velocity(self, x) -> np.ndarray:
        x = require_finite_points("x", x).astype(np.float64)
        return (self.alpha * np.tanh(x @ self.matrix.T)) @ self.inverse_matrix.T

    def divergence(self, x) -> np.ndarray:
        """The trace of the Jacobian of ``v`` at ``x``: ``sum_i alpha_i (1 - tanh^2(y_i))`` (a similarity
        ``M^{-1} D M`` keeps the trace of the diagonal ``D``)."""
        y = require_finite_points("x", x).astype(np.float64) @ self.matrix.T
        return np.sum(self.alpha * (1.0 - np.tanh(y) ** 2), axis=1)

    def jacobian(self, x) -> np.ndarray:
        """The Jacobian ``dv/dx`` at each point, shape ``(n, 2, 2)``."""
        y = require_finite_points("x", x).astype(np.float64) @ self.matrix.T
        d = self.alpha * (1.0 - np.tanh(y) ** 2)
        return np.einsum("ij,nj,jk->nik", self.inverse_matrix, d, self.matrix)

    def flow(self, z, t: float) -> np.ndarray:
        """Where the point ``z`` (at time 0) is at time ``t``."""
        y0 = require_finite_points("z", z).astype(np.float64) @ self.matrix.T
        return np.arcsinh(np.sinh(y0) * np.exp(self.alpha * t)) @ self.inverse_matrix.T

    def inverse(self, x, t: float) -> np.ndarray:
        """The time-0 point that is at ``x`` at time ``t``."""
        return self.flow(x, -t)

    def log_prob(self, x, t: float = 1.0) -> np.ndarray:
        """Exact log-density at time ``t`` of a standard Gaussian at time 0, pushed along the field."""
        t = require_float("t", t)
        y = require_finite_points("x", x).astype(np.float64) @ self.matrix.T
        y0 = np.arcsinh(np.sinh(y) * np.exp(-self.alpha * t))
        z = y0 @ self.inverse_matrix.T
        # log |dy/dy0| per coordinate: d/dy0 arcsinh(sinh(y0) e^{at}) = cosh(y0) e^{at} / cosh(y); M cancels
        log_det = np.sum(np.log(np.cosh(y0)) + self.alpha * t - np.log(np.cosh(y)), axis=1)
        return -0.5 * np.sum(z ** 2, axis=1) - np.log(2.0 * np.pi) - log_det

    def sample(self, n: int, seed: int, t: float = 1.0) -> np.ndarray:
        """``n`` points of the density at time ``t``: Gaussian draws pushed along the field."""
        n = require_int("n", n, minimum=1)
        return self.flow(np.random.default_rng(seed).standard_normal((n, 2)), t)


def score_in_chunks(log_prob, points, log_p, chunk: int = 500, label: str = "scoring") -> dict:
    """Held-out KL(p || q) of a log-density that is costly to evaluate (an ODE solve per batch), with a progress
    bar: ``log_prob`` is called on ``chunk`` points at a time. Returns ``kl``, its standard error ``kl_se``,
    the number of points ``n``, the ``seconds`` it took and the values ``log_q`` (to pair with another model's)."""
    points = require_finite_points("points", points)
    log_p = np.asarray(log_p, dtype=np.float64).reshape(-1)
    if log_p.shape != (len(points),):
        raise ParameterError(f"log_p must have one value per point ({len(points)}), got shape {log_p.shape}")
    chunk = require_int("chunk", chunk, minimum=1)
    start = time.perf_counter()
    parts = [points[i:i + chunk] for i in range(0, len(points), chunk)]
    log_q = np.concatenate([np.asarray(log_prob(part), dtype=np.float64).reshape(-1)
                            for part in tracked(parts, label, unit="part")])
    kl, kl_se = mean_and_se_of_difference(log_p, log_q)
    return dict(kl=kl, kl_se=kl_se, n=len(points), seconds=round(time.perf_counter() - start, 2),
                log_q=log_q)


def energy_distance(x, y, unbiased: bool = True) -> float:
    """The squared energy distance between the samples ``x`` and ``y`` (points in rows, same dimension):
    ``2 E|X - Y| - E|X - X'| - E|Y - Y'|``, with Euclidean norms (Székely and Rizzo). It is zero only when the two
    distributions are equal, finite for any samples (unlike a KL where one density vanishes), and in the units of
    the data. ``unbiased=True`` leaves out the zero distances of each point to itself in the within-sample terms
    (U-statistics), so two samples of one distribution give 0 on average; ``unbiased=False`` keeps them
    (V-statistics: in one dimension, the square of ``scipy.stats.energy_distance``)."""
    from scipy.spatial.distance import cdist

    x = require_finite_points("x", x, dim=np.shape(x)[1] if np.ndim(x) == 2 else 2).astype(np.float64)
    y = require_finite_points("y", y, dim=x.shape[1]).astype(np.float64)
    if len(x) < 2 or len(y) < 2:
        raise ParameterError(f"x and y need at least 2 points each, got {len(x)} and {len(y)}")

    def within(a):
        total = cdist(a, a).sum()
        return total / (len(a) * (len(a) - 1)) if unbiased else total / len(a) ** 2

    return float(2.0 * cdist(x, y).mean() - within(x) - within(y))
