"""Notebook 09's code: bad input stops clearly; its PyTorch leaky ReLU and affine transforms invert and have the
log-determinants autograd computes; its PyTorch flow and notebook 01's TensorFlow flow give the same log-densities
for the same random weights; the flow integrates to 1; ``model.fit(..., eager=True)`` trains it. (Its results: the
nbval run's metrics, checked against tests/expected_results.toml.)"""

from pathlib import Path

import numpy as np
import pytest
from helpers.validation import ParameterError
from papermill_runs import check_parameters

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "09_pytorch_backend.ipynb"


@pytest.mark.parametrize("name, value, message", [
    ("n_train", 1, "n_train must be an integer >= 2, got 1"),
    ("epochs", 0, "epochs must be an integer >= 1, got 0"),
    ("learning_rate", 0.0, "learning_rate must be > 0.0, got 0.0"),
    ("corner", -0.5, "corner must be >= 0.0, got -0.5"),
    ("tf_fit", 1, "tf_fit must be True or False, got 1"),
    ("n_layers", 2.5, "n_layers must be an integer, got 2.5"),
])
def test_bad_parameters_stop_with_one_clear_message(name, value, message):
    with pytest.raises(ParameterError) as err:
        check_parameters(NOTEBOOK, **{name: value})
    assert str(err.value) == message


# --- the notebook's own code, outside the notebook ---------------------------------------------------------------

@pytest.fixture(scope="module")
def ns():
    import probflow as pf
    from helpers.datasets import Banana
    from helpers.notebook_code import definitions, sibling_notebook

    namespace = definitions(NOTEBOOK, {})  # the notebook's classes and functions at its default parameters
    p = {k: namespace[k] for k in ("seed", "n_train", "n_test", "n_layers", "epochs", "learning_rate", "corner")}
    namespace["nb01"] = definitions(sibling_notebook("01_normalizing_flows.ipynb"), parameters=p)
    namespace["banana"] = Banana(sigma=3.0)
    namespace["x_train"] = namespace["banana"].sample(p["n_train"], seed=p["seed"])
    pf.set_backend("pytorch")  # as the notebook's first code cell after the parameters does
    yield namespace
    pf.set_backend("tensorflow")  # ProbFlow's backend is global: the next tests in this process expect the default


def test_probflow_backend_switches_and_restores(ns):
    import probflow as pf

    with ns["probflow_backend"]("tensorflow"):
        assert pf.get_backend().value == "tensorflow"
        with ns["probflow_backend"]("pytorch"):
            assert pf.get_backend().value == "pytorch"
        assert pf.get_backend().value == "tensorflow"
    assert pf.get_backend().value == "pytorch"


@pytest.mark.parametrize("alpha", [0.02, 0.3, 0.9])
@pytest.mark.parametrize("corner", [0.0, 0.1, 0.5, 2.0])
def test_leaky_relu_inverts_and_its_log_determinants_are_autograds(ns, alpha, corner):
    torch = ns["torch"]
    z = torch.linspace(-6.0, 6.0, 1201)
    z = z[z.abs() > 1e-3]
    t = ns["LeakyReLU"](alpha, corner)
    z_watched = z.clone().requires_grad_()
    y = t(z_watched)
    (slope,) = torch.autograd.grad(y.sum(), z_watched)
    y = y.detach()
    assert torch.all(slope > 0)
    np.testing.assert_allclose(t.inv(y).numpy(), z.numpy(), atol=2e-5 / alpha)
    np.testing.assert_allclose(t.log_abs_det_jacobian(z, y).numpy(), torch.log(slope).numpy(), atol=1e-5)
    np.testing.assert_allclose(t.inv.log_abs_det_jacobian(y, z).numpy(), -torch.log(slope).numpy(), atol=1e-5)


def test_leaky_relu_is_notebook_01s_bijector(ns):
    torch, tf = ns["torch"], ns["nb01"]["tf"]
    z = np.linspace(-5.0, 5.0, 501, dtype="float32")
    for corner in (0.0, 0.5):
        t, b = ns["LeakyReLU"](0.2, corner), ns["nb01"]["LeakyReLU"](0.2, corner)
        np.testing.assert_allclose(t(torch.tensor(z)).numpy(), b.forward(tf.constant(z)).numpy(), atol=1e-6)
        np.testing.assert_allclose(t.log_abs_det_jacobian(torch.tensor(z), None).numpy(),
                                   b.forward_log_det_jacobian(tf.constant(z), event_ndims=0).numpy(), atol=1e-6)


