"""A progress bar for ProbFlow's ``model.fit``: epoch, training loss, and why a fit ended.

It is plain-text ``tqdm`` on stdout, which a terminal and JupyterLab both
redraw in place (on stderr, JupyterLab would draw it as a pink warning block).
It shows elapsed time and rate, never an estimate of the time left, which
tqdm cannot make well in a fit's first second. A bar is at most ``WIDTH``
characters wide, so it never wraps in a notebook column; why a fit ended is
printed on a line of its own under the bar. Headless runs that produce or check committed outputs (the
test suite, ``scripts/run_notebooks.py``) set ``FLOW_TUTORIALS_PROGRESS=0``,
so no progress text reaches nbval's comparison or a committed notebook.

``tracked`` wraps any other loop that takes more than a few seconds (several
fits in a row, scoring many points), so no cell is silent for long.

The bar's "train loss" is what ``model.fit`` minimises: ProbFlow's negative
ELBO per training point of the last epoch, i.e. the mean negative
log-likelihood of the training points plus, for parameters with a prior, their
prior (or KL) term divided by the number of points. It is not a validation
score; pass the early-stopping callback as ``stopper`` to see that next to it.
"""

from __future__ import annotations

import os
import sys

from probflow.callbacks import Callback
from tqdm.std import tqdm

ENV_SWITCH = "FLOW_TUTORIALS_PROGRESS"
WIDTH = 96  # characters: fits the notebook column of JupyterLab and Jupyter at their default font
BAR_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}, {rate_fmt}{postfix}]"


def progress_enabled() -> bool:
    """False when the environment variable ``FLOW_TUTORIALS_PROGRESS`` is ``0``."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


class FitProgress(Callback):
    """Pass to ``model.fit(..., callbacks=[FitProgress(epochs)])`` to see epoch and training loss.

    ``stopper`` is optional: a ``helpers.training.EarlyStopping`` in the same
    ``callbacks`` list. With it, the bar also shows the latest validation value
    (labelled ``validation_label``), and a fit that ends before ``epochs`` says
    where and why it stopped and which epoch's weights the model keeps, instead
    of looking interrupted at, say, 160/600.
    """

    def __init__(self, epochs: int, description: str = "fit", enabled: bool | None = None,
                 file=None, stopper=None, validation_label: str = "validation NLL"):
        self.epochs = int(epochs)
        self.description = description
        self.enabled = progress_enabled() if enabled is None else enabled
        self.file = file
        self.stopper = stopper
        self.validation_label = validation_label
        self.bar = None
        self.epoch = 0

    def _file(self):
        return self.file if self.file is not None else sys.stdout

    def on_train_start(self) -> None:
        self.epoch = 0
        self.bar = tqdm(total=self.epochs, desc=self.description, unit="epoch", mininterval=0.5, ncols=WIDTH,
                        bar_format=BAR_FORMAT, leave=True, disable=not self.enabled, file=self._file())

    def on_epoch_end(self) -> None:
        self.epoch += 1
        if self.bar is None or self.bar.disable:
            return
        self.bar.set_postfix_str(self._status(), refresh=False)  # shown by the update, with this epoch's count
        self.bar.update(1)

    def _status(self) -> str:
        text = f"train loss {float(self.model.get_elbo()):.3f}"
        values = getattr(self.stopper, "values", None)
        if values:  # the latest evaluation (of the epoch before, while the stopper comes later in the list)
            text += f", {self.validation_label} {values[-1]:.3f}"
        return text

    def ending(self) -> str:
        """Why the fit ended, when it needs saying (``""`` for a fit that simply ran all its epochs)."""
        stopper, epoch = self.stopper, self.epoch
        if stopper is None:
            return f"stopped early at epoch {epoch} of {self.epochs} by a callback" if epoch < self.epochs else ""
        best = stopper.best_epoch
        weights = ("whose weights are restored" if stopper.restore_best_weights
                   else f"weights of epoch {epoch} kept")
        if epoch < self.epochs:
            return (f"stopped early at epoch {epoch}: no validation improvement since epoch {best} "
                    f"({stopper.best_value:.3f}), {weights}")
        if best != epoch and stopper.restore_best_weights:
            return f"best validation at epoch {best} ({stopper.best_value:.3f}), {weights}"
        return ""

    def on_train_end(self) -> None:
        if self.bar is None or self.bar.disable:
            return
        if self.epoch > 0:
            self.bar.set_postfix_str(self._status(), refresh=False)
        self.bar.close()
        ending = self.ending()
        if ending:  # on its own line: appended to the bar it would wrap mid-word in a notebook column
            print(f"  {self.description}: {ending}", file=self._file())
        # tqdm writes the bar's final newline without flushing it. In Jupyter that newline would then
        # travel alone, after whatever the cell prints next, as a separate, empty output.
        self._file().flush()


def tracked(iterable, description: str, total: int | None = None, unit: str = "it", enabled: bool | None = None,
            file=None):
    """``iterable``, with a progress bar like ``FitProgress``'s while it is consumed (off when
    ``FLOW_TUTORIALS_PROGRESS=0``). For loops of several fits, or of scoring, that take more than a few seconds."""
    enabled = progress_enabled() if enabled is None else enabled
    out = file if file is not None else sys.stdout
    bar = tqdm(iterable, desc=description, total=total, unit=unit, mininterval=0.5, ncols=WIDTH,
               bar_format=BAR_FORMAT, leave=True, disable=not enabled, file=out)
    try:
        yield from bar
    finally:
        bar.close()
        if enabled:
            out.flush()
