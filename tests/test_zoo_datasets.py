"""The data sets added for the flow zoo: values by hand, the stated entropies, bad parameters.

The generic checks (normalised on a grid, sampler and density agree, ...) run
over every registered data set in ``tests/test_datasets.py``.
"""

import math

import numpy as np
import pytest

from helpers.datasets import (DATASETS, RING_DEFAULT_ENTROPY, Checkerboard, Funnel, Ring,
                              ring_entropy_by_quadrature)
from helpers.validation import ParameterError


def test_the_zoo_data_sets_are_registered():
    assert {"banana", "ring", "checkerboard", "funnel"} <= set(DATASETS)
    for name, cls in DATASETS.items():
        assert cls().name == name


def test_ring_entropy_constant_is_the_quadrature_value():
    assert RING_DEFAULT_ENTROPY == pytest.approx(ring_entropy_by_quadrature(Ring(), resolution=401), abs=1e-8)
    assert Ring().entropy() == RING_DEFAULT_ENTROPY


def test_ring_quadrature_matches_closed_form_when_modes_do_not_overlap():
    # Far-apart modes: the entropy of an equal mixture of K disjoint Gaussians.
    ring = Ring(n_modes=5, radius=30.0, scale=0.5)
    expected = math.log(5) + math.log(2 * math.pi * math.e * 0.25)
    assert ring.entropy() == pytest.approx(expected, abs=1e-6)


def test_ring_overlap_lowers_the_entropy_below_the_disjoint_value():
    disjoint = math.log(8) + math.log(2 * math.pi * math.e * 0.25)
    assert 0.001 < disjoint - Ring().entropy() < 0.02


def test_ring_log_prob_at_a_centre_by_hand():
    ring = Ring()
    centres = ring.centres
    x = centres[:1]
    comps = [-math.log(2 * math.pi * 0.25) - 0.5 * np.sum((x[0] - c) ** 2) / 0.25 for c in centres]
    expected = math.log(np.sum(np.exp(comps)) / 8)
    assert ring.log_prob(x)[0] == pytest.approx(expected, rel=1e-12)
    assert centres[2] == pytest.approx([0.0, 4.0], abs=1e-12)


def test_ring_samples_are_spread_evenly_over_the_modes():
    ring = Ring()
    x = ring.sample(40_000, seed=0)
    nearest = np.argmin(((x[:, None, :] - ring.centres[None]) ** 2).sum(axis=2), axis=1)
    counts = np.bincount(nearest, minlength=8) / len(x)
    assert np.allclose(counts, 1 / 8, atol=0.01)


def test_checkerboard_log_prob_by_hand():
    board = Checkerboard()
    points = np.array([[-1.5, -1.5], [-0.5, -1.5], [0.5, 0.5], [1.5, -0.5], [2.5, 0.0], [0.0, -2.1]])
    lp = board.log_prob(points)
    assert lp[0] == lp[2] == lp[3] == pytest.approx(-math.log(8))
    assert np.isneginf(lp[1]) and np.isneginf(lp[4]) and np.isneginf(lp[5])
    assert board.entropy() == pytest.approx(math.log(8))


def test_checkerboard_samples_fill_each_black_square_equally():
    board = Checkerboard()
    x = board.sample(40_000, seed=0)
    assert np.isfinite(board.log_prob(x)).all()
    cells = np.floor((x + 2.0) / 1.0).astype(int)
    keys, counts = np.unique(cells, axis=0, return_counts=True)
    assert len(keys) == 8 and ((keys.sum(axis=1) % 2) == 0).all()
    assert np.allclose(counts / len(x), 1 / 8, atol=0.01)


def test_funnel_entropy_and_log_prob_by_hand():
    funnel = Funnel(sigma=1.5)
    assert funnel.entropy() == pytest.approx(3.2433, abs=5e-5)
    # x1 = 2: x0 ~ N(0, e^2), so the scale of x0 is e
    expected = (-0.5 * math.log(2 * math.pi * 2.25) - 0.5 * 4 / 2.25
                + -0.5 * math.log(2 * math.pi) - 1.0 - 0.5 * (1.0 / math.e) ** 2)
    assert funnel.log_prob(np.array([[1.0, 2.0]]))[0] == pytest.approx(expected, rel=1e-12)


def test_funnel_spread_follows_exp_half_x1():
    x = Funnel().sample(200_000, seed=0).astype(np.float64)
    for lo in (-2.0, 0.0, 2.0):
        band = (x[:, 1] > lo) & (x[:, 1] < lo + 0.2)
        ratio = x[band, 0] / np.exp(0.5 * x[band, 1])  # standard normal given x1
        assert ratio.std() == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("make, name", [
    (lambda: Ring(scale=0.0), "scale"), (lambda: Ring(n_modes=0), "n_modes"),
    (lambda: Ring(radius=-1.0), "radius"), (lambda: Checkerboard(cells=0), "cells"),
    (lambda: Checkerboard(half_width=float("nan")), "half_width"), (lambda: Funnel(sigma=0.0), "sigma"),
])
def test_bad_parameters_are_refused(make, name):
    with pytest.raises(ParameterError, match=name):
        make()


def test_funnel_plot_limits_hold_the_documented_mass():
    from math import erf, sqrt

    funnel = Funnel()
    (x0_lo, x0_hi), (x1_lo, x1_hi) = funnel.limits
    x1 = np.linspace(x1_lo, x1_hi, 20001)
    density = np.exp(-0.5 * (x1 / funnel.sigma) ** 2) / (funnel.sigma * sqrt(2 * np.pi))
    inside_x0 = np.array([erf(x0_hi / np.exp(0.5 * v) / sqrt(2)) for v in x1])  # symmetric limits in x0
    assert x0_lo == -x0_hi
    assert np.trapezoid(density * inside_x0, x1) == pytest.approx(0.9962, abs=5e-5)
