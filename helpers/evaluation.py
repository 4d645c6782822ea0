"""Scoring a learned density against a data set's exact density, and reporting it.

All numbers are in nats per data point, joint over both coordinates.
"""

from __future__ import annotations

import json
import math
import os
from typing import Callable

import numpy as np

from .validation import ParameterError, require_int

#: Seed offset for held-out samples, so they never coincide with training draws.
HELD_OUT_SEED_OFFSET = 1_000_003


def mean_and_se_of_difference(first, second) -> tuple[float, float]:
    """Mean of ``first - second`` (paired values, e.g. log p and log q at the same points) and its standard error.

    ``(inf, inf)`` when any difference is not finite (a point one density says is impossible): such a point is
    never silently dropped. The standard error is ``inf`` for a single pair.
    """
    diff = np.asarray(first, dtype=np.float64).reshape(-1) - np.asarray(second, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(diff)):
        return math.inf, math.inf
    se = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else math.inf
    return float(diff.mean()), se


def held_out_scores(log_prob: Callable[[np.ndarray], np.ndarray], dataset, n: int = 10_000,
                    seed: int = 0) -> dict:
    """Score ``log_prob`` (a learned log-density) on ``n`` fresh samples of ``dataset``.

    Returns a dict with

    - ``nll``: held-out negative log-likelihood, :math:`-\\frac1n\\sum \\log q(x_i)`;
    - ``entropy``: the data set's exact entropy where it is known in closed form
      (``None`` otherwise), the lowest NLL any model can reach on average;
    - ``kl``: :math:`\\frac1n\\sum [\\log p(x_i) - \\log q(x_i)]`, the Monte Carlo
      estimate of KL(p || q) that pairs each sample's exact and learned
      log-density (lower variance than NLL minus entropy);
    - ``kl_se``: its standard error;
    - ``n`` and ``seed``: the held-out sample size and the seed it was drawn with.

    A non-finite learned log-density (a point the model says is impossible)
    gives ``inf``, never a silently dropped point.
    """
    n = require_int("n", n, minimum=2)
    x = dataset.sample(n, seed=seed + HELD_OUT_SEED_OFFSET)
    log_q = np.asarray(log_prob(x), dtype=np.float64).reshape(-1)
    if log_q.shape != (n,):
        raise ParameterError(f"log_prob must return one value per point ({n}), got shape {log_q.shape}")
    log_p = dataset.log_prob(x)
    entropy = dataset.entropy()
    kl, kl_se = mean_and_se_of_difference(log_p, log_q)
    nll = float(-log_q.mean()) if math.isfinite(kl) else math.inf
    return {"nll": nll, "entropy": entropy, "kl": kl, "kl_se": kl_se, "n": n, "seed": seed}


def format_scores(scores: dict) -> str:
    """One line a reader can compare against the bound, e.g. for a notebook's output."""
    entropy = scores.get("entropy")
    bound = f" (exact entropy, the lower bound: {entropy:.4f})" if entropy is not None else ""
    return (f"held-out NLL {scores['nll']:.3f} nats{bound}\n"
            f"KL(p || q) = {scores['kl']:.3f} ± {scores['kl_se']:.3f} nats "
            f"on {scores['n']:,} fresh samples")


#: A folder where a run without ``metrics_path`` writes its metrics anyway, as ``<notebook>.json``: the test suite
#: sets it for the notebooks nbval executes, and ``scripts/run_notebooks.py --update-committed`` for the committed
#: run, so that the numbers checked are those of that very execution.
METRICS_DIR_VARIABLE = "FLOW_TUTORIALS_METRICS_DIR"


def write_metrics(path: str | os.PathLike | None, **metrics) -> dict:
    """Write ``metrics`` as JSON to ``path``; returns the dict written.

    This is how headless runs hand their results to scripts and tests. With an empty ``path``
    nothing is written, unless the environment variable ``METRICS_DIR_VARIABLE`` names a folder:
    then the metrics go to ``<folder>/<metrics["notebook"]>.json``. Values must be JSON-serialisable
    numbers, strings, lists or dicts; NumPy scalars are converted.
    """
    clean = json.loads(json.dumps(metrics, default=_to_builtin))
    if not path and os.environ.get(METRICS_DIR_VARIABLE) and "notebook" in clean:
        path = os.path.join(os.environ[METRICS_DIR_VARIABLE], f"{clean['notebook']}.json")
    if path:
        path = os.fspath(path)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(clean, f, indent=2, sort_keys=True)
            f.write("\n")
    return clean


def _to_builtin(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to metrics JSON")
