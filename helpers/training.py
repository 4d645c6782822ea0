"""Honest training of density models: a validation split, early stopping on it, and one
compiled training step per fit (or one compiled loop per architecture).

With a few hundred training points a flow overfits within a few hundred full-batch
steps: its training loss keeps falling while its likelihood of fresh data gets
worse. The cure used in the notebooks is the standard one: hold out part of the
training data, watch the model's negative log-likelihood there, and keep the
weights from the epoch where it was lowest.

:class:`EarlyStopping` is a ProbFlow callback (it implements the interface
``model.fit(..., callbacks=[...])`` calls: ``on_train_start``,
``on_epoch_start``, ``on_epoch_end``, ``on_train_end``), written here because
ProbFlow's own ``EarlyStopping`` cannot restore the best weights and evaluates
its metric after every epoch. :class:`TrainingLoop` runs the same fit
as ``model.fit``, with the same callbacks, but traces it once for every model of
one architecture and returns to Python once every few epochs.
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


class TrainingLoop:
    """``model.fit`` for many ProbFlow models of one architecture, compiled once.

    ProbFlow's ``model.fit`` wraps its training step in a new ``tf.function`` on
    every call and returns to Python after every step. For the small flows of the
    notebooks, tracing that function takes longer than the whole fit's
    arithmetic (seconds against a fraction of one), and it is paid again by every
    fit, even of an identical architecture on data of the same shape.

    A ``TrainingLoop`` minimises the same loss as ``model.fit`` (ProbFlow's
    ``model.elbo_loss``: the negative log-likelihood per point plus the priors'
    term divided by the number of training points, in ProbFlow's sampling
    context), with the same optimizer, Keras' Adam, and calls the same callbacks
    after every step. It differs in three ways:

    * it runs ``steps_per_call`` steps in one compiled call (a ``tf.while_loop``),
      so Python is visited once per call, not once per step;
    * it traces that loop once, on a private model of its own (the *template*,
      built by ``make_model``): to fit a model, it copies the model's variables
      into the template, resets Adam, trains the template, and copies the
      variables back after every call (callbacks such as ``EarlyStopping`` then
      see and restore the model's own weights);
    * every step sees a batch of exactly ``batch_size`` rows, so one compiled loop
      serves data sets of every size. Up to ``batch_size`` training points, the
      batch is the whole data set, padded with rows of weight zero: each step is
      then the full-batch step of ``model.fit(x, batch_size=len(x))``, whatever the
      padding. Beyond it, each step takes the next ``batch_size`` points of a
      random order of the data (a new order every pass), as ``model.fit(x,
      batch_size=batch_size, shuffle=True)`` does.

    So every model it fits must have the template's architecture: the same class,
    the same variables' shapes, and no fixed tensor that differs between models.
    Constants such as standardisation offsets must be ``tf.Variable``
    (``trainable=False``) attributes of the model, which are copied too; a model
    with a constant-tensor attribute is refused, because the compiled loop would
    silently use the template's value.

    ``fit(model, x, y, steps=...)`` fits a model of y given x, as ``model.fit(x, y)``
    does; ``fit(model, x, steps=...)`` a density of x. ``mean_nll(points)`` (or
    ``mean_nll(x, y)``) is the mean negative log-likelihood under the model being
    fitted, compiled once too, in chunks of ``batch_size``: the metric for
    ``EarlyStopping``. ``jit_compile=True`` compiles both with XLA: steps several
    times faster, for a compilation of a few seconds, once per ``TrainingLoop``
    (XLA compiles for fixed shapes, which the fixed batch provides).
    """

    def __init__(self, make_model: Callable[[], object], learning_rate: float, batch_size: int = 512,
                 steps_per_call: int = 10, jit_compile: bool = False):
        import tensorflow as tf

        if not callable(make_model):
            raise ParameterError("make_model must be callable")
        self.learning_rate = require_float("learning_rate", learning_rate, low=0.0, low_inclusive=False)
        self.batch_size = require_int("batch_size", batch_size, minimum=1)
        self.steps_per_call = require_int("steps_per_call", steps_per_call, minimum=1)
        self.template = make_model()
        self._shapes = self._state_shapes(self.template)
        self.optimizer = tf.keras.optimizers.Adam(learning_rate=self.learning_rate)
        self.optimizer.build(list(self.template.trainable_variables))
        self._optimizer_state = [v for v in self.optimizer.variables if v.name != "learning_rate"]
        self.jit_compile = bool(jit_compile)
        self.traces = 0  # how many times the training loop was traced (1 when every fit shared it)
        self._shapes_per_point = None  # of x (and y), set by the first fit
        self._loop = self._sum_log_prob = None

    @staticmethod
    def _state(model) -> list:
        """The model's trainable variables, then its own non-trainable ``tf.Variable`` attributes."""
        import tensorflow as tf

        fixed = [v for _, v in sorted(vars(model).items()) if isinstance(v, tf.Variable)]
        return list(model.trainable_variables) + fixed

    def _state_shapes(self, model) -> list:
        import tensorflow as tf

        constants = sorted(k for k, v in vars(model).items() if isinstance(v, tf.Tensor)
                           and not isinstance(v, tf.Variable))
        if constants:
            raise ParameterError(f"model attribute {constants[0]} is a constant tensor, which a shared compiled "
                                 f"loop would fix at its first value; make it tf.Variable(..., trainable=False)")
        return [(type(model).__name__, "model")] + [tuple(v.shape) for v in self._state(model)]

    def _weighted_log_likelihood(self, data, weights):
        """Sum over the rows of a batch of weight x log q: ``(x, y)`` for a model of y given x, ``(x,)`` for a
        density. A model whose log-density keeps more axes (one per output) has them summed, as ProbFlow does."""
        import tensorflow as tf

        log_q = self.template(data[0]).log_prob(data[1]) if len(data) == 2 else self.template().log_prob(data[0])
        return tf.reduce_sum(weights * tf.reduce_sum(tf.reshape(log_q, [tf.shape(weights)[0], -1]), axis=1))

    def _steps(self, batches, weights, rates, n_total, n_steps):
        import tensorflow as tf

        self.traces += 1
        model, variables = self.template, list(self.template.trainable_variables)
        kl_weight = getattr(model, "_kl_weight", 1.0)  # set by model.set_kl_weight; 1 unless changed

        def step(i, loss):
            model.reset_kl_loss()
            batch, w = tuple(b[i] for b in batches), weights[i]
            self.optimizer.learning_rate.assign(rates[i])  # Adam's step size for this step (a schedule's value)
            n_batch = tf.reduce_sum(w)
            with tf.GradientTape() as tape:
                # ProbFlow's model.elbo_loss(x, y, n, n_mc=1), written out for a batch whose padding rows
                # have weight zero: the priors' term per training point, minus the mean log-likelihood
                log_likelihood = self._weighted_log_likelihood(batch, w)
                loss = kl_weight * (model.kl_loss() / n_total + model.kl_loss_batch() / n_batch) \
                    - log_likelihood / n_batch
            self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return i + 1, loss

        _, loss = tf.while_loop(lambda i, loss: i < n_steps, step, (tf.constant(0), tf.constant(0.0)))
        return loss

    def _arrays(self, x, y) -> tuple:
        """``(x,)`` or ``(x, y)`` as finite float32 arrays with one row per point, shaped like the first fit's."""
        arrays = []
        for name, value in (("x", x), ("y", y)) if y is not None else (("x", x),):
            arr = np.asarray(value)
            if arr.ndim < 1 or arr.shape[0] < 1 or not np.issubdtype(arr.dtype, np.number):
                raise ParameterError(f"{name} must be a numeric array with one row per point, got shape {arr.shape}")
            bad = ~np.isfinite(arr.reshape(len(arr), -1)).all(axis=1)
            if bad.any():
                raise ParameterError(f"{name} has {int(bad.sum())} row(s) with NaN or infinite values "
                                     f"(first: row {int(np.flatnonzero(bad)[0])})")
            arrays.append(arr.astype("float32"))
        if len(arrays) == 2 and len(arrays[0]) != len(arrays[1]):
            raise ParameterError(f"x and y must have as many rows, got {len(arrays[0])} and {len(arrays[1])}")
        shapes = tuple(a.shape[1:] for a in arrays)
        if self._shapes_per_point is not None and shapes != self._shapes_per_point:
            raise ParameterError(f"this TrainingLoop was compiled for points of shapes {self._shapes_per_point} "
                                 f"(x, y), got {shapes}")
        return tuple(arrays)

    def _compile(self, data) -> None:
        import tensorflow as tf

        if self._loop is not None:
            return
        self._shapes_per_point = tuple(a.shape[1:] for a in data)
        k, b = self.steps_per_call, self.batch_size
        batch_specs = tuple(tf.TensorSpec([k, b, *a.shape[1:]], tf.float32) for a in data)
        self._loop = tf.function(self._steps, autograph=False, jit_compile=self.jit_compile, input_signature=[
            batch_specs, tf.TensorSpec([k, b], tf.float32), tf.TensorSpec([k], tf.float32),
            tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.int32)])
        chunk_specs = tuple(tf.TensorSpec([b, *a.shape[1:]], tf.float32) for a in data)
        self._sum_log_prob = tf.function(self._weighted_log_likelihood, autograph=False, jit_compile=self.jit_compile,
                                         input_signature=[chunk_specs, tf.TensorSpec([b], tf.float32)])

    def _padded(self, data, rows):
        """The rows ``rows`` of ``data``, padded to ``batch_size`` rows (copies of the first, weight 0)."""
        n = len(rows)
        full = np.concatenate([rows, np.full(self.batch_size - n, rows[0])]) if n < self.batch_size else rows
        weights = (np.arange(self.batch_size) < n).astype("float32")
        return tuple(a[full] for a in data), weights

    def mean_nll(self, x, y=None) -> float:
        """Mean negative log-likelihood (nats) under the model being fitted: of points ``x`` for a density
        model, or of ``y`` given ``x`` for a model fitted as ``fit(model, x, y)``."""
        import tensorflow as tf

        if self._sum_log_prob is None:
            raise RuntimeError("mean_nll evaluates the model being fitted: call it during or after fit")
        data = self._arrays(x, y)
        n, total = len(data[0]), 0.0
        for start in range(0, n, self.batch_size):
            chunk, weights = self._padded(data, np.arange(start, min(start + self.batch_size, n)))
            total += float(self._sum_log_prob(tuple(tf.constant(c) for c in chunk), tf.constant(weights)))
        return -total / n

    def fit(self, model, x, y=None, steps: int = 100, callbacks=(), seed: int | None = None,
            learning_rate: float | Callable[[int], float] | None = None) -> None:
        """Fit ``model`` to ``x`` (and ``y``) for at most ``steps`` steps (full-batch: epochs), like ``model.fit``.

        Callbacks see one "epoch" per step. ``seed`` sets the random order of the points when they do not fit
        one batch (default: drawn from NumPy's global generator, which ``seed_everything`` seeds).
        ``learning_rate`` replaces the loop's Adam step size for this fit only (the step size is a variable of
        the compiled loop, so a fit with another step size compiles nothing): a fit can be continued from its
        best weights with a smaller step. It may also be a schedule: a function of the step's index (0, 1, ...,
        ``steps - 1``) that returns that step's size, such as :func:`cosine_decay`; the values are fed to the
        compiled loop, so a schedule compiles nothing either.
        """
        import tensorflow as tf
        from probflow.utils.settings import Sampling

        data = self._arrays(x, y)
        steps = require_int("steps", steps, minimum=0)
        if callable(learning_rate):
            schedule = learning_rate
        else:
            rate = self.learning_rate if learning_rate is None else require_float(
                "learning_rate", learning_rate, low=0.0, low_inclusive=False)
            schedule = lambda step: rate  # noqa: E731
        self._compile(data)
        if self._state_shapes(model) != self._shapes:
            raise ParameterError(f"model does not have the architecture this TrainingLoop was compiled for "
                                 f"({type(self.template).__name__} with variables of shapes {self._shapes[1:]}); "
                                 f"use one TrainingLoop per architecture")
        for mine, theirs in zip(self._state(self.template), self._state(model)):
            mine.assign(theirs)
        for v in self._optimizer_state:  # a fresh Adam: step count and moments zero
            v.assign(tf.zeros_like(v))
        n, b, k = len(data[0]), self.batch_size, self.steps_per_call
        rng = np.random.default_rng(np.random.randint(2**31) if seed is None else seed)
        if n <= b:  # full batch: every step sees all points; the same batches serve every call
            batch, weights = self._padded(data, np.arange(n))
            fixed = (tuple(tf.constant(np.broadcast_to(a, (k, *a.shape))) for a in batch),
                     tf.constant(np.broadcast_to(weights, (k, b))))
        order = np.empty(0, dtype=np.int64)
        model._is_training = True  # what model.fit sets; a callback's model.stop_training() clears it
        for c in callbacks:
            c.model = model
            c.on_train_start()
        done = 0
        while done < steps and model._is_training:
            todo = min(k, steps - done)
            rates = np.array([schedule(done + j) for j in range(todo)] + [0.0] * (k - todo), dtype="float64")
            usable = np.isfinite(rates[:todo]) & (rates[:todo] > 0)
            if not usable.all():
                bad = int(np.flatnonzero(~usable)[0])
                raise ParameterError(f"learning_rate schedule must give finite step sizes > 0, got "
                                     f"{float(rates[bad])!r} at step {done + bad}")
            if n <= b:
                batches, weights = fixed
            else:  # the next k batches of a random order of the points, a new order every pass
                while len(order) < k * b:
                    order = np.concatenate([order, rng.permutation(n)])
                rows, order = order[:k * b], order[k * b:]
                batches = tuple(tf.constant(a[rows].reshape(k, b, *a.shape[1:])) for a in data)
                weights = tf.ones([k, b])
            with Sampling(n=1, flipout=False):
                loss = self._loop(batches, weights, tf.constant(rates, tf.float32), tf.constant(float(n)),
                                  tf.constant(todo))
            for mine, theirs in zip(self.template.trainable_variables, model.trainable_variables):
                theirs.assign(mine)
            model._current_elbo = float(loss)  # what model.get_elbo() reports: the last step's loss
            for _ in range(todo):
                done += 1
                for c in callbacks:
                    c.on_epoch_start()
                for c in callbacks:
                    c.on_epoch_end()
                if not model._is_training:
                    break
        model._is_training = False
        for c in callbacks:
            c.on_train_end()


def cosine_decay(initial: float, steps: int, final_fraction: float = 0.0) -> Callable[[int], float]:
    """A learning-rate schedule for :meth:`TrainingLoop.fit`: from ``initial`` at step 0 down a half cosine to
    ``final_fraction * initial`` at step ``steps`` (and there after it).

    A constant step size leaves Adam jittering around the optimum by an amount set by the step size and the
    minibatch noise; letting the step size fall to (nearly) zero over a fixed number of steps removes that
    jitter without a second, early-stopped stage, so a fit costs a known number of steps."""
    initial = require_float("initial", initial, low=0.0, low_inclusive=False)
    steps = require_int("steps", steps, minimum=1)
    final_fraction = require_float("final_fraction", final_fraction, low=0.0, high=1.0)
    floor = final_fraction * initial

    def rate(step: int) -> float:
        t = min(max(step, 0), steps) / steps
        return floor + (initial - floor) * 0.5 * (1.0 + math.cos(math.pi * t))
    return rate
