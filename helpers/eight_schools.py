r"""The eight-schools model (Rubin 1981; Gelman et al., *Bayesian Data Analysis*, ch. 5), centred, with its exact posterior.

Data: the estimated effect :math:`y_j` of coaching in school :math:`j` and its standard error :math:`\sigma_j`.
Model (centred parameterisation, as in the Stan, PyMC and TFP examples):

.. math::
    \mu \sim \mathcal N(0, 5^2), \quad \tau \sim \mathrm{HalfCauchy}(0, 5), \quad
    \theta_j \mid \mu, \tau \sim \mathcal N(\mu, \tau^2), \quad y_j \mid \theta_j \sim \mathcal N(\theta_j, \sigma_j^2).

The unconstrained **state** is :math:`z = (\mu, \log\tau, \theta_1, \dots, \theta_8)` (10 numbers). Its log
joint density includes the Jacobian of :math:`\tau = e^{u}`, :math:`u = \log\tau`: :math:`\log p(z, y) = \log
\mathcal N(\mu; 0, 25) + \log \mathrm{HalfCauchy}(e^u; 0, 5) + u + \sum_j [\log \mathcal N(\theta_j; \mu, e^{2u}) +
\log\mathcal N(y_j; \theta_j, \sigma_j^2)]`.

**Exact posterior.** Given :math:`\tau`, everything else is conjugate normal. Integrating out
:math:`\theta` gives :math:`y_j \mid \mu, \tau \sim \mathcal N(\mu, \sigma_j^2 + \tau^2)`, and integrating out
:math:`\mu` gives :math:`p(y \mid \tau)` in closed form, so :math:`p(\log\tau \mid y) \propto p(\tau)\,\tau\,
p(y \mid \tau)` is a one-dimensional density, normalised here on a fine grid. Then :math:`\mu \mid \tau, y` and
:math:`\theta_j \mid \mu, \tau, y` are normal. :class:`EightSchoolsPosterior` holds the grid, the exact
marginals, means and standard deviations, and an exact sampler.
"""

from __future__ import annotations

import math

import numpy as np

from .datasets import LOG_2PI, normal_log_prob
from .validation import ParameterError, require_int

#: Estimated coaching effects and their standard errors (BDA, table 5.2).
Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
N_SCHOOLS = 8
#: Prior scales: mu ~ N(0, MU_SCALE^2), tau ~ HalfCauchy(0, TAU_SCALE).
MU_SCALE = 5.0
TAU_SCALE = 5.0
#: Names of the state's coordinates, in order.
STATE_NAMES = ["mu", "log_tau"] + [f"theta_{j + 1}" for j in range(N_SCHOOLS)]
DIM = len(STATE_NAMES)


def log_half_cauchy(tau, scale: float = TAU_SCALE):
    """Log-density of HalfCauchy(0, scale) at ``tau`` > 0."""
    return math.log(2.0 / (math.pi * scale)) - np.log1p((np.asarray(tau) / scale) ** 2)


def _check_state(z) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != DIM:
        raise ParameterError(f"z must have shape (n, {DIM}), got {z.shape}")
    return z


def log_joint(z) -> np.ndarray:
    """Log joint density :math:`\\log p(z, y)` of the centred model at each row of ``z`` (NumPy, float64)."""
    z = _check_state(z)
    mu, u, theta = z[:, 0], z[:, 1], z[:, 2:]
    tau = np.exp(u)
    return (normal_log_prob(mu, 0.0, MU_SCALE) + log_half_cauchy(tau) + u
            + normal_log_prob(theta, mu[:, None], tau[:, None]).sum(axis=1)
            + normal_log_prob(Y, theta, SIGMA).sum(axis=1))


def log_joint_tf(z):
    """The same log joint for a TensorFlow tensor of shape ``(n, 10)`` (differentiable; dtype of ``z``)."""
    import tensorflow as tf

    y = tf.constant(Y, dtype=z.dtype)
    sigma = tf.constant(SIGMA, dtype=z.dtype)
    mu, u, theta = z[..., 0], z[..., 1], z[..., 2:]

    def normal(x, loc, log_scale):
        log_scale = tf.convert_to_tensor(log_scale, dtype=z.dtype)
        return -0.5 * LOG_2PI - log_scale - 0.5 * tf.square((x - loc) * tf.exp(-log_scale))

    log_prior_tau = math.log(2.0 / (math.pi * TAU_SCALE)) - tf.math.log1p(tf.square(tf.exp(u) / TAU_SCALE))
    return (normal(mu, 0.0, math.log(MU_SCALE)) + log_prior_tau + u
            + tf.reduce_sum(normal(theta, mu[..., None], u[..., None]), axis=-1)
            + tf.reduce_sum(normal(y, theta, tf.math.log(sigma)), axis=-1))


