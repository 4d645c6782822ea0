"""The expected results of every notebook, as ``tests/expected_results.toml`` states them, and their check.

A notebook's results are checked on the metrics JSON of one execution of it (the one nbval makes in the test
suite, the committed one in ``tests/committed_runs.json``, or any run of ``scripts/run.sh``), never on its printed
digits. Two kinds of entries:

- a **metric**: ``key`` (a path into the metrics JSON, parts separated by ``/``), the committed ``value``, a
  ``tolerance`` and ``why`` that tolerance: the measured spread over seeds where a fit is chaotic, the rounding of
  a deterministic computation where it is not. It holds when ``|metric - value| <= tolerance``.
- a **claim**: ``says`` (the sentence, as the prose or the README says it) and ``check``, the inequality it is, as
  a Python expression. In it ``v("a/b/c")`` is the metric at that path and ``m`` the whole metrics dict;
  ``abs``, ``all``, ``any``, ``float``, ``int``, ``len``, ``max``, ``min``, ``sorted``, ``sum``, ``round`` and ``isfinite`` are there.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

EXPECTED_PATH = Path(__file__).resolve().parent / "expected_results.toml"

FUNCTIONS = {f.__name__: f for f in (abs, all, any, float, int, len, max, min, sorted, sum, round)}
FUNCTIONS["isfinite"] = math.isfinite


@dataclass
class Check:
    notebook: str
    kind: str              # "metric" or "claim"
    name: str              # the metric's key, or the claim's sentence
    key: str = ""
    value: float = math.nan
    tolerance: float = math.nan
    why: str = ""
    check: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


class MissingMetric(KeyError):
    pass


def lookup(metrics: dict, path: str):
    """The value at ``path`` ("results/MAF/banana/kl") of the metrics dict."""
    value = metrics
    for part in path.split("/"):
        if not isinstance(value, dict) or part not in value:
            raise MissingMetric(f"the metrics have no {path!r} (no {part!r} there)")
        value = value[part]
    return value


def load(path: Path = EXPECTED_PATH) -> dict[str, list[Check]]:
    """Notebook stem -> its checks, in the file's order. Stops with a message naming a malformed entry."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    checks: dict[str, list[Check]] = {}
    for notebook, entries in data.items():
        unknown = set(entries) - {"metric", "claim"}
        if unknown:
            raise ValueError(f"{path.name}: [{notebook}] has {sorted(unknown)}; only 'metric' and 'claim' lists")
        for entry in entries.get("metric", []):
            missing = {"key", "value", "tolerance", "why"} - set(entry)
            if missing or not entry["why"].strip():
                raise ValueError(f"{path.name}: a metric of {notebook} lacks {sorted(missing) or ['a reason']}: {entry}")
            if not entry["tolerance"] >= 0:
                raise ValueError(f"{path.name}: {notebook} {entry['key']}: the tolerance must be >= 0")
            checks.setdefault(notebook, []).append(Check(notebook, "metric", entry["key"], key=entry["key"],
                                                         value=float(entry["value"]),
                                                         tolerance=float(entry["tolerance"]), why=entry["why"]))
        for entry in entries.get("claim", []):
            missing = {"says", "check"} - set(entry)
            if missing:
                raise ValueError(f"{path.name}: a claim of {notebook} lacks {sorted(missing)}: {entry}")
            compile(entry["check"], f"{notebook}: {entry['says']}", "eval")   # a syntax error stops here
            checks.setdefault(notebook, []).append(Check(notebook, "claim", entry["says"], check=entry["check"]))
    names = [(c.notebook, c.label) for cs in checks.values() for c in cs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{path.name}: listed twice: {twice}")
    return checks


def evaluate(check: Check, metrics: dict) -> tuple[bool, str]:
    """(holds, a sentence saying what was found) for one check on one execution's metrics."""
    if check.kind == "metric":
        try:
            found = lookup(metrics, check.key)
        except MissingMetric as err:
            return False, f"{check.notebook}: {err.args[0]}"
        if not isinstance(found, (int, float)) or isinstance(found, bool) or not math.isfinite(found):
            return False, f"{check.notebook}: {check.key} is {found!r}, not a finite number"
        off = abs(found - check.value)
        holds = off <= check.tolerance + 1e-12
        return holds, (f"{check.notebook}: {check.key} = {found:.6g}, expected {check.value:g} ± {check.tolerance:g} "
                       f"({'within' if holds else 'OUTSIDE'}: off by {off:.3g}); tolerance because {check.why}")
    looked_up = {}

    def v(path):
        looked_up[path] = lookup(metrics, path)
        return looked_up[path]

    try:
        # one namespace as globals: generator expressions in the check see v and m
        holds = eval(check.check, dict(FUNCTIONS, __builtins__={}, v=v, m=metrics))
    except MissingMetric as err:
        return False, f"{check.notebook}: claim {check.name!r}: {err.args[0]}"
    except Exception as err:   # a check that cannot be evaluated on these metrics does not hold
        return False, f"{check.notebook}: claim {check.name!r}: {check.check} raised {type(err).__name__}: {err}"
    shown = ", ".join(f"{p} = {_short(x)}" for p, x in looked_up.items())
    return bool(holds), (f"{check.notebook}: claim {check.name!r} {'holds' if holds else 'DOES NOT HOLD'}: "
                         f"{check.check}" + (f"  [{shown}]" if shown else ""))


def _short(x):
    if isinstance(x, float):
        return f"{x:.4g}"
    text = repr(x)
    return text if len(text) <= 80 else text[:77] + "..."


def failures(checks: list[Check], metrics: dict) -> list[str]:
    """The messages of the checks that do not hold."""
    out = []
    for check in checks:
        holds, message = evaluate(check, metrics)
        if not holds:
            out.append(message)
    return out
