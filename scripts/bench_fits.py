"""How long notebook 02's fits take, and where the time goes: tracing or steps.

Runs notebook 02's own ``fit_flow`` (its classes and functions are executed from
the notebook, see ``helpers.notebook_code``) at the notebook's default parameters,
on the notebook's data and split, for each seed, data set and flow family, one
fit at a time in one process. Each fit is timed with a callback in place of the
notebook's progress bar:

* ``seconds``: the whole fit, as the notebook reports it (``fit_flow``'s timer);
* ``first epoch``: from the start of training to the end of the first epoch,
  which traces the training step (``tf.function``) and runs it once;
* ``ms/epoch``: the median time of the later epochs (one full-batch step, plus
  the validation check every ``check_every`` epochs, spread over them);
* ``trace``: the first epoch minus one later epoch;
* the held-out KL against the exact density (10,000 fresh points), so speed and
  quality are read together.

It prints one line per fit and a table of medians per flow family (over data
sets and seeds), and with ``--out`` writes every fit as JSON. Timings depend on
the machine and its load: run it alone.

    nice -n 5 .venv/bin/python scripts/bench_fits.py [--seeds 0 1 2 3 4] [--datasets banana ring ...]
        [--flows realnvp maf nsf] [--out build/bench_fits.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "02_flow_zoo.ipynb"


class EpochClock:
    """A ProbFlow callback that records when training starts and when each epoch ends."""

    def __init__(self):
        self.model, self.start, self.ends = None, None, []

    def on_train_start(self):
        self.start, self.ends = time.perf_counter(), []

    def on_epoch_start(self):
        pass

    def on_epoch_end(self):
        self.ends.append(time.perf_counter())

    def on_train_end(self):
        pass

    def split(self) -> dict:
        import numpy as np

        first = self.ends[0] - self.start
        later = np.diff(self.ends)
        per_epoch = float(np.median(later)) if len(later) else float("nan")
        return dict(first_epoch=first, ms_per_epoch=1000 * per_epoch, trace=first - per_epoch,
                    epochs=len(self.ends))


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--datasets", nargs="+", default=None, help="default: the notebook's")
    parser.add_argument("--flows", nargs="+", default=None, help="default: the notebook's")
    parser.add_argument("--out", default="", help="also write every fit as JSON here")
    args = parser.parse_args(argv)

    os.environ["FLOW_TUTORIALS_PROGRESS"] = "0"
    from helpers.notebook_setup import quiet_tensorflow

    quiet_tensorflow()
    import numpy as np

    from helpers.evaluation import held_out_scores
    from helpers.notebook_code import definitions

    nb = definitions(NOTEBOOK, parameters={})
    datasets = args.datasets or nb["datasets"]
    flows = args.flows or nb["flows"]
    clock = EpochClock()
    nb["FitProgress"] = lambda *a, **k: clock  # fit_flow's progress bar becomes the clock

    fits = []
    for seed in args.seeds:
        for data_name in datasets:
            data = nb["DATASETS"][data_name]()
            x = data.sample(nb["n_train"], seed=seed)
            train, val = nb["train_validation_split"](x, nb["validation_fraction"], seed=seed)
            for flow_name in flows:
                model, stopper, seconds, _, _ = nb["fit_flow"](flow_name, train, val, flow_name, seed)
                kl = held_out_scores(lambda z: model().log_prob(z).numpy(), data, n=nb["n_test"], seed=seed)["kl"]
                fit = dict(seed=seed, data=data_name, flow=flow_name, seconds=seconds, kl=kl,
                           best_epoch=stopper.best_epoch, **clock.split())
                fits.append(fit)
                print(f"seed {seed}  {data_name:<13} {flow_name:<8} {seconds:6.2f} s  first epoch "
                      f"{fit['first_epoch']:5.2f} s  {fit['ms_per_epoch']:5.2f} ms/epoch x {fit['epochs']:>3}  "
                      f"KL {kl:.3f}", flush=True)

    print(f"\n{cpu_name()}, {os.cpu_count()} logical CPUs; seeds {args.seeds}; data sets {', '.join(datasets)}; "
          f"medians over data sets and seeds")
    print(f"{'flow':<8} {'seconds per fit':>16} {'trace (s)':>10} {'ms/epoch':>9} {'epochs':>7} {'KL (nats)':>10}")
    summary = {}
    for flow_name in flows:
        mine = [f for f in fits if f["flow"] == flow_name]
        med = {k: float(np.median([f[k] for f in mine])) for k in ("seconds", "trace", "ms_per_epoch", "epochs", "kl")}
        low, high = min(f["seconds"] for f in mine), max(f["seconds"] for f in mine)
        summary[flow_name] = dict(med, seconds_min=low, seconds_max=high)
        print(f"{flow_name:<8} {med['seconds']:>5.2f} ({low:.1f}-{high:.1f}) {med['trace']:>10.2f} "
              f"{med['ms_per_epoch']:>9.2f} {med['epochs']:>7.0f} {med['kl']:>10.3f}")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(dict(cpu=cpu_name(), seeds=args.seeds, datasets=datasets, flows=flows,
                                       summary=summary, fits=fits), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
