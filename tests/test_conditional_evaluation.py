"""Conditional KL and calibration scores, on distributions whose answers are known."""

import math

import numpy as np
import pytest
from scipy.stats import chi2, norm

from helpers.conditional_datasets import CONDITIONAL_DATASETS
from helpers.conditional_evaluation import (calibration_curve, central_ranks, conditional_kl, coverage, exact_ranks,
                                            hdr_ranks, held_out_pairs, level_key, pit_histogram, stein_check)
from helpers.evaluation import HELD_OUT_SEED_OFFSET
from helpers.validation import ParameterError


def test_kl_of_a_shifted_gaussian_is_half_a_nat():
    rng = np.random.default_rng(0)
    y = rng.standard_normal(200_000)
    scores = conditional_kl(norm.logpdf(y), norm.logpdf(y, loc=1.0))
    assert scores["kl"] == pytest.approx(0.5, abs=4 * scores["kl_se"])
    assert scores["kl_se"] == pytest.approx(1.0 / math.sqrt(len(y)), rel=0.01)  # sd of log p - log q is 1
    assert scores["nll"] == pytest.approx(0.5 * math.log(2 * math.pi) + 1.0, abs=0.01) and scores["n"] == len(y)


def test_kl_of_the_exact_density_is_zero():
    log_p = np.random.default_rng(1).normal(size=100)
    scores = conditional_kl(log_p, log_p)
    assert (scores["kl"], scores["kl_se"]) == (0.0, 0.0)


def test_a_non_finite_learned_log_density_gives_infinity_not_a_dropped_pair():
    for bad in (-np.inf, np.nan):
        scores = conditional_kl(np.zeros(3), np.array([0.0, bad, 0.0]))
        assert scores["kl"] == scores["kl_se"] == scores["nll"] == math.inf


def test_kl_refuses_mismatched_or_non_finite_exact_inputs():
    with pytest.raises(ParameterError, match="same shape"):
        conditional_kl(np.zeros(3), np.zeros(4))
    with pytest.raises(ParameterError, match="one value per pair"):
        conditional_kl(np.zeros((3, 3)), np.zeros((3, 3)))
    with pytest.raises(ParameterError, match="exact log-density"):
        conditional_kl(np.array([0.0, np.nan]), np.zeros(2))


def test_held_out_pairs_are_fresh_and_seeded():
    data = CONDITIONAL_DATASETS["skewed"]()
    x, y = held_out_pairs(data, 100, seed=3)
    x_train, _ = data.sample(100, seed=3)
    assert not np.array_equal(x, x_train)
    np.testing.assert_array_equal(x, data.sample(100, seed=3 + HELD_OUT_SEED_OFFSET)[0])


def test_central_ranks_and_coverage_of_a_calibrated_model_are_nominal():
    pit = np.random.default_rng(2).random(100_000)  # a calibrated model's PIT values are uniform
    ranks = central_ranks(pit)
    cov = coverage(ranks)
    assert set(cov) == {"50", "90"}
    assert cov["50"] == pytest.approx(0.5, abs=0.01) and cov["90"] == pytest.approx(0.9, abs=0.01)
    levels, observed = calibration_curve(ranks)
    np.testing.assert_allclose(observed, levels, atol=0.01)


def test_central_interval_is_the_one_between_the_quantiles():
    # u = 0.3 lies inside the central 50 % interval (0.25, 0.75); u = 0.2 does not, but inside the 90 % one
    assert coverage(central_ranks([0.3]))["50"] == 1.0
    assert coverage(central_ranks([0.2])) == {"50": 0.0, "90": 1.0}
    assert coverage(central_ranks([0.01])) == {"50": 0.0, "90": 0.0}


def test_an_overconfident_model_undercovers():
    rng = np.random.default_rng(3)
    y = rng.standard_normal(50_000)
    cov = coverage(central_ranks(norm.cdf(y, scale=0.5)))  # predicts half the true spread
    assert cov["50"] == pytest.approx(2 * norm.cdf(0.5 * 0.6745) - 1, abs=0.01)
    assert cov["90"] < 0.7


def test_hdr_ranks_of_a_2d_gaussian_match_the_chi_square_regions():
    """For a standard 2-D Gaussian the HDR of mass a is the disc r^2 <= chi2_2.ppf(a)."""
    rng = np.random.default_rng(4)
    n, s = 2000, 400

    def log_q(points):
        return -np.log(2 * np.pi) - 0.5 * (points ** 2).sum(axis=-1)

    y = rng.standard_normal((n, 2))
    samples = rng.standard_normal((n, s, 2))
    ranks = hdr_ranks(log_q(y), log_q(samples))
    exact = chi2.cdf((y ** 2).sum(axis=1), df=2)  # mass of the smallest disc containing y
    assert np.abs(ranks - exact).max() < 0.1  # Monte Carlo error of 400 samples
    cov = coverage(ranks)
    assert cov["50"] == pytest.approx(0.5, abs=0.03) and cov["90"] == pytest.approx(0.9, abs=0.02)


def test_hdr_rank_of_an_impossible_point_is_one():
    ranks = hdr_ranks(np.array([-np.inf, 0.0]), np.array([[1.0, -1.0], [1.0, -1.0]]))
    assert ranks[0] == 1.0
    assert 1 / 3 <= ranks[1] < 2 / 3   # one of two samples denser: (1 + v) / 3


