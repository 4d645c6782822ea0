"""Test-suite settings shared by pytest, the papermill runs and nbval's kernels.

It also teaches nbval one thing: numbers compared within a tolerance. A fit of
hundreds of steps turns the last-bit rounding differences between CPUs into
visibly different results; ``scripts/float_noise.py`` measures how far each
printed number moves. A code cell whose metadata holds

    "nbval-tolerance": {"8": 0.075, "10": 0.075}

accepts a new output whose text differs from the committed one only in the
numbers listed there (by their position among the numbers in the cell's text
outputs, counted from 0, wall-clock durations not counted), each within its
absolute tolerance, and in the spaces that pad them. Everything else, every
other number included, must match exactly, and a number outside its tolerance
fails as before. ``tests/test_float_noise.py`` checks that each tolerance covers
the spread measured for its number.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from pathlib import Path

# Kernels started by nbval and papermill inherit this environment: no progress
# bars in outputs that are compared with (or become) committed outputs.
os.environ["FLOW_TUTORIALS_PROGRESS"] = "0"
# TensorFlow imported by the tests themselves (and any process they start) uses the notebooks' kernels, as
# helpers.notebook_setup chooses them: oneDNN off unless the environment says otherwise. Without this, the first
# test to import TensorFlow fixes oneDNN on in pytest's process while its subprocesses inherit it off, and on
# an AVX-512 CPU the two round differently (seen: a reloaded model's log-densities 3e-6 apart).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

TOLERANCE_KEY = "nbval-tolerance"
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
DURATION = re.compile(r"\b\d+(\.\d+)? s\b")  # as in tests/nbval_sanitize.cfg
DURATION_MASK = "<seconds> s"


def text_items(outputs):
    """(output, key, text) for every text nbval compares in ``outputs``, in order, durations masked."""
    for output in outputs:
        if isinstance(output.get("text"), str):
            yield output, None, DURATION.sub(DURATION_MASK, output["text"])
        for mime, value in output.get("data", {}).items():
            if mime.startswith("text/") and isinstance(value, str):
                yield output, mime, DURATION.sub(DURATION_MASK, value)


def numbers_in(outputs) -> list[str]:
    """Every number in the texts of ``outputs``, in the order the tolerance indices count them."""
    return [m.group(0) for _, _, text in text_items(outputs) for m in NUMBER.finditer(text)]


def number_kinds(outputs) -> list[tuple[str, str]]:
    """For each number of ``numbers_in(outputs)``, its kinds: its column, and the two words before it.

    The column: a line's form is its text with numbers as '#' and its first two words left out (the label: a flow
    and a data set, a data set and a model), and the column is the form and the number's place in the line. So in a
    table the rows of one form (the flows', not the baselines') share their columns, and in
    ``MAF  ring  best validation NLL 3.89 at epoch 400`` the validation NLL shares a column with every other fit's.
    The words before it (numbers as '#'; only if they hold a letter) catch the same quantity in lines of other
    forms: ``at epoch``.
    """
    kinds = []
    for _, _, text in text_items(outputs):
        for line in text.splitlines():
            first = NUMBER.search(line)
            if first is None:
                continue
            form = " ".join(line[:first.start()].split()[2:] + NUMBER.sub("#", line[first.start():]).split())
            for k, m in enumerate(NUMBER.finditer(line)):
                words = " ".join(NUMBER.sub("#", line[:m.start()]).split()[-2:])
                # words only if they are words: "| #" between table cells says nothing about the quantity
                kinds.append((f"{form} @{k}", words) if any(ch.isalpha() for ch in words) else (f"{form} @{k}",))
    return kinds


def text_skeleton(text: str) -> str:
    """``text`` with numbers as '#' and runs of spaces as one: what must match when numbers may differ."""
    return re.sub(r"[ \t]+", " ", NUMBER.sub("#", text))


def matches_within(reference: str, new: str, tolerances: dict, first_index: int = 0) -> bool:
    """True if ``new`` reads as ``reference`` but for tolerated numbers (and their padding).

    ``tolerances`` maps a number's index (as a string, counted from
    ``first_index`` for this text's first number) to its absolute tolerance;
    numbers without an entry must be equal.
    """
    ref_numbers, new_numbers = NUMBER.findall(reference), NUMBER.findall(new)
    if len(ref_numbers) != len(new_numbers) or text_skeleton(reference) != text_skeleton(new):
        return False
    for j, (a, b) in enumerate(zip(ref_numbers, new_numbers)):
        if a != b and abs(float(a) - float(b)) > tolerances.get(str(first_index + j), -1.0) + 1e-9:
            return False
    return True


def apply_tolerance(new_outputs, reference_outputs, tolerances: dict):
    """Copies of ``new_outputs``; each line that matches its reference within tolerance reads as it."""
    new_outputs = copy.deepcopy(new_outputs)
    ref_items = list(text_items(reference_outputs))
    new_items = list(text_items(new_outputs))
    if [(o.get("output_type"), o.get("name"), k) for o, k, _ in ref_items] != \
            [(o.get("output_type"), o.get("name"), k) for o, k, _ in new_items]:
        return new_outputs  # other outputs: nbval reports them
    index = 0
    for (_, key, ref_text), (output, _, new_text) in zip(ref_items, new_items):
        ref_lines, new_lines = ref_text.splitlines(keepends=True), new_text.splitlines(keepends=True)
        if len(ref_lines) != len(new_lines):  # compare as one piece; nbval reports the difference
            ref_lines, new_lines = [ref_text], [new_text]
        aligned = []
        for ref_line, new_line in zip(ref_lines, new_lines):  # line by line: a failure shows only its own lines
            aligned.append(ref_line if matches_within(ref_line, new_line, tolerances, index) else new_line)
            index += len(NUMBER.findall(ref_line))
        if key is None:
            output["text"] = "".join(aligned)
        else:
            output["data"][key] = "".join(aligned)
    return new_outputs


def unexpected_stderr(test_outputs, reference_outputs) -> list[str]:
    """The text of each stderr stream of ``test_outputs`` when ``reference_outputs`` have none."""
    def stderr(outputs):
        return [o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    if stderr(reference_outputs):
        return []
    return ["".join(o.get("text", "")) for o in stderr(test_outputs)]


def _install_nbval_tolerance():
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to extend
        return
    compare = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        tolerances = self.cell.metadata.get(TOLERANCE_KEY)
        if tolerances:
            test = apply_tolerance(test, ref, tolerances)
        same = compare(self, test, ref, skip_compare)
        if not same:  # nbval names an unexpected stderr stream but not its text, which is what tells why
            said = "".join(unexpected_stderr(test, ref))
            if said:
                self.comparison_traceback.append(f"\nstderr of this run, absent from the committed outputs:\n{said}")
        return same

    IPyNbCell.compare_outputs = compare_outputs


_install_nbval_tolerance()


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
    if not hasattr(config, "workerinput"):  # not an xdist worker (-n 0): pytest's own order
        return
    try:
        seconds = json.loads(DURATIONS_PATH.read_text())
    except (OSError, ValueError):
        seconds = {}
    collected = {}
    for item in items:
        collected.setdefault(file_of(item.nodeid), len(collected))
    # stable sort: within a file (a notebook's cells) the order stays as collected
    items.sort(key=lambda item: (-seconds.get(file_of(item.nodeid), math.inf), collected[file_of(item.nodeid)]))


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
