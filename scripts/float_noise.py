"""Measure how far every number a notebook prints moves when float rounding changes.

Another CPU rounds some operations differently (NumPy picks SIMD kernels by CPU,
TensorFlow's oneDNN kernels and thread counts change summation order), and a fit
of hundreds of steps can amplify a one-ulp difference into a different result.
This script imitates "another machine" on this one: it runs each notebook at its
default parameters once per variant below, then lines up every number in every
text output of every code cell and reports how far each one moved.

    reference   the settings the notebooks use (oneDNN off, NumPy's best SIMD kernels)
    numpy-simd  NumPy without its AVX2/FMA (x86-64-v3) kernels: other float rounding in exp, sin, tanh, ...
    onednn      TensorFlow's oneDNN kernels on (other summation order in matrix products)
    one-thread  TensorFlow with one intra-op thread
    xla-avx2    XLA's CPU code generated for at most AVX2 (on an AVX-512 CPU: the instructions another CPU would get)
    ulp         every sampled data point moved one float32 ulp (helpers.datasets.ULP_NUDGE_VARIABLE)
    ulp-random-K  each coordinate of every sampled point moved one ulp up or down, by random pattern K (1, 2, 3):
                three more independent one-ulp changes, because a fit that amplifies rounding lands somewhere
                new for each, and a handful of variants under-states how far another CPU can move it
                (seen: an AVX-512 machine moved a KL of notebook 02 by 0.10 where the first five variants
                had moved it by less than 0.01)

Usage (from the repository root, after `bash scripts/run.sh` or `bash scripts/test.sh` made .venv):

    .venv/bin/python scripts/float_noise.py notebooks/02_flow_zoo.ipynb            # run, then report
    .venv/bin/python scripts/float_noise.py notebooks/02_flow_zoo.ipynb --record   # ... and save the spread
    .venv/bin/python scripts/float_noise.py --report-only notebooks/02_flow_zoo.ipynb   # report earlier runs
    ... --record --fresh-cells 7 8   # code cells 7 and 8 print something new: forget only their earlier values
    ... --record --fresh-changed     # forget the earlier values of each number whose committed value changed

Executed copies go to build/noise/<variant>/. With --record the measured spread of
each number is written to tests/float_noise/<notebook>.json, and each number
that moved gets a tolerance in its cell's metadata ("nbval-tolerance", see
conftest.py): twice its spread, rounded up to the printed precision, at least
three units of its last digit, and shared by every number of its kind (column)
in the cell (see tolerances_for); every other decimal gets one unit of its last
digit. The test suite checks that every tolerance covers the recorded spread that way.
Two variants run at a time (--jobs).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from conftest import NUMBER, TOLERANCE_KEY, number_kinds, text_items, text_skeleton  # noqa: E402  (the numbers nbval's tolerance counts)
from helpers.datasets import ULP_NUDGE_VARIABLE  # noqa: E402

VARIANTS = {
    "reference": {},
    "numpy-simd": {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"},
    "onednn": {"TF_ENABLE_ONEDNN_OPTS": "1"},
    "one-thread": {"TF_NUM_INTRAOP_THREADS": "1", "OMP_NUM_THREADS": "1"},
    "xla-avx2": {"XLA_FLAGS": "--xla_cpu_max_isa=AVX2"},
    "ulp": {ULP_NUDGE_VARIABLE: "1"},
    "ulp-random-1": {ULP_NUDGE_VARIABLE: "random:1"},
    "ulp-random-2": {ULP_NUDGE_VARIABLE: "random:2"},
    "ulp-random-3": {ULP_NUDGE_VARIABLE: "random:3"},
}


def cell_outputs(path: Path) -> list[list]:
    """The outputs of each code cell, streams merged as nbval merges them (papermill's injected cell left out)."""
    import nbformat
    from nbval.plugin import coalesce_streams

    return [coalesce_streams(cell.outputs) for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "code" and "injected-parameters" not in cell.metadata.get("tags", [])]


def numbers(outputs) -> list[tuple[str, str]]:
    """(context, literal) for every number nbval compares in ``outputs``; context is the text before it."""
    found = []
    for _, _, text in text_items(outputs):
        found += [(text[max(0, m.start() - 40):m.start()].split("\n")[-1], m.group(0))
                  for m in NUMBER.finditer(text)]
    return found


def skeleton(outputs) -> str:
    return "\n".join(text_skeleton(text) for _, _, text in text_items(outputs))


def decimals(literal: str) -> int:
    return len(literal.split(".")[1]) if "." in literal and "e" not in literal.lower() else 0


def machine() -> str:
    """This CPU's model name and widest vector extension, e.g. 'AMD EPYC, AVX-512': a record's variants say where
    they ran, because another CPU is itself one more rounding variant."""
    model, flags = "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    widest = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{model}, {widest}"


def earlier_values(record: dict) -> dict:
    """{(cell, number index): {variant label: value}} of an earlier record, labelled by the machine it ran on.

    The record's own labels are kept if they name a machine already (``variant @ machine``); an old record
    without one is labelled 'earlier machine'.
    """
    where = record.get("machine", "earlier machine")
    values = {}
    for i, cell in record.get("cells", {}).items():
        for e in cell["numbers"]:
            values[i, e["index"]] = {(k if " @ " in k or k == "committed" else f"{k} @ {where}"): v
                                     for k, v in e["values"].items()}
    return values


def kept_earlier(record: dict, fresh_cells=()) -> dict:
    """:func:`earlier_values` of ``record``, without the code cells listed in ``fresh_cells`` (indices as strings):
    cells whose printed output changed since the record, so its values there describe other numbers."""
    fresh_cells = {str(c) for c in fresh_cells}
    return {key: values for key, values in earlier_values(record).items() if key[0] not in fresh_cells}


def unchanged_only(earlier: dict, committed: dict) -> dict:
    """The entries of ``earlier`` whose committed value is still the one printed now (``committed``: {(cell,
    number index): value} of the committed outputs). A number whose committed value changed comes from another
    computation (a changed model, say), and what the earlier variants measured for it says nothing about it;
    the unchanged numbers of the same cell keep what every earlier variant, on every machine, measured."""
    return {key: values for key, values in earlier.items() if committed.get(key) == values.get("committed")}


def committed_numbers(notebook: Path) -> dict:
    """{(cell, number index): value} of every number nbval compares in the notebook's committed outputs."""
    return {(str(i), j): float(literal) for i, outputs in enumerate(cell_outputs(notebook))
            for j, (_, literal) in enumerate(numbers(outputs))}


def spread_table(runs: dict[str, Path], earlier: dict | None = None) -> dict:
    """Line up the numbers of several executed copies of one notebook; report each number that moved.

    ``earlier`` ({(cell, number index): {label: value}}, from :func:`earlier_values`) adds the values an earlier
    record measured, on this or another machine, for the same committed outputs.
    """
    earlier = earlier or {}
    outputs = {name: cell_outputs(path) for name, path in runs.items()}
    reference = next(iter(outputs))
    cells = {}
    for i, ref_outputs in enumerate(outputs[reference]):
        entries = []
        per_run = {name: o[i] if i < len(o) else [] for name, o in outputs.items()}
        layout_differs = [name for name, o in per_run.items() if skeleton(o) != skeleton(ref_outputs)]
        found = {name: numbers(o) for name, o in per_run.items() if name not in layout_differs}
        for j, (context, literal) in enumerate(numbers(ref_outputs)):
            values = {name: float(f[j][1]) for name, f in found.items()}
            values.update({k: v for k, v in earlier.get((str(i), j), {}).items() if k not in values})
            spread = max(values.values()) - min(values.values())
            if spread > 0:
                entries.append({"index": j, "context": context.strip(), "printed": literal,
                                "decimals": decimals(literal), "spread": round(spread, 10), "values": values})
        if entries or layout_differs:
            cells[str(i)] = {"numbers": entries, "layout_differs": layout_differs}
    return cells


#: Each tolerance is this multiple of the spread measured here, rounded up to the printed precision: the
#: variants are a handful of draws of "another machine", and a real one may round a little further away.
MARGIN = 2
#: ... and at least this many units of the last printed digit: a spread of one unit is the smallest the printed
#: digits can show, and says little about how far another machine lands (seen: three units).
FLOOR_UNITS = 3


def tolerance(spread: float, decimals: int) -> float:
    """MARGIN times ``spread``, rounded up to whole units of the last printed digit, and at least FLOOR_UNITS."""
    unit = 10.0 ** -decimals
    return round(unit * max(FLOOR_UNITS, math.ceil(MARGIN * spread / unit - 1e-9)), decimals)


def tolerances_for(outputs, moved: list[dict]) -> dict:
    """Tolerances for the numbers of one cell.

    A moved number gets ``tolerance(spread)``; every number of the same kind in the cell (``number_kinds``: a
    table column, every fit's validation NLL, every "at epoch") gets the largest tolerance of its kinds, since which
    fits moved in a few variants is itself chance (a check with all rounding changes at once moved the checkerboard
    MAF's KL by 0.06 where its own variants had moved it by 0.01). Any other decimal (not in exponent notation)
    gets one unit of its last digit: a value near a rounding boundary prints differently after the smallest change (seen on other
    combinations: 3.901 / 3.902, 0.046 / 0.047, 0.027 / 0.028 for numbers no single variant moved).
    """
    literals, kinds = [literal for _, literal in numbers(outputs)], number_kinds(outputs)
    by_kind = {}
    for e in moved:
        for kind in kinds[e["index"]]:
            by_kind[kind] = max(by_kind.get(kind, 0.0), tolerance(e["spread"], e["decimals"]))
    result = {}
    for j, (literal, own_kinds) in enumerate(zip(literals, kinds)):
        shared = [by_kind[kind] for kind in own_kinds if kind in by_kind]
        if shared:
            result[str(j)] = max(shared)
        elif decimals(literal):  # not an exponent literal such as 0.0e+00: those are compared exactly
            result[str(j)] = round(10.0 ** -decimals(literal), decimals(literal))
    return result


def set_tolerances(notebook: Path, cells: dict) -> None:
    """Write each cell's tolerances into its metadata (TOLERANCE_KEY); a cell without decimals gets none."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, (cell, outputs) in enumerate(zip(code, cell_outputs(notebook))):  # outputs read apart: merged in place
        found = tolerances_for(outputs, cells.get(str(i), {}).get("numbers", []))
        if found:
            cell.metadata[TOLERANCE_KEY] = found
        else:
            cell.metadata.pop(TOLERANCE_KEY, None)
    nbformat.write(nb, notebook)


def run_variant(notebook: Path, variant: str, out: Path) -> Path:
    env = dict(os.environ, **VARIANTS[variant])
    target = out / variant
    target.mkdir(parents=True, exist_ok=True)
    log = target / f"{notebook.stem}.log"
    with open(log, "w") as handle:
        status = subprocess.call([sys.executable, str(REPO / "scripts" / "run_notebooks.py"), str(notebook),
                                  "--out", str(target)], env=env, stdout=handle, stderr=subprocess.STDOUT)
    if status:
        raise SystemExit(f"{notebook.name} failed under {variant}; see {log}")
    return target / notebook.name


def report(notebook: Path, cells: dict) -> None:
    print(f"\n{notebook.name}: numbers that moved (code cell index, number index, context, spread)")
    if not cells:
        print("  none: every number identical in every variant")
    for i, cell in cells.items():
        if cell["layout_differs"]:
            print(f"  cell {i}: text layout differs in {', '.join(cell['layout_differs'])}")
        for e in cell["numbers"]:
            values = " ".join(f"{v:g}" for v in e["values"].values())
            print(f"  cell {i:>2} #{e['index']:<3} {e['context'][-36:]:>36} {e['printed']:>9}  "
                  f"spread {e['spread']:.4g}  ({values})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--out", type=Path, default=REPO / "build" / "noise")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--report-only", action="store_true", help="compare executed copies already in --out")
    parser.add_argument("--record", action="store_true", help="write tests/float_noise/<notebook>.json")
    parser.add_argument("--fresh", action="store_true",
                        help="forget the earlier record's values (by default they are kept: its variants ran on "
                             "another machine, or on this one with other variants, and still describe the same "
                             "committed outputs)")
    parser.add_argument("--fresh-cells", nargs="+", default=[], metavar="CELL",
                        help="code cells (indices as in the report) whose earlier values are forgotten because their "
                             "printed output changed; the other cells keep the earlier record's values")
    parser.add_argument("--fresh-changed", action="store_true",
                        help="forget the earlier values of every number whose committed value changed since the "
                             "record (for cells that print the same lines with some numbers changed); the others "
                             "keep them")
    args = parser.parse_args(argv)
    if "reference" not in args.variants:
        parser.error("the reference variant is needed")
    for notebook in (p.resolve() for p in args.notebooks):
        if not args.report_only:
            with ThreadPoolExecutor(args.jobs) as pool:
                list(pool.map(lambda v: run_variant(notebook, v, args.out), args.variants))
        # the committed outputs first: the record and the tolerances describe the numbers printed there
        runs = {"committed": notebook}
        runs.update({v: args.out / v / notebook.name for v in args.variants if (args.out / v / notebook.name).exists()})
        record = REPO / "tests" / "float_noise" / f"{notebook.stem}.json"
        earlier = kept_earlier(json.loads(record.read_text()), args.fresh_cells) \
            if record.exists() and not args.fresh else {}
        if args.fresh_changed:
            earlier = unchanged_only(earlier, committed_numbers(notebook))
        here = machine()
        labels = {v: (v if v == "committed" else f"{v} @ {here}") for v in runs}
        cells = spread_table({labels[v]: path for v, path in runs.items()}, earlier)
        report(notebook, cells)
        if args.record:
            if any(cell["layout_differs"] for cell in cells.values()):
                raise SystemExit("some outputs differ in more than their numbers: nothing recorded")
            record.parent.mkdir(exist_ok=True)
            variants = {labels[v]: VARIANTS.get(v, "the committed outputs") for v in runs}
            for old_label in sorted({k for c in earlier.values() for k in c} - set(variants)):
                variants[old_label] = "kept from the earlier record"
            record.write_text(json.dumps({"machine": here, "variants": variants, "cells": cells}, indent=1) + "\n")
            set_tolerances(notebook, cells)
            print(f"recorded in {record.relative_to(REPO)}; tolerances set in {notebook.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
