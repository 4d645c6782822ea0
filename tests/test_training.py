"""Validation split and early stopping (with the best weights restored)."""

import numpy as np
import pytest

from helpers.training import EarlyStopping, build_optimizer, k_fold_splits, train_validation_split
from helpers.validation import ParameterError


def test_split_sizes_disjoint_and_complete():
    x = np.arange(200, dtype=np.float32).reshape(100, 2)
    train, val = train_validation_split(x, 0.2, seed=0)
    assert train.shape == (80, 2) and val.shape == (20, 2)
    rows = np.concatenate([train, val])[:, 0]
    assert sorted(rows.tolist()) == sorted(x[:, 0].tolist())


def test_split_is_random_but_reproducible():
    x = np.arange(200, dtype=np.float32).reshape(100, 2)
    a, b, c = (train_validation_split(x, 0.2, seed=s)[1] for s in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, x[:20]) and not np.array_equal(a, x[-20:])


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.001, -0.5, float("nan")])
def test_split_refuses_fractions_that_leave_a_side_empty(fraction):
    with pytest.raises(ParameterError, match="validation_fraction"):
        train_validation_split(np.zeros((100, 2)), fraction)


class FakeVariable:
    def __init__(self, value):
        self.value = np.array(value, dtype=float)

    def numpy(self):
        return self.value

    def assign(self, value):
        self.value = np.array(value, dtype=float)


class FakeModel:
    """Mimics what ProbFlow's fit loop does with callbacks."""

    def __init__(self):
        self.trainable_variables = [FakeVariable([0.0, 0.0]), FakeVariable(0.0)]
        self.training = False

    def stop_training(self):
        self.training = False

    def fit(self, epochs, callbacks):
        for c in callbacks:
            c.model = self
        self.training = True
        for c in callbacks:
            c.on_train_start()
        epoch = 0
        for epoch in range(1, epochs + 1):
            if not self.training:
                break
            for c in callbacks:
                c.on_epoch_start()
            for v in self.trainable_variables:  # a "training step": weights move every epoch
                v.assign(v.numpy() + 1.0)
            for c in callbacks:
                c.on_epoch_end()
        for c in callbacks:
            c.on_train_end()
        return epoch


def test_stops_after_patience_and_restores_the_best_weights():
    model = FakeModel()
    # validation loss, evaluated at the start and every 2 epochs: best (1.0) at epoch 6
    values = iter([9.0, 5.0, 3.0, 1.0, 2.0, 1.5, 4.0, 0.5, 0.1])
    es = EarlyStopping(lambda: next(values), every=2, patience=3)
    model.fit(epochs=100, callbacks=[es])
    assert es.epochs == [0, 2, 4, 6, 8, 10, 12]
    assert es.values == [9.0, 5.0, 3.0, 1.0, 2.0, 1.5, 4.0]
    assert (es.best_epoch, es.best_value, es.stopped_epoch) == (6, 1.0, 12)
    # weights rose by 1 per epoch; restored to their value after epoch 6
    np.testing.assert_array_equal(model.trainable_variables[0].numpy(), [6.0, 6.0])
    assert model.trainable_variables[1].numpy() == 6.0


def test_runs_all_epochs_while_improving_and_keeps_the_last_weights():
    model = FakeModel()
    values = iter(np.linspace(10, 1, 50))
    es = EarlyStopping(lambda: next(values), every=1, patience=2)
    model.fit(epochs=20, callbacks=[es])
    assert es.stopped_epoch == 20 and es.best_epoch == 20
    assert model.trainable_variables[1].numpy() == 20.0


def test_min_delta_and_non_finite_values_do_not_count_as_improvements():
    model = FakeModel()
    values = iter([2.0, 1.0, 0.999, np.nan, -np.inf, 0.5])
    es = EarlyStopping(lambda: next(values), every=1, patience=3, min_delta=0.01)
    model.fit(epochs=10, callbacks=[es])
    assert (es.best_epoch, es.stopped_epoch) == (1, 4)
    assert model.trainable_variables[1].numpy() == 1.0


