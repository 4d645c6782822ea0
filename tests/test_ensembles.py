import math

import numpy as np
import pytest

from helpers.ensembles import mixture_log_prob
from helpers.validation import ParameterError


def normal_log_prob(x, loc, scale):
    return -0.5 * ((x - loc) / scale) ** 2 - math.log(scale) - 0.5 * math.log(2 * math.pi)


def test_mixture_of_two_normals_matches_the_direct_formula():
    x = np.linspace(-6, 6, 101)
    members = np.stack([normal_log_prob(x, -1.0, 0.5), normal_log_prob(x, 2.0, 1.5)])
    direct = np.log(0.5 * np.exp(members[0]) + 0.5 * np.exp(members[1]))
    np.testing.assert_allclose(mixture_log_prob(members), direct, rtol=1e-12)


def test_mixture_integrates_to_one():
    x = np.linspace(-20, 20, 40001)
    members = np.stack([normal_log_prob(x, loc, scale) for loc, scale in [(-3, 1), (0, 0.3), (4, 2)]])
    density = np.exp(mixture_log_prob(members))
    assert abs(np.trapezoid(density, x) - 1.0) < 1e-6


def test_one_member_is_the_member_and_identical_members_change_nothing():
    lp = np.array([[-1.0, -2.5, -700.0]])
    np.testing.assert_allclose(mixture_log_prob(lp), lp[0])
    np.testing.assert_allclose(mixture_log_prob(np.repeat(lp, 4, axis=0)), lp[0])


def test_stable_far_in_the_tails_and_at_most_log_k_below_the_best_member():
    lp = np.array([[-2000.0, -5.0], [-2001.0, -math.inf], [-math.inf, -math.inf]])
    mix = mixture_log_prob(lp)
    assert np.all(np.isfinite(mix))
    np.testing.assert_allclose(mix[0], -2000.0 + math.log((1 + math.exp(-1.0)) / 3))
    assert np.all(mix >= lp.max(axis=0) - math.log(3) - 1e-12)


def test_every_member_without_mass_gives_minus_inf():
    assert mixture_log_prob([[-math.inf], [-math.inf]])[0] == -math.inf


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((0, 3)), [[0.0, np.nan]], [[np.inf, 0.0]]])
def test_bad_input_stops_with_one_clear_message(bad):
    with pytest.raises(ParameterError, match="member_log_probs"):
        mixture_log_prob(bad)
