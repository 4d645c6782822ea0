"""Headless (papermill) runs: parameters reach the notebook, metrics come back, bad input stops clearly."""

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
def test_core_notebook_stops_with_one_clear_message(name, value, message):
    with pytest.raises(ParameterError) as err:
        check_parameters(CORE, **{name: value})
    assert str(err.value) == message


ALL_NOTEBOOKS = sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("notebook", ALL_NOTEBOOKS, ids=[p.stem for p in ALL_NOTEBOOKS])
def test_every_notebook_refuses_a_negative_seed_by_name(tmp_path, notebook):
    with pytest.raises(PapermillExecutionError) as err:
        run(notebook, tmp_path, seed=-1)
    assert (err.value.ename, err.value.evalue) == ("ParameterError", "seed must be an integer >= 0, got -1")


def test_flow_zoo_with_other_parameters_writes_its_metrics(tmp_path):
    metrics_path = tmp_path / "zoo.json"
    run(NOTEBOOKS / "02_flow_zoo.ipynb", tmp_path, seed=3, datasets=["ring", "banana"], flows=["nsf", "realnvp"],
        n_train=256, n_test=2000, max_epochs=60, check_every=10, patience=2, ensemble_datasets=["ring"],
        ensemble_flow="realnvp", ensemble_folds=3, ensemble_max_epochs=40, metrics_path=str(metrics_path))
    m = json.loads(metrics_path.read_text())
    assert (m["seed"], m["datasets"], m["flows"], m["n_train"], m["max_epochs"]) == \
        (3, ["ring", "banana"], ["nsf", "realnvp"], 256, 60)
    assert (m["ensemble_datasets"], m["ensemble_flow"], m["ensemble_folds"]) == (["ring"], "realnvp", 3)
    assert m["headline"] == "banana_ensemble_kl" and m["all_finite"] is True
    assert m["banana_ensemble_kl"] is None  # the ensemble ran on the ring only
    # the best single flow is the one with the lowest validation NLL, whatever its test KL
    singles = {name: m["results"][name]["banana"] for name in ("NSF", "RealNVP")}
    assert m["banana_best_single_flow"] == min(singles, key=lambda name: singles[name]["val_nll"])
    assert m["banana_best_single_kl"] == singles[m["banana_best_single_flow"]]["kl"]
    assert set(m["results"]) == {"NSF", "RealNVP", "Gaussian", "KDE", "RealNVP x3", "RealNVP x1"}
    for model, by_data in m["results"].items():
        assert set(by_data) == ({"ring"} if model in ("RealNVP x3", "RealNVP x1") else {"ring", "banana"}), model
        for name, r in by_data.items():
            assert math.isfinite(r["kl"]) and math.isfinite(r["nll"]), (model, name)
    ensemble = m["results"]["RealNVP x3"]["ring"]
    assert len(ensemble["member_kl"]) == 3 and all(math.isfinite(v) for v in ensemble["member_kl"])
    # averaging densities: the mixture is never worse than its members' mean log-density
    assert ensemble["kl"] <= sum(ensemble["member_kl"]) / 3 + 1e-9


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


def test_bayesian_flow_with_other_parameters_writes_its_metrics(tmp_path):
    metrics_path = tmp_path / "bayes.json"
    run(NOTEBOOKS / "03_bayesian_flow.ipynb", tmp_path, seed=2, n_small=64, n_train=128, n_large=256, n_test=2000,
        point_epochs=60, bayes_epochs=30, n_draws=10, resolution=30, metrics_path=str(metrics_path))
    m = json.loads(metrics_path.read_text())
    assert (m["seed"], m["n_train"], m["n_draws"], m["resolution"], m["headline"]) == (2, 128, 10, 30, "kl_gap")
    assert set(m["by_size"]) == {"64", "128", "256"}
    for size, numbers in m["by_size"].items():
        for key in ("kl_point", "kl_predictive", "kl_gap", "sd_log_q_low", "sd_log_q_central", "sd_log_q_ratio"):
            assert math.isfinite(numbers[key]), (size, key)
        assert numbers["kl_gap"] == pytest.approx(numbers["kl_predictive"] - numbers["kl_point"])
    assert m["kl_gap"] == m["by_size"]["128"]["kl_gap"]
    # the spread against the number of draws: n_draws and twice as many; at n_draws the headline's own numbers
    assert set(m["spread_by_draws"]) == {"10", "20"}
    for key in ("sd_log_q_low", "sd_log_q_central", "sd_log_q_ratio", "cv_low", "cv_central", "cv_ratio"):
        assert math.isfinite(m["spread_by_draws"]["20"][key]), key
    assert m["spread_by_draws"]["10"]["sd_log_q_ratio"] == m["sd_log_q_ratio"]
    assert m["spread_by_draws"]["10"]["cv_low"] <= math.sqrt(10 - 1) + 1e-9


