"""helpers.digits: the split, the units (bits per dimension) and the baselines of the image notebook."""

import math

import numpy as np
import pytest

from helpers import digits
from helpers.validation import ParameterError


@pytest.fixture(scope="module")
def split():
    return digits.load_digit_splits(seed=3)


def test_split_sizes_disjoint_and_seeded(split):
    train, val, test = split
    assert (len(train), len(val), len(test)) == (1000, 350, 447)
    assert train.shape[1] == 64 and train.min() == 0 and train.max() == 16
    rows = {r.tobytes() for r in np.concatenate([train, val, test])}
    assert len(rows) > 1700  # a permutation: no image twice (the data set has a few exact duplicates)
    again = digits.load_digit_splits(seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(split, again))
    assert not np.array_equal(train, digits.load_digit_splits(seed=4)[0])


def test_split_refuses_too_large_parts():
    with pytest.raises(ParameterError, match="n_train"):
        digits.load_digit_splits(seed=0, n_train=1700, n_validation=100)


def test_uniform_is_log2_17_exactly(split):
    bits = digits.uniform_bits(split[2])
    assert np.allclose(bits, math.log2(17), rtol=0, atol=1e-12)
    assert abs(digits.UNIFORM_BITS - 4.087462841250339) < 1e-12


def test_a_uniform_density_on_dequantized_pixels_scores_log2_17(split):
    """A continuous density uniform on [0, 17)^64 in pixel units: the dequantization bound is exact for it."""
    for bits in digits.continuous_bits(lambda y: np.full(len(y), -64 * math.log(17)), split[2], draws=2):
        assert np.allclose(bits, math.log2(17), rtol=0, atol=1e-12)


def test_importance_weighted_estimate_is_the_log_of_the_mean_weight_and_never_above_the_bound():
    rng = np.random.default_rng(3)
    log_weights = rng.normal(-100.0, 3.0, size=(16, 40))
    importance, bound = digits.estimate_bits(log_weights)
    ln2_64 = 64 * math.log(2)
    np.testing.assert_allclose(importance, -np.log(np.exp(log_weights).mean(axis=0)) / ln2_64, rtol=1e-12)
    np.testing.assert_allclose(bound, -log_weights.mean(axis=0) / ln2_64, rtol=1e-12)
    assert np.all(importance <= bound) and np.any(importance < bound - 0.01)  # Jensen, strict for unequal draws
    # stable far from 0 (exp(-5000) underflows), and one draw gives the bound itself
    far = digits.estimate_bits(log_weights - 5000.0)[0]
    np.testing.assert_allclose(far, importance + 5000.0 / ln2_64, rtol=1e-12)
    np.testing.assert_allclose(digits.estimate_bits(log_weights[:1])[0], digits.estimate_bits(log_weights[:1])[1])


def test_importance_weighted_estimate_tends_to_the_discrete_probability():
    """A density on a dequantized value whose integral over the unit cell is known: p(y) = 2y on [0, 1), so
    P(0) = 1 exactly. The bound gives E[log 2u] = log 2 - 1 nats whatever the draws; the estimate approaches
    log P(0) = 0 as they grow."""
    u = np.random.default_rng(0).random((4096, 200))
    to_nats = -64 * math.log(2)  # estimate_bits returns bits per dimension of a 64-pixel image
    importance, bound = (to_nats * b for b in digits.estimate_bits(np.log(2 * u)))
    assert abs(bound.mean() - (math.log(2) - 1)) < 0.01
    assert abs(importance.mean()) < 0.01 and importance.std() < 0.05


@pytest.mark.parametrize("bad, message", [
    (np.zeros(5), "log_weights must have shape (draws, images), got (5,)"),
    (np.array([[0.0, np.nan]]), "log_weights has 1 non-finite value(s)"),
])
def test_estimate_bits_refuses_bad_weights(bad, message):
    with pytest.raises(ParameterError) as err:
        digits.estimate_bits(bad)
    assert str(err.value) == message