def test_affine_layer_inverts_and_its_log_determinant_is_autograds(ns):
    torch = ns["torch"]
    generator = torch.Generator().manual_seed(7)
    for _ in range(5):
        angle = 2 * np.pi * torch.rand((), generator=generator)
        diag = 0.1 + 2 * torch.rand(2, generator=generator)
        lower, shift = torch.randn((), generator=generator), torch.randn(2, generator=generator)
        affine = ns["RotateScaleShift"](angle, diag, lower, shift)
        z = torch.randn(20, 2, generator=generator)
        y = affine(z)
        np.testing.assert_allclose(affine.inv(y).numpy(), z.numpy(), atol=1e-4)
        jacobian = torch.autograd.functional.jacobian(affine, z[3])
        np.testing.assert_allclose(affine.log_abs_det_jacobian(z, y).numpy(),
                                   np.full(20, torch.linalg.det(jacobian).abs().log().item()), atol=1e-5)
        np.testing.assert_allclose(y.numpy(), z.numpy() @ jacobian.numpy().T + shift.numpy(), atol=1e-5)


def random_torch_flow(ns, n_layers, corner, seed):
    "The notebook's PyTorch flow with every raw parameter drawn at random (far from the near-Gaussian start)."
    torch = ns["torch"]
    torch.manual_seed(seed)
    flow = ns["NormalizingFlow"](ns["x_train"], n_layers, corner)
    with torch.no_grad():
        for name in ns["PARAMETERS"]:
            variable = getattr(flow, name).untransformed_variables["loc"]
            variable.copy_(torch.randn(variable.shape))
    return flow


def tf_twin(ns, torch_flow, n_layers, corner):
    with ns["probflow_backend"]("tensorflow"):
        twin = ns["nb01"]["NormalizingFlow"](ns["x_train"], n_layers, corner)
    ns["copy_weights"](torch_flow, twin)
    return twin


@pytest.mark.parametrize("n_layers, corner, seed", [(8, 0.5, 0), (8, 0.0, 1), (3, 1.0, 2), (1, 0.5, 3)])
def test_the_same_random_weights_give_the_same_log_densities_in_both_backends(ns, n_layers, corner, seed):
    flow = random_torch_flow(ns, n_layers, corner, seed)
    twin = tf_twin(ns, flow, n_layers, corner)
    x = np.concatenate([ns["x_train"], ns["banana"].sample(2000, seed=seed + 50)])
    log_q_torch, log_q_tf = ns["log_q_torch"](flow, x), ns["log_q_tf"](twin, x)
    assert np.all(np.isfinite(log_q_torch))
    # float32 through up to 16 layers: relative to the size of log q
    np.testing.assert_allclose(log_q_torch, log_q_tf, rtol=2e-5, atol=1e-4)


def test_copied_weights_are_the_weights(ns):
    flow = random_torch_flow(ns, 4, 0.5, 5)
    twin = tf_twin(ns, flow, 4, 0.5)
    for name in ns["PARAMETERS"]:
        np.testing.assert_array_equal(getattr(twin, name).untransformed_variables["loc"].numpy(),
                                      getattr(flow, name).untransformed_variables["loc"].detach().numpy())


def test_the_torch_flow_integrates_to_one(ns):
    from helpers.plotting import density_grid

    flow = random_torch_flow(ns, 4, 0.5, 11)
    with ns["torch"].no_grad():   # a mild flow: its raw weights at a tenth of the random draw's size
        for name in ns["PARAMETERS"]:
            getattr(flow, name).untransformed_variables["loc"].mul_(0.1)
    grid, _, _, cell_area = density_grid(((-25.0, 45.0), (-30.0, 30.0)), resolution=500)
    assert np.exp(ns["log_q_torch"](flow, grid)).sum() * cell_area == pytest.approx(1.0, abs=5e-3)


def test_eager_fit_takes_numpy_data_and_lowers_the_loss(ns):
    import probflow as pf

    torch = ns["torch"]
    torch.manual_seed(0)
    flow = ns["NormalizingFlow"](ns["x_train"], 3, 0.5)
    monitor = pf.callbacks.MonitorELBO()
    flow.fit(ns["x_train"], batch_size=len(ns["x_train"]), epochs=40, lr=0.02, eager=True, callbacks=[monitor])
    assert monitor.elbos[-1] < monitor.elbos[0] - 0.2
    # the loss is the mean negative log-likelihood of the training points (no priors)
    assert float(monitor.elbos[-1]) == pytest.approx(
        -float(ns["log_q_torch"](flow, ns["x_train"]).mean()), abs=0.05)
