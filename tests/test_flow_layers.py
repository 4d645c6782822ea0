"""helpers.flow_layers must hold exactly the bijectors that notebook 01 teaches, and they must be right."""

import ast
import inspect
from pathlib import Path

import nbformat
import numpy as np
import pytest

from helpers.notebook_setup import quiet_tensorflow

quiet_tensorflow()
import tensorflow as tf  # noqa: E402

from helpers import flow_layers  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "01_normalizing_flows.ipynb"


def _class_sources_in_notebook():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    found = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                found[node.name] = ast.get_source_segment(cell.source, node)
    return found


@pytest.mark.parametrize("name", ["LeakyReLU", "RotateScaleShift"])
def test_helper_bijector_is_the_one_the_notebook_teaches(name):
    in_notebook = _class_sources_in_notebook()[name]
    in_helpers = inspect.getsource(getattr(flow_layers, name))
    assert in_helpers.strip() == in_notebook.strip()


@pytest.mark.parametrize("corner", [0.0, 0.5])
@pytest.mark.parametrize("alpha", [0.01, 0.3, 0.99])
def test_leaky_relu_round_trip_and_log_det(alpha, corner):
    bij = flow_layers.LeakyReLU(alpha, corner)
    z = tf.constant(np.r_[np.linspace(-6, -1e-3, 200), np.linspace(1e-3, 6, 200)], tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(z)
        y = bij.forward(z)
    slope = tape.gradient(y, z).numpy()
    assert np.all(slope >= alpha * (1 - 1e-5)) and np.all(slope <= 1 + 1e-5)
    np.testing.assert_allclose(bij.inverse(y), z, atol=2e-5 / alpha)
    np.testing.assert_allclose(bij.forward_log_det_jacobian(z, event_ndims=0), np.log(slope), atol=1e-4)


def test_sharp_leaky_relu_is_the_textbook_one():
    bij = flow_layers.LeakyReLU(0.2, corner=0.0)
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
        bij = flow_layers.RotateScaleShift(angle, diag, lower, shift)
        c, s = np.cos(angle.numpy()), np.sin(angle.numpy())
        t = np.array([[diag[0], 0.0], [lower, diag[1]]], np.float64)
        matrix = np.array([[c, -s], [s, c]]) @ t
        z = rng.normal(size=(10, 2)).astype(np.float32)
        np.testing.assert_allclose(bij.forward(z), z @ matrix.T + shift.numpy(), rtol=1e-4, atol=1e-4)
        assert np.isfinite(bij.inverse(bij.forward(z)).numpy()).all()
        np.testing.assert_allclose(np.ravel(bij.forward_log_det_jacobian(z, event_ndims=1))[0],
                                   np.log(abs(np.linalg.det(matrix))), rtol=1e-4, atol=1e-4)
