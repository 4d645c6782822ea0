"""How long notebook 02's fits take, and where the time goes: compiling or steps.

Runs notebook 02's own ``fit_flow`` (its classes and functions are executed from
the notebook, see ``helpers.notebook_code``) at the notebook's default parameters,
on the notebook's data and split, for each seed, data set and flow family, one
fit at a time in one process, as the notebook runs them. With ``--before REV``
it first runs the same fits with the notebook as it was at git revision ``REV``
(a separate process), so both halves of the table come from one run on one machine.

Per fit:

* ``seconds``: the whole fit, as the notebook reports it (``fit_flow``'s timer);
* ``epochs``: epochs (full-batch steps) run before early stopping ended the fit;
* ``ms/epoch``: with ``model.fit``, the median time of an epoch after the first
  (one full-batch step, plus the validation check every ``check_every`` epochs,
  spread over them); with one compiled loop per family, seconds / epochs of the
  fits that compiled nothing;
* the held-out KL against the exact density (10,000 fresh points), so speed and
  quality are read together.

Per flow family it prints the median seconds per fit over data sets and seeds
(with the range), the compile time (with ``model.fit``: the first epoch of each
fit less a later one, paid by every fit; with ``TrainingLoop``: the first fit of
each family less its epochs at the median ms/epoch, paid once per process), the median ms/epoch, epochs and KL. With
``--out`` it writes every fit as JSON. Timings depend on the machine and its load:
run it alone.

    .venv/bin/python scripts/bench_fits.py [--seeds 0 1 2 3 4] [--datasets banana ring ...]
        [--flows realnvp maf nsf] [--before 5fe2b30] [--out build/bench_fits.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "02_flow_zoo.ipynb"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


class EpochClock:
    """Stands in for the notebook's progress bar: when training starts and when each epoch ends.

    With ``model.fit`` every epoch returns to Python, so the first epoch (which compiles the step) and the later
    ones can be timed apart; a ``TrainingLoop`` reports its epochs in bursts, one burst per compiled call.
    """

    def __init__(self, *args, **kwargs):
        self.model, self.start, self.ends = None, None, []

    def on_train_start(self):
        self.start, self.ends = time.perf_counter(), []

    def on_epoch_start(self):
        pass

    def on_epoch_end(self):
        self.ends.append(time.perf_counter())

    def on_train_end(self):
        pass

    def first_and_later(self) -> tuple[float, float]:
        """Seconds of the first epoch, and the median seconds of a later one."""
        import numpy as np

        later = np.diff(self.ends)
        return self.ends[0] - self.start, float(np.median(later)) if len(later) else float("nan")


def run_fits(notebook: Path, seeds, datasets, flows) -> list[dict]:
    """Every fit of ``notebook``'s ``fit_flow``, in one process, as dicts."""
    os.environ["FLOW_TUTORIALS_PROGRESS"] = "0"
    from helpers.notebook_setup import quiet_tensorflow

    quiet_tensorflow()
    from helpers.evaluation import held_out_scores
    from helpers.notebook_code import definitions

    nb = definitions(notebook, parameters={})
    clock = EpochClock()
    nb["FitProgress"] = lambda *a, **k: clock
    datasets = datasets or nb["datasets"]
    flows = flows or nb["flows"]
    fits, compiled = [], set()
    for seed in seeds:
        for data_name in datasets:
            data = nb["DATASETS"][data_name]()
            x = data.sample(nb["n_train"], seed=seed)
            train, val = nb["train_validation_split"](x, nb["validation_fraction"], seed=seed)
            for flow_name in flows:
                model, stopper, seconds, _, _ = nb["fit_flow"](flow_name, train, val, flow_name, seed)
                kl = held_out_scores(lambda z: model().log_prob(z).numpy(), data, n=nb["n_test"], seed=seed)["kl"]
                # model.fit compiles its step in every fit; a TrainingLoop (nb["trainers"]) once per flow family
                per_fit = "trainers" not in nb
                first = per_fit or flow_name not in compiled
                compiled.add(flow_name)
                first_epoch, later_epoch = clock.first_and_later()
                fit = dict(seed=seed, data=data_name, flow=flow_name, seconds=seconds, kl=kl,
                           best_epoch=stopper.best_epoch, epochs=stopper.stopped_epoch, compiles=first,
                           compiles_every_fit=per_fit, first_epoch=first_epoch, later_epoch=later_epoch)
                fits.append(fit)
                print(f"seed {seed}  {data_name:<13} {flow_name:<8} {seconds:6.2f} s  {fit['epochs']:>4} epochs  "
                      f"KL {kl:.3f}{'  (compiled its step)' if first else ''}", file=sys.stderr, flush=True)
    return fits


