"""Every conditional data set: each p(y | x) integrates to 1 over y, sampler and density agree, shapes, bad input."""

import numpy as np
import pytest
from scipy.stats import kstest, norm

from helpers.conditional_datasets import CONDITIONAL_DATASETS, Skewed, split_pairs
from helpers.plotting import density_grid
from helpers.validation import ParameterError

ALL = sorted(CONDITIONAL_DATASETS)
ONE_D = [name for name in ALL if CONDITIONAL_DATASETS[name].y_dim == 1]
TWO_D = [name for name in ALL if CONDITIONAL_DATASETS[name].y_dim == 2]
SEVERAL_X = [-2.0, -1.3, -0.5, 0.0, 0.7, 1.5, 2.0]


def mass_over_y(data, x):
    """The integral of p(y | x) over y, by a Riemann sum on a grid far wider than the plot limits."""
    if data.y_dim == 1:
        y = np.linspace(-30.0, 30.0, 120_001)
        return np.exp(data.log_prob(y, np.full_like(y, x))).sum() * (y[1] - y[0])
    points, _, _, cell_area = density_grid(((-14.0, 14.0), (-14.0, 14.0)), resolution=1400)
    return np.exp(data.log_prob(points, np.full(len(points), x))).sum() * cell_area


@pytest.mark.parametrize("x", SEVERAL_X)
@pytest.mark.parametrize("name", ALL)
def test_each_conditional_integrates_to_one_over_y(name, x):
    assert mass_over_y(CONDITIONAL_DATASETS[name](), x) == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("name", ALL)
def test_shapes_dtypes_and_ranges(name):
    data = CONDITIONAL_DATASETS[name]()
    x, y = data.sample(1000, seed=1)
    assert x.shape == (1000, 1) and x.dtype == np.float32
    assert y.shape == ((1000,) if data.y_dim == 1 else (1000, 2)) and y.dtype == np.float32
    assert np.isfinite(y).all() and (x >= data.x_limits[0]).all() and (x <= data.x_limits[1]).all()
    log_p = data.log_prob(y, x)
    assert log_p.shape == (1000,) and log_p.dtype == np.float64 and np.isfinite(log_p).all()


@pytest.mark.parametrize("name", ALL)
def test_sampling_is_reproducible_per_seed_and_fresh_otherwise(name):
    data = CONDITIONAL_DATASETS[name]()
    (x1, y1), (x2, y2), (x3, _) = data.sample(50, seed=3), data.sample(50, seed=3), data.sample(50, seed=4)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("name", ONE_D)
def test_cdf_of_samples_is_uniform_and_matches_the_density(name):
    """PIT of the sampler's draws under the exact CDF is uniform (Kolmogorov-Smirnov), and the CDF is the
    integral of the density."""
    data = CONDITIONAL_DATASETS[name]()
    x, y = data.sample(20_000, seed=2)
    assert kstest(data.cdf(y, x), "uniform").pvalue > 1e-3
    for x0 in SEVERAL_X:
        grid = np.linspace(-30.0, 3.0, 200_001)
        integral = np.exp(data.log_prob(grid, np.full_like(grid, x0))).sum() * (grid[1] - grid[0])
        assert data.cdf(np.array([3.0]), np.array([x0]))[0] == pytest.approx(integral, abs=2e-4)


@pytest.mark.parametrize("name", ALL)
def test_sampler_and_density_agree_at_fixed_x(name):
    """At a fixed x: the share of samples in a box equals the density's mass there, and the mean of -log p over
    samples equals the entropy by quadrature."""
    data = CONDITIONAL_DATASETS[name]()
    for x0 in (-1.5, 0.3, 1.8):
        y = data.sample_y(np.full(100_000, x0), seed=11).astype(np.float64)
        log_p = data.log_prob(y, np.full(len(y), x0))
        if data.y_dim == 1:
            grid = np.linspace(-30.0, 30.0, 120_001)
            lp = data.log_prob(grid, np.full_like(grid, x0))
            entropy = -(np.exp(lp) * lp).sum() * (grid[1] - grid[0])
            inside = (y > -0.5) & (y < 0.8)
            box = np.linspace(-0.5, 0.8, 20_001)
            mass = np.exp(data.log_prob(box, np.full_like(box, x0))).mean() * 1.3
        else:
            points, _, _, cell_area = density_grid(((-14.0, 14.0), (-14.0, 14.0)), resolution=1400)
            lp = data.log_prob(points, np.full(len(points), x0))
            entropy = -(np.exp(lp) * lp).sum() * cell_area
            inside = (y[:, 0] > -1.0) & (y[:, 0] < 0.5) & (y[:, 1] > -0.5) & (y[:, 1] < 2.0)
            box, _, _, box_area = density_grid(((-1.0, 0.5), (-0.5, 2.0)), resolution=600)
            mass = np.exp(data.log_prob(box, np.full(len(box), x0))).sum() * box_area
        se = log_p.std() / np.sqrt(len(y))
        assert -log_p.mean() == pytest.approx(entropy, abs=5 * se + 2e-3)
        assert inside.mean() == pytest.approx(mass, abs=0.006)


