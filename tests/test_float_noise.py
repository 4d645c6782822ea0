"""Every tolerance nbval allows is derived from a measured spread, and covers it.

``scripts/float_noise.py --record`` runs each notebook under five rounding
variants (see its docstring), records in ``tests/float_noise/<notebook>.json``
how far each printed number moved, and writes the tolerances into the cells'
metadata. These tests fail when a tolerance has no measurement behind it (beyond one
unit of a decimal's last digit), is smaller than its margin over the measured
spread, or when the record no longer describes the committed outputs (re-run the
script after changing what a cell prints).
"""

import json
from pathlib import Path

import nbformat
import pytest

from conftest import TOLERANCE_KEY, number_kinds, numbers_in

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
MARGIN = 2  # as in scripts/float_noise.py


def load(notebook):
    record_path = REPO / "tests" / "float_noise" / f"{notebook.stem}.json"
    assert record_path.exists(), f"no noise record: run scripts/float_noise.py {notebook.name} --record"
    code = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    return json.loads(record_path.read_text()), code


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_record_covers_every_variant(notebook):
    record, _ = load(notebook)
    names = {label.split(" @ ")[0] for label in record["variants"]}   # "onednn @ <the CPU it ran on>"
    assert {"reference", "numpy-simd", "onednn", "one-thread", "ulp"} <= names


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_moved_number_has_a_tolerance_that_covers_its_spread(notebook):
    record, code = load(notebook)
    for i, cell in record["cells"].items():
        assert not cell["layout_differs"], f"cell {i}: outputs differed in more than numbers"
        printed = numbers_in(code[int(i)].outputs)
        tolerances = code[int(i)].metadata.get(TOLERANCE_KEY, {})
        for entry in cell["numbers"]:
            j = entry["index"]
            assert j < len(printed) and printed[j] == entry["printed"], \
                f"cell {i}, number {j}: the record is stale (re-run scripts/float_noise.py --record)"
            assert tolerances.get(str(j), 0) >= MARGIN * entry["spread"] - 1e-9, (i, entry["context"])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_tolerance_without_a_measured_spread(notebook):
    """A number that did not move has at most the tolerance of a moved number of its kind in the cell, or one unit
    of its last digit if it is a decimal; integers and exponent literals that nothing of their kind moved have
    none."""
    record, code = load(notebook)
    for i, cell in enumerate(code):
        moved = {str(e["index"]) for e in record["cells"].get(str(i), {}).get("numbers", [])}
        tolerances = cell.metadata.get(TOLERANCE_KEY, {})
        printed, kinds = numbers_in(cell.outputs), number_kinds(cell.outputs)
        for j, tol in tolerances.items():
            if j in moved:
                continue
            same_kind = [tolerances[k] for k in moved if set(kinds[int(k)]) & set(kinds[int(j)])]
            if same_kind:
                assert tol <= max(same_kind), (i, j)
            else:
                literal = printed[int(j)]  # a decimal, not in exponent notation (0.0e+00 is compared exactly)
                assert "." in literal and "e" not in literal.lower(), (i, j, literal)
                assert tol == pytest.approx(10.0 ** -len(literal.split(".")[1])), (i, j)


def test_fresh_cells_forget_only_their_own_earlier_values():
    """float_noise.py --fresh-cells: a cell whose printed output changed loses its earlier values, the others keep
    theirs, labelled by the machine they ran on."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("float_noise", REPO / "scripts" / "float_noise.py")
    float_noise = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(float_noise)
    entry = lambda j, v: {"index": j, "values": {"committed": v, "reference": v + 1}}  # noqa: E731
    record = {"machine": "CPU A", "cells": {"3": {"numbers": [entry(0, 1.0)]},
                                            "7": {"numbers": [entry(0, 2.0), entry(4, 3.0)]}}}
    kept = float_noise.kept_earlier(record, ["7"])
    assert kept == {("3", 0): {"committed": 1.0, "reference @ CPU A": 2.0}}
    assert set(float_noise.kept_earlier(record)) == {("3", 0), ("7", 0), ("7", 4)}


def test_fresh_changed_forgets_only_numbers_whose_committed_value_changed():
    """float_noise.py --fresh-changed: a number printed differently now loses its earlier values (they measured
    another computation); an unchanged number in the same cell keeps them."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("float_noise", REPO / "scripts" / "float_noise.py")
    float_noise = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(float_noise)
    earlier = {("7", 0): {"committed": 0.011, "reference @ CPU A": 0.012},
               ("7", 1): {"committed": 0.092, "reference @ CPU A": 0.101},
               ("8", 0): {"committed": 1.5, "reference @ CPU A": 1.6}}
    now = {("7", 0): 0.011, ("7", 1): 0.055}   # cell 8 prints no number any more
    assert float_noise.unchanged_only(earlier, now) == {("7", 0): earlier["7", 0]}
