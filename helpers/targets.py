"""Unnormalised two-dimensional targets for variational inference, with their exact normalisers.

Variational inference sees a target only through :math:`\\log\\tilde p(z)`, its
log-density up to an additive constant :math:`\\log Z`. Each target here gives

- ``log_prob_tf(z)``: :math:`\\log\\tilde p` of a TensorFlow tensor of shape ``(n, 2)``
  (what a flow is trained on, differentiable);
- ``log_prob(z)``: the same in NumPy float64 (for evaluation);
- ``log_z``: the exact :math:`\\log Z`, so that the reverse KL of a fitted ``q`` is exact
  up to Monte Carlo error (``reverse_kl``);
- ``sample(n, seed)`` where exact sampling exists (the funnel and the ring), for forward KL.

The funnel and the ring reuse :mod:`helpers.datasets`, whose log-densities are normalised
(:math:`\\log Z = 0`). The energy target is known only up to its constant, which
:func:`energy_log_z` computes by quadrature.
"""

from __future__ import annotations

import math

import numpy as np

from .datasets import LOG_2PI, Funnel, Ring
from .evaluation import mean_and_se_of_difference
from .validation import ParameterError, require_finite_points, require_float


def _tf():
    import tensorflow as tf  # imported lazily: the NumPy parts of this module do not need TensorFlow

    return tf


class _DatasetTarget:
    """A target made from a data set of :mod:`helpers.datasets`: its normalised NumPy density, sampler and limits."""

    log_z = 0.0

    def log_prob(self, z) -> np.ndarray:
        return self.dataset.log_prob(z)

    def sample(self, n: int, seed: int) -> np.ndarray:
        return self.dataset.sample(n, seed)

    @property
    def limits(self):
        return self.dataset.limits


class FunnelTarget(_DatasetTarget):
    r"""Neal's funnel of :class:`helpers.datasets.Funnel`: :math:`z_1 \sim \mathcal N(0, \sigma^2)`,
    :math:`z_0 \mid z_1 \sim \mathcal N(0, e^{z_1})`. Normalised: :math:`\log Z = 0`."""

    name = "funnel"

    def __init__(self, sigma: float = 1.5):
        self.dataset = Funnel(sigma=sigma)
        self.sigma = self.dataset.sigma

    def log_prob_tf(self, z):
        tf = _tf()
        z0, z1 = z[..., 0], z[..., 1]
        return (-LOG_2PI - math.log(self.sigma) - 0.5 * tf.square(z1 / self.sigma)
                - 0.5 * z1 - 0.5 * tf.square(z0) * tf.exp(-z1))


class RingTarget(_DatasetTarget):
    r"""The ring of 8 Gaussians of :class:`helpers.datasets.Ring`. Normalised: :math:`\log Z = 0`."""

    name = "ring"

    def __init__(self, n_modes: int = 8, radius: float = 4.0, scale: float = 0.5):
        self.dataset = Ring(n_modes=n_modes, radius=radius, scale=scale)
        self.centres = self.dataset.centres
        self.scale = self.dataset.scale
        self.n_modes = self.dataset.n_modes

    def log_prob_tf(self, z):
        tf = _tf()
        centres = tf.constant(self.centres, dtype=z.dtype)
        sq = tf.reduce_sum(tf.square(z[..., None, :] - centres), axis=-1)  # (..., K)
        log_comp = -LOG_2PI - 2.0 * math.log(self.scale) - 0.5 * sq / self.scale**2
        return tf.reduce_logsumexp(log_comp, axis=-1) - math.log(self.n_modes)


def energy_log_prob_unnormalised(z) -> np.ndarray:
    r""":math:`\log\tilde p(z) = \sin(\pi z_0) - 2\,(z_0^2 + z_1^2 - 2)^2` (NumPy, float64)."""
    z = np.asarray(z, dtype=np.float64)
    r2 = z[..., 0] ** 2 + z[..., 1] ** 2
    return np.sin(np.pi * z[..., 0]) - 2.0 * (r2 - 2.0) ** 2


def energy_log_z(method: str = "cartesian") -> float:
    r""":math:`\log\int\exp\big(\sin(\pi z_0) - 2 (z_0^2 + z_1^2 - 2)^2\big)\,dz` by adaptive quadrature.

    ``method="cartesian"`` integrates over the square :math:`[-4, 4]^2` with
    ``scipy.integrate.dblquad``; ``method="polar"`` integrates over the radius
    :math:`r \in [0, 4]` and the angle, with the Jacobian :math:`r`. Beyond radius 4
    the integrand is below :math:`e^{1 - 2\cdot 14^2} \approx 10^{-170}` of its peak:
    both are exact to the quadrature's tolerance. The two methods agree to 1e-10
    (``tests/test_targets.py``).
    """
    from scipy import integrate

    if method == "cartesian":
        value, _ = integrate.dblquad(lambda z1, z0: math.exp(math.sin(math.pi * z0) - 2.0 * (z0**2 + z1**2 - 2.0) ** 2),
                                     -4.0, 4.0, -4.0, 4.0, epsabs=1e-13, epsrel=1e-12)
    elif method == "polar":
        def integrand(r, a):
            return r * math.exp(math.sin(math.pi * r * math.cos(a)) - 2.0 * (r * r - 2.0) ** 2)

        value, _ = integrate.dblquad(integrand, 0.0, 2.0 * math.pi, 0.0, 4.0, epsabs=1e-13, epsrel=1e-12)
    else:
        raise ParameterError(f"method must be 'cartesian' or 'polar', got {method!r}")
    return math.log(value)


