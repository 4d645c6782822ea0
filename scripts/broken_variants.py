"""Show that the tolerant notebook checks still catch real regressions.

nbval compares some numbers within a tolerance (conftest.py), derived from the
spread that scripts/float_noise.py measured. A tolerance wide enough to pass on
any CPU could, in principle, also let a broken notebook pass. This script makes
deliberately broken copies of the committed notebooks and runs nbval on each;
every one of them must FAIL. It prints one line per variant and exits non-zero
if any broken variant passed.

    .venv/bin/python scripts/broken_variants.py            # every variant (about 12 minutes)
    .venv/bin/python scripts/broken_variants.py --list     # what each variant breaks

Each variant is a clean checkout of HEAD (git worktree) with one edit to a
notebook's code; the committed outputs stay as they are, so nbval compares the
broken code's results with the good ones.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent

#: name -> (notebook, text in a code cell, replacement, what it breaks)
VARIANTS = {
    "tenth-of-epochs": (
        "notebooks/02_flow_zoo.ipynb", "max_epochs = 600 ", "max_epochs = 60 ",
        "the flow zoo's fits get a tenth of their epochs"),
    "no-log-det": (
        "notebooks/01_normalizing_flows.ipynb", "return tf.math.log(0.5 * ((1 + a) + (1 - a) * d_abs))",
        "return tf.zeros_like(z)",
        "notebook 01's leaky ReLU bijector drops its log-determinant"),
    "bayes-slow": (
        "notebooks/03_bayesian_flow.ipynb", "bayes_lr = 0.002 ", "bayes_lr = 0.0002 ",
        "the Bayesian fit's step size is a tenth of what it should be (printed nowhere)"),
    "cond-tenth": (
        "notebooks/04_conditional_flows.ipynb", "max_epochs = 600 ", "max_epochs = 60 ",
        "the conditional models' fits get a tenth of their epochs"),
    "cond-one-base": (
        "notebooks/04_conditional_flows.ipynb", "base_components = 2 ", "base_components = 1 ",
        "the conditional flow loses its two-component base (the settings before it)"),
    "cond-diagonal": (
        "notebooks/04_conditional_flows.ipynb", "mix_coordinates = True ", "mix_coordinates = False ",
        "the 2-D conditional flow's last layer scales each coordinate alone instead of mixing them"),
    "inference-slow": (
        "notebooks/05_flows_for_inference.ipynb", "learning_rate = 0.01 ", "learning_rate = 0.001 ",
        "the reverse-KL fits on the 2-D targets take a tenth of their step size (printed nowhere)"),
    "curve-tenth": (
        "notebooks/06_learning_curve.ipynb", "max_steps = 4000 ", "max_steps = 400 ",
        "the learning curve's flows get a tenth of their steps per stage"),
}


def break_notebook(path: Path, old: str, new: str) -> None:
    nb = nbformat.read(path, as_version=4)
    hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    if len(hits) != 1:
        raise SystemExit(f"{path.name}: expected the text {old!r} in exactly one code cell, found {len(hits)}")
    hits[0].source = hits[0].source.replace(old, new)
    nbformat.write(nb, path)


def run_variant(name: str) -> bool:
    """True if nbval failed on the broken copy, as it should."""
    notebook, old, new, _ = VARIANTS[name]
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), "HEAD"],
                       check=True, capture_output=True)
        try:
            break_notebook(tree / notebook, old, new)
            start = time.perf_counter()
            # -n 0: one notebook is one unit of work for pytest-xdist anyway; run it in this pytest process, as before.
            result = subprocess.run([sys.executable, "-m", "pytest", notebook, "-x", "-q", "-p", "no:cacheprovider",
                                     "-n", "0"], cwd=tree, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)
    if result.returncode not in (0, 1):  # 1: tests failed. Not a test result (usage error, nothing collected, ...)
        raise SystemExit(f"{name}: pytest exit status {result.returncode}, not a test result:\n"
                         + "\n".join((result.stderr.strip().splitlines() or [summary])[:3]))
    caught = result.returncode == 1
    print(f"{name:<16} {'FAILED, as it should' if caught else 'PASSED: not caught'}  ({seconds:.0f} s; {summary})",
          flush=True)
    return caught


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="*", help=f"some of {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    if args.list:
        for name, (notebook, _, _, what) in VARIANTS.items():
            print(f"{name:<16} {notebook}: {what}")
        return 0
    unknown = set(args.variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {list(VARIANTS)}")
    caught = [run_variant(name) for name in (args.variants or VARIANTS)]
    return 0 if all(caught) else 1


if __name__ == "__main__":
    sys.exit(main())
