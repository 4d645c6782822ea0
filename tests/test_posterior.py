"""Tests of helpers.posterior: posterior predictive density, spreads across draws, mass regions."""

import math

import numpy as np
import pytest

from helpers.datasets import Banana
from helpers.plotting import density_grid
from helpers.posterior import (density_spread, largest_draw_share, log_density_sd, mass_regions,
                               predictive_log_density, region_means)
from helpers.validation import ParameterError


def test_predictive_log_density_is_log_of_mean_density():
    rng = np.random.default_rng(0)
    log_q = rng.normal(-3.0, 1.0, size=(50, 20))
    expected = np.log(np.exp(log_q).mean(axis=0))
    np.testing.assert_allclose(predictive_log_density(log_q), expected, rtol=1e-12)


def test_predictive_log_density_survives_underflow():
    # densities far below float64's range: exp(-2000) is 0, the log-mean is not
    log_q = np.array([[-2000.0, -5.0], [-2000.0 + math.log(3.0), -np.inf]])
    out = predictive_log_density(log_q)
    np.testing.assert_allclose(out[0], -2000.0 + math.log(2.0), rtol=1e-12)  # log((1 + 3) / 2)
    np.testing.assert_allclose(out[1], -5.0 - math.log(2.0), rtol=1e-12)
    assert predictive_log_density(np.full((3, 1), -np.inf))[0] == -np.inf


def test_density_spread_of_identical_draws_is_zero():
    log_q = np.tile(np.linspace(-900.0, 2.0, 7), (10, 1))
    std, cv = density_spread(log_q)
    np.testing.assert_allclose(std, 0.0, atol=1e-12)
    np.testing.assert_allclose(cv, 0.0, atol=1e-12)


def test_density_spread_known_values():
    # two draws with densities 1 and 3: mean 2, population std 1, cv 0.5 -- also 1000 nats down
    for offset in (0.0, -1000.0):
        log_q = np.log(np.array([[1.0], [3.0]])) + offset
        std, cv = density_spread(log_q)
        np.testing.assert_allclose(cv, [0.5], rtol=1e-12)
        np.testing.assert_allclose(std, [math.exp(offset)], rtol=1e-12)
    # one draw holding all the density: cv = sqrt(S - 1)
    log_q = np.full((5, 1), -np.inf)
    log_q[2, 0] = -3.0
    np.testing.assert_allclose(density_spread(log_q)[1], [2.0], rtol=1e-12)


def test_density_spread_matches_numpy():
    rng = np.random.default_rng(1)
    log_q = rng.normal(-2.0, 0.7, size=(200, 30))
    q = np.exp(log_q)
    std, cv = density_spread(log_q)
    np.testing.assert_allclose(std, q.std(axis=0), rtol=1e-9)
    np.testing.assert_allclose(cv, q.std(axis=0) / q.mean(axis=0), rtol=1e-9)


def test_mass_regions_hold_the_requested_mass():
    banana = Banana()
    points, shape, _, _ = density_grid(banana.limits, resolution=120)
    log_p = banana.log_prob(points).reshape(shape)
    low, central = mass_regions(log_p, low_mass=0.01, central_mass=0.5)
    assert low.shape == central.shape == shape
    assert not (low & central).any()
    p = np.exp(log_p)
    frac_low, frac_central = p[low].sum() / p.sum(), p[central].sum() / p.sum()
    assert 0.009 < frac_low <= 0.01
    assert 0.5 <= frac_central < 0.505
    # every low cell is less dense than every cell outside it, every central cell denser
    assert p[low].max() <= p[~low].min()
    assert p[central].min() >= p[~central].max()


def test_mass_regions_on_a_tiny_grid():
    # masses 1, 2, 3, 4 (sum 10): the lowest 15 % is the cell holding 1; the central 50 % needs 4 + 3
    log_p = np.log(np.array([3.0, 1.0, 4.0, 2.0]))
    low, central = mass_regions(log_p, low_mass=0.15, central_mass=0.5)
    assert low.tolist() == [False, True, False, False]
    assert central.tolist() == [True, False, True, False]
    low, central = mass_regions(log_p, low_mass=0.05, central_mass=0.35)
    assert not low.any()
    assert central.tolist() == [False, False, True, False]


def test_region_means_ratio():
    values = np.array([2.0, 4.0, 0.5, 1.0])
    out = region_means(values, [True, True, False, False], [False, False, True, True])
    assert out == {"low": 3.0, "central": 0.75, "ratio": 4.0}
    assert region_means(values * 0 + [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0])["ratio"] == math.inf
    # any shape, as long as the sizes agree (a grid and its masks)
    grid = np.arange(6.0).reshape(2, 3)
    low = np.array([[True, False, False], [False, False, False]])
    assert region_means(grid, low, ~low)["central"] == pytest.approx(3.0)


