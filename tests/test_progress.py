"""helpers.progress: a real bar during model.fit, and silence when switched off."""

import io

import numpy as np
import pytest

from helpers.notebook_setup import quiet_tensorflow

quiet_tensorflow()
import probflow as pf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402

from helpers.progress import FitProgress, progress_enabled  # noqa: E402


class Gaussian(pf.Model):
    def __init__(self):
        self.loc = pf.DeterministicParameter([2], prior=None)

    def __call__(self):
        return tfp.distributions.MultivariateNormalDiag(self.loc(), [1.0, 1.0])


def test_bar_counts_epochs_and_shows_the_loss():
    out = io.StringIO()
    progress = FitProgress(7, description="gauss", enabled=True, file=out)
    Gaussian().fit(np.ones((16, 2), np.float32), batch_size=16, epochs=7, lr=0.1, callbacks=[progress])
    text = out.getvalue()
    assert progress.bar.n == 7
    assert "gauss" in text and "7/7" in text and "loss" in text


def test_disabled_bar_writes_nothing():
    out = io.StringIO()
    Gaussian().fit(np.ones((16, 2), np.float32), batch_size=16, epochs=3, lr=0.1,
                   callbacks=[FitProgress(3, enabled=False, file=out)])
    assert out.getvalue() == ""


@pytest.mark.parametrize("value, enabled", [("0", False), ("off", False), ("1", True), ("", True)])
def test_environment_switch(monkeypatch, value, enabled):
    monkeypatch.setenv("FLOW_TUTORIALS_PROGRESS", value)
    assert progress_enabled() is enabled
