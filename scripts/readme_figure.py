"""Copy the README's picture out of the committed notebook 01: the figure of the cell that draws the learned
density beside the exact one (``plotting.plot_density_comparison``).

    .venv/bin/python scripts/readme_figure.py           # write docs/figures/banana.png
    .venv/bin/python scripts/readme_figure.py --check   # exit 1 if it is not the committed notebook's figure

``tests/test_results_page.py`` runs the check, so the README never shows a picture the code no longer draws.
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "01_normalizing_flows.ipynb"
FIGURE = REPO / "docs" / "figures" / "banana.png"
DRAWN_BY = "plot_density_comparison("


def notebook_figure() -> bytes:
    import nbformat

    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code" and DRAWN_BY in cell.source:
            for out in cell.get("outputs", []):
                if "image/png" in out.get("data", {}):
                    return base64.b64decode(out["data"]["image/png"])
    raise SystemExit(f"{NOTEBOOK.name} has no cell calling {DRAWN_BY} with a PNG output")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    png = notebook_figure()
    if args.check:
        if not FIGURE.is_file() or FIGURE.read_bytes() != png:
            print(f"{FIGURE.relative_to(REPO)} is not notebook 01's figure: run scripts/readme_figure.py",
                  file=sys.stderr)
            return 1
        return 0
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    FIGURE.write_bytes(png)
    print(f"wrote {FIGURE.relative_to(REPO)} ({len(png):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