def test_log_density_sd_known_values_and_matches_numpy():
    # log-densities 0 and 2 (and the same 1000 nats down): sample sd sqrt(2)
    for offset in (0.0, -1000.0):
        np.testing.assert_allclose(log_density_sd(np.array([[0.0], [2.0]]) + offset), [math.sqrt(2.0)], rtol=1e-12)
    rng = np.random.default_rng(2)
    log_q = rng.normal(-3.0, 1.5, size=(40, 25))
    np.testing.assert_allclose(log_density_sd(log_q), log_q.std(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(log_density_sd(np.tile(np.linspace(-900.0, 2.0, 7), (10, 1))), 0.0, atol=1e-12)


def test_small_spreads_of_the_log_density_equal_the_coefficient_of_variation():
    rng = np.random.default_rng(3)
    log_q = rng.normal(-2.0, 0.01, size=(400, 50))  # the densities differ by about 1 %
    np.testing.assert_allclose(log_density_sd(log_q), density_spread(log_q)[1], rtol=0.02)


def test_log_density_sd_converges_where_the_coefficient_of_variation_does_not():
    # log-normal densities with a 3-nat spread: true CV sqrt(exp(9) - 1) = 90, far beyond sqrt(S - 1) for S <= 1000
    rng = np.random.default_rng(4)
    log_q = rng.normal(0.0, 3.0, size=(1000, 500))
    sd = {s: log_density_sd(log_q[:s]).mean() for s in (10, 100, 1000)}
    cv = {s: density_spread(log_q[:s])[1] for s in (10, 100, 1000)}
    for s in sd:
        assert abs(sd[s] / 3.0 - 1.0) < 0.05, (s, sd[s])  # mean over 500 points of the sample sd (3 % low at 10)
        assert cv[s].max() <= math.sqrt(s - 1) + 1e-9
    assert cv[100].mean() > 2 * cv[10].mean() and cv[1000].mean() > 2 * cv[100].mean()  # 2.0, 4.9, 10.5


def test_largest_draw_share():
    # densities 1, 1, 2 -> 2/4; equal draws -> 1/S; one draw 1000 nats above the rest -> 1; all -inf -> NaN
    log_q = np.array([[0.0, -5.0, -1000.0, -np.inf],
                      [0.0, -5.0, -2000.0, -np.inf],
                      [math.log(2.0), -5.0, -2000.0, -np.inf]])
    out = largest_draw_share(log_q)
    np.testing.assert_allclose(out[:3], [0.5, 1 / 3, 1.0], rtol=1e-12)
    assert math.isnan(out[3])


def test_log_density_sd_needs_two_finite_draws():
    with pytest.raises(ParameterError, match="at least 2 draws"):
        log_density_sd(np.zeros((1, 4)))
    with pytest.raises(ParameterError, match="finite"):
        log_density_sd(np.array([[0.0, -np.inf], [0.0, -1.0]]))


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((0, 3)), [[0.0, np.nan]], [[np.inf, 0.0]]])
def test_bad_draws_raise(bad):
    with pytest.raises(ParameterError):
        predictive_log_density(bad)
    with pytest.raises(ParameterError):
        density_spread(bad)
    with pytest.raises(ParameterError):
        log_density_sd(bad)
    with pytest.raises(ParameterError):
        largest_draw_share(bad)


def test_bad_regions_raise():
    with pytest.raises(ParameterError, match="low_mass"):
        mass_regions(np.zeros(4), low_mass=0.0)
    with pytest.raises(ParameterError, match="<= 1"):
        mass_regions(np.zeros(4), low_mass=0.6, central_mass=0.5)
    with pytest.raises(ParameterError):
        mass_regions(np.array([0.0, np.nan]))
    with pytest.raises(ParameterError, match="same size"):
        region_means(np.zeros(3), [True, False], [False, True])
    with pytest.raises(ParameterError, match="at least one"):
        region_means(np.zeros(2), [False, False], [False, True])


# The same average of densities serves as an ensemble's equal-weight mixture (notebook 02, section 8).

def test_predictive_log_density_integrates_to_one():
    x = np.linspace(-20, 20, 40001)
    draws = np.stack([-0.5 * ((x - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)
                      for loc, scale in [(-3, 1), (0, 0.3), (4, 2)]])
    assert abs(np.trapezoid(np.exp(predictive_log_density(draws)), x) - 1.0) < 1e-6


def test_predictive_log_density_of_one_or_identical_draws_is_that_draw():
    lp = np.array([[-1.0, -2.5, -700.0]])
    np.testing.assert_allclose(predictive_log_density(lp), lp[0])
    np.testing.assert_allclose(predictive_log_density(np.repeat(lp, 4, axis=0)), lp[0])


def test_predictive_log_density_is_at_most_log_k_below_the_best_draw():
    lp = np.array([[-2000.0, -5.0], [-2001.0, -np.inf], [-np.inf, -np.inf]])
    mix = predictive_log_density(lp)
    assert np.all(np.isfinite(mix))
    np.testing.assert_allclose(mix[0], -2000.0 + np.log((1 + np.exp(-1.0)) / 3))
    assert np.all(mix >= lp.max(axis=0) - np.log(3) - 1e-12)
