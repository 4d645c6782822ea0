"""Every data set in helpers.datasets: normalised, sampler and density agree, bad input refused."""

import numpy as np
import pytest

from helpers.datasets import DATASETS, Banana
from helpers.plotting import density_grid
from helpers.validation import ParameterError

ALL = sorted(DATASETS)


@pytest.mark.parametrize("name", ALL)
def test_density_integrates_to_one_on_a_grid(name):
    data = DATASETS[name]()
    # A grid wider than the plot limits, fine enough for a Riemann sum.
    (a0, b0), (a1, b1) = data.limits
    w0, w1 = b0 - a0, b1 - a1
    limits = ((a0 - 0.5 * w0, b0 + 0.5 * w0), (a1 - 0.5 * w1, b1 + 0.5 * w1))
    points, _, _, cell_area = density_grid(limits, resolution=1200)
    mass = np.exp(data.log_prob(points)).sum() * cell_area
    assert mass == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("name", ALL)
def test_sampler_and_density_agree(name):
    """Monte Carlo entropy from the sampler matches the density's own entropy,
    and the fraction of samples in a box matches the density's mass there."""
    data = DATASETS[name]()
    x = data.sample(200_000, seed=1)
    assert x.shape == (200_000, 2) and x.dtype == np.float32 and np.isfinite(x).all()
    log_p = data.log_prob(x)
    assert np.isfinite(log_p).all()
    mc_entropy = -log_p.mean()
    se = log_p.std() / np.sqrt(len(x))
    assert mc_entropy == pytest.approx(data.entropy(), abs=5 * se + 1e-3)

    (a0, b0), (a1, b1) = data.limits
    box = ((a0, 0.5 * (a0 + b0)), (a1, 0.5 * (a1 + b1)))  # lower-left quarter of the plot area
    inside = ((x[:, 0] > box[0][0]) & (x[:, 0] < box[0][1]) & (x[:, 1] > box[1][0]) & (x[:, 1] < box[1][1]))
    points, _, _, cell_area = density_grid(box, resolution=800)
    mass = np.exp(data.log_prob(points)).sum() * cell_area
    assert inside.mean() == pytest.approx(mass, abs=0.01)


@pytest.mark.parametrize("name", ALL)
def test_sampling_is_reproducible_per_seed(name):
    data = DATASETS[name]()
    np.testing.assert_array_equal(data.sample(50, seed=3), data.sample(50, seed=3))
    assert not np.array_equal(data.sample(50, seed=3), data.sample(50, seed=4))


@pytest.mark.parametrize("name", ALL)
def test_log_prob_refuses_non_finite_points(name):
    data = DATASETS[name]()
    with pytest.raises(ParameterError, match="NaN or infinite"):
        data.log_prob(np.array([[0.0, 1.0], [np.nan, 0.0]]))


def test_banana_entropy_is_the_documented_value():
    assert Banana().entropy() == pytest.approx(3.9365, abs=5e-5)


def test_banana_log_prob_by_hand():
    # x1 = 2, x0 = 1 (= x1^2 / 4): log N(2; 0, 9) + log N(1; 1, 1)
    expected = (-0.5 * np.log(2 * np.pi * 9) - 0.5 * 4 / 9) + (-0.5 * np.log(2 * np.pi))
    assert Banana().log_prob(np.array([[1.0, 2.0]]))[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_banana_refuses_bad_sigma(bad):
    with pytest.raises(ParameterError, match="sigma"):
        Banana(sigma=bad)


def test_sample_size_must_be_positive():
    with pytest.raises(ParameterError, match="n must be an integer >= 1, got 0"):
        Banana().sample(0, seed=0)
