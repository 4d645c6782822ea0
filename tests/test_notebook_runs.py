"""Headless (papermill) runs: parameters reach the notebook and metrics come back; bad input stops clearly.

The notebooks' default runs are nbval's (their results: tests/expected_results.toml). Here one papermill run of
notebook 01 with other parameters shows the end-to-end path a headless user takes; every bad value is checked in
this process by the cells a run starts with (tests/papermill_runs.py: setup, parameters, their checks)."""

import json
import math
from pathlib import Path

import pytest
from papermill.exceptions import PapermillExecutionError
from helpers.validation import ParameterError
from papermill_runs import check_parameters, run

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CORE = NOTEBOOKS / "01_normalizing_flows.ipynb"


SMALL = dict(seed=7, n_train=256, n_test=2000, n_layers=3, epochs=200, learning_rate=0.02, corner=0.3,
             sharp_epochs=0)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("core")
    metrics_path = folder / "metrics" / "core.json"
    run(CORE, folder, metrics_path=str(metrics_path), **SMALL)
    return json.loads(metrics_path.read_text())


def test_core_notebook_with_other_parameters_writes_its_metrics(small_run):
    m = small_run
    assert (m["seed"], m["n_train"], m["n_test"], m["n_layers"], m["epochs"]) == (7, 256, 2000, 3, 200)
    assert (m["learning_rate"], m["corner"], m["sharp_kl"], m["headline"]) == (0.02, 0.3, None, "kl")
    assert m["entropy"] == pytest.approx(3.9365, abs=5e-5)
    for key in ("held_out_nll", "kl", "kl_se", "gaussian_kl", "fit_seconds", "final_training_loss"):
        assert math.isfinite(m[key]), key
    # held-out NLL minus KL is the Monte Carlo entropy of the held-out sample
    assert m["held_out_nll"] - m["kl"] == pytest.approx(m["entropy"], abs=0.1)
    assert 0 < m["kl"] < m["gaussian_kl"]  # even a short 3-layer fit beats the Gaussian
    assert m["fit_seconds"] > 0


@pytest.mark.parametrize("name, value, message", [
    ("epochs", 0, "epochs must be an integer >= 1, got 0"),
    ("n_layers", 0, "n_layers must be an integer >= 1, got 0"),
    ("n_train", 1, "n_train must be an integer >= 2, got 1"),
    ("learning_rate", -0.1, "learning_rate must be > 0.0, got -0.1"),
])
def test_core_notebook_stops_with_one_clear_message(name, value, message):
    with pytest.raises(ParameterError) as err:
        check_parameters(CORE, **{name: value})
    assert str(err.value) == message


ALL_NOTEBOOKS = sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("notebook", ALL_NOTEBOOKS, ids=[p.stem for p in ALL_NOTEBOOKS])
def test_every_notebook_refuses_a_negative_seed_by_name(notebook):
    with pytest.raises(ParameterError) as err:
        check_parameters(notebook, seed=-1)
    assert str(err.value) == "seed must be an integer >= 0, got -1"


def test_a_bad_parameter_stops_a_papermill_run_with_its_message(tmp_path):
    with pytest.raises(PapermillExecutionError) as err:
        run(CORE, tmp_path, seed=-1)
    assert (err.value.ename, err.value.evalue) == ("ParameterError", "seed must be an integer >= 0, got -1")


def test_flow_zoo_refuses_an_unknown_data_set():
    with pytest.raises(ParameterError) as err:
        check_parameters(NOTEBOOKS / "02_flow_zoo.ipynb", datasets=["banana", "spiral"])
    assert str(err.value).startswith("datasets must be")


@pytest.mark.parametrize("name, value, message", [
    ("ensemble_datasets", ["ring"], "ensemble_datasets must be a list of names from datasets ['banana'], got ['ring']"),
    ("ensemble_folds", 1, "ensemble_folds must be an integer >= 2, got 1"),
    ("ensemble_flow", "glow", "ensemble_flow must be one of ['realnvp', 'maf', 'nsf'], got 'glow'"),
])
def test_flow_zoo_ensemble_parameters_stop_with_one_clear_message(name, value, message):
    with pytest.raises(ParameterError) as err:
        check_parameters(NOTEBOOKS / "02_flow_zoo.ipynb", datasets=["banana"], **{name: value})
    assert str(err.value) == message


def test_bayesian_flow_needs_at_least_two_draws():
    with pytest.raises(ParameterError) as err:
        check_parameters(NOTEBOOKS / "03_bayesian_flow.ipynb", n_draws=1)
    assert str(err.value) == "n_draws must be an integer >= 2, got 1"


LEARNING_CURVE = NOTEBOOKS / "06_learning_curve.ipynb"


@pytest.mark.parametrize("name, value, message", [
    ("sizes", [], "sizes must be a non-empty list of integers >= 20, got []"),
    ("sizes", [256, 10], "sizes must be an integer >= 20, got 10"),
    ("flows", ["glow"], "flows must be a non-empty list of names from ['realnvp', 'maf', 'nsf'], got ['glow']"),
    ("datasets", ["spiral"], "datasets must be a non-empty list of names from "
                             "['banana', 'checkerboard', 'funnel', 'ring'], got ['spiral']"),
    ("batch_size", 0, "batch_size must be an integer >= 1, got 0"),
    ("fine_tune_factor", 2.0, "fine_tune_factor must be <= 1.0, got 2.0"),
    ("max_steps", 0, "max_steps must be an integer >= 1, got 0"),
    ("gmm_components", [0, 4], "gmm_components must be an integer >= 1, got 0"),
    ("learning_rate", 0, "learning_rate must be > 0.0, got 0.0"),
])
def test_learning_curve_stops_with_one_clear_message(name, value, message):
    with pytest.raises(ParameterError) as err:
        check_parameters(LEARNING_CURVE, **{name: value})
    assert str(err.value) == message