def mu_given_tau(tau):
    """Mean and variance of :math:`\\mu \\mid \\tau, y` (arrays like ``tau``)."""
    tau = np.asarray(tau, dtype=np.float64)
    v = SIGMA**2 + tau[..., None] ** 2
    precision = 1.0 / MU_SCALE**2 + (1.0 / v).sum(axis=-1)
    return (Y / v).sum(axis=-1) / precision, 1.0 / precision


def log_marginal_likelihood_given_tau(tau) -> np.ndarray:
    """:math:`\\log p(y \\mid \\tau)`, with :math:`\\mu` and :math:`\\theta` integrated out (closed form)."""
    tau = np.asarray(tau, dtype=np.float64)
    v = SIGMA**2 + tau[..., None] ** 2
    mean, var = mu_given_tau(tau)
    return (-0.5 * (N_SCHOOLS * LOG_2PI + np.log(v).sum(axis=-1)) - math.log(MU_SCALE) + 0.5 * np.log(var)
            - 0.5 * ((Y**2 / v).sum(axis=-1) - mean**2 / var))


def theta_given_mu_tau(mu, tau):
    """Mean and variance of :math:`\\theta_j \\mid \\mu, \\tau, y` (last axis: schools)."""
    mu, tau = np.asarray(mu, dtype=np.float64)[..., None], np.asarray(tau, dtype=np.float64)[..., None]
    precision = 1.0 / SIGMA**2 + 1.0 / tau**2
    return (Y / SIGMA**2 + mu / tau**2) / precision, 1.0 / precision


class EightSchoolsPosterior:
    """The exact posterior of the centred eight-schools model, by quadrature over :math:`u = \\log\\tau`.

    ``grid`` holds ``n_grid`` equally spaced values of :math:`\\log\\tau` on ``[low, high]`` and ``log_density``
    the normalised :math:`\\log p(\\log\\tau \\mid y)` there (trapezoid rule). The default range holds all
    but about :math:`4 \\times 10^{-10}` of the mass (by quadrature over :math:`[-60, 40]`: :math:`4.2 \\times
    10^{-10}` below :math:`-20`, :math:`5 \\times 10^{-22}` above 8): the left tail decays like :math:`\\tau`, the
    right like :math:`\\tau^{-9}`.
    """

    def __init__(self, low: float = -20.0, high: float = 8.0, n_grid: int = 20_001):
        n_grid = require_int("n_grid", n_grid, minimum=101)
        self.grid = np.linspace(low, high, n_grid)
        self.step = self.grid[1] - self.grid[0]
        tau = np.exp(self.grid)
        unnormalised = log_half_cauchy(tau) + self.grid + log_marginal_likelihood_given_tau(tau)
        top = unnormalised.max()
        weights = np.exp(unnormalised - top)
        trapezoid = np.full(n_grid, self.step)
        trapezoid[[0, -1]] *= 0.5
        #: :math:`\log p(y)`, the model's evidence (the log joint's normaliser).
        self.log_evidence = float(top + math.log((weights * trapezoid).sum()))
        self.log_density = unnormalised - self.log_evidence
        #: quadrature weights: the posterior mass belonging to each grid point (they sum to 1)
        self.mass = np.exp(self.log_density) * trapezoid
        self.mass /= self.mass.sum()
        self.mu_mean_given, self.mu_var_given = mu_given_tau(tau)

    # --- the log tau marginal ---------------------------------------------------------------------
    def log_tau_density(self, u) -> np.ndarray:
        """:math:`p(\\log\\tau \\mid y)` at ``u`` (linear interpolation of the grid)."""
        return np.interp(u, self.grid, np.exp(self.log_density), left=0.0, right=0.0)

    def log_tau_cdf(self, u) -> np.ndarray:
        return np.interp(u, self.grid, np.cumsum(self.mass), left=0.0, right=1.0)

    # --- posterior moments ------------------------------------------------------------------------
    def _moments(self, means, variances) -> tuple[float, float]:
        mean = float((self.mass * means).sum())
        second = float((self.mass * (variances + means**2)).sum())
        return mean, math.sqrt(max(second - mean**2, 0.0))

    def theta_given_tau(self, school: int = 0):
        """Mean and variance of :math:`\\theta_j \\mid \\tau, y` on the grid (:math:`\\mu` integrated out)."""
        tau = np.exp(self.grid)
        precision = 1.0 / SIGMA[school] ** 2 + 1.0 / tau**2
        weight = (1.0 / tau**2) / precision  # theta's conditional mean is a + weight * mu
        a = (Y[school] / SIGMA[school] ** 2) / precision
        return a + weight * self.mu_mean_given, 1.0 / precision + weight**2 * self.mu_var_given

    def summary(self) -> dict:
        """Exact posterior mean and standard deviation of mu, tau, log tau and every theta_j."""
        tau = np.exp(self.grid)
        out = {"mu": self._moments(self.mu_mean_given, self.mu_var_given),
               "tau": self._moments(tau, 0.0 * tau),
               "log_tau": self._moments(self.grid, 0.0 * tau)}
        for j in range(N_SCHOOLS):
            out[f"theta_{j + 1}"] = self._moments(*self.theta_given_tau(j))
        return out

    def theta_density(self, values, school: int = 0) -> np.ndarray:
        """The exact marginal density of :math:`\\theta_j` at ``values`` (a mixture of normals over the grid)."""
        means, variances = self.theta_given_tau(school)
        keep = self.mass > 1e-12 * self.mass.max()
        values = np.asarray(values, dtype=np.float64)
        sd = np.sqrt(variances[keep])
        dens = np.exp(normal_log_prob(values[:, None], means[keep], sd))
        return dens @ self.mass[keep]

    # --- exact samples ----------------------------------------------------------------------------
    def sample(self, n: int, seed: int) -> np.ndarray:
        """``n`` exact draws of the state :math:`(\\mu, \\log\\tau, \\theta_1..\\theta_8)`, shape ``(n, 10)``.

        :math:`\\log\\tau` by inverting the grid's CDF (linear within a grid cell), then
        :math:`\\mu \\mid \\tau, y` and :math:`\\theta \\mid \\mu, \\tau, y` from their normal conditionals.
        """
        n = require_int("n", n, minimum=1)
        rng = np.random.default_rng(seed)
        # CDF at the cell edges: cell i, centred on grid[i], holds mass[i]
        edges = np.concatenate([[self.grid[0] - 0.5 * self.step], self.grid + 0.5 * self.step])
        cdf = np.concatenate([[0.0], np.cumsum(self.mass)])
        u = np.interp(rng.random(n), cdf, edges)
        tau = np.exp(u)
        mean, var = mu_given_tau(tau)
        mu = mean + np.sqrt(var) * rng.standard_normal(n)
        t_mean, t_var = theta_given_mu_tau(mu, tau)
        theta = t_mean + np.sqrt(t_var) * rng.standard_normal((n, N_SCHOOLS))
        return np.column_stack([mu, u, theta])

    def log_prob(self, z) -> np.ndarray:
        """The exact normalised posterior log-density of the state (NumPy, float64).

        Equals ``log_joint(z) - log_evidence`` up to the quadrature's error; the tests check it.
        """
        z = _check_state(z)
        mu, u, theta = z[:, 0], z[:, 1], z[:, 2:]
        tau = np.exp(u)
        log_u = np.log(np.maximum(self.log_tau_density(u), 1e-300))
        mean, var = mu_given_tau(tau)
        t_mean, t_var = theta_given_mu_tau(mu, tau)
        return (log_u + normal_log_prob(mu, mean, np.sqrt(var))
                + normal_log_prob(theta, t_mean, np.sqrt(t_var)).sum(axis=1))


