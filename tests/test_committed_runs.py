"""The committed outputs come from the committed code, and their results are the expected ones.

``scripts/run.sh --update-committed`` records, for each notebook it re-executes, a fingerprint of the code that
ran (the notebook's code cells, every helpers module it imports, any notebook whose definitions it loads) and the
metrics of that execution (``tests/committed_runs.json``, ``scripts/committed_runs.py``). These tests need no
kernel: they recompute the fingerprint, and check the recorded metrics against ``tests/expected_results.toml``.
"""

import json
import sys
from pathlib import Path

import pytest

import results

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import committed_runs  # noqa: E402

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
RECORD = committed_runs.load_record()
EXPECTED = results.load()
IDS = [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_committed_outputs_come_from_the_committed_code(notebook):
    changed = committed_runs.changes(notebook, RECORD.get(notebook.stem))
    assert not changed, (f"{notebook.name}: its committed outputs were not produced by the code as it is now; "
                         f"changed since: {'; '.join(changed)}. Re-execute it: "
                         f"bash scripts/run.sh --update-committed notebooks/{notebook.name}")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_every_notebook_has_expected_results(notebook):
    assert EXPECTED.get(notebook.stem), f"{results.EXPECTED_PATH.name} lists nothing for {notebook.stem}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_the_committed_run_meets_every_expected_result(notebook):
    metrics = RECORD.get(notebook.stem, {}).get("metrics")
    assert metrics, f"no committed metrics of {notebook.stem}"
    failed = results.failures(EXPECTED.get(notebook.stem, []), metrics)
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_each_expected_value_is_the_committed_runs(notebook):
    """A metric's ``value`` is the committed run's, to a tenth of its tolerance: the file says what was measured."""
    metrics = RECORD.get(notebook.stem, {}).get("metrics", {})
    off = []
    for check in EXPECTED.get(notebook.stem, []):
        if check.kind != "metric":
            continue
        committed = results.lookup(metrics, check.key)
        if abs(committed - check.value) > check.tolerance / 10:
            off.append(f"{check.key}: expected_results.toml says {check.value}, the committed run {committed:.6g}")
    assert not off, "\n".join(off)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_the_record_stores_what_the_notebook_imports(notebook):
    recorded = RECORD.get(notebook.stem, {})
    assert "helpers/__init__.py" in recorded.get("helpers", {})
    assert set(recorded.get("helpers", {})) == set(committed_runs.fingerprint(notebook)["helpers"])


def test_a_changed_helper_or_cell_is_named(tmp_path, monkeypatch):
    """The fingerprint notices a change to a code cell and to an imported helper, and names it."""
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "__init__.py").write_text("")
    (helpers / "data.py").write_text("from .maths import square\n")
    (helpers / "maths.py").write_text("def square(x):\n    return x * x\n")
    (helpers / "unused.py").write_text("")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = notebooks / "01_x.ipynb"
    cells = [{"cell_type": "code", "source": "%matplotlib inline\nfrom helpers.data import square\n", "metadata": {},
              "outputs": [], "execution_count": 1},
             {"cell_type": "markdown", "source": "text", "metadata": {}}]
    nb.write_text(json.dumps({"cells": cells}))
    monkeypatch.setattr(committed_runs, "REPO", tmp_path)
    monkeypatch.setattr(committed_runs, "HELPERS", helpers)
    monkeypatch.setattr(committed_runs, "NOTEBOOKS", notebooks)
    recorded = committed_runs.fingerprint(nb)
    assert sorted(recorded["helpers"]) == ["helpers/__init__.py", "helpers/data.py", "helpers/maths.py"]
    assert committed_runs.changes(nb, recorded) == []
    cells[1]["source"] = "other text"                      # markdown: no re-execution needed
    nb.write_text(json.dumps({"cells": cells}))
    assert committed_runs.changes(nb, recorded) == []
    (helpers / "maths.py").write_text("def square(x):\n    return x ** 2\n")
    assert committed_runs.changes(nb, recorded) == ["helpers/maths.py (changed)"]
    cells[0]["source"] += "x = 1\n"
    nb.write_text(json.dumps({"cells": cells}))
    assert committed_runs.changes(nb, recorded)[0] == "the code cells of 01_x.ipynb"
    assert committed_runs.changes(nb, None) == ["01_x.ipynb has no committed run in committed_runs.json"]


def test_the_record_is_written_as_it_reads():
    assert committed_runs.dumps(RECORD) == committed_runs.RECORD_PATH.read_text(encoding="utf-8")
    assert json.loads(committed_runs.dumps(RECORD)) == RECORD