def test_restores_the_initial_weights_when_nothing_is_finite():
    model = FakeModel()
    es = EarlyStopping(lambda: float("nan"), every=1, patience=2)
    model.fit(epochs=10, callbacks=[es])
    assert es.best_epoch == 0 and es.stopped_epoch == 1
    assert model.trainable_variables[1].numpy() == 0.0


def test_can_leave_the_last_weights():
    model = FakeModel()
    values = iter([1.0, 2.0, 3.0])
    es = EarlyStopping(lambda: next(values), every=1, patience=2, restore_best_weights=False)
    model.fit(epochs=10, callbacks=[es])
    assert es.best_epoch == 0 and es.stopped_epoch == 2
    assert model.trainable_variables[1].numpy() == 2.0


@pytest.mark.parametrize("kwargs, name", [({"every": 0}, "every"), ({"patience": 0}, "patience"),
                                          ({"min_delta": -1.0}, "min_delta")])
def test_bad_settings_are_refused(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        EarlyStopping(lambda: 0.0, **kwargs)
    with pytest.raises(ParameterError, match="callable"):
        EarlyStopping(3.0)


def _tiny_flow_model():
    from helpers.notebook_setup import quiet_tensorflow

    quiet_tensorflow()
    import probflow as pf
    import tensorflow as tf
    import tensorflow_probability as tfp

    class Gaussian(pf.Model):
        def __init__(self):
            self.loc = pf.DeterministicParameter([2], prior=None, initializer={"loc": lambda s: tf.zeros(s)})

        def __call__(self):
            return tfp.distributions.MultivariateNormalDiag(self.loc(), tf.ones(2))

    return Gaussian()


def test_works_inside_probflow_fit():
    """With a real ProbFlow model: it stops the fit and puts back the best weights."""
    from helpers.notebook_setup import seed_everything

    seed_everything(0)
    rng = np.random.default_rng(0)
    train = (rng.standard_normal((100, 2)) + 3.0).astype(np.float32)
    val = (rng.standard_normal((100, 2)) - 3.0).astype(np.float32)  # moving toward train hurts here
    model = _tiny_flow_model()
    seen = []

    def val_nll():
        seen.append(model.loc.posterior_mean().copy())
        return -float(np.mean(model().log_prob(val)))

    es = EarlyStopping(val_nll, every=5, patience=2)
    model.fit(train, batch_size=100, epochs=200, lr=0.2, callbacks=[es], eager=True)
    assert es.stopped_epoch == 10 and es.best_epoch == 0  # validation NLL only got worse
    np.testing.assert_allclose(model.loc.posterior_mean(), [0.0, 0.0])
    assert np.all(seen[-1] > 0.5)  # training did move the weights before they were restored


@pytest.mark.parametrize("prebuilt, traces", [(False, 2), (True, 1)])
def test_build_optimizer_makes_the_first_fit_trace_its_step_once(prebuilt, traces):
    x = (np.random.default_rng(0).standard_normal((50, 2)) + 2.0).astype(np.float32)
    model = _tiny_flow_model()
    if prebuilt:
        build_optimizer(model, x, 0.1)
    model.fit(x, batch_size=50, epochs=20, lr=0.1)
    assert model._train_fn.experimental_get_tracing_count() == traces
    assert np.all(model.loc.posterior_mean() > 1.0)  # and the fit still trains


def test_build_optimizer_refuses_bad_input():
    model = _tiny_flow_model()
    with pytest.raises(ParameterError, match="learning_rate"):
        build_optimizer(model, np.zeros((5, 2), np.float32), 0.0)
    with pytest.raises(ParameterError, match="x"):
        build_optimizer(model, np.full((5, 2), np.nan, np.float32), 0.1)


def test_k_fold_splits_put_every_row_in_exactly_one_validation_fold():
    x = np.arange(206, dtype="float32").reshape(103, 2)
    splits = k_fold_splits(x, 5, seed=3)
    assert len(splits) == 5
    sizes = sorted(len(val) for _, val in splits)
    assert sizes == [20, 20, 21, 21, 21]
    validation_rows = np.concatenate([val[:, 0] for _, val in splits])
    assert sorted(validation_rows.tolist()) == x[:, 0].tolist()
    for train, val in splits:
        assert len(train) + len(val) == len(x)
        assert not set(train[:, 0].tolist()) & set(val[:, 0].tolist())


def test_k_fold_splits_depend_on_the_seed_only():
    x = np.random.default_rng(0).normal(size=(50, 2)).astype("float32")
    a, b, c = (k_fold_splits(x, 4, seed=s)[0][1] for s in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("n_folds", [1, 0, 11, 2.5])
def test_k_fold_splits_reject_a_bad_number_of_folds(n_folds):
    with pytest.raises(ParameterError, match="n_folds"):
        k_fold_splits(np.zeros((10, 2)), n_folds)


def test_k_fold_splits_reject_non_finite_data():
    x = np.zeros((10, 2))
    x[3, 1] = np.nan
    with pytest.raises(ParameterError, match="x"):
        k_fold_splits(x, 2)


# --- TrainingLoop: model.fit's loss, optimizer and callbacks, compiled once per architecture ---------------------

def _gaussian_model_class():
    import probflow as pf
    import tensorflow as tf
    import tensorflow_probability as tfp

    class Gaussian(pf.Model):
        "A 2-D Gaussian density with a fixed offset (a non-trainable variable) and a prior on its location."

        def __init__(self, data, offset_type=None):
            self.loc = pf.DeterministicParameter([2], prior=pf.Normal(0.0, 10.0), initializer={"loc": tf.zeros})
            self.log_scale = pf.DeterministicParameter([2], initializer={"loc": tf.zeros})
            offset = np.asarray(data, "float32").mean(axis=0)
            self.offset = tf.constant(offset) if offset_type == "constant" else tf.Variable(offset, trainable=False)

        def __call__(self):
            scale = tf.exp(self.log_scale())
            return tfp.distributions.Independent(tfp.distributions.Normal(self.loc() + self.offset, scale), 1)

    return Gaussian


def _data(seed, n=200, shift=0.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, 2)) * [1.0, 3.0] + [shift, 2.0]).astype("float32")


