"""helpers.continuous_flows: a velocity field whose flow and pushed density are known exactly, chunked scoring, and
the energy distance between two samples."""

import numpy as np
import pytest

from helpers.continuous_flows import TanhShearField, energy_distance, score_in_chunks
from helpers.plotting import density_grid
from helpers.validation import ParameterError


@pytest.fixture(scope="module")
def field():
    return TanhShearField()


def test_the_flow_solves_the_ode(field):
    """d/dt flow(z, t) = v(flow(z, t)), by central differences at several times."""
    z = np.random.default_rng(0).normal(size=(50, 2)) * 2
    h = 1e-5
    for t in (0.0, 0.3, 1.0):
        derivative = (field.flow(z, t + h) - field.flow(z, t - h)) / (2 * h)
        np.testing.assert_allclose(derivative, field.velocity(field.flow(z, t)), rtol=1e-5, atol=1e-6)


def test_inverse_and_time_zero(field):
    z = np.random.default_rng(1).normal(size=(50, 2))
    np.testing.assert_allclose(field.flow(z, 0.0), z, atol=1e-12)
    np.testing.assert_allclose(field.inverse(field.flow(z, 0.8), 0.8), z, atol=1e-9)


def test_divergence_is_the_trace_of_the_jacobian_by_differences(field):
    x = np.random.default_rng(2).normal(size=(30, 2)) * 2
    h = 1e-6
    numeric = np.stack([(field.velocity(x + h * e) - field.velocity(x - h * e)) / (2 * h) for e in np.eye(2)], -1)
    np.testing.assert_allclose(field.jacobian(x), numeric, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(field.divergence(x), np.trace(numeric, axis1=1, axis2=2), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("t", [0.0, 0.5, 1.0])
def test_the_pushed_density_integrates_to_one_and_is_the_change_of_variables(field, t):
    grid, _, _, cell_area = density_grid(((-9.0, 9.0), (-12.0, 12.0)), resolution=500)
    assert np.exp(field.log_prob(grid, t)).sum() * cell_area == pytest.approx(1.0, abs=2e-3)
    z = np.random.default_rng(3).normal(size=(20, 2))
    x = field.flow(z, t)
    h = 1e-6
    jac = np.stack([(field.flow(z + h * e, t) - field.flow(z - h * e, t)) / (2 * h) for e in np.eye(2)], -1)
    expected = -0.5 * (z ** 2).sum(1) - np.log(2 * np.pi) - np.log(np.abs(np.linalg.det(jac)))
    np.testing.assert_allclose(field.log_prob(x, t), expected, rtol=1e-6, atol=1e-6)


def test_the_gaussian_becomes_two_bumps(field):
    """With alpha_0 = 2 the density at t = 1 is lower on the line y_0 = 0 than beside it."""
    centre = field.log_prob(np.array([[0.0, 0.0]]), 1.0)[0]
    beside = field.log_prob(np.array([[2.5, -2.0]]), 1.0)[0]   # y = M x = (2.5, 0): on a bump's ridge
    assert beside > centre
    samples = field.sample(20_000, seed=0)
    assert abs(np.mean(samples[:, 0] > 0) - 0.5) < 0.02   # symmetric
    assert np.mean(np.abs(samples[:, 0]) < 0.5) < 0.1      # few points near the line


def test_bad_input_stops_with_one_message():
    with pytest.raises(ParameterError, match="alpha must be two finite numbers"):
        TanhShearField(alpha=(1.0, np.nan))
    with pytest.raises(ParameterError, match="x has 1 row"):
        TanhShearField().log_prob(np.array([[0.0, np.inf]]))


def test_score_in_chunks_is_the_paired_kl_of_all_points():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1001, 2))
    log_p = -0.5 * (x ** 2).sum(1) - np.log(2 * np.pi)
    shifted = lambda y: -0.5 * ((y - [1.0, 0.0]) ** 2).sum(1) - np.log(2 * np.pi)   # KL = 1/2
    scores = score_in_chunks(shifted, x, log_p, chunk=100, label="test")
    assert scores["n"] == 1001 and len(scores["log_q"]) == 1001
    np.testing.assert_allclose(scores["log_q"], shifted(x))
    assert scores["kl"] == pytest.approx(np.mean(log_p - shifted(x)), abs=1e-12)
    assert scores["kl"] == pytest.approx(0.5, abs=4 * scores["kl_se"])
    with pytest.raises(ParameterError, match="log_p must have one value per point"):
        score_in_chunks(shifted, x, log_p[:10])


# --- energy distance ---------------------------------------------------------------------------------------------

def test_energy_distance_without_the_correction_is_scipys_squared_in_one_dimension():
    from scipy.stats import energy_distance as scipy_energy_distance

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 1)), rng.normal(0.5, 2.0, size=(200, 1))
    assert energy_distance(x, y, unbiased=False) == pytest.approx(scipy_energy_distance(x[:, 0], y[:, 0]) ** 2,
                                                                 rel=1e-10)


def test_energy_distance_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(1)
    same = [energy_distance(rng.normal(size=(400, 2)), rng.normal(size=(400, 2))) for _ in range(20)]
    assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same)) + 1e-3   # unbiased: zero on average
    x = rng.normal(size=(400, 2))
    # far apart, |X - Y| is about the shift, so the distance approaches 2 * shift - E|X - X'| - E|Y - Y'|
    far = energy_distance(x, x + [100.0, 0.0])
    assert far == pytest.approx(2 * 100.0 - 2 * np.sqrt(np.pi), rel=0.01)
    assert energy_distance(x, x + [0.5, 0.0]) < energy_distance(x, x + [1.0, 0.0]) < far


def test_energy_distance_scales_with_the_data_and_refuses_bad_input():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(100, 2)), rng.normal(1.0, size=(120, 2))
    assert energy_distance(3 * x, 3 * y) == pytest.approx(3 * energy_distance(x, y), rel=1e-10)
    with pytest.raises(ParameterError, match="y must have shape"):
        energy_distance(x, y[:, :1])
    with pytest.raises(ParameterError, match="at least 2 points"):
        energy_distance(x[:1], y)
    with pytest.raises(ParameterError):
        energy_distance(np.array([[np.nan, 0.0], [0.0, 0.0]]), y)