def test_skewed_reduces_to_a_gaussian_without_skew():
    data = Skewed()
    y = np.linspace(-2.0, 2.0, 9)
    x = np.zeros_like(y)  # skew 0.7 * 0 = 0: a Gaussian with mean sin(0) = 0 and scale 0.2 + 0.1 * 2 = 0.4
    np.testing.assert_allclose(data.log_prob(y, x), norm.logpdf(y, 0.0, 0.4), rtol=1e-12)
    np.testing.assert_allclose(data.cdf(y, x), norm.cdf(y, 0.0, 0.4), rtol=1e-12)


def test_best_gaussian_for_each_x_is_the_documented_distance_from_the_skewed_data():
    """The docstring's 0.106 nats: KL from p(.|x) to its moment-matched Gaussian, averaged over x ~ U(-2, 2)
    (the trapezoidal rule over 41 values of x; an equal-weight mean of the same 41 values gives 0.109, as it
    over-weights the two ends, where the skew and so the KL are largest)."""
    data, grid = Skewed(), np.linspace(-40.0, 60.0, 100_001)
    h, kls, xs = grid[1] - grid[0], [], np.linspace(-2.0, 2.0, 41)
    for x0 in xs:
        lp = data.log_prob(grid, np.full_like(grid, x0))
        p = np.exp(lp)
        mean = (p * grid).sum() * h
        sd = np.sqrt((p * (grid - mean) ** 2).sum() * h)
        kls.append((p * (lp - norm.logpdf(grid, mean, sd))).sum() * h)
    assert np.trapezoid(kls, xs) / 4.0 == pytest.approx(0.106, abs=5e-4)


@pytest.mark.parametrize("name", ALL)
def test_bad_input_is_refused_by_name(name):
    data = CONDITIONAL_DATASETS[name]()
    x, y = data.sample(4, seed=0)
    with pytest.raises(ParameterError, match="y must have shape"):
        data.log_prob(y[:3], x)
    with pytest.raises(ParameterError, match="x has NaN"):
        data.log_prob(y, np.array([[0.0], [np.nan], [0.0], [0.0]]))
    bad_y = y.astype(np.float64).copy()
    bad_y[0] = np.inf
    with pytest.raises(ParameterError, match="y has NaN"):
        data.log_prob(bad_y, x)
    with pytest.raises(ParameterError, match="n must be an integer >= 1"):
        data.sample(0, seed=0)


def test_split_pairs_keeps_pairs_together_and_depends_only_on_the_seed():
    data = CONDITIONAL_DATASETS["banana"]()
    x, y = data.sample(100, seed=0)
    (x_train, y_train), (x_val, y_val) = split_pairs(x, y, 0.2, seed=3)
    assert len(x_train) == len(y_train) == 80 and len(x_val) == len(y_val) == 20
    rows = {tuple(np.r_[a, b]) for a, b in zip(x, y)}
    assert {tuple(np.r_[a, b]) for a, b in zip(x_train, y_train)} | {tuple(np.r_[a, b]) for a, b in zip(x_val, y_val)} == rows
    again = split_pairs(x, y, 0.2, seed=3)
    np.testing.assert_array_equal(again[1][0], x_val)
    with pytest.raises(ParameterError, match="no validation or no training pair"):
        split_pairs(x[:2], y[:2], 0.1)
    with pytest.raises(ParameterError, match="one row per row of x"):
        split_pairs(x, y[:50])
