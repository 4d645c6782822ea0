"""Show that the suite catches real regressions by what they do to the results, not by changed digits.

Each variant is a clean checkout of HEAD (git worktree; commit first) with one edit to a notebook's code. By default
the broken notebook is then re-executed with ``run_notebooks.py --update-committed``, so that its committed
outputs, its fingerprint and its committed metrics are the broken code's own (nbval's comparison of outputs has
nothing left to catch), and the suite's checks of the committed run (``tests/test_committed_runs.py``) must fail on
a metric or a claim of ``tests/expected_results.toml``. ``--nbval`` instead leaves the committed outputs alone and
runs the notebook's part of the suite (nbval and its results items) on the broken copy: a results item must fail.
One line per variant, with the checks that failed; exits non-zero if any variant was not caught.

    .venv/bin/python scripts/broken_variants.py                 # every variant, outputs re-executed
    .venv/bin/python scripts/broken_variants.py --nbval cond-tenth
    .venv/bin/python scripts/broken_variants.py --list          # what each variant breaks
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import results  # noqa: E402

#: name -> (notebook, text in a code cell, replacement, what it breaks)
VARIANTS = {
    "tenth-of-epochs": (
        "notebooks/02_flow_zoo.ipynb", "max_epochs = 600 ", "max_epochs = 60 ",
        "the flow zoo's single fits get a tenth of their epochs"),
    "no-log-det": (
        "notebooks/01_normalizing_flows.ipynb", "return tf.math.log(0.5 * ((1 + a) + (1 - a) * d_abs))",
        "return tf.zeros_like(z)",
        "notebook 01's leaky ReLU bijector drops its log-determinant"),
    "bayes-slow": (
        "notebooks/03_bayesian_flow.ipynb", "bayes_lr = 0.002 ", "bayes_lr = 0.0002 ",
        "the Bayesian fit's step size is a tenth of what it should be (printed nowhere)"),
    "cf-one-bump-base": (
        "notebooks/07_continuous_flows.ipynb",
        "tried = [k for k in (1, 2, 4, 8, 16, 32, 64) if 20 * k <= len(train)] or [1]", "tried = [1]",
        "notebook 07's mixture and the mixture-base flow's base get one component: the remedy for bridges is gone"),
    "cond-tenth": (
        "notebooks/04_conditional_flows.ipynb", "max_epochs = 600 ", "max_epochs = 60 ",
        "the conditional models' fits get a tenth of their epochs"),
    "cond-one-base": (
        "notebooks/04_conditional_flows.ipynb", "base_components = 2 ", "base_components = 1 ",
        "the conditional flow loses its two-component base (the settings before it)"),
    "cond-diagonal": (
        "notebooks/04_conditional_flows.ipynb", "mix_coordinates = True ", "mix_coordinates = False ",
        "the 2-D conditional flow's last layer scales each coordinate alone instead of mixing them"),
    "cond-ignores-x": (
        "notebooks/04_conditional_flows.ipynb", "        out = self.affine_net(x)\n",
        "        x = 0.0 * x   # broken: every network of the flow sees x = 0\n        out = self.affine_net(x)\n",
        "the conditional flow's networks ignore x (one density for every input)"),
    "inference-slow": (
        "notebooks/05_flows_for_inference.ipynb", "learning_rate = 0.01 ", "learning_rate = 0.001 ",
        "the reverse-KL fits on the 2-D targets take a tenth of their step size (printed nowhere)"),
    "coupling-log-det-sign": (
        "notebooks/05_flows_for_inference.ipynb",
        "return x * tf.exp(log_scale) + shift, tf.reduce_sum(log_scale, axis=-1)",
        "return x * tf.exp(log_scale) + shift, -tf.reduce_sum(log_scale, axis=-1)",
        "notebook 05's affine coupling returns its log-determinant with the wrong sign"),
    "reverse-kl-no-log-q": (
        "notebooks/05_flows_for_inference.ipynb", "loss = tf.reduce_mean(log_q - beta * log_p)",
        "loss = tf.reduce_mean(-beta * log_p)",
        "the reverse-KL loss loses its log q term, so q collapses onto the modes"),
    "curve-tenth": (
        "notebooks/06_learning_curve.ipynb", "max_steps = 4000 ", "max_steps = 400 ",
        "the learning curve's flows get a tenth of their steps per stage"),
    "image-no-scaling-jacobian": (
        "notebooks/08_image_flows.ipynb", "return z, log_det - DIM * math.log(LEVELS)", "return z, log_det",
        "the image flows forget the -64 log 17 of scaling pixels to [0, 1]: every flow's bits/dim drops by log2 17"),
    "vardeq-no-log-q": (
        "notebooks/08_image_flows.ipynb", "return self.log_density(x + tf.reshape(u, [-1, DIM])) - log_q",
        "return self.log_density(x + tf.reshape(u, [-1, DIM]))",
        "the variationally dequantized flow forgets -log q(u | x): its score is no longer a bound on log P(x)"),
    "torch-chain-reversed": (
        "notebooks/09_pytorch_backend.ipynb", "TransformedDistribution(self.base, self.transforms())",
        "TransformedDistribution(self.base, self.transforms()[::-1])",
        "notebook 09's PyTorch flow applies its transforms in reverse order (the porting trap of tfb.Chain's order)"),
}


def break_notebook(path: Path, old: str, new: str) -> None:
    nb = nbformat.read(path, as_version=4)
    hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    if len(hits) != 1 or hits[0].source.count(old) != 1:
        raise SystemExit(f"{path.name}: expected the text {old!r} once in exactly one code cell, found {len(hits)} cells")
    hits[0].source = hits[0].source.replace(old, new)
    nbformat.write(nb, path)


def _plain(text: str) -> str:
    """``text`` without terminal colour codes (IPython's tracebacks carry them)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _env():
    return dict(os.environ, JUPYTER_PREFER_ENV_PATH="1", FLOW_TUTORIALS_PROGRESS="0")


def run_variant(name: str, nbval: bool) -> bool:
    """True if the suite failed on the broken copy for a metric or a claim, as it should."""
    notebook, old, new, _ = VARIANTS[name]
    stem = Path(notebook).stem
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), "HEAD"],
                       check=True, capture_output=True)
        try:
            break_notebook(tree / notebook, old, new)
            start = time.perf_counter()
            if nbval:
                done = subprocess.run([sys.executable, "-m", "pytest", notebook, "-q", "-rf", "-p", "no:cacheprovider",
                                       "-n", "0"], cwd=tree, capture_output=True, text=True, env=_env())
                if done.returncode not in (0, 1):
                    raise SystemExit(f"{name}: pytest exit status {done.returncode}, not a test result:\n"
                                     + "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:]))
                caught_by = [m.group(1) for m in re.finditer(r"^FAILED \S+?::result: (.+?)(?: - |$)", done.stdout, re.M)]
                other = [line for line in done.stdout.splitlines() if line.startswith("FAILED") and "::result: " not in line]
                extra = f"; nbval also failed {len(other)} cell(s)" if other else ""
            else:
                executed = subprocess.run([sys.executable, "scripts/run_notebooks.py", "--update-committed", notebook],
                                          cwd=tree, capture_output=True, text=True, env=_env())
                raised = ""
                if executed.returncode != 0:
                    # A cell raised (nbval fails that cell). Re-execute as nbval does, every cell even after one
                    # raised, so that the metrics the broken code writes are recorded and checked all the same.
                    raised = " ".join(re.findall(r"\w+Error: [^\n]*", _plain(executed.stderr))[-1:]) or "an error"
                    executed = subprocess.run(
                        [sys.executable, "-c", "import sys; from pathlib import Path; sys.path.insert(0, 'scripts'); "
                         f"import run_notebooks; run_notebooks.update_committed(Path({notebook!r}).resolve(), "
                         "allow_errors=True)"], cwd=tree, capture_output=True, text=True, env=_env())
                if executed.returncode != 0:
                    caught_by, extra = [f"the notebook could not be executed: {_plain(executed.stderr)[-300:]}"], ""
                else:
                    record = json.loads((tree / "tests" / "committed_runs.json").read_text())
                    caught_by = [message.split(": ", 1)[1]
                                 for message in results.failures(results.load().get(stem, []), record[stem]["metrics"])]
                    done = subprocess.run([sys.executable, "-m", "pytest", "tests/test_committed_runs.py", "-q",
                                           "-p", "no:cacheprovider", "-n", "0", "-k", stem],
                                          cwd=tree, capture_output=True, text=True, env=_env())
                    fingerprint = "fingerprint matches" if "test_committed_outputs_come_from_the_committed_code" \
                        not in done.stdout else "fingerprint FAILED too"
                    extra = f"; committed-run tests exit {done.returncode}, {fingerprint}"
                    if raised:
                        extra += f"; a cell raised {raised}, which nbval fails"
                    if done.returncode != 1:
                        caught_by = []
            seconds = time.perf_counter() - start
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)
    caught = bool(caught_by)
    print(f"{name:<22} {'FAILED, as it should' if caught else 'PASSED: not caught'} ({seconds:.0f} s{extra})", flush=True)
    for what in caught_by:
        print(f"    {what}", flush=True)
    return caught


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="*", help=f"some of {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--nbval", action="store_true",
                        help="run nbval and the results items on the broken copy instead of re-executing its outputs")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    if args.list:
        for name, (notebook, _, _, what) in VARIANTS.items():
            print(f"{name:<22} {notebook}: {what}")
        return 0
    unknown = set(args.variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {list(VARIANTS)}")
    caught = [run_variant(name, args.nbval) for name in (args.variants or VARIANTS)]
    return 0 if all(caught) else 1


if __name__ == "__main__":
    sys.exit(main())
