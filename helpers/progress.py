"""A progress bar for ProbFlow's ``model.fit``: epoch and training loss.

It is plain-text ``tqdm`` on stderr, which a terminal and JupyterLab both
redraw in place. Headless runs that produce or check committed outputs (the
test suite, ``scripts/run_notebooks.py``) set ``FLOW_TUTORIALS_PROGRESS=0``,
so no progress text reaches nbval's comparison or a committed notebook.
"""

from __future__ import annotations

import os
import sys

from probflow.callbacks import Callback
from tqdm.std import tqdm

ENV_SWITCH = "FLOW_TUTORIALS_PROGRESS"


def progress_enabled() -> bool:
    """False when the environment variable ``FLOW_TUTORIALS_PROGRESS`` is ``0``."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


class FitProgress(Callback):
    """Pass to ``model.fit(..., callbacks=[FitProgress(epochs)])`` to see epoch and loss."""

    def __init__(self, epochs: int, description: str = "fit", enabled: bool | None = None,
                 file=None):
        self.epochs = int(epochs)
        self.description = description
        self.enabled = progress_enabled() if enabled is None else enabled
        self.file = file
        self.bar = None

    def on_train_start(self) -> None:
        self.bar = tqdm(total=self.epochs, desc=self.description, unit="epoch", mininterval=0.5,
                        leave=True, disable=not self.enabled,
                        file=self.file if self.file is not None else sys.stderr)

    def on_epoch_end(self) -> None:
        if self.bar is None or self.bar.disable:
            return
        self.bar.update(1)
        self.bar.set_postfix_str(f"loss {float(self.model.get_elbo()):.3f}", refresh=False)

    def on_train_end(self) -> None:
        if self.bar is not None:
            self.bar.close()
