"""helpers.progress: a real bar during model.fit, why it ended, and silence when switched off."""

import io

import numpy as np
import pytest

from helpers.notebook_setup import quiet_tensorflow

quiet_tensorflow()
import probflow as pf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402

from helpers.progress import WIDTH, FitProgress, progress_enabled, tracked  # noqa: E402
from helpers.training import EarlyStopping  # noqa: E402

X = np.ones((16, 2), np.float32)


class Gaussian(pf.Model):
    def __init__(self):
        self.loc = pf.DeterministicParameter([2], prior=None)

    def __call__(self):
        return tfp.distributions.MultivariateNormalDiag(self.loc(), [1.0, 1.0])


class RecordingFile(io.StringIO):
    """A stream that remembers how much of what was written had been flushed."""

    flushed = 0

    def flush(self):
        self.flushed = len(self.getvalue())
        super().flush()


def final_line(text: str) -> str:
    """What a terminal or JupyterLab shows once the bar is closed: the bar's last redraw, then the line under it
    that says why the fit ended (if it needs saying)."""
    return " ".join(line.split("\r")[-1] for line in text.rstrip("\n").split("\n"))


def shown_lines(text: str) -> list[str]:
    return [line.split("\r")[-1] for line in text.rstrip("\n").split("\n")]


def fit(epochs, callbacks):
    Gaussian().fit(X, batch_size=16, epochs=epochs, lr=0.1, callbacks=callbacks, eager=True)


def test_bar_counts_epochs_and_shows_the_training_loss_labelled_as_such():
    out = io.StringIO()
    progress = FitProgress(7, description="gauss", enabled=True, file=out)
    fit(7, [progress])
    line = final_line(out.getvalue())
    assert progress.bar.n == 7
    assert "gauss" in line and "7/7" in line and "train loss " in line
    assert "stopped" not in line and "restored" not in line  # a fit that ran all its epochs says nothing more


def test_everything_written_is_flushed_when_the_fit_returns():
    # tqdm's closing newline, left in the buffer, reached JupyterLab after the cell's next print, as an
    # empty stderr output of its own
    out = RecordingFile()
    fit(3, [FitProgress(3, enabled=True, file=out)])
    assert out.getvalue().endswith("\n")
    assert out.flushed == len(out.getvalue())


def _stopper(values, restore=True):
    values = iter(values)
    return EarlyStopping(lambda: next(values), every=1, patience=3, restore_best_weights=restore)


# validation values at epochs 0, 1, 2, ...: best at epoch 2, then three evaluations without improvement
WORSE_AFTER_EPOCH_2 = [5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0, 4.1, 4.2]


@pytest.mark.parametrize("progress_first", [False, True])
def test_early_stopped_bar_says_where_and_why_it_stopped(progress_first):
    out = io.StringIO()
    stopper = _stopper(WORSE_AFTER_EPOCH_2)
    progress = FitProgress(10, description="flow", enabled=True, file=out, stopper=stopper)
    fit(10, [progress, stopper] if progress_first else [stopper, progress])
    assert (stopper.stopped_epoch, stopper.best_epoch) == (5, 2)
    line = final_line(out.getvalue())
    assert "5/10" in line
    assert ("stopped early at epoch 5: no validation improvement since epoch 2 (3.000), whose weights are restored"
            in line)
    assert "<" not in line  # no estimate of the time left
    assert "train loss " in line and "validation NLL 3.700" in line  # the last evaluation, at epoch 5
    bar, ending = shown_lines(out.getvalue())
    assert "5/10" in bar and ending.startswith("  flow: stopped early")  # the reason on a line of its own


def test_no_line_is_wider_than_a_notebook_column_and_nothing_goes_to_stderr(capsys):
    stopper = _stopper(WORSE_AFTER_EPOCH_2)
    fit(10, [stopper, FitProgress(10, description="RealNVP on checkerboard, stage 2", enabled=True,
                                  stopper=stopper)])
    captured = capsys.readouterr()
    assert captured.err == ""  # JupyterLab draws stderr as a pink warning block
    bar = shown_lines(captured.out)[0]
    assert "5/10" in bar and len(bar) <= WIDTH
    assert "<" not in bar and "?" not in bar


def test_tracked_loop_yields_everything_and_shows_progress_on_stdout():
    out = RecordingFile()
    assert list(tracked(range(5), "scoring", enabled=True, file=out)) == [0, 1, 2, 3, 4]
    assert "scoring" in out.getvalue() and "5/5" in shown_lines(out.getvalue())[-1]
    assert out.flushed == len(out.getvalue())
    silent = RecordingFile()
    assert list(tracked(iter("ab"), "x", enabled=False, file=silent)) == ["a", "b"]
    assert silent.getvalue() == ""


def test_early_stopped_bar_without_restored_weights_says_which_weights_are_kept():
    out = io.StringIO()
    stopper = _stopper(WORSE_AFTER_EPOCH_2, restore=False)
    fit(10, [stopper, FitProgress(10, enabled=True, file=out, stopper=stopper)])
    assert "no validation improvement since epoch 2 (3.000), weights of epoch 5 kept" in final_line(out.getvalue())


def test_full_fit_that_restores_an_earlier_epoch_says_so():
    out = io.StringIO()
    stopper = _stopper([5.0, 4.0, 3.0, 3.5, 3.6])  # best at epoch 2 of 4, patience 3 never runs out
    fit(4, [stopper, FitProgress(4, enabled=True, file=out, stopper=stopper)])
    line = final_line(out.getvalue())
    assert "4/4" in line and "stopped" not in line
    assert "best validation at epoch 2 (3.000), whose weights are restored" in line


class StopAt(pf.callbacks.Callback):
    def __init__(self, epoch):
        self.stop_at, self.epoch = epoch, 0

    def on_epoch_end(self):
        self.epoch += 1
        if self.epoch == self.stop_at:
            self.model.stop_training()


def test_bar_stopped_by_another_callback_says_it_stopped_early():
    out = io.StringIO()
    fit(10, [StopAt(3), FitProgress(10, enabled=True, file=out)])
    line = final_line(out.getvalue())
    assert "3/10" in line and "stopped early at epoch 3 of 10 by a callback" in line


def test_disabled_bar_writes_nothing():
    out = RecordingFile()
    stopper = _stopper(WORSE_AFTER_EPOCH_2)
    fit(10, [stopper, FitProgress(10, enabled=False, file=out, stopper=stopper)])
    assert out.getvalue() == ""


@pytest.mark.parametrize("value, enabled", [("0", False), ("off", False), ("1", True), ("", True)])
def test_environment_switch(monkeypatch, value, enabled):
    monkeypatch.setenv("FLOW_TUTORIALS_PROGRESS", value)
    assert progress_enabled() is enabled
