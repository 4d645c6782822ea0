"""Honest training of density models: a validation split, early stopping on it, and one
compiled training step per fit.

With a few hundred training points a flow overfits within a few hundred full-batch
steps: its training loss keeps falling while its likelihood of fresh data gets
worse. The cure used in the notebooks is the standard one: hold out part of the
training data, watch the model's negative log-likelihood there, and keep the
weights from the epoch where it was lowest.

:class:`EarlyStopping` is a ProbFlow callback (it implements the interface
``model.fit(..., callbacks=[...])`` calls: ``on_train_start``,
``on_epoch_start``, ``on_epoch_end``, ``on_train_end``), written here because
ProbFlow's own ``EarlyStopping`` cannot restore the best weights and evaluates
its metric after every epoch.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .validation import ParameterError, require_finite_points, require_float, require_int


def train_validation_split(x, validation_fraction: float = 0.2, seed: int = 0):
    """Split the rows of ``x`` at random into ``(train, validation)``.

    The validation part has ``round(validation_fraction * n)`` rows (at least
    one, and at least one row is left for training). The split depends only on
    ``seed``, so a notebook re-run gives the same split.
    """
    x = require_finite_points("x", x)
    fraction = require_float("validation_fraction", validation_fraction, low=0.0, high=1.0,
                             low_inclusive=False)
    n = len(x)
    n_val = int(round(fraction * n))
    if n_val < 1 or n_val > n - 1:
        raise ParameterError(
            f"validation_fraction {fraction} of {n} points leaves no validation or no training point")
    order = np.random.default_rng(seed).permutation(n)
    return x[order[n_val:]], x[order[:n_val]]


def k_fold_splits(x, n_folds: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split the rows of ``x`` at random into ``n_folds`` folds of (nearly) equal size.

    Returns one ``(train, validation)`` pair per fold: the fold's rows are the
    validation part, all other rows the training part. Every row is in exactly one
    validation part, so a model fitted per fold and early-stopped on its own fold
    uses all the data, each point for training in ``n_folds - 1`` fits and for
    validation in one. The folds depend only on ``seed``.
    """
    x = require_finite_points("x", x)
    n_folds = require_int("n_folds", n_folds, minimum=2)
    if n_folds > len(x):
        raise ParameterError(f"n_folds must be at most the number of points ({len(x)}), got {n_folds}")
    folds = np.array_split(np.random.default_rng(seed).permutation(len(x)), n_folds)
    return [(x[np.sort(np.concatenate(folds[:k] + folds[k + 1:]))], x[np.sort(fold)])
            for k, fold in enumerate(folds)]


class EarlyStopping:
    """Stop ``model.fit`` when a validation metric stops improving; keep the best weights.

    Parameters
    ----------
    metric_fn : callable
        No arguments; returns the number to minimise, e.g. the mean negative
        log-likelihood of the validation points under the current model.
    every : int
        Evaluate ``metric_fn`` every ``every`` epochs (an evaluation runs
        eagerly and costs more than a compiled training step).
    patience : int
        Stop after this many evaluations in a row without an improvement of at
        least ``min_delta``.
    min_delta : float
        The smallest decrease that counts as an improvement.
    restore_best_weights : bool
        At the end of training, set the model's trainable variables back to
        their values at the best evaluation.

    The metric is evaluated once before the first epoch (epoch 0) and then every
    ``every`` epochs. After training, ``best_epoch``, ``best_value``,
    ``stopped_epoch`` (the last epoch run) and the evaluation history ``epochs`` /
    ``values`` are available. A non-finite metric never counts as an improvement.
    """

    def __init__(self, metric_fn: Callable[[], float], every: int = 10, patience: int = 5,
                 min_delta: float = 0.0, restore_best_weights: bool = True):
        if not callable(metric_fn):
            raise ParameterError("metric_fn must be callable")
        self.metric_fn = metric_fn
        self.every = require_int("every", every, minimum=1)
        self.patience = require_int("patience", patience, minimum=1)
        self.min_delta = require_float("min_delta", min_delta, low=0.0)
        self.restore_best_weights = bool(restore_best_weights)
        self.model = None  # set by model.fit
        self._reset()

    def _reset(self):
        self.epoch = 0
        self.best_value = math.inf
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.epochs: list[int] = []
        self.values: list[float] = []
        self._best_weights = None
        self._bad_checks = 0

    def _variables(self):
        return list(self.model.trainable_variables)

    def on_train_start(self) -> None:
        self._reset()
        self._best_weights = [np.array(v.numpy()) for v in self._variables()]
        self._check()  # the starting point counts too: epoch 0

    def on_epoch_start(self) -> None:
        pass

    def on_epoch_end(self) -> None:
        self.epoch += 1
        if self.epoch % self.every == 0:
            self._check()

    def _check(self) -> None:
        value = float(self.metric_fn())
        self.epochs.append(self.epoch)
        self.values.append(value)
        if math.isfinite(value) and value < self.best_value - self.min_delta:
            self.best_value, self.best_epoch = value, self.epoch
            self._best_weights = [np.array(v.numpy()) for v in self._variables()]
            self._bad_checks = 0
        else:
            self._bad_checks += 1
            if self._bad_checks >= self.patience:
                self.model.stop_training()

    def on_train_end(self) -> None:
        self.stopped_epoch = self.epoch
        if self.restore_best_weights and self._best_weights is not None:
            for var, value in zip(self._variables(), self._best_weights):
                var.assign(value)


def build_optimizer(model, x, learning_rate: float) -> None:
    """Create ``model``'s Adam optimizer and its variables before the first ``model.fit``.

    ``model.fit`` runs each training step as a ``tf.function``. On a model's first
    fit, ProbFlow creates a Keras Adam optimizer and the first step creates Adam's
    moment variables; TensorFlow may create variables only while tracing, so it
    traces the step a second time (a ``tf.function`` trace of a flow costs 1 to
    10 seconds, more than hundreds of its steps). Calling this first makes the fit
    trace its step once.

    ``model.fit(x, epochs=0)`` creates the optimizer through ProbFlow's public API
    without taking a step; building its variables needs ProbFlow's optimizer, which
    it keeps in the private attribute ``_optimizer``: this is the one place that
    touches it.
    """
    x = require_finite_points("x", x)
    learning_rate = require_float("learning_rate", learning_rate, low=0.0, low_inclusive=False)
    model.fit(x, batch_size=len(x), epochs=0, lr=learning_rate)
    optimizer = getattr(model, "_optimizer", None)
    if optimizer is None or not hasattr(optimizer, "build"):
        raise RuntimeError("this ProbFlow version keeps no buildable optimizer in model._optimizer; "
                           "drop the build_optimizer call (fits then trace their step twice)")
    optimizer.build(list(model.trainable_variables))
