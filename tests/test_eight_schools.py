"""helpers.eight_schools: the log joint, the exact posterior by quadrature, checked by brute force; W1 and PSIS."""

import math

import numpy as np
import pytest
import tensorflow as tf
from scipy import integrate, stats

from helpers import eight_schools as es
from helpers.validation import ParameterError


@pytest.fixture(scope="module")
def posterior():
    return es.EightSchoolsPosterior()


@pytest.fixture(scope="module")
def exact_draws(posterior):
    return posterior.sample(400_000, seed=11)


def test_data_are_the_classic_eight_schools():
    assert es.Y.tolist() == [28, 8, -3, 7, -1, 1, 18, 12]
    assert es.SIGMA.tolist() == [15, 10, 16, 11, 9, 11, 10, 18]
    assert es.DIM == 10 and es.STATE_NAMES[:3] == ["mu", "log_tau", "theta_1"]


def test_log_joint_by_hand_and_in_tensorflow():
    rng = np.random.default_rng(0)
    z = np.column_stack([rng.normal(4, 3, 50), rng.normal(1, 1, 50), rng.normal(5, 6, (50, 8))])
    tau = np.exp(z[:, 1])
    by_hand = (stats.norm.logpdf(z[:, 0], 0, 5) + stats.halfcauchy.logpdf(tau, scale=5) + z[:, 1]
               + stats.norm.logpdf(z[:, 2:], z[:, :1], tau[:, None]).sum(axis=1)
               + stats.norm.logpdf(es.Y, z[:, 2:], es.SIGMA).sum(axis=1))
    np.testing.assert_allclose(es.log_joint(z), by_hand, rtol=1e-12)
    np.testing.assert_allclose(es.log_joint_tf(tf.constant(z)).numpy(), by_hand, rtol=1e-12)
    np.testing.assert_allclose(es.log_joint_tf(tf.constant(z, tf.float32)).numpy(), by_hand, rtol=1e-4)
    with pytest.raises(ParameterError, match=r"z must have shape \(n, 10\)"):
        es.log_joint(np.zeros((3, 9)))


@pytest.mark.parametrize("tau", [0.05, 1.0, 3.0, 20.0])
def test_marginal_likelihood_against_numerical_integration_over_mu_and_a_gaussian(tau):
    closed = es.log_marginal_likelihood_given_tau(tau)
    # brute force 1: integrate mu numerically, with theta integrated analytically (y_j ~ N(mu, sigma_j^2 + tau^2))
    scale = np.sqrt(es.SIGMA**2 + tau**2)
    value, _ = integrate.quad(lambda mu: math.exp(stats.norm.logpdf(mu, 0, 5)
                                                  + stats.norm.logpdf(es.Y, mu, scale).sum() + 40.0),
                              -60, 60, epsabs=0, epsrel=1e-11, limit=200)
    assert closed == pytest.approx(math.log(value) - 40.0, abs=1e-8)
    # brute force 2: y is jointly Gaussian with covariance diag(sigma^2 + tau^2) + 25
    cov = np.diag(es.SIGMA**2 + tau**2) + 25.0
    assert closed == pytest.approx(stats.multivariate_normal(np.zeros(8), cov).logpdf(es.Y), abs=1e-9)


def test_theta_integrates_out_as_the_model_says():
    """int N(theta; mu, tau) N(y; theta, sigma) dtheta = N(y; mu, sqrt(sigma^2 + tau^2)), numerically."""
    mu, tau, y, sigma = 3.0, 2.5, 28.0, 15.0
    value, _ = integrate.quad(lambda t: stats.norm.pdf(t, mu, tau) * stats.norm.pdf(y, t, sigma), -80, 120)
    assert value == pytest.approx(stats.norm.pdf(y, mu, math.hypot(sigma, tau)), rel=1e-9)


def test_log_tau_density_is_normalised_and_insensitive_to_the_grid(posterior):
    assert posterior.mass.sum() == pytest.approx(1.0)
    assert np.trapezoid(np.exp(posterior.log_density), posterior.grid) == pytest.approx(1.0, abs=1e-9)
    coarse = es.EightSchoolsPosterior(low=-25.0, high=10.0, n_grid=5001)
    assert coarse.log_evidence == pytest.approx(posterior.log_evidence, abs=1e-6)
    for key, (mean, sd) in posterior.summary().items():
        assert coarse.summary()[key][0] == pytest.approx(mean, abs=1e-4), key
        assert coarse.summary()[key][1] == pytest.approx(sd, abs=1e-4), key


