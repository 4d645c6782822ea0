"""Which code produced the committed outputs: a fingerprint of each notebook's code and what it imports.

``scripts/run.sh --update-committed`` re-executes a committed notebook and stores, in ``tests/committed_runs.json``,
the SHA-256 of its code cells, of every ``helpers`` module it imports (directly or through another helper), and of
the code cells of any notebook whose definitions it loads (``sibling_notebook("02_flow_zoo.ipynb")``), together
with the metrics JSON of that very execution. ``tests/test_committed_runs.py`` recomputes the fingerprint: if a
notebook's code or a helper it uses changed without re-executing it, it fails and says what changed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
HELPERS = REPO / "helpers"
RECORD_PATH = REPO / "tests" / "committed_runs.json"
SIBLING = re.compile(r"""sibling_notebook\(\s*["']([^"']+\.ipynb)["']""")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_cells(notebook: Path) -> list[str]:
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "code"]


def _python(source: str) -> ast.Module:
    # IPython magics and shell escapes are not Python; they import nothing from helpers
    return ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()))


def _helper_imports(tree: ast.AST, inside_helpers: bool) -> set[str]:
    """Names of the helpers modules that ``tree`` imports."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("helpers.")}
        elif isinstance(node, ast.ImportFrom):
            if node.module == "helpers" or (inside_helpers and node.level == 1 and node.module is None):
                found |= {a.name for a in node.names if (HELPERS / f"{a.name}.py").is_file()}
            elif node.module and node.module.startswith("helpers."):
                found.add(node.module.split(".")[1])
            elif inside_helpers and node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
    return found


def helper_modules(notebook: Path) -> list[str]:
    """Every helpers module the notebook's code imports, directly or through other helpers, and the package's
    ``__init__.py``, as paths relative to the repository."""
    todo = set()
    for source in code_cells(notebook):
        todo |= _helper_imports(_python(source), inside_helpers=False)
    seen = {"__init__"}
    while todo:
        name = todo.pop()
        if name in seen or not (HELPERS / f"{name}.py").is_file():
            continue
        seen.add(name)
        todo |= _helper_imports(ast.parse((HELPERS / f"{name}.py").read_text(encoding="utf-8")), inside_helpers=True)
    return sorted(f"helpers/{name}.py" for name in seen)


def sibling_notebooks(notebook: Path) -> list[str]:
    return sorted({name for source in code_cells(notebook) for name in SIBLING.findall(source)})


def fingerprint(notebook: Path) -> dict:
    notebook = Path(notebook)
    files = set(helper_modules(notebook))
    siblings = sibling_notebooks(notebook)
    for name in siblings:
        files |= set(helper_modules(NOTEBOOKS / name))
    return {
        "code": _sha("\n# --- cell ---\n".join(code_cells(notebook))),
        "helpers": {f: _sha((REPO / f).read_text(encoding="utf-8")) for f in sorted(files)},
        "notebooks": {name: _sha("\n# --- cell ---\n".join(code_cells(NOTEBOOKS / name))) for name in siblings},
    }


def load_record() -> dict:
    try:
        return json.loads(RECORD_PATH.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def store(notebook: Path, metrics: dict) -> None:
    """Record the fingerprint of ``notebook`` as it is now, with the metrics its execution wrote.

    Several notebooks may be re-executed at once (one ``--update-committed`` run each): the record is read,
    changed and written under an exclusive lock, so no run's entry is lost to another's."""
    import fcntl

    with open(RECORD_PATH.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = load_record()
        record[Path(notebook).stem] = dict(fingerprint(notebook), metrics=metrics)
        RECORD_PATH.write_text(dumps(record), encoding="utf-8")


def dumps(record: dict) -> str:
    """The record as JSON with one line per notebook's entry and per metric: short, and its diffs readable."""
    lines = ["{"]
    for i, (name, entry) in enumerate(sorted(record.items())):
        lines.append(f" {json.dumps(name)}: {{")
        items = sorted(entry.items())
        for j, (key, value) in enumerate(items):
            if key == "metrics":
                lines.append('  "metrics": {')
                metrics = sorted(value.items())
                lines += [f"   {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" + ("," if n < len(metrics) - 1 else "")
                          for n, (k, v) in enumerate(metrics)]
                lines.append("  }" + ("," if j < len(items) - 1 else ""))
            else:
                lines.append(f"  {json.dumps(key)}: {json.dumps(value, sort_keys=True)}" + ("," if j < len(items) - 1 else ""))
        lines.append(" }" + ("," if i < len(record) - 1 else ""))
    return "\n".join(lines + ["}"]) + "\n"


def changes(notebook: Path, recorded: dict | None) -> list[str]:
    """What differs between the notebook's code now and the code its committed outputs came from."""
    notebook = Path(notebook)
    if recorded is None:
        return [f"{notebook.name} has no committed run in {RECORD_PATH.name}"]
    now = fingerprint(notebook)
    said = []
    if now["code"] != recorded.get("code"):
        said.append(f"the code cells of {notebook.name}")
    for kind in ("helpers", "notebooks"):
        before = recorded.get(kind, {})
        for name in sorted(set(now[kind]) | set(before)):
            if now[kind].get(name) != before.get(name):
                what = "changed" if name in now[kind] and name in before else "added" if name in now[kind] else "no longer used"
                said.append(f"{name if kind == 'helpers' else 'the code cells of ' + name} ({what})")
    return said
