"""The first cell of every notebook: quiet logs, PNG figures, tested versions, seeds.

Call :func:`setup_notebook` *before* importing TensorFlow: TensorFlow reads its
log level from the environment once, at import time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
import warnings
from importlib import metadata

#: The releases these notebooks were written and tested with: (package, tested prefix).
TESTED_VERSIONS = {
    "tensorflow": "2.21",
    "tensorflow-probability": "0.25",
    "probflow": "2.7",
}


def installed_versions() -> dict:
    """Installed version of each package in ``TESTED_VERSIONS`` (``None`` if missing)."""
    found = {}
    for name in TESTED_VERSIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def version_mismatches(found: dict | None = None) -> list[str]:
    """Human-readable lines for every package outside its tested release series."""
    found = installed_versions() if found is None else found
    problems = []
    for name, tested in TESTED_VERSIONS.items():
        version = found.get(name)
        if version is None:
            problems.append(f"{name} is not installed (tested with {tested}.x)")
        elif version != tested and not version.startswith(tested + "."):
            problems.append(f"{name} {version} is installed; this notebook was tested with {tested}.x")
    return problems


@contextlib.contextmanager
def _stderr_file_descriptor_silenced():
    """Send what C++ code writes to file descriptor 2 to /dev/null, for a moment.

    Some of TensorFlow's import-time messages (CUDA probing) are written before
    its logging is configured and ignore ``TF_CPP_MIN_LOG_LEVEL``; Jupyter
    kernels forward that descriptor into cell outputs.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no usable descriptor 2: nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ and Python log lines out of notebook outputs."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++: errors and below hidden
    # oneDNN's custom CPU kernels change float rounding with the CPU model and
    # announce themselves on stderr; for these small models the plain kernels
    # are faster too (measured: about 6.5 against 10 ms per training step).
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    with _stderr_file_descriptor_silenced():
        import tensorflow as tf  # noqa: E402  (must come after the environment)
        import tensorflow_probability  # noqa: F401  (loads tf_keras, which logs too)

    tf.get_logger().setLevel(logging.ERROR)
    tf.autograph.set_verbosity(0)
    logging.getLogger("absl").setLevel(logging.ERROR)
    for module in ("tensorflow", "tensorflow_probability", "tf_keras", "keras", "probflow"):
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
        warnings.filterwarnings("ignore", category=UserWarning, module=module)


def use_png_figures(dpi: int = 90) -> None:
    """Inline figures as PNG: nbval skips PNG, while SVG text changes on every run."""
    import matplotlib as mpl

    mpl.rcParams["figure.dpi"] = dpi
    mpl.rcParams["savefig.dpi"] = dpi
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not inside IPython
        return
    set_matplotlib_formats("png")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow's kernels deterministic.

    Call it again right before building each model, so a cell re-run alone gives
    the same model as a run from the top.
    """
    import numpy as np
    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    tf.config.experimental.enable_op_determinism()


def setup_notebook() -> None:
    """Quiet TensorFlow, PNG figures, and one line stating the versions in use.

    A stack outside the tested versions gets a clear warning on stderr, not an
    error: the notebook may still work, and the reader should know why it might not.
    """
    quiet_tensorflow()
    use_png_figures()
    found = installed_versions()
    problems = version_mismatches(found)
    print("Written for " + ", ".join(f"{name} {series}.x" for name, series in TESTED_VERSIONS.items())
          + "; found " + ", ".join(str(found[name]) for name in TESTED_VERSIONS))
    if problems:
        print("WARNING: outside the tested versions (see requirements.txt): " + "; ".join(problems),
              file=sys.stderr)