def test_hdr_ranks_of_a_calibrated_model_are_uniform_even_with_few_samples():
    """With S = 4 samples the plain share of denser samples covers 60 % at the 50 % level (k <= 2 of 0..4);
    the randomised rank covers 50 %, at every level."""
    rng = np.random.default_rng(0)
    n, s = 200_000, 4

    def log_q(points):
        return -0.5 * points ** 2

    y, samples = rng.standard_normal(n), rng.standard_normal((n, s))
    plain = (log_q(samples) > log_q(y)[:, None]).mean(axis=1)
    assert coverage(plain)["50"] == pytest.approx(0.6, abs=0.005)
    ranks = hdr_ranks(log_q(y), log_q(samples), seed=1)
    levels, observed = calibration_curve(ranks)
    np.testing.assert_allclose(observed, levels, atol=0.005)


def test_hdr_ranks_randomise_ties_and_follow_the_seed():
    ties = hdr_ranks(np.zeros(100_000), np.zeros((100_000, 3)), seed=2)   # every sample as dense as the point
    assert coverage(ties, levels=[0.25, 0.5, 0.75]) == pytest.approx({"25": 0.25, "50": 0.5, "75": 0.75}, abs=0.01)
    points, samples = np.zeros(50), np.random.default_rng(3).standard_normal((50, 7))
    np.testing.assert_array_equal(hdr_ranks(points, samples, seed=5), hdr_ranks(points, samples, seed=5))
    assert not np.array_equal(hdr_ranks(points, samples, seed=5), hdr_ranks(points, samples, seed=6))


def test_hdr_ranks_refuse_mismatched_samples():
    with pytest.raises(ParameterError, match=r"log_q_samples must have shape \(3, S\)"):
        hdr_ranks(np.zeros(3), np.zeros((2, 5)))


def test_pit_histogram_is_flat_for_uniform_values():
    edges, density = pit_histogram(np.random.default_rng(5).random(100_000), bins=10)
    assert len(edges) == 11 and edges[0] == 0.0 and edges[-1] == 1.0
    np.testing.assert_allclose(density, 1.0, atol=0.05)


def test_levels_and_keys():
    assert [level_key(a) for a in (0.5, 0.9, 0.95)] == ["50", "90", "95"]
    assert coverage([0.1, 0.6], levels=[0.25]) == {"25": 0.5}
    with pytest.raises(ParameterError, match="levels must be"):
        coverage([0.1], levels=[1.5])
    with pytest.raises(ParameterError, match="pit values"):
        central_ranks([1.2])


def test_a_float32_cdf_a_rounding_step_past_1_counts_as_1_and_nothing_further_out():
    """A mixture's float32 CDF reached 1.0000001 on one of 100,000 held-out pairs (notebook 04's MDN, oneDNN on):
    that is the CDF at 1, outside every central interval below 100 %, not a bad input."""
    pit = np.array([np.float32(1.0000001), np.float32(-1e-8), 0.5])
    np.testing.assert_array_equal(central_ranks(pit), [1.0, 1.0, 0.0])
    with pytest.raises(ParameterError, match=r"pit values must be finite and within \[0, 1\].*1.00001"):
        central_ranks([0.5, 1.00001])
    with pytest.raises(ParameterError, match="non-finite"):
        central_ranks([0.5, np.nan])


def test_stein_check_holds_for_a_density_and_its_own_samples():
    rng = np.random.default_rng(6)
    loc, scale = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    y = loc + scale * rng.standard_normal((200_000, 2))
    grad = -(y - loc) / scale ** 2   # exact score of the Gaussian the samples come from
    check = stein_check(y, grad)
    assert check["d"] == 2
    np.testing.assert_allclose(check["score_mean"], 0.0, atol=5 * max(check["score_se"]))
    assert check["y_dot_score"] == pytest.approx(-2.0, abs=5 * check["y_dot_score_se"])


def test_stein_check_catches_a_density_that_is_not_the_samples_one():
    rng = np.random.default_rng(7)
    y = 2.0 * rng.standard_normal(100_000)   # samples with scale 2 ...
    check = stein_check(y, -y)                 # ... scored by a density with scale 1
    assert check["y_dot_score"] == pytest.approx(-4.0, abs=0.1)   # not -1


def test_stein_check_refuses_mismatched_shapes_and_reports_non_finite_gradients():
    with pytest.raises(ParameterError, match="same shape"):
        stein_check(np.zeros(3), np.zeros((3, 1)))
    assert stein_check(np.zeros(3), np.array([0.0, np.nan, 0.0]))["y_dot_score"] == math.inf


@pytest.mark.parametrize("name", sorted(CONDITIONAL_DATASETS))
def test_the_exact_density_covers_its_nominal_share_up_to_the_draw_of_the_pairs(name):
    """exact_ranks: the truth's own central intervals (1-D) or highest-density regions (2-D, from its samples)
    cover alpha of fresh pairs, within four standard errors for 20,000 pairs; the same pairs scored with another
    data set's density (a wrong truth) do not."""
    ds = CONDITIONAL_DATASETS[name]()
    x, y = held_out_pairs(ds, 20_000, seed=7)
    c = coverage(exact_ranks(ds, x, y, n_samples=30, seed=7))
    for level in (0.5, 0.9):
        se = math.sqrt(level * (1 - level) / len(y))
        assert abs(c[level_key(level)] - level) < 4 * se, (name, level, c)


def test_exact_ranks_of_pairs_from_another_density_are_off():
    skewed, modes = CONDITIONAL_DATASETS["skewed"](), CONDITIONAL_DATASETS["modes"]()
    x, y = held_out_pairs(modes, 20_000, seed=7)
    c = coverage(exact_ranks(skewed, x, y))
    assert abs(c["50"] - 0.5) > 0.05 or abs(c["90"] - 0.9) > 0.05, c