def log_tau_w1(samples_log_tau, posterior: EightSchoolsPosterior) -> float:
    """Wasserstein-1 distance between ``q``'s samples of :math:`\\log\\tau` and the exact marginal.

    ``scipy.stats.wasserstein_distance`` between the samples and the exact grid weighted by its mass
    (the grid's spacing, 0.0014 by default, bounds the discretisation error).
    """
    from scipy.stats import wasserstein_distance

    samples = np.asarray(samples_log_tau, dtype=np.float64).reshape(-1)
    if samples.size < 1 or not np.all(np.isfinite(samples)):
        raise ParameterError("samples_log_tau must be a non-empty array of finite numbers")
    keep = posterior.mass > 0
    return float(wasserstein_distance(samples, posterior.grid[keep], v_weights=posterior.mass[keep]))


def importance_diagnostics(log_q, log_joint_values) -> dict:
    """Importance sampling with ``q`` as proposal for the posterior: Pareto k-hat and effective sample size.

    Log weights :math:`\\log w_i = \\log p(z_i, y) - \\log q(z_i)` at :math:`z_i \\sim q`, smoothed by
    ArviZ's Pareto-smoothed importance sampling (``arviz.psislw``). Returns ``k_hat`` (below 0.7: the
    importance-sampling estimates are reliable; Vehtari et al. 2024), ``ess`` (:math:`1/\\sum \\tilde w_i^2`
    with the smoothed, normalised weights), ``ess_fraction`` = ess / n, and ``log_evidence`` (the log mean
    of the raw weights, an estimate of :math:`\\log p(y)`).
    """
    import arviz as az

    log_w = np.asarray(log_joint_values, dtype=np.float64).reshape(-1) - np.asarray(log_q, dtype=np.float64).reshape(-1)
    if log_w.size < 10 or not np.all(np.isfinite(log_w)):
        raise ParameterError("log weights must be at least 10 finite numbers")
    smoothed, k_hat = az.psislw(log_w.copy())
    w = np.exp(smoothed - smoothed.max())
    w /= w.sum()
    ess = float(1.0 / (w**2).sum())
    top = log_w.max()
    return {"k_hat": float(k_hat), "ess": ess, "ess_fraction": ess / log_w.size,
            "log_evidence": float(top + math.log(np.exp(log_w - top).mean()))}
