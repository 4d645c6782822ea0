"""Write notebooks/08_image_flows.ipynb from the cells below (outputs empty: run.sh --update-committed fills them).

Kept so the notebook's text can be regenerated in one place; the notebook is the source a reader opens.
"""

import sys
from pathlib import Path

import nbformat

CELLS = []


def md(text):
    CELLS.append(nbformat.v4.new_markdown_cell(text.strip("\n")))


def code(text, tags=()):
    cell = nbformat.v4.new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    CELLS.append(cell)


exec(Path(__file__).with_name("notebook_08_cells.py").read_text())

nb = nbformat.v4.new_notebook(cells=CELLS)
nb.metadata = nbformat.read(Path(__file__).resolve().parent.parent / "notebooks" / "06_learning_curve.ipynb",
                            as_version=4).metadata
out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "notebooks" / "08_image_flows.ipynb"
nbformat.write(nb, out)
print("wrote", out)