def _values(model):
    return [v.numpy().copy() for v in model.trainable_variables]


def test_training_loop_matches_model_fit_and_traces_once():
    from helpers.notebook_setup import seed_everything
    from helpers.training import TrainingLoop

    Gaussian = _gaussian_model_class()
    x = _data(0)
    seed_everything(0)
    reference = Gaussian(x)
    build_optimizer(reference, x, 0.05)
    reference.fit(x, batch_size=len(x), epochs=35, lr=0.05)

    loop = TrainingLoop(lambda: Gaussian(x), learning_rate=0.05, steps_per_call=10)
    first, second = Gaussian(x), Gaussian(_data(1, n=150, shift=5.0))  # other data, other size: same trace
    loop.fit(first, x, steps=35)
    for mine, theirs in zip(_values(first), _values(reference)):
        np.testing.assert_array_equal(mine, theirs)
    assert first.get_elbo() == pytest.approx(float(-reference().log_prob(x).numpy().mean()
                                                   + reference.kl_loss().numpy() / len(x)), abs=1e-3)
    loop.fit(second, _data(1, n=150, shift=5.0), steps=35)
    assert loop.traces == 1
    np.testing.assert_allclose(second.offset.numpy(), [5.0, 2.0], atol=0.8)  # its own offset, untouched
    assert abs(second().mean().numpy()[0] - 5.0) < 0.5  # fitted to its own data
    for mine, theirs in zip(_values(first), _values(reference)):  # the first model was not disturbed
        np.testing.assert_array_equal(mine, theirs)


def test_training_loop_with_early_stopping_keeps_the_best_weights():
    from helpers.training import TrainingLoop

    Gaussian = _gaussian_model_class()
    x, val = _data(2), _data(3, n=50)
    loop = TrainingLoop(lambda: Gaussian(x), learning_rate=0.05, steps_per_call=5)
    model = Gaussian(x)
    stopper = EarlyStopping(lambda: loop.mean_nll(val), every=5, patience=3)
    loop.fit(model, x, steps=400, callbacks=[stopper])
    assert stopper.epochs[0] == 0 and stopper.stopped_epoch <= 400
    assert float(-model().log_prob(val).numpy().mean()) == pytest.approx(stopper.best_value, abs=1e-5)
    if stopper.stopped_epoch < 400:  # stopped early: patience checks without improvement after the best
        assert stopper.stopped_epoch == stopper.best_epoch + 3 * 5


