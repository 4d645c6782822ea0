"""Run a notebook headless with papermill, as the papermill tests of every notebook do."""

import papermill


def run(notebook, tmp_path, **parameters):
    """Execute ``notebook`` in ``tmp_path`` with ``parameters``; return the executed notebook."""
    out = tmp_path / f"{notebook.stem}-out.ipynb"
    return papermill.execute_notebook(str(notebook), str(out), parameters=parameters,
                                      cwd=str(tmp_path), progress_bar=False, kernel_name="python3")
