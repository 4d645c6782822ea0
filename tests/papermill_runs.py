"""Run a notebook headless with papermill, as the papermill tests of every notebook do."""

import papermill


def run(notebook, tmp_path, **parameters):
    """Execute ``notebook`` in ``tmp_path`` with ``parameters``; return the executed notebook."""
    out = tmp_path / f"{notebook.stem}-out.ipynb"
    return papermill.execute_notebook(str(notebook), str(out), parameters=parameters,
                                      cwd=str(tmp_path), progress_bar=False, kernel_name="python3")


def check_parameters(notebook, **parameters):
    """In this process, what a papermill run does before anything else: the notebook's first code cell (setup and
    imports), its parameters cell, ``parameters`` injected after it, then the cell after that, which checks them.

    Raises what the checks raise, so a bad value can be tested in a fraction of a second instead of a kernel start.
    Every notebook still has one bad value tested through papermill (test_notebook_runs.py: a negative seed),
    which shows the same checks stop a real headless run.
    """
    import nbformat

    cells = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    k = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    namespace = {}
    exec(compile(cells[0].source, str(notebook), "exec"), namespace)
    exec(compile(cells[k].source, str(notebook), "exec"), namespace)
    unknown = sorted(set(parameters) - set(namespace))
    if unknown:
        raise KeyError(f"{notebook.name} has no parameter {', '.join(unknown)}")
    namespace.update(parameters)
    exec(compile(cells[k + 1].source, str(notebook), "exec"), namespace)
    return namespace
