"""Notebook 08's code: bad parameters stop clearly; its layers and whole flows are invertible with the log-determinant
that autodiff gives; its units make the uniform baseline log2 17 exactly. (Its results: the nbval run's metrics,
checked against tests/expected_results.toml.)"""

import math
from pathlib import Path

import numpy as np
import pytest
from helpers.validation import ParameterError
from papermill_runs import check_parameters

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "08_image_flows.ipynb"


@pytest.mark.parametrize("name, value, message", [
    ("full", 1, "full must be True or False, got 1"),
    ("n_train", 5, "n_train must be an integer >= 100, got 5"),
    ("n_train", 1500, "n_train + n_validation must leave at least 100 of the 1797 images for testing, got 1500 + 350"),
    ("flows", ["glow", "nice"], "flows must be a non-empty list of names from ['realnvp', 'glow', 'glow_vardeq', 'maf'], "
                               "got ['glow', 'nice']"),
    ("max_steps", 0, "max_steps must be an integer >= 1, got 0"),
    ("weight_scale", 0.0, "weight_scale must be > 0.0, got 0.0"),
    ("gmm_components", [0, 2], "gmm_components must be a non-empty list of integers >= 1, got [0, 2]"),
    ("autoregressive_cs", [], "autoregressive_cs must be a non-empty list of numbers > 0, got []"),
    ("temperature", 3.0, "temperature must be <= 2.0, got 3.0"),
])
def test_bad_parameters_stop_with_one_clear_message(name, value, message):
    with pytest.raises(ParameterError) as err:
        check_parameters(NOTEBOOK, **{name: value})
    assert str(err.value) == message


@pytest.fixture(scope="module")
def ns():
    """The notebook's definitions (layers, flows) with small networks, without its fits."""
    from helpers.notebook_code import definitions

    return definitions(NOTEBOOK, dict(n_hidden=16, n_glow_steps=2))


def randomise(ns, module, seed=2, scale=0.05):
    rng = np.random.default_rng(seed)
    for v in module.trainable_variables:
        v.assign(v.numpy() + rng.normal(0.0, scale, v.shape).astype("float32"))
    return module


def log_abs_det_by_autodiff(f, x):
    """log|det df/dx| per row of x (n, 64), from the Jacobian computed by autodiff (float64 determinant)."""
    import tensorflow as tf

    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    jacobian = tape.batch_jacobian(y, x).numpy().astype("float64")
    return np.linalg.slogdet(jacobian)[1]


@pytest.mark.parametrize("make", ["checkerboard", "squeeze", "actnorm", "conv1x1", "channel", "autoregressive"])
def test_each_layer_is_invertible_with_the_log_det_of_autodiff(ns, make):
    import tensorflow as tf

    layers = {"checkerboard": lambda: ns["CheckerboardCoupling"](1), "squeeze": lambda: ns["Squeeze"](),
              "actnorm": lambda: ns["ActNorm"](4), "conv1x1": lambda: ns["InvertibleConv1x1"](4),
              "channel": lambda: ns["ChannelCoupling"](),
              "autoregressive": lambda: ns["AutoregressiveSpline"](np.random.default_rng(5).permutation(64), 16)}
    shape = (8, 8, 1) if make in ("checkerboard", "squeeze", "autoregressive") else (4, 4, 4)
    layer = randomise(ns, layers[make](), scale={"actnorm": 0.3, "conv1x1": 0.3, "autoregressive": 0.1}.get(make, 0.05))
    x = np.random.default_rng(0).normal(size=(4, *shape)).astype("float32")
    y, log_det = layer.forward(tf.constant(x))
    np.testing.assert_allclose(layer.inverse(y).numpy(), x, atol=1e-4)
    expected = log_abs_det_by_autodiff(lambda v: tf.reshape(layer.forward(tf.reshape(v, [-1, *shape]))[0], [-1, 64]),
                                       x.reshape(4, 64))
    np.testing.assert_allclose(log_det.numpy(), expected, atol=2e-3)
    if make != "squeeze":
        assert np.abs(expected).max() > 0.05  # the random weights made it more than a permutation


def test_the_1x1_convolution_is_a_matrix_with_the_lu_determinant(ns):
    layer = randomise(ns, ns["InvertibleConv1x1"](4), scale=0.5)
    w = layer.matrix().numpy().astype("float64")
    assert np.log(abs(np.linalg.det(w))) == pytest.approx(float(layer.log_diagonal().numpy().sum()), abs=1e-5)