#: :func:`energy_log_z` of the energy target (computed once; the tests recompute it both ways).
ENERGY_LOG_Z = 1.6119973591


class EnergyTarget:
    r"""An energy-style target given only up to its constant:
    :math:`\log\tilde p(z) = \sin(\pi z_0) - 2\,(z_0^2 + z_1^2 - 2)^2`.

    Its mass lies on a ring of radius :math:`\sqrt 2`, heavier where :math:`\sin(\pi z_0) > 0`.
    :math:`\log Z` = :data:`ENERGY_LOG_Z` (by quadrature). It has no exact sampler here.
    """

    name = "energy"
    log_z = ENERGY_LOG_Z

    def log_prob_tf(self, z):
        tf = _tf()
        z0, z1 = z[..., 0], z[..., 1]
        return tf.sin(math.pi * z0) - 2.0 * tf.square(tf.square(z0) + tf.square(z1) - 2.0)

    def log_prob(self, z) -> np.ndarray:
        z = require_finite_points("z", z)
        return energy_log_prob_unnormalised(z)

    sample = None  # no exact sampler

    @property
    def limits(self):
        return ((-2.5, 2.5), (-2.5, 2.5))


#: Every target by name.
TARGETS = {"funnel": FunnelTarget, "ring": RingTarget, "energy": EnergyTarget}


def _mean_and_se_of_difference(names, first, second) -> tuple[float, float]:
    """Mean of ``first - second`` (paired values) and its standard error; ``(inf, inf)`` if any is not finite."""
    first = np.asarray(first, dtype=np.float64).reshape(-1)
    second = np.asarray(second, dtype=np.float64).reshape(-1)
    if first.shape != second.shape or first.size < 2:
        raise ParameterError(f"{names[0]} and {names[1]} must hold the same number (>= 2) of values, "
                             f"got {first.size} and {second.size}")
    return mean_and_se_of_difference(first, second)


def reverse_kl(log_q, log_p_unnormalised, log_z: float) -> tuple[float, float]:
    r"""Reverse KL from samples of ``q``: :math:`\mathrm{KL}(q\,\|\,p) = \mathbb E_q[\log q - \log\tilde p] + \log Z`.

    ``log_q`` and ``log_p_unnormalised`` are evaluated at the same samples
    :math:`z_i \sim q` (one value each). Returns ``(kl, standard_error)`` in nats.
    A sample where either is not finite (``q`` puts mass where ``p`` has none)
    gives ``(inf, inf)``.
    """
    kl, se = _mean_and_se_of_difference(("log_q", "log_p_unnormalised"), log_q, log_p_unnormalised)
    return kl + log_z, se


def forward_kl(log_p, log_q) -> tuple[float, float]:
    r"""Forward KL from exact samples :math:`z_i \sim p`: :math:`\mathbb E_p[\log p - \log q]`, with its standard error.

    ``log_p`` must be the *normalised* log-density at the samples.
    """
    return _mean_and_se_of_difference(("log_p", "log_q"), log_p, log_q)


def ring_mode_mass(samples, ring: RingTarget | Ring | None = None, radius: float | None = None) -> np.ndarray:
    r"""Share of ``samples`` (from ``q``) within ``radius`` of each of the ring's mode centres.

    The default radius is 3 standard deviations of a mode (1.5 for the default ring);
    the exact ring puts :math:`(1 - e^{-9/2})/8 = 0.1236` of its mass near each mode.
    Returns one share per mode, in the order of ``ring.centres``.
    """
    ring = RingTarget() if ring is None else ring
    radius = 3.0 * ring.scale if radius is None else require_float("radius", radius, low=0.0, low_inclusive=False)
    x = require_finite_points("samples", samples).astype(np.float64)
    dist = np.sqrt(((x[:, None, :] - np.asarray(ring.centres)[None, :, :]) ** 2).sum(axis=2))
    return (dist < radius).mean(axis=0)


def exact_ring_mode_mass(ring: RingTarget | Ring | None = None, radius: float | None = None) -> float:
    """Mass of the exact ring within ``radius`` of one mode's centre (the other modes' share there is negligible)."""
    ring = RingTarget() if ring is None else ring
    radius = 3.0 * ring.scale if radius is None else radius
    return (1.0 - math.exp(-0.5 * (radius / ring.scale) ** 2)) / ring.n_modes


