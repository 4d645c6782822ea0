"""What a reader meets in the committed notebooks: rendered HTML (as nbviewer does it) and clean outputs."""

import html
import re
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

NOISE = {
    "TensorFlow/absl log line": r"(?m)^[IWEF]\d{4} \d\d:\d\d:\d\d|absl::|oneDNN|cuda|TF_ENABLE_ONEDNN|"
                                r"WARNING:tensorflow|WARNING:absl|tensorflow/core/",
    "warning about deprecated APIs": r"DeprecationWarning|FutureWarning|is deprecated|will be removed",
    "Python warning": r"(?m)^\S+\.py:\d+: \w*Warning",
    "object repr with a memory address": r"<[^<>\n]* at 0x[0-9a-fA-F]{6,}>",
    "timestamp": r"\b20\d\d-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?",
    "progress bar": r"\d+/\d+ \[\d\d:\d\d",
    "stack trace": r"Traceback \(most recent call last\)|^\s*File \".*\", line \d+",
}


def _outputs_text(cell):
    for out in cell.get("outputs", []):
        if "text" in out:
            yield out.get("name", "stream"), out["text"]
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/"):
                yield mime, value if isinstance(value, str) else "".join(value)


@pytest.fixture(params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_there_are_notebooks():
    assert NOTEBOOKS


def test_executed_top_to_bottom_in_one_run_without_errors(notebook):
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "re-run the whole notebook"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: committed error output {errors[0].ename}"


def test_outputs_are_clean(notebook):
    path, nb = notebook
    problems = []
    for i, cell in enumerate(nb.cells):
        for kind, text in _outputs_text(cell):
            for what, pattern in NOISE.items():
                if re.search(pattern, text):
                    problems.append(f"cell {i} ({kind}): {what}: {re.search(pattern, text).group(0)!r}")
            if kind == "stderr":
                problems.append(f"cell {i}: stderr output {text[:80]!r}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_no_execution_timestamps_in_metadata(notebook):
    path, nb = notebook
    text = nbformat.writes(nb)
    assert not re.search(r'"(papermill|execution)":\s*\{', text), \
        f"{path.name}: timing metadata; refresh with scripts/run.sh --update-committed"


def test_renders_to_html_with_every_figure_math_and_image(notebook):
    path, nb = notebook
    body, _ = HTMLExporter().from_notebook_node(nb, resources={"metadata": {"path": str(path.parent)}})
    # every PNG output is embedded
    pngs = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert pngs >= 1
    assert body.count('src="data:image/png;base64,') == pngs
    assert "Traceback (most recent call last)" not in body
    # every display-math block reaches the HTML intact, for MathJax to typeset
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for block in re.findall(r"\$\$(.+?)\$\$", cell.source, flags=re.S):
            assert html.escape(block.strip(), quote=False) in body or block.strip() in body, block[:60]
        # images referenced by markdown exist in the repository
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)", cell.source) + \
                re.findall(r"<img[^>]+src=\"([^\"]+)\"", cell.source):
            if not re.match(r"(https?:|data:)", target):
                assert (path.parent / target).is_file(), f"{path.name}: missing image {target}"
    assert body.count("$$") >= 2 * sum(len(re.findall(r"\$\$(.+?)\$\$", c.source, flags=re.S))
                                       for c in nb.cells if c.cell_type == "markdown")


def test_opens_unmodified_with_the_kernel_the_package_installs(notebook):
    # JupyterLab marks a notebook modified when its kernelspec is not the kernel it starts
    path, nb = notebook
    installed = re.search(r'--name (\S+) --display-name "([^"]+)"',
                          (NOTEBOOK_DIR.parent / "scripts" / "ensure_env.sh").read_text())
    assert nb.metadata.get("kernelspec") == {"display_name": installed.group(2), "language": "python",
                                             "name": installed.group(1)}, f"{path.name}: kernelspec"


#: pixels: JupyterLab's notebook column on a 1280-px-wide screen; a wider PNG is shrunk, and its text with it
COLUMN_PIXELS = 1000


def test_figures_fit_the_notebook_column(notebook):
    import base64
    import struct

    path, nb = notebook
    wide = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                width = struct.unpack(">I", base64.b64decode(png)[16:20])[0]  # the PNG header's IHDR width
                if width > COLUMN_PIXELS:
                    wide.append(f"cell {i}: {width} px")
    assert not wide, f"{path.name}: figures wider than {COLUMN_PIXELS} px (helpers.plotting.figure_size): {wide}"