def test_log_joint_minus_exact_log_posterior_is_the_log_evidence_everywhere(posterior, exact_draws):
    """p(z, y) / p(z | y) = p(y) at every z: ties the log joint, the conditionals and the quadrature together."""
    rng = np.random.default_rng(1)
    z = np.concatenate([exact_draws[:500],  # typical points, and arbitrary ones
                        np.column_stack([rng.normal(0, 8, 200), rng.uniform(-4, 3, 200), rng.normal(0, 15, (200, 8))])])
    difference = es.log_joint(z) - posterior.log_prob(z)
    np.testing.assert_allclose(difference, posterior.log_evidence, atol=1e-4)


def test_log_evidence_by_importance_sampling(posterior):
    """An independent estimate of log p(y): importance sampling from the prior, then from a broad Gaussian."""
    rng = np.random.default_rng(2)
    n = 400_000
    mu = rng.normal(0, 5, n)
    tau = np.abs(stats.cauchy.rvs(scale=5, size=n, random_state=rng))
    # theta integrated out analytically given (mu, tau): p(y | mu, tau)
    log_lik = stats.norm.logpdf(es.Y, mu[:, None], np.sqrt(es.SIGMA**2 + tau[:, None] ** 2)).sum(axis=1)
    top = log_lik.max()
    estimate = top + math.log(np.exp(log_lik - top).mean())
    assert estimate == pytest.approx(posterior.log_evidence, abs=0.01)


def test_exact_sampler_moments_match_the_quadrature(posterior, exact_draws):
    exact = posterior.summary()
    n = len(exact_draws)
    checks = {"mu": exact_draws[:, 0], "log_tau": exact_draws[:, 1], "tau": np.exp(exact_draws[:, 1]),
              "theta_1": exact_draws[:, 2], "theta_8": exact_draws[:, 9]}
    for key, x in checks.items():
        mean, sd = exact[key]
        assert x.mean() == pytest.approx(mean, abs=5 * sd / math.sqrt(n)), key
        assert x.std() == pytest.approx(sd, rel=0.01), key


def test_published_posterior_summaries():
    """The centred model's posterior as the Stan/PyMC examples report it (long MCMC runs): mu 4.4, tau 3.6."""
    exact = es.EightSchoolsPosterior().summary()
    assert exact["mu"][0] == pytest.approx(4.4, abs=0.05) and exact["mu"][1] == pytest.approx(3.3, abs=0.05)
    assert exact["tau"][0] == pytest.approx(3.6, abs=0.05)
    assert exact["theta_1"][0] == pytest.approx(6.2, abs=0.05)


def test_theta_marginal_density_integrates_to_one_and_matches_samples(posterior, exact_draws):
    grid = np.linspace(-60, 80, 4001)
    density = posterior.theta_density(grid, school=0)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-6)
    inside = (exact_draws[:, 2] > 0) & (exact_draws[:, 2] < 10)
    band = (grid >= 0) & (grid <= 10)
    assert inside.mean() == pytest.approx(np.trapezoid(density[band], grid[band]), abs=0.003)


def test_log_tau_w1_is_small_for_exact_draws_and_equals_a_shift(posterior, exact_draws):
    u = exact_draws[:50_000, 1]
    assert es.log_tau_w1(u, posterior) < 0.02
    # shifting every sample by 0.5 moves W1 by 0.5 (up to the sampling noise above)
    assert es.log_tau_w1(u + 0.5, posterior) == pytest.approx(0.5, abs=0.02)
    with pytest.raises(ParameterError, match="finite"):
        es.log_tau_w1(np.array([0.0, np.nan]), posterior)


def test_importance_diagnostics_exact_proposal_and_a_too_narrow_one(posterior, exact_draws):
    z = exact_draws[:20_000]
    perfect = es.importance_diagnostics(posterior.log_prob(z), es.log_joint(z))
    assert perfect["k_hat"] < 0.2 and perfect["ess_fraction"] > 0.99
    assert perfect["log_evidence"] == pytest.approx(posterior.log_evidence, abs=1e-3)
    # a Gaussian on log tau much narrower than the posterior: heavy weights, k-hat well above 0.7
    rng = np.random.default_rng(3)
    narrow = z.copy()
    narrow[:, 1] = 1.0 + 0.2 * rng.standard_normal(len(z))
    log_q = posterior.log_prob(narrow) - np.log(posterior.log_tau_density(narrow[:, 1])) \
        + stats.norm.logpdf(narrow[:, 1], 1.0, 0.2)
    bad = es.importance_diagnostics(log_q, es.log_joint(narrow))
    assert bad["k_hat"] > 0.7 and bad["ess_fraction"] < 0.2
    with pytest.raises(ParameterError, match="at least 10 finite"):
        es.importance_diagnostics(np.zeros(5), np.zeros(5))