def summarise(fits, flows) -> dict:
    import numpy as np

    summary = {}
    for flow_name in flows:
        mine = [f for f in fits if f["flow"] == flow_name]
        if all(f["compiles_every_fit"] for f in mine):  # model.fit: the first epoch of every fit compiles
            ms_per_epoch = float(np.median([1000 * f["later_epoch"] for f in mine]))
            compiling = [f["first_epoch"] - f["later_epoch"] for f in mine]
        else:  # one compilation per flow family: time it from the fits that did not compile
            steady = [f for f in mine if not f["compiles"]]
            ms_per_epoch = float(np.median([1000 * f["seconds"] / max(f["epochs"], 1) for f in steady]))
            compiling = [f["seconds"] - f["epochs"] * ms_per_epoch / 1000 for f in mine if f["compiles"]]
        summary[flow_name] = dict(
            seconds=float(np.median([f["seconds"] for f in mine])), seconds_min=min(f["seconds"] for f in mine),
            seconds_max=max(f["seconds"] for f in mine), compile=float(np.median(compiling)),
            compiles=len(compiling), ms_per_epoch=ms_per_epoch, epochs=float(np.median([f["epochs"] for f in mine])),
            kl=float(np.median([f["kl"] for f in mine])), fits=len(mine))
    return summary


def print_table(title, summary) -> None:
    print(f"\n{title}")
    print(f"| flow | seconds per fit | compiling (s) | ms per epoch | epochs run | held-out KL (nats) |")
    print("|---|---|---|---|---|---|")
    for flow_name, s in summary.items():
        print(f"| {flow_name} | {s['seconds']:.2f} ({s['seconds_min']:.1f}–{s['seconds_max']:.1f}) | "
              f"{s['compile']:.2f} × {s['compiles']} | {s['ms_per_epoch']:.2f} | {s['epochs']:.0f} | {s['kl']:.3f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--datasets", nargs="+", default=None, help="default: the notebook's")
    parser.add_argument("--flows", nargs="+", default=None, help="default: the notebook's")
    parser.add_argument("--before", default="", help="also time the notebook as it was at this git revision")
    parser.add_argument("--notebook", default=str(NOTEBOOK), help=argparse.SUPPRESS)
    parser.add_argument("--fits-json", default="", help=argparse.SUPPRESS)  # used by --before's subprocess
    parser.add_argument("--out", default="", help="also write every fit as JSON here")
    args = parser.parse_args(argv)

    if args.fits_json:  # the subprocess of --before: fits only
        fits = run_fits(Path(args.notebook), args.seeds, args.datasets, args.flows)
        Path(args.fits_json).write_text(json.dumps(fits))
        return 0

    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            old = Path(tmp) / "02_flow_zoo.ipynb"
            old.write_bytes(subprocess.run(["git", "show", f"{args.before}:notebooks/02_flow_zoo.ipynb"], cwd=REPO,
                                           check=True, capture_output=True).stdout)
            command = [sys.executable, __file__, "--notebook", str(old), "--fits-json", str(Path(tmp) / "fits.json"),
                       "--seeds", *map(str, args.seeds)]
            command += ["--datasets", *args.datasets] if args.datasets else []
            command += ["--flows", *args.flows] if args.flows else []
            subprocess.run(command, check=True)
            runs[f"before ({args.before})"] = json.loads((Path(tmp) / "fits.json").read_text())
        runs["now"] = run_fits(Path(args.notebook), args.seeds, args.datasets, args.flows)

    flows = list(dict.fromkeys(f["flow"] for f in runs["now"]))
    print(f"\n{cpu_name()}, {os.cpu_count()} logical CPUs; seeds {args.seeds}; medians over data sets and seeds")
    summaries = {}
    for name, fits in runs.items():
        summaries[name] = summarise(fits, flows)
        print_table(name, summaries[name])
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(dict(cpu=cpu_name(), seeds=args.seeds, summary=summaries, fits=runs), indent=2)
                       + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
