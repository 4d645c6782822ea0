"""Notebook 07's code: bad input stops clearly; its ODE wrappers, samplers, flow-matching loss and discrete flows,
run outside the notebook, do what its prose says. (Its results: the nbval run's metrics, checked against
tests/expected_results.toml.)"""

import math
from pathlib import Path

import nbformat
import numpy as np
import pytest
from helpers.validation import ParameterError
from papermill_runs import check_parameters

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_continuous_flows.ipynb"
LEARNING_CURVE = NOTEBOOK.parent / "06_learning_curve.ipynb"


@pytest.mark.parametrize("name, value, message", [
    ("seed", -1, "seed must be an integer >= 0, got -1"),
    ("sizes", [50], "sizes must be an integer >= 100, got 50"),
    ("sizes", [], "sizes must be a non-empty list of integers >= 100, got []"),
    ("n_test_ode", 30_000, "n_test_ode must be an integer <= 10000, got 30000"),
    ("ode_tolerance", 0.5, "ode_tolerance must be <= 0.1, got 0.5"),
    ("fm_steps", 0, "fm_steps must be an integer >= 1, got 0"),
    ("full", 1, "full must be True or False, got 1"),
    ("n_samples", 1, "n_samples must be an integer >= 2, got 1"),
    ("models", ["nsf", "glow"],
     "models must be a non-empty list of names from ['nsf', 'mixture_flow', 'box_spline', 'flow_matching', "
     "'ffjord'], got ['nsf', 'glow']"),
    ("datasets", ["spiral"],
     "datasets must be a non-empty list of names from ['banana', 'checkerboard', 'funnel', 'ring'], got ['spiral']"),
])
def test_bad_parameters_stop_with_one_clear_message(name, value, message):
    with pytest.raises(ParameterError) as err:
        check_parameters(NOTEBOOK, **{name: value})
    assert str(err.value) == message


def test_full_is_one_parameter_away_and_the_default_is_a_subset_of_it():
    default, full = check_parameters(NOTEBOOK), check_parameters(NOTEBOOK, full=True)
    assert sorted(full["datasets"]) == ["banana", "checkerboard", "funnel", "ring"] and full["sizes"] == [512, 2048, 8192]
    assert full["models"] == list(full["MODEL_NAMES"])
    for name in ("datasets", "sizes", "models"):
        assert set(default[name]) < set(full[name]), name
    for name in ("n_test_ode", "fm_steps", "ffjord_steps"):
        assert default[name] < full[name], name
    assert 8192 in default["sizes"] and {"ring", "checkerboard"} <= set(default["datasets"])


