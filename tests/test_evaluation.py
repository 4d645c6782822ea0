"""helpers.evaluation: held-out scores against exact densities, and the metrics JSON."""

import json
import math

import numpy as np
import pytest

from helpers.baselines import gaussian_log_prob
from helpers.datasets import Banana
from helpers.evaluation import METRICS_DIR_VARIABLE, format_scores, held_out_scores, write_metrics
from helpers.validation import ParameterError


def test_the_exact_density_scores_zero_kl_and_the_entropy():
    banana = Banana()
    scores = held_out_scores(banana.log_prob, banana, n=10_000, seed=0)
    assert scores["kl"] == 0.0 and scores["kl_se"] == 0.0
    assert scores["nll"] == pytest.approx(banana.entropy(), abs=0.05)
    assert scores["entropy"] == banana.entropy()


def test_a_wrong_density_scores_its_known_kl():
    """q = p shifted by 1 in x0 (unit conditional variance): KL(p || q) = 1/2 exactly."""
    banana = Banana()
    scores = held_out_scores(lambda x: banana.log_prob(x - np.array([1.0, 0.0])), banana, n=20_000, seed=1)
    assert scores["kl"] == pytest.approx(0.5, abs=4 * scores["kl_se"] + 1e-3)


def test_gaussian_baseline_is_far_from_the_banana():
    banana = Banana()
    scores = held_out_scores(gaussian_log_prob(banana.sample(5000, seed=2)), banana, n=10_000, seed=2)
    assert 1.0 < scores["kl"] < 1.4  # measured about 1.19 for the best Gaussian


def test_held_out_points_are_not_the_training_points():
    banana = Banana()
    seen = []
    held_out_scores(lambda x: seen.append(x) or banana.log_prob(x), banana, n=100, seed=0)
    assert not np.isin(seen[0][:, 1], banana.sample(100, seed=0)[:, 1]).any()


def test_impossible_points_give_infinite_kl_not_a_dropped_point():
    banana = Banana()
    scores = held_out_scores(lambda x: np.where(x[:, 1] > 0, -np.inf, 0.0), banana, n=100, seed=0)
    assert math.isinf(scores["kl"]) and math.isinf(scores["nll"])


def test_log_prob_with_wrong_shape_is_named():
    with pytest.raises(ParameterError, match="one value per point"):
        held_out_scores(lambda x: np.zeros(3), Banana(), n=10, seed=0)


def test_format_scores_names_units_and_bound():
    text = format_scores({"nll": 4.0, "entropy": 3.9365, "kl": 0.06, "kl_se": 0.003, "n": 10_000})
    assert "nats" in text and "3.9365" in text and "10,000" in text


def test_write_metrics_round_trips_numpy_values(tmp_path):
    path = tmp_path / "deep" / "m.json"
    written = write_metrics(path, kl=np.float32(0.25), n=np.int64(3), curve=np.array([1.0, 2.0]))
    assert json.loads(path.read_text()) == written == {"kl": 0.25, "n": 3, "curve": [1.0, 2.0]}


def test_write_metrics_without_a_path_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(METRICS_DIR_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    assert write_metrics("", notebook="01_x", kl=1.0) == {"notebook": "01_x", "kl": 1.0}
    assert list(tmp_path.iterdir()) == []


def test_write_metrics_without_a_path_goes_to_the_folder_the_environment_names(tmp_path, monkeypatch):
    monkeypatch.setenv(METRICS_DIR_VARIABLE, str(tmp_path / "suite"))
    written = write_metrics("", notebook="01_x", kl=1.0)
    assert json.loads((tmp_path / "suite" / "01_x.json").read_text()) == written
    write_metrics(str(tmp_path / "own.json"), notebook="02_y", kl=2.0)   # a path given wins
    assert sorted(p.name for p in (tmp_path / "suite").iterdir()) == ["01_x.json"]


def test_write_metrics_refuses_objects():
    with pytest.raises(TypeError, match="cannot write"):
        write_metrics("", model=object())
