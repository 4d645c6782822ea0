"""Run notebooks headless with papermill and print a summary.

Usage (from anywhere; paths are relative to the repository):

    python scripts/run_notebooks.py                         # every notebook, default parameters
    python scripts/run_notebooks.py notebooks/01_normalizing_flows.ipynb --seeds 0 1 2 3 4
    python scripts/run_notebooks.py -p epochs 500           # override a parameter everywhere

Executed copies and each run's metrics JSON go to ``build/`` (never over the
committed notebooks). ``--update-committed`` instead re-executes the committed
notebooks in place with their default parameters, from ``notebooks/``, the way
nbval runs them, without timing metadata: the way to refresh their outputs. It
also records which code produced them, and the metrics of that execution, in
``tests/committed_runs.json`` (``scripts/committed_runs.py``). The summary gives, per run, the seconds taken (kernel
start to finish) and the notebook's headline metric. If a notebook fails, the
run stops there, names the notebook and the failing cell, and exits non-zero.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))


def parse_value(text: str):
    """A command-line parameter value: a Python literal if it is one, else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def headline(metrics: dict) -> str:
    """The number a reader looks at first: held-out KL where the notebook reports one."""
    name = metrics.get("headline", "kl")
    value = metrics.get(name)
    if isinstance(value, (int, float)):
        return f"{name} = {value:.4f}"
    return "-"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def _failing_cell_source(path: Path) -> str:
    """First line of the cell of an executed notebook that holds the error output."""
    try:
        import nbformat

        for cell in nbformat.read(path, as_version=4).cells:
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                lines = cell.source.strip().splitlines()
                return lines[0] if lines else "(empty cell)"
    except Exception:  # the message matters more than this detail
        pass
    return "(source unavailable)"


def ipc_kernel_manager():
    """A kernel manager whose kernels talk over local sockets (IPC) instead of TCP. ipykernel warns, once per
    kernel, that TCP without encryption can be eavesdropped on; over IPC there is nothing to warn about.

    The sockets get an absolute path in a folder of their own: a relative one would be resolved in the kernel's
    working directory (the notebook's) by the kernel and in the caller's by the client, which then never connects,
    and concurrent runs would share the names."""
    import tempfile

    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.transport = "ipc"
            self.ip = str(Path(tempfile.mkdtemp(prefix="flow-tutorials-kernel-")) / "kernel")
    return IPCKernelManager


def run_one(notebook: Path, out_dir: Path, parameters: dict, tag: str) -> dict:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    stem = notebook.stem + (f"-{tag}" if tag else "")
    output = out_dir / f"{stem}.ipynb"
    metrics_path = out_dir / f"{stem}.json"
    if metrics_path.exists():
        metrics_path.unlink()
    params = dict(parameters, metrics_path=str(metrics_path))
    start = time.perf_counter()
    try:
        papermill.execute_notebook(str(notebook), str(output), parameters=params,
                                   cwd=str(notebook.parent), progress_bar=False, log_output=False,
                                   kernel_name="python3", kernel_manager_class=ipc_kernel_manager())
    except PapermillExecutionError as err:
        seconds = time.perf_counter() - start
        source = _failing_cell_source(output)
        print(f"\nFAILED: {_shown(notebook)} ({tag or 'default parameters'}) after {seconds:.1f} s, "
              f"in the cell with execution count {err.exec_count} of the executed copy, which begins\n"
              f"  {source}\n"
              f"  {err.ename}: {err.evalue}\n  executed copy: {output}", file=sys.stderr)
        raise SystemExit(1)
    seconds = time.perf_counter() - start
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    if metrics:  # how this run was made, for docs/results.md (scripts/results_page.py)
        metrics["run"] = run_record(notebook, seconds)
        metrics_path.write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n")
    return {"run": stem, "seconds": seconds, "metrics": metrics}


