"""Test-suite settings shared by pytest, the papermill runs and nbval's kernels, and the results checks.

nbval executes every notebook once, top to bottom, at its default parameters, and compares the outputs of the
cells that come out the same on any CPU; cells whose numbers come out of a fit carry the tag
``nbval-ignore-output``. That one execution also writes the notebook's metrics JSON (into the folder named by
``FLOW_TUTORIALS_METRICS_DIR``, which this file sets), and after the notebook's last cell pytest runs one item per
entry of ``tests/expected_results.toml`` for it: each metric within its stated tolerance, each claim of the prose
as the inequality it is (``tests/results.py``). ``docs/testing.md`` says why this holds on any CPU.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))
import results  # noqa: E402  (tests/results.py)

# Kernels started by nbval and papermill inherit this environment: no progress
# bars in outputs that are compared with (or become) committed outputs.
os.environ["FLOW_TUTORIALS_PROGRESS"] = "0"
# TensorFlow imported by the tests themselves (and any process they start) uses the notebooks' kernels, as
# helpers.notebook_setup chooses them: oneDNN off unless the environment says otherwise. Without this, the first
# test to import TensorFlow fixes oneDNN on in pytest's process while its subprocesses inherit it off, and on
# an AVX-512 CPU the two round differently (seen: a reloaded model's log-densities 3e-6 apart).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

# Where the notebooks nbval executes write their metrics (helpers.evaluation.write_metrics): a new folder per
# session, made by the first process (pytest-xdist's workers inherit it), unless the caller names one.
from helpers.evaluation import METRICS_DIR_VARIABLE  # noqa: E402

if not os.environ.get(METRICS_DIR_VARIABLE):
    os.environ[METRICS_DIR_VARIABLE] = tempfile.mkdtemp(prefix="flow-tutorials-metrics-")
METRICS_DIR = Path(os.environ[METRICS_DIR_VARIABLE])


class ResultFailure(Exception):
    """A metric outside its tolerance or a claim that does not hold, with what was found."""


class ResultsOfNotebook(pytest.File):
    """The expected results of one notebook, checked on the metrics its nbval execution wrote."""

    def collect(self):
        checks = EXPECTED.get(self.path.stem)
        if not checks:
            yield NoExpectedResults.from_parent(self, name="results: none listed")
            return
        for check in checks:
            yield ResultItem.from_parent(self, name=f"result: {check.label}", check=check)


class ResultItem(pytest.Item):
    def __init__(self, *, check, **kwargs):
        super().__init__(**kwargs)
        self.check = check

    def runtest(self):
        path = METRICS_DIR / f"{self.path.stem}.json"
        if not path.is_file():
            raise ResultFailure(f"{self.path.name} wrote no metrics to {path} in this run (did one of its cells fail?)")
        holds, message = results.evaluate(self.check, json.loads(path.read_text()))
        if not holds:
            raise ResultFailure(message)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ResultFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.path.stem}: {self.check.label}"


class NoExpectedResults(ResultItem):
    def __init__(self, **kwargs):
        super().__init__(check=None, **kwargs)

    def runtest(self):
        raise ResultFailure(f"{results.EXPECTED_PATH.name} lists no metric or claim for {self.path.stem}")

    def reportinfo(self):
        return self.path, None, f"{self.path.stem}: results"


EXPECTED = results.load()


def pytest_collect_file(file_path, parent):
    option = parent.config.option
    if file_path.suffix == ".ipynb" and file_path.parent.name == "notebooks" and \
            (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)):
        return ResultsOfNotebook.from_parent(parent, path=file_path)


def pytest_configure(config):
    if not hasattr(config, "workerinput"):   # the first process: no metrics of an earlier run may be read
        for stale in METRICS_DIR.glob("*.json"):
            stale.unlink()


# Order of the files for pytest-xdist. Two workers (pyproject.toml: -n 2 --dist loadfile) take whole files, one at a
# time, in the order the workers collected them (--no-loadscope-reorder: not xdist's order by number of items). The
# suite is a few long files (nbval notebooks, papermill runs) and many short ones, so for both workers to finish
# together the long files start first: longest first by tests/durations.json (each file's seconds in a recent run),
# and a file it does not know (a new notebook, say) before all of them, as it may be the longest. A stale record only
# makes the schedule less even. Refresh it with a whole run: bash scripts/test.sh --record-durations
DURATIONS_PATH = Path(__file__).resolve().parent / "tests" / "durations.json"


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_addoption(parser):
    parser.addoption("--record-durations", action="store_true",
                     help=f"write each file's seconds in this run to {DURATIONS_PATH.name} (orders the xdist workers' files)")


def pytest_collection_modifyitems(config, items):
    """Each notebook's results checks after its cells; under xdist, the longest files first."""
    seconds = {}
    if hasattr(config, "workerinput"):   # an xdist worker; with -n 0 pytest's own order of files
        try:
            seconds = json.loads(DURATIONS_PATH.read_text())
        except (OSError, ValueError):
            seconds = {}
    collected = {}
    for item in items:
        collected.setdefault(file_of(item.nodeid), len(collected))
    # stable sort: within a file (a notebook's cells) the order stays as collected
    items.sort(key=lambda item: (-seconds.get(file_of(item.nodeid), math.inf) if seconds else 0,
                                 collected[file_of(item.nodeid)], isinstance(item, ResultItem)))


_seconds_this_run: dict[str, float] = {}


def pytest_runtest_logreport(report):
    _seconds_this_run[file_of(report.nodeid)] = _seconds_this_run.get(file_of(report.nodeid), 0.0) + report.duration


def pytest_sessionfinish(session):
    if session.config.getoption("record_durations") and not hasattr(session.config, "workerinput"):
        try:
            seconds = json.loads(DURATIONS_PATH.read_text())
        except (OSError, ValueError):
            seconds = {}
        seconds.update({name: round(s, 1) for name, s in _seconds_this_run.items()})
        DURATIONS_PATH.write_text(json.dumps(dict(sorted(seconds.items())), indent=1) + "\n")