def test_the_autoregressive_layer_sees_only_earlier_values_in_its_order(ns):
    """Changing the value of rank j in the layer's order leaves the outputs of earlier ranks unchanged and changes
    output j: a MADE whose masks let an output see a later value fails here; one that lets output j see value j
    itself fails the log-determinant test above (measured: off by 0.02 nats, against a tolerance of 0.002)."""
    import tensorflow as tf

    order = np.random.default_rng(7).permutation(64)
    layer = randomise(ns, ns["AutoregressiveSpline"](order, 16), scale=0.3)
    x = np.random.default_rng(8).normal(size=(1, 8, 8, 1)).astype("float32")
    for j in (0, 20, 63):
        moved = x.copy().reshape(64)
        moved[order[j]] += 1.5
        before = layer.forward(tf.constant(x))[0].numpy().reshape(64)[order]
        after = layer.forward(tf.constant(moved.reshape(1, 8, 8, 1)))[0].numpy().reshape(64)[order]
        np.testing.assert_allclose(after[:j], before[:j], atol=1e-6)
        assert abs(after[j] - before[j]) > 1e-3


def test_one_pixel_shifts_move_every_image_by_one_pixel(ns):
    image = np.zeros((8, 8), int)
    image[3:5, 2:6] = 16
    shifts = ns["one_pixel_shifts"](image.reshape(1, 64)).reshape(5, 8, 8)
    np.testing.assert_array_equal(shifts[0], image)
    expected = [np.roll(image, 1, 0), np.roll(image, -1, 0), np.roll(image, 1, 1), np.roll(image, -1, 1)]
    for got, want in zip(shifts[1:], expected):
        np.testing.assert_array_equal(got, want)  # the ink is away from the border, so rolling is shifting
    edge = np.full((1, 64), 7)
    assert ns["one_pixel_shifts"](edge)[1:].reshape(4, 8, 8).min() == 0  # the emptied row or column is blank


@pytest.mark.parametrize("name", ["realnvp", "glow", "maf"])
def test_a_whole_flow_decodes_what_it_encodes_with_the_log_density_of_autodiff(ns, name):
    """The change of variables through the logit transform, every layer and the base: log p(y) must equal
    log N(f(y)) + log|det df/dy| with the Jacobian of the whole chain by autodiff."""
    import tensorflow as tf

    ns["seed_everything"](1)
    flow = ns["make_flow"](name)
    flow.initialize(np.random.default_rng(1).integers(0, 17, size=(50, 64)))
    randomise(ns, flow)
    y = np.random.default_rng(3).uniform(0.2, 16.8, size=(3, 64)).astype("float32")
    z, _ = flow.encode(tf.constant(y))
    np.testing.assert_allclose(flow.decode(z).numpy(), y, atol=2e-3)
    log_det = log_abs_det_by_autodiff(lambda v: flow.encode(v)[0], y)
    base = -0.5 * (z.numpy().astype("float64") ** 2 + math.log(2 * math.pi)).sum(axis=1)
    np.testing.assert_allclose(flow.log_density(tf.constant(y)).numpy(), base + log_det, rtol=1e-4, atol=0.05)


def test_the_logit_chain_with_a_logistic_base_is_the_uniform_density_log2_17(ns):
    import tensorflow as tf

    y = tf.constant(np.random.default_rng(0).uniform(0.0, 17.0, size=(20, 8, 8, 1)))
    z, log_det = ns["logit_transform"](y, alpha=0.0)
    bits = -(ns["logistic_log_prob"](z) + log_det).numpy() / (64 * math.log(2))
    np.testing.assert_allclose(bits, math.log2(17), rtol=0, atol=1e-12)
    # with alpha > 0 the chain keeps its Jacobian: dropping the -64 log 17 of the scaling would move it by log2 17
    z, log_det = ns["logit_transform"](y, alpha=0.05)
    assert np.all(np.isfinite(log_det.numpy()))


def test_the_variational_dequantizer_stays_in_the_unit_cube_with_its_density(ns):
    """u = sigmoid(v) lies in (0, 1) and log q(u | x) is finite."""
    import tensorflow as tf

    ns["seed_everything"](0)
    q = randomise(ns, ns["VariationalDequantizer"](), scale=0.1)
    x = tf.constant(np.random.default_rng(0).integers(0, 17, size=(2, 8, 8, 1)) / 16.0, tf.float32)
    u, log_q = q(x)
    assert np.all((u.numpy() > 0) & (u.numpy() < 1)) and np.all(np.isfinite(log_q.numpy()))
