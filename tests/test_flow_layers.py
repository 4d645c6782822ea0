"""The bijectors that notebook 01 teaches (and notebook 03 reuses) must be right.

They are loaded from the notebook itself with ``helpers.notebook_code.definitions``, as notebook 03 loads them, so
the code tested here is the code the reader sees; there is no copy to keep in step."""

import ast

import nbformat
import numpy as np
import pytest

from helpers.notebook_code import definitions, sibling_notebook
from helpers.notebook_setup import quiet_tensorflow

quiet_tensorflow()
import tensorflow as tf  # noqa: E402

CORE = definitions(sibling_notebook("01_normalizing_flows.ipynb"))
LeakyReLU, RotateScaleShift = CORE["LeakyReLU"], CORE["RotateScaleShift"]


@pytest.mark.parametrize("corner", [0.0, 0.5])
@pytest.mark.parametrize("alpha", [0.01, 0.3, 0.99])
def test_leaky_relu_round_trip_and_log_det(alpha, corner):
    bij = LeakyReLU(alpha, corner)
    z = tf.constant(np.r_[np.linspace(-6, -1e-3, 200), np.linspace(1e-3, 6, 200)], tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(z)
        y = bij.forward(z)
    slope = tape.gradient(y, z).numpy()
    assert np.all(slope >= alpha * (1 - 1e-5)) and np.all(slope <= 1 + 1e-5)
    np.testing.assert_allclose(bij.inverse(y), z, atol=2e-5 / alpha)
    np.testing.assert_allclose(bij.forward_log_det_jacobian(z, event_ndims=0), np.log(slope), atol=1e-4)
    np.testing.assert_allclose(bij.inverse_log_det_jacobian(y, event_ndims=0), -np.log(slope), atol=1e-4)


def test_sharp_leaky_relu_is_the_textbook_one():
    bij = LeakyReLU(0.2, corner=0.0)
    z = np.array([-2.0, -0.5, 0.5, 2.0], np.float32)
    np.testing.assert_allclose(bij.forward(z), np.where(z >= 0, z, 0.2 * z), rtol=1e-6)


def test_rotate_scale_shift_matches_its_matrix_and_is_invertible_for_any_parameters():
    rng = np.random.default_rng(0)
    for _ in range(20):
        angle = tf.constant(rng.uniform(-10, 10), tf.float32)
        raw = rng.normal(scale=30, size=2)  # softplus of very negative values is ~0
        diag = tf.constant(np.log1p(np.exp(raw)) + 1e-5, tf.float32)
        lower = tf.constant(rng.normal(scale=5), tf.float32)
        shift = tf.constant(rng.normal(size=2), tf.float32)
        bij = RotateScaleShift(angle, diag, lower, shift)
        c, s = np.cos(angle.numpy()), np.sin(angle.numpy())
        t = np.array([[diag[0], 0.0], [lower, diag[1]]], np.float64)
        matrix = np.array([[c, -s], [s, c]]) @ t
        z = rng.normal(size=(10, 2)).astype(np.float32)
        np.testing.assert_allclose(bij.forward(z), z @ matrix.T + shift.numpy(), rtol=1e-4, atol=1e-4)
        assert np.isfinite(bij.inverse(bij.forward(z)).numpy()).all()
        np.testing.assert_allclose(np.ravel(bij.forward_log_det_jacobian(z, event_ndims=1))[0],
                                   np.log(abs(np.linalg.det(matrix))), rtol=1e-4, atol=1e-4)


def test_rotate_scale_shift_round_trip_when_well_conditioned():
    rng = np.random.default_rng(1)
    for _ in range(10):
        bij = RotateScaleShift(tf.constant(rng.uniform(0, 2 * np.pi), tf.float32),
                               tf.constant(rng.uniform(0.3, 3.0, size=2), tf.float32),
                               tf.constant(rng.normal(), tf.float32), tf.constant(rng.normal(size=2), tf.float32))
        z = rng.normal(size=(50, 2)).astype(np.float32)
        np.testing.assert_allclose(bij.inverse(bij.forward(z)), z, atol=1e-4)


def test_notebook_03_takes_these_classes_from_notebook_01_instead_of_a_copy():
    cells = [c.source for c in nbformat.read(sibling_notebook("03_bayesian_flow.ipynb"), as_version=4).cells
             if c.cell_type == "code"]
    classes = {node.name for source in cells for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ClassDef)}
    assert not classes & {"LeakyReLU", "RotateScaleShift"}, "notebook 03 defines its own copy"
    assert any('definitions(sibling_notebook("01_normalizing_flows.ipynb"))' in source for source in cells)
