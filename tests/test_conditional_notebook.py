"""Notebook 04's code: bad input stops clearly; a conditional flow built from the notebook's own code integrates to 1
over y; a saved model reloads in a fresh process with the same log-densities. (Its results: the nbval run's metrics,
checked against tests/expected_results.toml.)"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.notebook_code import definitions
from helpers.validation import ParameterError
from papermill_runs import check_parameters

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_conditional_flows.ipynb"
MODELS = ["gaussian", "heteroscedastic", "mdn", "flow"]
CHEAP = dict(seed=5, n_train=300, n_test=1000, n_region_points=200, n_region_samples=40, n_hidden=8, max_epochs=20,
             check_every=5, patience=2)


@pytest.mark.parametrize("name, value, message", [
    ("n_train", 5, "n_train must be an integer >= 20, got 5"),
    ("max_epochs", 0, "max_epochs must be an integer >= 1, got 0"),
    ("mix_coordinates", 1, "mix_coordinates must be True or False, got 1"),
    ("coupling_shift", "no", "coupling_shift must be True or False, got 'no'"),
    ("n_region_points", 200_000, "n_region_points must be at most n_test (100000), got 200000"),
    ("models", ["flow", "glow"],
     "models must be a non-empty list of names from ['gaussian', 'heteroscedastic', 'mdn', 'flow'], "
     "got ['flow', 'glow']"),
    ("datasets", ["spiral"],
     "datasets must be a non-empty list of names from ['banana', 'modes', 'skewed'], got ['spiral']"),
])
def test_bad_parameters_stop_with_one_clear_message(name, value, message):
    with pytest.raises(ParameterError) as err:
        check_parameters(NOTEBOOK, **{name: value})
    assert str(err.value) == message


# --- the notebook's own model code, outside the notebook ---------------------------------------------------------

def notebook_namespace(**parameters):
    """The notebook's definitions (imports, functions, classes; no data, fits or figures) with ``parameters``
    replacing its defaults, after the notebook's own checks have accepted them."""
    check_parameters(NOTEBOOK, **parameters)
    return definitions(NOTEBOOK, parameters)


@pytest.fixture(scope="module")
def ns():
    return notebook_namespace(n_hidden=8)


def randomised_flow(ns, y_dim, seed=3):
    tf, np_ = ns["tf"], np
    ns["seed_everything"](seed)
    x = np_.linspace(-2, 2, 50, dtype="float32")[:, None]
    y = np_.random.default_rng(seed).standard_normal((50,) if y_dim == 1 else (50, 2)).astype("float32")
    model = ns["ConditionalFlow"](x, y)
    for v in model.trainable_variables:   # the weights that start at zero (output layers) get random values
        v.assign(tf.where(v == 0.0, tf.random.normal(v.shape, stddev=0.1), v))
    assert all(np_.count_nonzero(v.numpy()) == v.shape.num_elements() for v in model.trainable_variables)
    return model


@pytest.fixture(scope="module")
def ns_gaussian_base():
    return notebook_namespace(n_hidden=8, base_components=1)


def test_the_1d_flow_base_is_a_mixture_by_default_and_a_standard_gaussian_with_one_component(ns, ns_gaussian_base):
    x = np.array([[-1.0], [0.5]], "float32")
    mixture = randomised_flow(ns, 1)(x).distribution.distribution   # data units <- standard units <- base
    assert type(mixture).__name__ == "MixtureSameFamily" and mixture.batch_shape == (2,)
    gaussian = randomised_flow(ns_gaussian_base, 1)(x).distribution.distribution
    assert type(gaussian).__name__ == "Normal"
    np.testing.assert_allclose(gaussian.log_prob(np.zeros(2, "float32")).numpy(), -0.5 * np.log(2 * np.pi), rtol=1e-6)


def mass_over_y(model, x, y_dim):
    "The integral of the flow's q(y | x) over a fine grid of y, at one x."
    from helpers.plotting import density_grid

    if y_dim == 1:
        y = np.linspace(-30.0, 30.0, 30_001, dtype="float32")
        return np.exp(model(np.full((len(y), 1), x, "float32")).log_prob(y).numpy()).sum() * (60.0 / 30_000)
    grid, _, _, cell_area = density_grid(((-8.0, 8.0), (-8.0, 8.0)), resolution=300)
    return np.exp(model(np.full((len(grid), 1), x, "float32")).log_prob(grid).numpy()).sum() * cell_area


@pytest.mark.parametrize("y_dim", [1, 2])
@pytest.mark.parametrize("base", ["mixture", "gaussian"])
def test_a_randomly_initialised_conditional_flow_integrates_to_one_over_y(ns, ns_gaussian_base, y_dim, base):
    model = randomised_flow(ns if base == "mixture" else ns_gaussian_base, y_dim)
    for x in (-1.7, 0.0, 1.2):
        assert mass_over_y(model, x, y_dim) == pytest.approx(1.0, abs=2e-3), x