def test_categorical_is_the_smoothed_frequency_of_each_level():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 17, size=(50, 64))
    variants = np.repeat(rng.integers(0, 17, size=(1, 64)), 17, axis=0)
    variants[:, 5] = np.arange(17)  # pixel 5 takes every level, the others are fixed
    log2_p = -64 * digits.categorical_bits(train, variants, pseudo_count=1.0)
    # P(variant v) / P(variant 0) = p_5(v) / p_5(0), so the ratios sum to 1 / p_5(0) = (50 + 17) / (count + 1)
    expected = (50 + 17) / (np.sum(train[:, 5] == 0) + 1)
    assert abs(np.sum(2.0 ** (log2_p - log2_p[0])) - expected) < 1e-9


def test_categorical_beats_uniform_and_smoothing_keeps_unseen_levels_finite(split):
    train, _, test = split
    bits = digits.categorical_bits(train, test)
    assert np.all(np.isfinite(bits)) and 2.2 < bits.mean() < 2.6
    unseen = np.full((1, 64), 16)  # a corner pixel at 16 never occurs in training
    assert np.isfinite(digits.categorical_bits(train, unseen)).all()


def test_autoregressive_conditionals_sum_to_one(split):
    log_prob = digits.autoregressive_fit(split[0][:300], c=0.3)
    image = split[1][:1]
    for j in (0, 20, 36, 63):  # pixel j's conditional given the earlier ones, over its 17 levels
        variants = np.repeat(image, 17, axis=0)
        variants[:, j] = np.arange(17)
        terms = log_prob(variants, per_pixel=True)
        assert abs(np.exp(terms[:, j]).sum() - 1.0) < 1e-9
        assert np.allclose(terms[:, :j], terms[:1, :j])  # earlier pixels' factors do not depend on pixel j
    assert np.allclose(log_prob(split[2][:5]), log_prob(split[2][:5], per_pixel=True).sum(axis=1))


def test_autoregressive_beats_categorical(split):
    train, val, test = split
    c, scores, log_prob = digits.select_autoregressive(train, val, cs=(0.3,))
    assert c == 0.3 and set(scores) == {0.3}
    ar = digits.bits_per_dim(log_prob(test))
    assert ar.mean() < digits.categorical_bits(train, test).mean() - 0.1


def test_gaussian_and_mixture_are_finite_and_worse_than_categorical(split):
    train, val, test = split
    gauss, gauss_bound = digits.continuous_bits(digits.gaussian_log_prob(train), test, draws=2)
    assert np.all(gauss <= gauss_bound)
    k, scores, log_prob = digits.select_gmm(train, val, components=(1, 2))
    assert k in (1, 2) and set(scores) == {1, 2}
    assert np.isfinite(digits.continuous_bits(log_prob, test, draws=1)).all()
    assert np.all(np.isfinite(gauss)) and gauss.mean() > digits.categorical_bits(train, test).mean()


def test_images_are_checked():
    for bad in (np.zeros((3, 63)), np.full((2, 64), 17), np.full((2, 64), 0.5), np.full((2, 64), np.nan)):
        with pytest.raises(ParameterError):
            digits.uniform_bits(bad)


def test_bits_per_dim_units():
    assert digits.bits_per_dim([-64 * math.log(2)])[0] == pytest.approx(1.0)


def test_mean_and_se_and_nearest():
    mean, se = digits.mean_and_se([1.0, 2.0, 3.0])
    assert mean == 2.0 and se == pytest.approx(1 / math.sqrt(3))
    refs = np.arange(3 * 64).reshape(3, 64)
    assert digits.nearest_images(refs[[2, 0]] + 0.1, refs).tolist() == [2, 0]


def test_plot_image_grid_draws_every_image():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = digits.plot_image_grid([np.zeros((3, 64)), np.ones((2, 64))], row_titles=["a", "b"])
    assert len([ax for ax in fig.axes if ax.images]) == 5
    assert fig.get_size_inches()[0] <= 10.0
    plt.close(fig)
