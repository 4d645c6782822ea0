"""Check metrics JSONs of headless runs against tests/expected_results.toml, and show how far each metric moves.

    .venv/bin/python scripts/check_results.py build/*.json                  # every run of scripts/run.sh
    bash scripts/run.sh notebooks/02_flow_zoo.ipynb --seeds 0 1 2 3 4 --out build/seeds02
    .venv/bin/python scripts/check_results.py build/seeds02/*.json          # the spread over seeds

For each notebook found, one line per metric (the committed value, the tolerance and, over the runs given, the
range of the metric and the largest distance from the committed value: what a tolerance must cover) and per claim
(in how many runs it held), then every check that failed, by run. Exits 1 if any check failed. The tolerances'
reasons in tests/expected_results.toml come from runs like these, on seeds or CPUs other than the committed run's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import results  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("metrics", nargs="+", type=Path, help="metrics JSON files written by headless runs")
    args = parser.parse_args(argv)
    expected = results.load()
    runs: dict[str, list[tuple[str, dict]]] = {}
    for path in args.metrics:
        metrics = json.loads(path.read_text())
        if "notebook" in metrics:   # summary.json and other files are not runs
            runs.setdefault(metrics["notebook"], []).append((path.name, metrics))
    failed = []
    for notebook, found in sorted(runs.items()):
        seeds = sorted({m.get("seed") for _, m in found}, key=str)
        print(f"{notebook}: {len(found)} run(s), seeds {', '.join(map(str, seeds))}")
        for check in expected.get(notebook, []):
            outcomes = [(name, *results.evaluate(check, m)) for name, m in found]
            failed += [f"{name}: {message}" for name, holds, message in outcomes if not holds]
            if check.kind == "metric":
                values = []
                for _, m in found:
                    try:
                        values.append(float(results.lookup(m, check.key)))
                    except (results.MissingMetric, TypeError, ValueError):
                        pass
                spread = (f"runs {min(values):.4g}..{max(values):.4g}, farthest {max(abs(x - check.value) for x in values):.3g}"
                          if values else "no value in any run")
                print(f"  metric {check.key:<40} {check.value:>9.4g} ± {check.tolerance:<8g} {spread}")
            else:
                print(f"  claim  held in {sum(h for _, h, _ in outcomes)}/{len(outcomes)}: {check.name}")
        if notebook not in expected:
            print(f"  ({results.EXPECTED_PATH.name} lists nothing for it)")
    if failed:
        print("\nfailed:\n" + "\n".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