def test_training_loop_refuses_other_architectures_constants_and_bad_data():
    from helpers.training import TrainingLoop

    Gaussian = _gaussian_model_class()
    x = _data(0)
    with pytest.raises(ParameterError, match="offset is a constant tensor"):
        TrainingLoop(lambda: Gaussian(x, offset_type="constant"), learning_rate=0.05)
    loop = TrainingLoop(lambda: Gaussian(x), learning_rate=0.05)
    with pytest.raises(ParameterError, match="offset is a constant tensor"):
        loop.fit(Gaussian(x, offset_type="constant"), x, steps=1)

    class Wider(Gaussian):
        pass

    with pytest.raises(ParameterError, match="does not have the architecture"):
        loop.fit(Wider(x), x, steps=1)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ParameterError, match="x has 1 row"):
        loop.fit(Gaussian(x), bad, steps=1)
    loop.fit(Gaussian(x), x, steps=1)
    with pytest.raises(ParameterError, match=r"compiled for points of shapes \(\(2,\),\) \(x, y\), got \(\(3,\),\)"):
        loop.fit(Gaussian(x), np.zeros((10, 3)), steps=1)
    with pytest.raises(ParameterError, match="learning_rate must be > 0.0"):
        TrainingLoop(lambda: Gaussian(x), learning_rate=0.0)


def test_training_loop_fits_a_conditional_model_like_model_fit():
    import probflow as pf
    import tensorflow as tf
    import tensorflow_probability as tfp

    from helpers.notebook_setup import seed_everything
    from helpers.training import TrainingLoop

    class Regression(pf.Model):
        "y | x ~ Normal(a x + b, exp(c x + d)): a heteroscedastic linear regression."

        def __init__(self):
            self.w = pf.DeterministicParameter([1, 2], initializer={"loc": tf.zeros})
            self.b = pf.DeterministicParameter([2], initializer={"loc": tf.zeros})

        def __call__(self, x):
            out = x @ self.w() + self.b()
            return tfp.distributions.Normal(out[:, 0], tf.exp(out[:, 1]))

    rng = np.random.default_rng(4)
    x = rng.uniform(-2, 2, size=(300, 1)).astype("float32")
    y = (1.5 * x[:, 0] + 0.5 + np.exp(0.3 * x[:, 0] - 1.0) * rng.normal(size=300)).astype("float32")
    seed_everything(0)
    reference = Regression()
    reference.fit(x, y, batch_size=len(x), epochs=40, lr=0.05)
    loop = TrainingLoop(Regression, learning_rate=0.05, steps_per_call=7)
    model = Regression()
    loop.fit(model, x, y, steps=40)
    for mine, theirs in zip(_values(model), _values(reference)):
        np.testing.assert_array_equal(mine, theirs)
    assert loop.mean_nll(x, y) == pytest.approx(float(-reference(x).log_prob(y).numpy().mean()), abs=1e-5)
    with pytest.raises(ParameterError, match="x and y must have as many rows, got 300 and 299"):
        loop.fit(model, x, y[:-1], steps=1)


def test_training_loop_pads_a_small_data_set_into_the_exact_full_batch_step():
    from helpers.notebook_setup import seed_everything
    from helpers.training import TrainingLoop

    Gaussian = _gaussian_model_class()
    x = _data(5, n=90)
    seed_everything(0)
    reference = Gaussian(x)
    build_optimizer(reference, x, 0.05)
    reference.fit(x, batch_size=len(x), epochs=23, lr=0.05)
    # 90 points in batches of 128: each step is model.fit's full-batch step, to the last bit, whatever the padding
    loop = TrainingLoop(lambda: Gaussian(x), learning_rate=0.05, batch_size=128, steps_per_call=10)
    model = Gaussian(x)
    loop.fit(model, x, steps=23)
    for mine, theirs in zip(_values(model), _values(reference)):
        np.testing.assert_array_equal(mine, theirs)
    val = _data(6, n=300)  # three chunks, the last one padded
    assert loop.mean_nll(val) == pytest.approx(float(-model().log_prob(val).numpy().mean()), abs=1e-5)


