"""Notebook 05 (flows for inference): bad input stops with one clear message. (Its results: the nbval run's metrics,
checked against tests/expected_results.toml.)"""

from pathlib import Path

import pytest
from helpers.validation import ParameterError
from papermill_runs import check_parameters

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05_flows_for_inference.ipynb"


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
