"""scripts/run_notebooks.py: a summary line per run, and a failing notebook named with its cell."""

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

RUNNER = Path(__file__).resolve().parent.parent / "scripts" / "run_notebooks.py"


def _notebook(path, *sources, parameters=None):
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    if parameters is not None:
        cell = new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells += [new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def _run(*args):
    return subprocess.run([sys.executable, str(RUNNER), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_summary_has_seconds_and_headline_metric(tmp_path):
    nb = _notebook(tmp_path / "ok.ipynb",
                   "from helpers.evaluation import write_metrics\n"
                   "write_metrics(metrics_path, headline='kl', kl=0.25 * scale)",
                   parameters='metrics_path = ""\nscale = 1.0')
    done = _run(nb, "--out", tmp_path / "out", "-p", "scale", "2.0", "--seeds", "4")
    assert done.returncode == 0, done.stderr
    line = next(l for l in done.stdout.splitlines() if l.startswith("ok-seed4"))
    assert " s " in line and line.endswith("kl = 0.5000")
    assert (tmp_path / "out" / "ok-seed4.ipynb").is_file()


def test_failure_names_notebook_and_cell_and_exits_non_zero(tmp_path):
    nb = _notebook(tmp_path / "broken.ipynb", "x = 1", "raise ValueError('boom')", "print('never')")
    done = _run(nb, "--out", tmp_path / "out")
    assert done.returncode == 1
    assert "FAILED:" in done.stderr and "broken.ipynb" in done.stderr
    assert "raise ValueError('boom')" in done.stderr and "ValueError: boom" in done.stderr
