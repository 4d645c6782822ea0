"""Baseline density estimators: the kernel density estimate and its validation-chosen bandwidth."""

import math

import numpy as np
import pytest

from helpers.baselines import DEFAULT_BANDWIDTHS, gaussian_log_prob, kde_log_prob, select_kde_bandwidth
from helpers.plotting import density_grid
from helpers.validation import ParameterError


def _gaussian_data(n, seed, scale=(1.0, 1.0)):
    return np.random.default_rng(seed).standard_normal((n, 2)) * np.asarray(scale)


def test_kde_integrates_to_one():
    train = _gaussian_data(50, 0, scale=(3.0, 0.5))
    log_prob = kde_log_prob(train, 0.3)
    points, _, _, cell_area = density_grid(((-15, 15), (-4, 4)), resolution=300)
    assert np.exp(log_prob(points)).sum() * cell_area == pytest.approx(1.0, abs=1e-3)


def test_kde_by_hand_for_two_points():
    train = np.array([[0.0, 0.0], [2.0, 4.0]])  # std per coordinate: (1, 2)
    h = 0.5
    log_prob = kde_log_prob(train, h)
    x = np.array([[1.0, 1.0]])
    s0, s1 = h * 1.0, h * 2.0

    def kernel(c):
        return math.exp(-0.5 * ((x[0, 0] - c[0]) / s0) ** 2 - 0.5 * ((x[0, 1] - c[1]) / s1) ** 2) / (
            2 * math.pi * s0 * s1)

    expected = math.log(0.5 * (kernel(train[0]) + kernel(train[1])))
    assert log_prob(x)[0] == pytest.approx(expected, rel=1e-10)


def test_kde_is_finite_far_from_the_data_and_chunking_does_not_matter():
    train = _gaussian_data(30, 1)
    log_prob = kde_log_prob(train, 0.05)
    x = np.array([[40.0, -40.0], [0.0, 0.0], [3.0, 1.0]])
    assert np.isfinite(log_prob(x)).all()
    many = _gaussian_data(300, 2)
    np.testing.assert_allclose(log_prob(many, chunk=7), log_prob(many), rtol=1e-12)


def test_bandwidth_is_chosen_on_the_validation_split():
    train, validation = _gaussian_data(400, 3), _gaussian_data(200, 4)
    best, nll = select_kde_bandwidth(train, validation)
    assert nll.shape == (len(DEFAULT_BANDWIDTHS),)
    assert best == DEFAULT_BANDWIDTHS[int(np.argmin(nll))]
    assert nll.min() == pytest.approx(-kde_log_prob(train, best)(validation).mean())
    # For Gaussian data the best relative bandwidth is moderate: neither tiny nor oversmoothed.
    assert 0.15 < best < 0.9
    # A KDE with a well-chosen bandwidth scores close to the true density on fresh data.
    fresh = _gaussian_data(2000, 5)
    true_nll = math.log(2 * math.pi) + 0.5 * (fresh**2).sum(axis=1).mean()
    assert -kde_log_prob(train, best)(fresh).mean() - true_nll < 0.1


def test_selection_depends_on_the_validation_points():
    train = _gaussian_data(300, 6)
    close = train[:50] + 0.001  # near-copies of training points favour a tiny bandwidth
    far = _gaussian_data(50, 7)
    assert select_kde_bandwidth(train, close)[0] < select_kde_bandwidth(train, far)[0]


def test_kde_beats_a_gaussian_on_bimodal_data():
    rng = np.random.default_rng(8)
    def draw(n):
        return rng.standard_normal((n, 2)) * 0.3 + np.where(rng.random((n, 1)) < 0.5, -2.0, 2.0)
    train, validation, fresh = draw(300), draw(100), draw(1000)
    best, _ = select_kde_bandwidth(train, validation)
    assert kde_log_prob(train, best)(fresh).mean() > gaussian_log_prob(train)(fresh).mean() + 0.5


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_bad_bandwidth_is_refused(bad):
    with pytest.raises(ParameterError, match="bandwidth"):
        kde_log_prob(_gaussian_data(10, 0), bad)


def test_bad_input_is_refused():
    with pytest.raises(ParameterError, match="NaN or infinite"):
        kde_log_prob(np.array([[0.0, np.inf], [1.0, 1.0]]), 0.3)
    with pytest.raises(ParameterError, match="vary"):
        kde_log_prob(np.ones((5, 2)), 0.3)
    with pytest.raises(ParameterError, match="empty"):
        select_kde_bandwidth(_gaussian_data(10, 0), _gaussian_data(5, 1), bandwidths=[])