def test_bayesian_flow_needs_at_least_two_draws():
    with pytest.raises(ParameterError) as err:
        check_parameters(NOTEBOOKS / "03_bayesian_flow.ipynb", n_draws=1)
    assert str(err.value) == "n_draws must be an integer >= 2, got 1"


LEARNING_CURVE = NOTEBOOKS / "06_learning_curve.ipynb"


def test_learning_curve_with_other_parameters_writes_its_metrics(tmp_path):
    metrics_path = tmp_path / "lc.json"
    run(LEARNING_CURVE, tmp_path, seed=4, datasets=["ring"], flows=["realnvp", "maf"], sizes=[600, 100],
        n_test=2000, n_layers=2, nsf_layers=1, n_hidden=8, batch_size=128, max_steps=40, check_every=10,
        patience=2, gmm_components=[1, 8], metrics_path=str(metrics_path))
    m = json.loads(metrics_path.read_text())
    assert (m["seed"], m["datasets"], m["flows"], m["sizes"], m["batch_size"]) == (4, ["ring"], ["realnvp", "maf"],
                                                                                    [100, 600], 128)
    assert m["headline"] == "largest_n_worst_gap" and m["notebook"] == "06_learning_curve"
    curve = m["learning_curve"]["ring"]
    assert set(curve) == {"realnvp", "maf", "kde", "gmm"}
    for model, by_n in curve.items():
        assert set(by_n) == {"100", "600"} and all(math.isfinite(v) for v in by_n.values()), model
        for n, kl in by_n.items():
            r = m["results"]["ring"][model][n]
            assert r["kl"] == kl and math.isfinite(r["val_nll"]) and r["seconds"] >= 0, (model, n)
    for flow in ("realnvp", "maf"):
        for n in ("100", "600"):
            r = m["results"]["ring"][flow][n]
            assert len(r["best_steps"]) == 2 and all(s <= 40 for s in r["stopped_steps"])  # two stages of <= 40
    # the mixture tried only numbers of components with >= 20 training points each: 80 points allow 1, 480 allow 8
    assert m["results"]["ring"]["gmm"]["100"]["n_components"] == 1
    assert m["results"]["ring"]["gmm"]["600"]["n_components"] in (1, 8)
    assert m["results"]["ring"]["kde"]["600"]["bandwidth"] > 0
    best = m["best_flows"]["ring"]
    vals = {f: m["results"]["ring"][f]["600"]["val_nll"] for f in ("realnvp", "maf")}
    assert best["flow"] == min(vals, key=vals.get)  # chosen by validation NLL, not by test KL
    assert best["kl"] == curve[best["flow"]]["600"] and best["kde_kl"] == curve["kde"]["600"]
    assert best["beats_kde"] == (best["kl"] < best["kde_kl"])
    assert best["lowest_flow_kl"] == min(curve["realnvp"]["600"], curve["maf"]["600"])
    assert m["largest_n_worst_gap"] == pytest.approx(best["kl"] - best["kde_kl"])
    for flow, n in m["crossings"]["ring"].items():  # the first size from which the flow stays below the KDE
        below = [curve[flow][s] < curve["kde"][s] for s in ("100", "600")]
        assert n == (100 if all(below) else 600 if below[1] else None), flow


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
