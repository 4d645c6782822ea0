"""helpers.notebook_code: a notebook's definitions run, its other statements do not."""

import math
from pathlib import Path

import nbformat
import pytest

from helpers.notebook_code import definitions

REPO = Path(__file__).resolve().parent.parent


def _notebook(path, *cells, parameters=None):
    nb = nbformat.v4.new_notebook()
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nb.cells.append(nbformat.v4.new_markdown_cell("raise SystemExit  # markdown is never run"))
    nbformat.write(nb, path)
    return path


def test_definitions_run_and_statements_do_not(tmp_path):
    path = _notebook(tmp_path / "nb.ipynb",
                     "import math\nsq, pi = math.sqrt, math.pi\nNAMES = {'root': sq}\nraise RuntimeError('a fit would run here')",
                     "def double(x):\n    return 2 * x\n\nclass Box:\n    size = 3\n\nresult = double(21)")
    ns = definitions(path)
    assert ns["double"](2) == 4 and ns["Box"].size == 3 and ns["sq"](9) == 3.0 and ns["pi"] == pytest.approx(3.14159)
    assert ns["NAMES"]["root"] is ns["sq"]
    assert "result" not in ns


def test_parameters_cell_runs_only_when_asked_and_takes_overrides(tmp_path):
    path = _notebook(tmp_path / "nb.ipynb", "def scaled(x, k=scale):\n    return k * x",
                     parameters="scale = 2\nseed = 0")
    with pytest.raises(NameError):
        definitions(path)  # the default argument needs the parameter
    assert definitions(path, {})["scaled"](1) == 2
    ns = definitions(path, {"scale": 5})
    assert ns["scaled"](1) == 5 and ns["seed"] == 0
    with pytest.raises(KeyError, match="has no parameter epochs"):
        definitions(path, {"epochs": 3})


def test_the_core_notebooks_flow_is_found():
    ns = definitions(REPO / "notebooks" / "01_normalizing_flows.ipynb")
    assert callable(ns["NormalizingFlow"])


def test_a_sibling_notebook_is_found_from_any_working_directory(tmp_path, monkeypatch):
    from helpers.notebook_code import sibling_notebook

    monkeypatch.chdir(tmp_path)  # as papermill started from elsewhere
    path = sibling_notebook("02_flow_zoo.ipynb")
    assert path == REPO / "notebooks" / "02_flow_zoo.ipynb" and path.is_file()
    for bad in ("02_flow_zoo", "99_missing.ipynb", "../README.md", "../notebooks/02_flow_zoo.ipynb"):
        with pytest.raises(FileNotFoundError, match="no notebook"):
            sibling_notebook(bad)


def test_the_flow_zoos_flows_are_found_with_its_parameters():
    from helpers.notebook_code import sibling_notebook

    ns = definitions(sibling_notebook("02_flow_zoo.ipynb"), parameters={"base_df": 5.0})
    assert set(ns["FLOW_CLASSES"]) == {"realnvp", "maf", "nsf"}
    assert ns["Flow"].__init__.__defaults__[-1] == 5.0  # the base's degrees of freedom: a default argument


def test_an_assignment_reading_a_run_time_name_is_skipped(tmp_path):
    path = _notebook(tmp_path / "nb.ipynb",
                     "import math\nLABELS = {'pi': math.pi}\nscores = math.sqrt(4.0)\nrows = [('fit', scores)]",
                     "ALL = {**LABELS, 'e': 2.0}\nMORE = {**FROM_ELSEWHERE, 'x': 1}\nWIDTH = max")
    ns = definitions(path)
    assert ns["ALL"] == {"pi": math.pi, "e": 2.0} and ns["WIDTH"] is max
    assert not {"scores", "rows", "MORE"} & set(ns)


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_loads(path):
    assert callable(definitions(path, {})["setup_notebook"])
