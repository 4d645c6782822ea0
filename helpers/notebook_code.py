"""A notebook's own definitions, for scripts that study it (settings selection, benchmarks).

The lesson's code (the flows, the models, the fit functions) lives in the
notebooks, where the reader sees it. Scripts that choose a notebook's settings or
time its fits execute that same code instead of a copy, so the two cannot drift
apart: ``definitions`` runs every import, function and class definition and every
plain assignment of names and literals (``tfd, tfb = tfp.distributions,
tfp.bijectors``, ``FLOW_CLASSES = {"maf": MAF}``) of the notebook's code cells,
and none of its other statements, so no fit or figure runs.
"""

from __future__ import annotations

import ast
from pathlib import Path


PLAIN = (ast.Name, ast.Attribute, ast.Constant, ast.Tuple, ast.List, ast.Dict, ast.Load, ast.Store)


def _is_plain_assignment(node: ast.AST) -> bool:
    """``a, b = x.y, z`` or ``NAMES = {"a": A}``: names, attributes and literals, nothing called or computed."""
    return isinstance(node, ast.Assign) and all(
        isinstance(n, PLAIN) for part in node.targets + [node.value] for n in ast.walk(part))


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
        keep = [node for node in tree.body
                if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)) or _is_plain_assignment(node)]
        exec(compile(ast.Module(body=keep, type_ignores=[]), str(path), "exec"), namespace)
    return namespace