def test_the_discrete_flow_settings_are_notebook_06s():
    """The NSF compared here is notebook 06's: same layers, width, minibatch, step sizes, steps and patience."""
    ns07, ns06 = {}, {}
    for path, ns in ((NOTEBOOK, ns07), (LEARNING_CURVE, ns06)):
        cell = next(c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
        exec(cell.source, ns)
    assert ns07["nsf_layers"] == ns06["nsf_layers"] and ns07["nsf_hidden"] == ns06["n_hidden"]
    for name in ("batch_size", "learning_rate", "max_steps", "patience", "check_every", "validation_fraction"):
        assert ns07[name] == ns06[name], name
    assert ns06["fine_tune_factor"] == 0.1   # 07's fit_discrete divides the step size by 10


# --- the notebook's own code, outside the notebook ---------------------------------------------------------------

DEFINITIONS = ("field = TanhShearField(", "base = tfd.", "Solution = ", "def flow_matching_loss(", "def euler(",
               "K_BINS = ", "zoo = definitions(")


@pytest.fixture(scope="module")
def ns():
    namespace = check_parameters(NOTEBOOK)
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code" and cell.source.startswith(DEFINITIONS):
            exec(cell.source, namespace)
    return namespace


def test_the_tensorflow_field_is_the_helpers_field(ns):
    x = np.random.default_rng(0).normal(size=(40, 2)).astype("float32") * 2
    np.testing.assert_allclose(ns["known_velocity"](0.0, x).numpy(), ns["field"].velocity(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("solver", ["dormand-prince", "rk4"])
def test_ffjord_log_density_of_the_known_field_is_the_exact_one(ns, solver):
    tfd, base, field = ns["tfd"], ns["base"], ns["field"]
    bijector = (ns["ffjord"](ns["known_velocity"], 1e-6) if solver == "dormand-prince" else
                ns["tfb"].FFJORD(state_time_derivative_fn=ns["known_velocity"], ode_solve_fn=ns["runge_kutta"](40),
                                 trace_augmentation_fn=ns["tfb"].ffjord.trace_jacobian_exact))
    x = field.sample(100, seed=1).astype("float32")
    log_q = tfd.TransformedDistribution(base, bijector).log_prob(x).numpy()
    np.testing.assert_allclose(log_q, field.log_prob(x), atol=1e-3)


def test_few_step_samplers_take_their_methods_steps_for_a_linear_field(ns):
    """v(x) = A x: K steps of size h = 1/K multiply by (I + hA)^K for Euler, by the Taylor polynomial of e^{hA} of
    degree 2 for the midpoint method and of degree 4 for RK4; with 64 RK4 steps the result is e^A itself."""
    tf = ns["tf"]
    from scipy.linalg import expm

    A = np.array([[0.3, -0.5], [0.2, -0.1]], "float32")
    velocity = lambda t, x: x @ tf.constant(A.T)
    z = np.random.default_rng(2).normal(size=(10, 2)).astype("float32")
    for name, stepper in ns["STEPPERS"].items():
        x = ns["sample_in_steps"](velocity, z, 4, stepper)
        degree = {"Euler": 1, "midpoint": 2, "RK4": 4}[name]
        step = sum(np.linalg.matrix_power(0.25 * A, k) / math.factorial(k) for k in range(degree + 1))
        np.testing.assert_allclose(x, z @ np.linalg.matrix_power(step, 4).T, rtol=1e-5, atol=1e-5)
    x = ns["sample_in_steps"](velocity, z, 64, ns["STEPPERS"]["RK4"])
    np.testing.assert_allclose(x, z @ expm(A).T, rtol=1e-5, atol=1e-5)


def test_the_flow_matching_loss_is_zero_for_the_paths_own_velocity(ns):
    """Data = noise + c: every straight path has velocity c, so v = c has zero loss and anything else more."""
    tf = ns["tf"]
    rng = np.random.default_rng(3)
    x0 = rng.normal(size=(64, 2)).astype("float32")
    c = np.array([[1.5, -0.5]], "float32")
    t = rng.uniform(size=(64, 1)).astype("float32")
    exact = lambda t_, x: tf.broadcast_to(tf.constant(c), tf.shape(x))
    assert float(ns["flow_matching_loss"](exact, x0 + c, x0, t)) == pytest.approx(0.0, abs=1e-10)
    assert float(ns["flow_matching_loss"](lambda t_, x: 0.0 * x, x0 + c, x0, t)) == pytest.approx(2.5, rel=1e-5)


def test_a_random_box_spline_flow_integrates_to_one_over_its_box(ns):
    tf = ns["tf"]
    from helpers.plotting import density_grid

    ns["seed_everything"](4)
    train = np.random.default_rng(4).uniform(-2, 2, size=(500, 2)).astype("float32")
    flow = ns["BoxSplineFlow"](train, 8)
    for v in (flow.first, flow.w3, flow.b3):
        v.assign(tf.random.normal(v.shape, stddev=0.3))
    limits = tuple((float(a), float(b)) for a, b in zip(flow.lo, flow.hi))
    grid, _, _, cell_area = density_grid(limits, resolution=400)
    q = np.exp(flow.log_prob(grid.astype("float32")).numpy())
    assert q.sum() * cell_area == pytest.approx(1.0, abs=2e-2)
    outside = np.array([[flow.hi[0] + 0.1, 0.0], [0.0, flow.lo[1] - 0.1]], "float32")
    assert np.all(flow.log_prob(outside).numpy() == -np.inf)


def test_the_mixture_base_flow_starts_as_its_mixture(ns):
    """NSF layers start as the identity (up to their splines' smallest bin sizes and slopes of 1.001), so before any
    step the flow's density is the fitted mixture's, in the base's swapped coordinates."""
    from helpers.baselines import gmm_log_prob
    from helpers.datasets import Ring

    train = Ring().sample(800, seed=5).astype("float32")
    mixture = gmm_log_prob(train, 8, seed=0)
    ns["seed_everything"](5)
    model = ns["MixtureBaseNSF"](train, 2, 8, mixture.mixture)
    x = Ring().sample(200, seed=6).astype("float32")
    np.testing.assert_allclose(model().log_prob(x).numpy(), mixture(x), atol=5e-3)