def test_training_loop_with_xla_compiles_once_for_every_data_size():
    from helpers.notebook_setup import seed_everything
    from helpers.training import TrainingLoop

    Gaussian = _gaussian_model_class()
    x = _data(5, n=90)
    loops = {jit: TrainingLoop(lambda: Gaussian(x), learning_rate=0.05, batch_size=128, steps_per_call=10,
                               jit_compile=jit) for jit in (False, True)}
    fitted = {}
    for jit, loop in loops.items():
        seed_everything(0)
        fitted[jit] = Gaussian(x)
        loop.fit(fitted[jit], x, steps=23)
    # XLA rounds differently; the location starts at its optimum (the data mean), where Adam's normalised steps
    # turn rounding into steps of up to the learning rate, so only the scale is compared closely
    np.testing.assert_allclose(_values(fitted[True])[1], _values(fitted[False])[1], atol=1e-4)
    np.testing.assert_allclose(_values(fitted[True])[0], _values(fitted[False])[0], atol=0.01)
    val = _data(6, n=300)
    assert loops[True].mean_nll(val) == pytest.approx(loops[False].mean_nll(val), abs=1e-3)
    loop = loops[True]
    for n in (40, 128, 129, 1000):  # smaller and larger than a batch: the same compiled loop
        loop.fit(Gaussian(x), _data(n, n=n), steps=12, seed=n)
        loop.mean_nll(_data(n + 1, n=n))
    assert loop.traces == 1


def test_training_loop_minibatches_follow_random_orders_of_the_points():
    from helpers.training import TrainingLoop

    Gaussian = _gaussian_model_class()
    x = _data(7, n=1000, shift=3.0)
    loop = TrainingLoop(lambda: Gaussian(x), learning_rate=0.05, batch_size=64, steps_per_call=7)
    seen = []
    loop._compile(loop._arrays(x, None))

    def recording(batches, weights, rates, n_total, n_steps):
        seen.append((batches[0].numpy()[:int(n_steps)], float(n_total), weights.numpy()))
        return compiled(batches, weights, rates, n_total, n_steps)

    compiled, loop._loop = loop._loop, recording
    first, second = Gaussian(x), Gaussian(x)
    loop.fit(first, x, steps=30, seed=1)
    rows = np.concatenate([b.reshape(-1, 2) for b, _, _ in seen])
    assert rows.shape == (30 * 64, 2) and all(n == 1000 for _, n, _ in seen)
    assert all((w == 1).all() for _, _, w in seen)  # no padding when the points fill the batches
    first_pass = rows[:960]  # 15 batches of 64 distinct points, then a new order starts at point 1000
    assert len(np.unique(first_pass, axis=0)) == 960
    assert len(np.unique(rows[:1000], axis=0)) == 1000
    assert not np.array_equal(first_pass[:64], x[:64])  # shuffled, not the data's own order
    seen.clear()
    loop.fit(second, x, steps=30, seed=1)  # the same seed: the same batches, the same fit
    np.testing.assert_array_equal(np.concatenate([b.reshape(-1, 2) for b, _, _ in seen]), rows)
    for a, b in zip(_values(first), _values(second)):
        np.testing.assert_array_equal(a, b)
    assert abs(first().mean().numpy()[0] - 3.0) < 0.5  # and it fits


def test_training_loop_takes_another_learning_rate_per_fit_without_compiling_again():
    """fit(..., learning_rate=r) is the fit of a loop built with r; the next fit is back at the loop's own rate."""
    from helpers.notebook_setup import seed_everything
    from helpers.training import TrainingLoop

    Gaussian = _gaussian_model_class()
    x = _data(8, n=120)
    fitted = {}
    for name, rate in (("own", 0.01), ("override", 0.05)):
        loop = TrainingLoop(lambda: Gaussian(x), learning_rate=rate, batch_size=128, steps_per_call=10)
        seed_everything(0)
        fitted[name] = Gaussian(x)
        loop.fit(fitted[name], x, steps=25)
    loop = TrainingLoop(lambda: Gaussian(x), learning_rate=0.01, batch_size=128, steps_per_call=10)
    seed_everything(0)
    model = Gaussian(x)
    loop.fit(model, x, steps=25, learning_rate=0.05)
    for mine, theirs in zip(_values(model), _values(fitted["override"])):
        np.testing.assert_array_equal(mine, theirs)
    seed_everything(0)
    model = Gaussian(x)
    loop.fit(model, x, steps=25)  # no override: the loop's own rate again
    for mine, theirs in zip(_values(model), _values(fitted["own"])):
        np.testing.assert_array_equal(mine, theirs)
    assert loop.traces == 1
    with pytest.raises(ParameterError, match="learning_rate must be > 0.0, got -1"):
        loop.fit(model, x, steps=5, learning_rate=-1)


