"""Headless (papermill) runs: parameters reach the notebook, metrics come back, bad input stops clearly."""

import json
import math
from pathlib import Path

import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CORE = NOTEBOOKS / "01_normalizing_flows.ipynb"


def run(notebook, tmp_path, **parameters):
    out = tmp_path / f"{notebook.stem}-out.ipynb"
    return papermill.execute_notebook(str(notebook), str(out), parameters=parameters,
                                      cwd=str(tmp_path), progress_bar=False, kernel_name="python3")


SMALL = dict(seed=7, n_train=256, n_test=2000, n_layers=3, epochs=200, learning_rate=0.02, corner=0.3,
             sharp_epochs=0)


def run_small(tmp_path_factory, name):
    folder = tmp_path_factory.mktemp(name)
    metrics_path = folder / "metrics" / "core.json"
    run(CORE, folder, metrics_path=str(metrics_path), **SMALL)
    return json.loads(metrics_path.read_text())


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    return run_small(tmp_path_factory, "first")


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


def test_same_seed_same_machine_same_metrics(small_run, tmp_path_factory):
    """The cheapest configuration, run twice: every metric but the wall-clock time is identical."""
    again = run_small(tmp_path_factory, "second")
    assert {k: v for k, v in again.items() if k != "fit_seconds"} == \
        {k: v for k, v in small_run.items() if k != "fit_seconds"}


@pytest.mark.parametrize("name, value, message", [
    ("epochs", 0, "epochs must be an integer >= 1, got 0"),
    ("n_layers", 0, "n_layers must be an integer >= 1, got 0"),
    ("n_train", 1, "n_train must be an integer >= 2, got 1"),
    ("learning_rate", -0.1, "learning_rate must be > 0.0, got -0.1"),
])
def test_core_notebook_stops_with_one_clear_message(tmp_path, name, value, message):
    with pytest.raises(PapermillExecutionError) as err:
        run(CORE, tmp_path, **{name: value})
    assert err.value.ename == "ParameterError"
    assert err.value.evalue == message
