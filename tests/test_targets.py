"""helpers.targets: TF and NumPy log-densities agree, normalisers are right, the KL estimators and mode masses."""

import math

import numpy as np
import pytest
import tensorflow as tf

from helpers.plotting import density_grid
from helpers.targets import (ENERGY_LOG_Z, TARGETS, EnergyTarget, RingTarget, energy_log_z,
                             exact_ring_mode_mass, forward_kl, reverse_kl, ring_mode_mass)
from helpers.validation import ParameterError

ALL = sorted(TARGETS)


@pytest.mark.parametrize("name", ALL)
def test_tensorflow_and_numpy_log_densities_agree(name):
    target = TARGETS[name]()
    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=(500, 2))
    tf_values = target.log_prob_tf(tf.constant(z, dtype=tf.float64)).numpy()
    np.testing.assert_allclose(tf_values, target.log_prob(z), rtol=1e-10, atol=1e-10)
    # float32, as in training: close, and differentiable
    z32 = tf.constant(z, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(z32)
        values = target.log_prob_tf(z32)
    np.testing.assert_allclose(values.numpy(), target.log_prob(z), rtol=1e-4, atol=1e-3)
    assert np.isfinite(tape.gradient(values, z32).numpy()).all()


@pytest.mark.parametrize("name", ALL)
def test_log_z_is_the_normaliser_on_a_grid(name):
    target = TARGETS[name]()
    (a0, b0), (a1, b1) = target.limits
    limits = ((a0 - 8, b0 + 8), (a1 - 4, b1 + 4))
    points, _, _, cell_area = density_grid(limits, resolution=1500)
    mass = np.exp(target.log_prob(points.astype(np.float64)) - target.log_z).sum() * cell_area
    assert mass == pytest.approx(1.0, abs=2e-3)


def test_energy_log_z_two_quadratures_agree_and_match_the_constant():
    cartesian, polar = energy_log_z("cartesian"), energy_log_z("polar")
    assert cartesian == pytest.approx(polar, abs=1e-9)
    assert ENERGY_LOG_Z == pytest.approx(cartesian, abs=1e-9)
    assert EnergyTarget().log_z == ENERGY_LOG_Z
    with pytest.raises(ParameterError, match="method must be"):
        energy_log_z("monte carlo")


def test_energy_log_z_by_a_fine_riemann_sum():
    """A third, independent method: the midpoint rule on a fine grid."""
    points, _, _, cell_area = density_grid(((-3, 3), (-3, 3)), resolution=2001)
    log_p = EnergyTarget().log_prob(points.astype(np.float64))
    assert math.log(np.exp(log_p).sum() * cell_area) == pytest.approx(ENERGY_LOG_Z, abs=1e-4)


def test_reverse_kl_of_the_target_itself_is_zero_and_of_a_shifted_gaussian_is_known():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((50_000, 2))
    log_p = -0.5 * (z**2).sum(axis=1) - math.log(2 * math.pi)
    kl, se = reverse_kl(log_p, log_p + 3.0, log_z=3.0)  # p~ = e^3 p
    assert kl == pytest.approx(0.0, abs=1e-12) and se == pytest.approx(0.0, abs=1e-12)
    # q = N(0, I), p = N((1, 0), I): KL = 1/2
    log_p_shifted = -0.5 * ((z - [1.0, 0.0]) ** 2).sum(axis=1) - math.log(2 * math.pi)
    kl, se = reverse_kl(log_p, log_p_shifted, log_z=0.0)
    assert kl == pytest.approx(0.5, abs=4 * se) and 0 < se < 0.01


def test_forward_kl_of_a_shifted_gaussian_is_known():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((50_000, 2))
    log_p = -0.5 * (x**2).sum(axis=1) - math.log(2 * math.pi)
    log_q = -0.5 * ((x - [0.0, 1.0]) ** 2).sum(axis=1) - math.log(2 * math.pi)
    kl, se = forward_kl(log_p, log_q)
    assert kl == pytest.approx(0.5, abs=4 * se)


def test_kl_estimators_refuse_mismatched_input_and_report_infinite_for_impossible_samples():
    with pytest.raises(ParameterError, match="same number"):
        reverse_kl(np.zeros(3), np.zeros(4), 0.0)
    with pytest.raises(ParameterError, match="same number"):
        forward_kl(np.zeros(5), np.zeros(2))
    assert reverse_kl(np.zeros(3), [0.0, -np.inf, 0.0], 0.0) == (math.inf, math.inf)


@pytest.mark.parametrize("name", ["funnel", "ring"])
def test_samplers_agree_with_the_density(name):
    target = TARGETS[name]()
    x = target.sample(100_000, seed=3)
    assert x.shape == (100_000, 2) and x.dtype == np.float32
    # the reverse KL of the exact sampler against the exact density is zero: E_p[log p - log p]
    kl, _ = forward_kl(target.log_prob(x), target.log_prob(x))
    assert kl == 0.0


def test_energy_target_has_no_sampler():
    assert EnergyTarget().sample is None


def test_ring_mode_mass_of_exact_samples_matches_the_exact_share():
    ring = RingTarget()
    share = exact_ring_mode_mass(ring)
    assert share == pytest.approx((1 - math.exp(-4.5)) / 8)
    masses = ring_mode_mass(ring.sample(200_000, seed=4), ring)
    assert masses.shape == (8,)
    np.testing.assert_allclose(masses, share, atol=0.004)


def test_ring_mode_mass_sees_a_missing_mode():
    ring = RingTarget()
    x = ring.sample(20_000, seed=5).astype(np.float64)
    keep = np.linalg.norm(x - ring.centres[3], axis=1) > 2.0  # drop everything near mode 3
    masses = ring_mode_mass(x[keep], ring)
    assert masses[3] == 0.0 and masses.min() == 0.0
    assert masses[[0, 1, 2, 4, 5, 6, 7]].min() > 0.12
    with pytest.raises(ParameterError, match="samples has 1 row"):
        ring_mode_mass(np.array([[0.0, np.nan], [1.0, 1.0]]), ring)
