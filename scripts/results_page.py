"""Write docs/results.md from the notebooks' metrics JSON: every headline number of every notebook, per seed.

Seed 0 of each notebook is the committed notebook's own run (its metrics are in ``tests/committed_runs.json``); the
other seeds are headless runs at the notebook's default parameters, one metrics JSON each, in ``docs/runs/``
(``bash scripts/run.sh notebooks/NB.ipynb --seeds 1 2 3 4 --out build/seeds`` writes them; copy them there).
Each run's JSON records its date, machine, load average, seconds and commit (``scripts/run_notebooks.py``).

    .venv/bin/python scripts/results_page.py           # rewrite docs/results.md
    .venv/bin/python scripts/results_page.py --check   # exit 1 if docs/results.md is not what the JSON says

``tests/test_results_page.py`` runs the check, so the page cannot drift from the runs it is made of.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = REPO / "docs" / "runs"
PAGE = REPO / "docs" / "results.md"
COMMITTED = REPO / "tests" / "committed_runs.json"

#: per notebook: its title on the page, what its numbers are, and its rows: (label, metric path, decimals)
NOTEBOOKS = {
    "01_normalizing_flows": ("01 · the core tutorial", "held-out KL(p‖q) on the banana, nats, 10,000 fresh points", [
        ("flow, rounded corners (ε = 0.5)", "kl", 3),
        ("same flow, sharp corners (ε = 0)", "sharp_kl", 3),
        ("maximum-likelihood Gaussian", "gaussian_kl", 3),
    ]),
    "02_flow_zoo": ("02 · the flow zoo", "held-out KL, nats, 10,000 fresh points per data set, 512 training points", [
        ("banana: five-MAF ensemble", "banana_ensemble_kl", 3),
        ("banana: one flow of the ensemble's recipe", "results/MAF x1/banana/kl", 3),
        ("banana: single flow with the lowest validation NLL", "banana_best_single_kl", 3),
        ("banana: KDE", "results/KDE/banana/kl", 3),
        ("ring: RealNVP", "results/RealNVP/ring/kl", 2),
        ("ring: MAF", "results/MAF/ring/kl", 2),
        ("ring: NSF", "results/NSF/ring/kl", 2),
        ("ring: KDE", "results/KDE/ring/kl", 3),
        ("checkerboard: RealNVP", "results/RealNVP/checkerboard/kl", 2),
        ("checkerboard: MAF", "results/MAF/checkerboard/kl", 2),
        ("checkerboard: NSF", "results/NSF/checkerboard/kl", 2),
        ("checkerboard: KDE", "results/KDE/checkerboard/kl", 3),
        ("funnel: best of the three flows (validation NLL)", "results_best_flow/funnel/kl", 3),
        ("funnel: KDE", "results/KDE/funnel/kl", 3),
    ]),
    "03_bayesian_flow": ("03 · a Bayesian flow", "the banana, 512 training points unless said", [
        ("posterior-predictive minus point-estimate KL (nats)", "kl_gap", 3),
        ("sd of log q, low-data over central region, trained", "sd_log_q_ratio", 1),
        ("the same ratio before training (initial posterior)", "initial_sd_log_q_ratio", 1),
        ("the ratio at 128 points", "by_size/128/sd_log_q_ratio", 1),
        ("the ratio at 2,048 points", "by_size/2048/sd_log_q_ratio", 1),
    ]),
    "04_conditional_flows": ("04 · conditional flows", "held-out conditional KL, nats (100,000 pairs); coverage of the "
                             "flow's 50 % region", [
        ("skewed: flow", "conditional_kl/skewed/flow", 3),
        ("skewed: MDN", "conditional_kl/skewed/mdn", 3),
        ("two branches: flow", "conditional_kl/modes/flow", 3),
        ("two branches: MDN", "conditional_kl/modes/mdn", 3),
        ("banana: flow", "conditional_kl/banana/flow", 3),
        ("banana: MDN", "conditional_kl/banana/mdn", 3),
        ("banana: heteroscedastic Gaussian", "conditional_kl/banana/heteroscedastic", 3),
        ("coverage of the flow's 50 % region, two branches", "coverage/modes/flow/50", 3),
        ("coverage of the flow's 50 % region, banana", "coverage/banana/flow/50", 3),
    ]),
    "05_flows_for_inference": ("05 · flows for inference", "reverse KL(q‖p), nats; eight schools against its exact "
                               "posterior", [
        ("funnel: RealNVP", "reverse_kl/funnel/realnvp", 4),
        ("funnel: full-covariance Gaussian", "reverse_kl/funnel/full_covariance", 3),
        ("energy: spline flow", "reverse_kl/energy/nsf", 3),
        ("energy: full-covariance Gaussian", "reverse_kl/energy/full_covariance", 3),
        ("ring: mass near the emptiest mode, annealed mixture", "ring_mode_mass/mixture_annealed", 3),
        ("eight schools, RealNVP: Pareto k̂", "eight_schools/realnvp/k_hat", 2),
        ("eight schools, RealNVP: W1 of log τ", "eight_schools/realnvp/log_tau_w1", 3),
        ("eight schools, ProbFlow mean-field: Pareto k̂", "eight_schools/probflow_mean_field/k_hat", 2),
    ]),
    "06_learning_curve": ("06 · learning curves", "held-out KL at 8,192 training points, nats; the flow is the one "
                          "with the lowest validation NLL", [
        ("banana: flow", "best_flows/banana/kl", 3),
        ("banana: KDE", "best_flows/banana/kde_kl", 3),
        ("ring: flow", "best_flows/ring/kl", 3),
        ("ring: KDE", "best_flows/ring/kde_kl", 3),
        ("ring: Gaussian mixture", "learning_curve/ring/gmm/8192", 3),
        ("checkerboard: flow", "best_flows/checkerboard/kl", 3),
        ("checkerboard: KDE", "best_flows/checkerboard/kde_kl", 3),
        ("funnel: flow", "best_flows/funnel/kl", 3),
        ("funnel: KDE", "best_flows/funnel/kde_kl", 3),
    ]),
    "08_image_flows": ("08 · flows on images", "test bits per dimension on scikit-learn's 8×8 digits (447 test images)", [
        ("uniform over 17 levels", "bits_per_dim/uniform", 3),
        ("per-pixel categorical", "bits_per_dim/categorical", 3),
        ("dequantized Gaussian", "bits_per_dim/gaussian", 3),
        ("dequantized Gaussian mixture", "bits_per_dim/gmm", 3),
        ("autoregressive (logistic regressions)", "bits_per_dim/autoregressive", 3),
        ("Glow", "bits_per_dim/glow", 3),
        ("Glow, variational dequantization", "bits_per_dim/glow_vardeq", 3),
        ("masked autoregressive spline flow", "bits_per_dim/maf", 3),
        ("best flow (validation) minus autoregressive", "best_flow_minus_autoregressive", 3),
    ]),
    "09_pytorch_backend": ("09 · the same flow in PyTorch", "held-out KL(p‖q) on the banana, nats, 10,000 fresh "
                           "points; notebook 01's TensorFlow flow fitted in the same run", [
        ("flow of torch.distributions transforms (PyTorch backend)", "kl", 3),
        ("notebook 01's flow of TFP bijectors, same run", "tf_kl", 3),
        ("largest difference of log q between the backends at the same weights, nats", "cross_backend_max_abs_diff", 6),
        ("PyTorch fit, seconds", "fit_seconds", 1),
        ("TensorFlow fit, seconds", "tf_fit_seconds", 1),
    ]),
    "07_continuous_flows": ("07 · continuous flows", "held-out KL at 8,192 points (notebook 06's draws), nats; "
                            "10,000 test points, the two ODE models 1,000", [
        (f"{d}: {label}", f"continuous_kl/{d}/{m}", 3) for d in ("ring", "checkerboard")
        for m, label in (("kde", "KDE"), ("gmm", "Gaussian mixture"), ("nsf", "NSF (notebook 06)"),
                         ("mixture_flow", "NSF, mixture base"), ("flow_matching", "flow matching"), ("ffjord", "FFJORD"))
    ]),
}


def lookup(metrics: dict, path: str):
    value = metrics
    for key in path.split("/"):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def runs(stem: str) -> dict[int, dict]:
    """seed -> metrics: the committed run (seed 0 at the default parameters) and the runs in docs/runs/."""
    found = {}
    committed = json.loads(COMMITTED.read_text()).get(stem)
    if committed:
        found[int(committed["metrics"].get("seed", 0))] = committed["metrics"]
    for path in sorted(RUNS.glob(f"{stem}-seed*.json")):
        metrics = json.loads(path.read_text())
        seed = int(re.search(r"-seed(\d+)\.json$", path.name).group(1))
        if metrics.get("seed") != seed:
            raise SystemExit(f"{path.name}: its metrics say seed {metrics.get('seed')}")
        found.setdefault(seed, metrics)
    return dict(sorted(found.items()))


def summary(values: list[float], decimals: int) -> str:
    if len(values) < 2:
        return ""
    mean = sum(values) / len(values)
    se = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1) / len(values))
    dash = " to " if min(values) < 0 else "–"   # "-0.115 to -0.061", not "-0.115–-0.061"
    return f"{min(values):.{decimals}f}{dash}{max(values):.{decimals}f} | {mean:.{decimals}f} ± {se:.{decimals}f}"


def section(stem: str) -> list[str]:
    title, what, rows = NOTEBOOKS[stem]
    by_seed = runs(stem)
    seeds = list(by_seed)
    lines = [f"## {title}", "", f"[`{stem}.ipynb`](../notebooks/{stem}.ipynb): {what}. Seeds {format_seeds(seeds)}.", ""]
    lines.append("| | " + " | ".join(f"seed {s}" for s in seeds) + " | range | mean ± SE |")
    lines.append("|---" * (len(seeds) + 3) + "|")
    for label, path, decimals in rows:
        values = [lookup(by_seed[s], path) for s in seeds]
        if all(v is None for v in values):
            continue
        cells = ["—" if v is None else f"{v:.{decimals}f}" for v in values]
        stats = summary([v for v in values if v is not None], decimals) or " | "
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {stats} |")
    seconds = [(s, m["run"]["seconds"], m["run"]["load_average"]) for s, m in by_seed.items() if "run" in m]
    if seconds:
        quiet = [t for _, t, load in seconds if load < 1.5]
        lines += ["", f"Headless seconds per run (seeds {format_seeds([s for s, _, _ in seconds])}): "
                  f"{min(t for _, t, _ in seconds):.0f}–{max(t for _, t, _ in seconds):.0f}"
                  + (f"; {min(quiet):.0f}–{max(quiet):.0f} in the runs with a load average below 1.5" if quiet
                     and len(quiet) < len(seconds) else "") + "."]
    return lines + [""]


def format_seeds(seeds: list[int]) -> str:
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))


def page() -> str:
    records = [m["run"] for stem in NOTEBOOKS for m in runs(stem).values() if "run" in m]
    machines = sorted({r["machine"] for r in records})
    dates = sorted({r["date"] for r in records})
    commits = sorted({r["commit"] for r in records})
    when = (f" on {dates[0]}" if len(dates) == 1 else f" from {dates[0]} to {dates[-1]}") if dates else ""
    lines = [
        "# Measured results",
        "",
        "<!-- written by scripts/results_page.py from tests/committed_runs.json and docs/runs/*.json: "
        "do not edit by hand -->",
        "",
        "Every number below is a notebook's own metric at its default parameters: seed 0 is the committed notebook, "
        f"the other seeds are headless runs made{when} on {' and '.join(machines) or 'the machine named in each run'} "
        f"(commits {', '.join(commits) or '-'}; each run's JSON in [`runs/`](runs/) names its own). KLs are in nats per "
        "data point, joint over all dimensions. The range and the mean ± standard error are over the seeds shown; "
        "a difference between two models smaller than their spread over seeds is not resolvable. A seed changes the "
        "data, the split and the initial weights. A fit's last digits also depend on the CPU's float rounding, so the "
        "same seed on another machine lands elsewhere, inside about the spread over seeds; the tests check these "
        "numbers by what they mean, not digit by digit ([testing.md](testing.md)).",
        "",
    ]
    for stem in NOTEBOOKS:
        lines += section(stem)
    return "\n".join(lines).rstrip() + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that docs/results.md is up to date")
    args = parser.parse_args(argv)
    text = page()
    if args.check:
        if not PAGE.is_file() or PAGE.read_text() != text:
            print("docs/results.md is not what the metrics JSON says: run scripts/results_page.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text)
    print(f"wrote {PAGE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
