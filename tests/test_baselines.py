"""Baseline density estimators: the kernel density estimate and its validation-chosen bandwidth; the Gaussian
mixture and its validation-chosen number of components."""

import math

import numpy as np
import pytest

from helpers.baselines import (DEFAULT_BANDWIDTHS, gaussian_log_prob, gmm_log_prob, kde_log_prob,
                               select_gmm_components, select_kde_bandwidth)
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


def test_bandwidth_search_equals_one_kde_per_bandwidth():
    """The shared-distance search gives every bandwidth the validation NLL of its own KDE."""
    train, validation = _gaussian_data(300, 9, scale=(2.0, 0.3)), _gaussian_data(120, 10, scale=(2.0, 0.3))
    bandwidths = (0.01, 0.05, 0.2, 1.0)
    best, nll = select_kde_bandwidth(train, validation, bandwidths, chunk=50)
    expected = [-kde_log_prob(train, b)(validation).mean() for b in bandwidths]
    np.testing.assert_allclose(nll, expected, rtol=1e-12)
    assert best == bandwidths[int(np.argmin(expected))]
    # far from every training point: still finite, as in kde_log_prob
    far = np.array([[50.0, -50.0]])
    assert np.isfinite(select_kde_bandwidth(train, far, (0.01,))[1]).all()


# --- Gaussian mixture ---------------------------------------------------------------------------------------------

MEANS = np.array([[-4.0, 0.0], [3.0, 3.0], [3.0, -3.0]])
WEIGHTS = np.array([0.5, 0.3, 0.2])


def _mixture_data(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n, p=WEIGHTS)
    return MEANS[labels] + 0.5 * rng.standard_normal((n, 2))


def _mixture_log_prob(x):
    sq = ((x[:, None, :] - MEANS[None]) ** 2).sum(axis=2)
    log_k = np.log(WEIGHTS) - math.log(2 * math.pi * 0.25) - 0.5 * sq / 0.25
    top = log_k.max(axis=1)
    return top + np.log(np.exp(log_k - top[:, None]).sum(axis=1))


def test_gmm_recovers_a_known_mixture():
    log_prob = gmm_log_prob(_mixture_data(3000, 11), 3, seed=0)
    fitted = log_prob.mixture
    order = [int(np.argmin(((fitted.means_ - m) ** 2).sum(axis=1))) for m in MEANS]
    assert sorted(order) == [0, 1, 2]
    np.testing.assert_allclose(fitted.means_[order], MEANS, atol=0.05)
    np.testing.assert_allclose(fitted.weights_[order], WEIGHTS, atol=0.03)
    np.testing.assert_allclose(fitted.covariances_[order], np.tile(0.25 * np.eye(2), (3, 1, 1)), atol=0.03)
    fresh = _mixture_data(2000, 12)  # on fresh points, nearly the exact density: KL of a few thousandths
    assert np.mean(_mixture_log_prob(fresh) - log_prob(fresh)) < 0.01


def test_gmm_integrates_to_one():
    log_prob = gmm_log_prob(_mixture_data(500, 13), 4, seed=1)
    points, _, _, cell_area = density_grid(((-9, 8), (-7, 7)), resolution=300)
    assert np.exp(log_prob(points)).sum() * cell_area == pytest.approx(1.0, abs=1e-3)


def test_gmm_components_are_chosen_on_the_validation_split():
    train, validation = _mixture_data(2000, 14), _mixture_data(1000, 15)
    best, nll, log_prob = select_gmm_components(train, validation, components=(1, 2, 3, 4, 6), seed=0)
    assert best == 3  # the clean data's own number: fewer underfit, more only fit noise
    assert nll.shape == (5,) and nll[2] == nll.min()
    assert nll[0] > nll[1] > nll[2]  # each missing component costs a lot
    np.testing.assert_allclose(-log_prob(validation).mean(), nll[2], rtol=1e-12)
    assert log_prob.mixture.n_components == 3


def test_gmm_is_reproducible_with_its_seed():
    train, x = _mixture_data(400, 16), _mixture_data(50, 17)
    np.testing.assert_array_equal(gmm_log_prob(train, 5, seed=3)(x), gmm_log_prob(train, 5, seed=3)(x))


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_components=0), "n_components must be an integer >= 1, got 0"),
    (dict(n_components=2.5), "n_components must be an integer >= 1, got 2.5"),
    (dict(n_components=11), "n_components must be at most the number of training points (10), got 11"),
])
def test_gmm_refuses_bad_numbers_of_components(kwargs, message):
    with pytest.raises(ParameterError) as err:
        gmm_log_prob(_gaussian_data(10, 0), **kwargs)
    assert str(err.value) == message


def test_gmm_refuses_bad_points():
    with pytest.raises(ParameterError) as err:
        gmm_log_prob(np.array([[0.0, np.nan], [1.0, 1.0], [2.0, 0.0]]), 1)
    assert str(err.value) == "train has 1 row(s) with NaN or infinite values (first: row 0)"
    with pytest.raises(ParameterError) as err:
        select_gmm_components(_gaussian_data(10, 0), np.zeros((3, 3)))
    assert str(err.value) == "validation must have shape (n, 2), got (3, 3)"
    with pytest.raises(ParameterError) as err:
        select_gmm_components(_gaussian_data(10, 0), _gaussian_data(3, 1), components=[])
    assert str(err.value) == "components must not be empty"