def machine() -> str:
    """The CPU model, its core count, and whether it has AVX-512 (which changes TensorFlow's float rounding)."""
    model, avx512 = "unknown CPU", False
    try:
        text = Path("/proc/cpuinfo").read_text()
        model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")),
                     model)
        avx512 = "avx512f" in text
    except OSError:
        pass
    return f"{os.cpu_count()}-core {model}" + (" with AVX-512" if avx512 else " without AVX-512")


def run_record(notebook: Path, seconds: float) -> dict:
    """Date, machine, load, seconds and the commit (and whether the notebook or helpers differed from it)."""
    import datetime
    import subprocess

    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    changed = git("status", "--porcelain", "--", str(notebook.relative_to(REPO)) if notebook.is_relative_to(REPO)
                  else str(notebook), "helpers")
    return {"date": datetime.date.today().isoformat(), "machine": machine(), "seconds": round(seconds, 1),
            "load_average": round(os.getloadavg()[0], 2), "commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted_changes": bool(changed)}


def update_committed(notebook: Path, allow_errors: bool = False) -> float:
    """Re-execute ``notebook`` in place at its default parameters, as nbval does, and record in
    tests/committed_runs.json the fingerprint of the code that produced the outputs and the metrics it wrote.

    ``allow_errors`` runs every cell even after one raised, as nbval does (scripts/broken_variants.py uses it: a
    broken notebook whose own check raises still gets its metrics recorded)."""
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    from committed_runs import store
    from helpers.evaluation import METRICS_DIR_VARIABLE

    nb = nbformat.read(notebook, as_version=4)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        saved = os.environ.get(METRICS_DIR_VARIABLE)
        os.environ[METRICS_DIR_VARIABLE] = folder   # the kernel writes its metrics there
        try:
            NotebookClient(nb, kernel_name="python3", kernel_manager_class=ipc_kernel_manager(), timeout=1800,
                           record_timing=False, allow_errors=allow_errors,
                           resources={"metadata": {"path": str(notebook.parent)}}).execute()
        finally:
            if saved is None:
                del os.environ[METRICS_DIR_VARIABLE]
            else:
                os.environ[METRICS_DIR_VARIABLE] = saved
        written = Path(folder) / f"{notebook.stem}.json"
        if not written.is_file():
            raise SystemExit(f"{notebook.name} wrote no metrics: its last cell must call write_metrics")
        metrics = json.loads(written.read_text())
    nbformat.write(nb, notebook)
    store(notebook, metrics)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: every notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, default=REPO / "build", help="output folder (default: build/)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                        metavar=("NAME", "VALUE"), help="override a notebook parameter")
    parser.add_argument("--seeds", type=int, nargs="+", help="run each notebook once per seed")
    parser.add_argument("--update-committed", action="store_true",
                        help="re-execute the committed notebooks in place (default parameters)")
    args = parser.parse_args(argv)
    # Progress bars (helpers.progress) stay out of executed copies and committed outputs.
    os.environ["FLOW_TUTORIALS_PROGRESS"] = "0"

    notebooks = [p.resolve() for p in args.notebooks] or sorted((REPO / "notebooks").glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    if args.update_committed:
        if args.parameter or args.seeds:
            parser.error("--update-committed runs the default parameters only")
        for notebook in notebooks:
            print(f"{notebook.name:<40} {update_committed(notebook):7.1f} s   outputs updated", flush=True)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    parameters = {name: parse_value(value) for name, value in args.parameter}
    seeds = args.seeds if args.seeds is not None else [None]

    results = []
    total_start = time.perf_counter()
    for notebook in notebooks:
        for seed in seeds:
            params = dict(parameters) if seed is None else dict(parameters, seed=seed)
            tag = "" if seed is None else f"seed{seed}"
            result = run_one(notebook, args.out.resolve(), params, tag)
            print(f"{result['run']:<40} {result['seconds']:7.1f} s   {headline(result['metrics'])}", flush=True)
            results.append(result)
    total = time.perf_counter() - total_start
    print(f"{'total':<40} {total:7.1f} s   ({len(results)} run(s); executed copies and metrics in {args.out})")
    (args.out / "summary.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