def raw_numbers(lower):
    """The three numbers that scale_tril maps to the 2 x 2 lower-triangular ``lower``: FillTriangular's order
    (row-major from the last row: l11, l10, l00) with each diagonal entry through the inverse of ``positive``."""
    inverse_positive = lambda d: np.log(np.expm1(d - 1e-3)) - 0.5413
    return np.array([inverse_positive(lower[1, 1]), lower[1, 0], inverse_positive(lower[0, 0])], "float32")


def test_the_2d_flows_last_layer_is_l_times_u_and_can_turn_the_axes(ns):
    """ConditionalFlow.linear: y = shift + L U z, log|det| = log l00 + log l11; a rotation is such a product."""
    tf = ns["tf"]
    model = randomised_flow(ns, 2)
    rng = np.random.default_rng(0)
    out = rng.normal(size=(4, 6)).astype("float32")
    bijector = model.linear(tf.constant(out))
    lower = ns["scale_tril"](out[:, 2:5]).numpy()
    upper = np.stack([np.eye(2, dtype="float32")] * 4)
    upper[:, 0, 1] = out[:, 5]
    z = rng.normal(size=(4, 2)).astype("float32")
    expected = out[:, :2] + np.einsum("nij,njk,nk->ni", lower, upper, z)
    np.testing.assert_allclose(bijector.forward(z).numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bijector.inverse(bijector.forward(z)).numpy(), z, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bijector.forward_log_det_jacobian(z, event_ndims=1).numpy(),
                               np.log(lower[:, 0, 0]) + np.log(lower[:, 1, 1]), rtol=1e-5)
    # the rotation by 0.8 rad (the banana's turn at |x| = 2) is L U with l00 = cos, l10 = sin, l11 = 1 / cos, u = -tan
    c, s = np.cos(0.8), np.sin(0.8)
    raw_lower = raw_numbers(np.array([[c, 0.0], [s, 1 / c]]))[None]   # the numbers giving L
    np.testing.assert_allclose(ns["scale_tril"](raw_lower).numpy()[0], [[c, 0.0], [s, 1 / c]], rtol=1e-5, atol=1e-6)
    rotation = model.linear(tf.constant(np.concatenate([[[0.0, 0.0]], raw_lower, [[-s / c]]], 1).astype("float32")))
    np.testing.assert_allclose(rotation.forward(np.eye(2, dtype="float32")[:, None, :]).numpy()[:, 0],
                               np.array([[c, s], [-s, c]]), atol=1e-4)   # rows: images of e0 and e1


def test_the_2d_flow_with_neither_part_of_its_last_layer_still_integrates_to_one():
    model = randomised_flow(notebook_namespace(n_hidden=8, mix_coordinates=False, coupling_shift=False), 2)
    out = model.affine_net(np.full((1, 1), 0.7, "float32"))
    assert out.shape == (1, 4)   # a shift and one scale per coordinate
    last = model.linear(out)
    origin = last.forward(np.zeros((1, 2), "float32")).numpy()
    images = last.forward(np.eye(2, dtype="float32")[:, None, :]).numpy()[:, 0] - origin
    assert images[0, 1] == 0.0 and images[1, 0] == 0.0   # a diagonal map: it cannot turn the axes
    assert mass_over_y(model, 0.7, 2) == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("y_dim", [1, 2])
def test_flow_shapes_for_a_batch_of_different_inputs(ns, y_dim):
    model = randomised_flow(ns, y_dim)
    x = np.array([[-1.0], [0.0], [0.5], [2.0]], "float32")
    dist = model(x)
    assert dist.batch_shape == (4,) and dist.event_shape == (() if y_dim == 1 else (2,))
    samples = dist.sample(3, seed=1)
    assert samples.shape == ((3, 4) if y_dim == 1 else (3, 4, 2))
    assert dist.log_prob(samples).shape == (3, 4)
    # each row is its own conditional: scoring rows one by one gives the same numbers
    one_by_one = [model(x[i:i + 1]).log_prob(samples[:, i:i + 1]).numpy()[:, 0] for i in range(4)]
    np.testing.assert_allclose(np.stack(one_by_one, axis=1), dist.log_prob(samples).numpy(), rtol=1e-5, atol=1e-5)


def test_saved_model_reloads_in_a_fresh_process_with_the_same_log_densities(ns, tmp_path):
    model = randomised_flow(ns, 2)
    x = np.random.default_rng(0).uniform(-2, 2, (50, 1)).astype("float32")
    y = np.random.default_rng(1).standard_normal((50, 2)).astype("float32")
    model.save(str(tmp_path / "flow.pkl"))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    code = ("import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import numpy as np, probflow as pf; "
            f"m = pf.load({str(tmp_path / 'flow.pkl')!r}); "
            f"np.save({str(tmp_path / 'out.npy')!r}, m(np.load({str(tmp_path / 'x.npy')!r}))"
            f".log_prob(np.load({str(tmp_path / 'y.npy')!r})).numpy())")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=str(tmp_path))
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), model(x).log_prob(y).numpy())
