"""A notebook's own definitions, for scripts that study it (settings selection, benchmarks) and for
notebooks that build on an earlier one's classes.

The lesson's code (the flows, the models, the fit functions) lives in the
notebooks, where the reader sees it. Scripts that choose a notebook's settings or
time its fits execute that same code instead of a copy, so the two cannot drift
apart: ``definitions`` runs every import, function and class definition and every
plain assignment of names and literals (``tfd, tfb = tfp.distributions,
tfp.bijectors``, ``FLOW_CLASSES = {"maf": MAF}``) of the notebook's code cells,
and none of its other statements, so no fit or figure runs. A plain assignment
that reads a name none of these defines (``rows = [("flow", scores)]``, where
``scores`` comes out of a fit) is a run-time statement too, and is skipped.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path


PLAIN = (ast.Name, ast.Attribute, ast.Constant, ast.Tuple, ast.List, ast.Dict, ast.Load, ast.Store)


def _is_plain_assignment(node: ast.AST) -> bool:
    """``a, b = x.y, z`` or ``NAMES = {"a": A}``: names, attributes and literals, nothing called or computed."""
    return isinstance(node, ast.Assign) and all(
        isinstance(n, PLAIN) for part in node.targets + [node.value] for n in ast.walk(part))


def _names_read(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _names_bound(node: ast.AST) -> set[str]:
    "The names an import, definition or plain assignment binds."
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return {node.name}
    return {n.id for target in node.targets for n in ast.walk(target) if isinstance(n, ast.Name)}


def definitions(notebook: str | Path, parameters: dict | None = None) -> dict:
    """Namespace with ``notebook``'s imports, functions, classes and plain assignments.

    With ``parameters`` (a dict, possibly empty), the notebook's ``parameters``
    cell runs first, then these values replace its defaults, as papermill would
    do: definitions that read a parameter at definition time (a default
    argument) see it. Without it the parameters cell is skipped.
    """
    import nbformat

    path = Path(notebook)
    namespace: dict = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        if "parameters" in cell.metadata.get("tags", []):
            if parameters is not None:
                exec(compile(cell.source, str(path), "exec"), namespace)
                unknown = sorted(set(parameters) - set(namespace))
                if unknown:
                    raise KeyError(f"{path.name} has no parameter {', '.join(unknown)}")
                namespace.update(parameters)
            continue
        tree = ast.parse(cell.source)
        keep = []
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
                keep.append(node)
            elif _is_plain_assignment(node):
                known = set(namespace) | set(dir(builtins)) | {name for kept in keep for name in _names_bound(kept)}
                if _names_read(node.value) <= known:
                    keep.append(node)
        exec(compile(ast.Module(body=keep, type_ignores=[]), str(path), "exec"), namespace)
    return namespace


#: The folder of the notebooks: beside the installed ``helpers`` package (an editable install, ``-e .``).
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def sibling_notebook(name: str) -> Path:
    """The path of the tutorial notebook ``name`` (e.g. ``"02_flow_zoo.ipynb"``), wherever the caller runs.

    A kernel's working directory depends on who started it (JupyterLab and nbval: the notebook's folder;
    papermill: the caller's), so a notebook that loads another one's definitions finds it here, next to the
    ``helpers`` package, instead of by a relative path.
    """
    path = NOTEBOOKS / name
    if path.suffix != ".ipynb" or path.parent != NOTEBOOKS or not path.is_file():
        available = ", ".join(sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
        raise FileNotFoundError(f"no notebook {name!r} in {NOTEBOOKS} (there are: {available})")
    return path
