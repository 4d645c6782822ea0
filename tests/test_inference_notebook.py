"""Notebook 05 (flows for inference) headless: parameters reach it, metrics come back sane, bad input stops clearly."""

import json
import math
from pathlib import Path

import pytest
from helpers.validation import ParameterError
from papermill_runs import check_parameters, run as run_notebook

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05_flows_for_inference.ipynb"

CHEAP = dict(seed=3, steps=60, anneal_steps=30, realnvp_layers=2, n_hidden=8, spline_bins=4, n_eval=2000,
             schools_steps=60, probflow_epochs=30)


def run(tmp_path, **parameters):
    return run_notebook(NOTEBOOK, tmp_path, **parameters)


@pytest.fixture(scope="module")
def cheap_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vi")
    metrics_path = folder / "metrics" / "vi.json"
    run(folder, metrics_path=str(metrics_path), **CHEAP)
    return json.loads(metrics_path.read_text())


def test_parameters_reach_the_notebook(cheap_run):
    m = cheap_run
    assert m["notebook"] == "05_flows_for_inference" and m["headline"] == "schools_flow_w1"
    for name, value in CHEAP.items():
        assert m[name] == value, name


def test_metrics_have_the_documented_keys(cheap_run):
    m = cheap_run
    families = {"mean_field", "full_covariance", "realnvp", "nsf"}
    assert set(m["reverse_kl"]) == {"funnel", "ring", "energy"}
    assert set(m["reverse_kl"]["funnel"]) == set(m["reverse_kl"]["energy"]) == families
    assert set(m["reverse_kl"]["ring"]) == families | {"mixture", "mixture_annealed"}
    assert set(m["ring_mode_mass"]) == families | {"mixture", "mixture_annealed"}
    assert set(m["eight_schools"]) == {"probflow_mean_field", "mean_field", "full_covariance", "realnvp"}
    for model, values in m["eight_schools"].items():
        assert {"log_tau_w1", "k_hat"} <= set(values), model
    assert set(m["forward_kl"]) == {"funnel", "ring"}  # the energy target cannot be sampled
    assert set(m["best_flow"]) == {"funnel", "ring", "energy"}


def test_metric_values_are_sane(cheap_run):
    m = cheap_run
    for target, by_model in m["reverse_kl"].items():
        for model, kl in by_model.items():
            se = m["reverse_kl_se"][target][model]
            # a KL is non-negative; a Monte Carlo estimate may dip below 0 only by its noise
            assert math.isfinite(kl) and kl > -5 * se - 1e-9, (target, model)
            # the final loss (negative ELBO) is bounded below by -log Z, i.e. loss + log Z ~ KL >= 0 up to noise
    for model, mass in m["ring_mode_mass"].items():
        assert 0.0 <= mass <= 1.0 / 8 + 0.05, model  # the smallest of 8 shares cannot exceed the average by much
    for model, values in m["eight_schools"].items():
        assert values["log_tau_w1"] >= 0 and math.isfinite(values["k_hat"]), model
        assert 1.0 <= values["ess"] <= CHEAP["n_eval"] + 1e-6, model
    for target in m["best_flow"]:
        assert m["best_flow"][target] in ("realnvp", "nsf")
        assert m["reverse_kl"][target][m["best_flow"][target]] == \
            min(m["reverse_kl"][target]["realnvp"], m["reverse_kl"][target]["nsf"])


@pytest.mark.parametrize("name, value, message", [
    ("steps", 0, "steps must be an integer >= 1, got 0"),
    ("anneal_steps", 2000, "anneal_steps must be an integer <= 1500, got 2000"),
    ("anneal_start", 0.0, "anneal_start must be > 0.0, got 0.0"),
    ("n_eval", 10, "n_eval must be an integer >= 100, got 10"),
    ("mixture_components", 10, "mixture_components must divide batch_size (256) and n_eval (20000), got 10"),
])
def test_bad_parameters_stop_with_one_clear_message(name, value, message):
    with pytest.raises(ParameterError) as err:
        check_parameters(NOTEBOOK, **{name: value})
    assert str(err.value) == message