def test_training_loop_follows_a_learning_rate_schedule_step_by_step():
    """A schedule gives every step its own step size inside the compiled loop: the fit equals one whose calls take
    one step each at the rate the schedule gives that step, and a constant schedule equals a constant rate."""
    from helpers.training import TrainingLoop, cosine_decay

    Gaussian = _gaussian_model_class()
    x = _data(11, n=300, shift=-2.0)
    schedule = cosine_decay(0.05, 20)
    loop = TrainingLoop(lambda: Gaussian(x), learning_rate=0.05, batch_size=128, steps_per_call=7)
    scheduled = Gaussian(x)
    loop.fit(scheduled, x, steps=20, seed=3, learning_rate=schedule)
    assert loop.traces == 1

    one_by_one = TrainingLoop(lambda: Gaussian(x), learning_rate=0.05, batch_size=128, steps_per_call=1)
    stepwise = Gaussian(x)  # every Gaussian starts at the same values (zeros)
    seen_rates = []

    def recording(batches, weights, rates, n_total, n_steps):
        seen_rates.append(float(rates[0]))
        return compiled(batches, weights, rates, n_total, n_steps)

    one_by_one._compile(one_by_one._arrays(x, None))
    compiled, one_by_one._loop = one_by_one._loop, recording
    one_by_one.fit(stepwise, x, steps=20, seed=3, learning_rate=schedule)
    np.testing.assert_allclose(seen_rates, [schedule(i) for i in range(20)], rtol=1e-6)
    for a, b in zip(_values(scheduled), _values(stepwise)):  # 7 steps per call or 1: the same steps
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert seen_rates[0] == pytest.approx(0.05) and seen_rates[-1] < 0.001 and np.all(np.diff(seen_rates) < 0)

    constant, fixed = Gaussian(x), Gaussian(x)
    loop.fit(constant, x, steps=20, seed=3, learning_rate=lambda step: 0.05)
    loop.fit(fixed, x, steps=20, seed=3)
    for a, b in zip(_values(constant), _values(fixed)):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(_values(scheduled), _values(fixed)))


def test_a_schedule_that_gives_a_bad_step_size_stops_with_its_step():
    from helpers.training import TrainingLoop, cosine_decay

    Gaussian = _gaussian_model_class()
    x = _data(12, n=50)
    loop = TrainingLoop(lambda: Gaussian(x), learning_rate=0.05, batch_size=64, steps_per_call=5)
    with pytest.raises(ParameterError, match="finite step sizes > 0, got 0.0 at step 10"):
        loop.fit(Gaussian(x), x, steps=20, learning_rate=cosine_decay(0.05, 10))
    with pytest.raises(ParameterError, match="got nan at step 0"):
        loop.fit(Gaussian(x), x, steps=5, learning_rate=lambda step: float("nan"))


def test_cosine_decay_falls_from_its_initial_value_to_its_floor():
    from helpers.training import cosine_decay

    rate = cosine_decay(0.01, 100, final_fraction=0.1)
    assert rate(0) == pytest.approx(0.01) and rate(50) == pytest.approx(0.0055) and rate(100) == pytest.approx(0.001)
    assert rate(250) == pytest.approx(0.001)
    with pytest.raises(ParameterError, match="steps must be an integer >= 1, got 0"):
        cosine_decay(0.01, 0)
    with pytest.raises(ParameterError, match="final_fraction must be <= 1.0"):
        cosine_decay(0.01, 10, final_fraction=2)
