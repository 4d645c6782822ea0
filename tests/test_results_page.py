"""What docs/ shows comes from the committed runs: docs/results.md from their metrics JSON (scripts/results_page.py),
each run in docs/runs/ is sound, and the README's picture is notebook 01's committed figure."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import results_page  # noqa: E402

RUN_FILES = sorted(results_page.RUNS.glob("*.json"))


def test_results_page_is_generated_from_the_runs():
    status = subprocess.run([sys.executable, str(REPO / "scripts" / "results_page.py"), "--check"],
                            capture_output=True, text=True)
    assert status.returncode == 0, status.stderr


@pytest.mark.parametrize("path", RUN_FILES, ids=[p.name for p in RUN_FILES])
def test_each_run_is_a_notebook_at_its_default_parameters_and_says_how_it_was_made(path):
    stem, seed = re.fullmatch(r"(\d\d_\w+)-seed(\d+)\.json", path.name).groups()
    assert stem in results_page.NOTEBOOKS
    metrics = json.loads(path.read_text())
    assert metrics["notebook"] == stem and metrics["seed"] == int(seed)
    assert {"date", "machine", "seconds", "load_average", "commit"} <= set(metrics["run"])
    # the same parameters as the committed run, apart from the seed
    committed = json.loads(results_page.COMMITTED.read_text())[stem]["metrics"]
    parameters = {k for k, v in committed.items() if isinstance(v, (int, float, str, list)) and k in
                  ("n_train", "n_test", "epochs", "max_epochs", "learning_rate", "n_layers", "n_hidden", "sizes",
                   "datasets", "flows", "models", "batch_size", "patience")}
    assert {k: metrics.get(k) for k in parameters} == {k: committed[k] for k in parameters}, "other parameters"


def test_the_readme_picture_is_notebook_01s_committed_figure():
    status = subprocess.run([sys.executable, str(REPO / "scripts" / "readme_figure.py"), "--check"],
                            capture_output=True, text=True)
    assert status.returncode == 0, status.stderr
