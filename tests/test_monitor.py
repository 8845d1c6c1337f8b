"""The Monitor on real (tiny) training runs: the seed cases, healthy runs, and its promises."""

import math
import random
import threading

import numpy as np
import pytest

import kerasdoctor
from kerasdoctor.monitor import Monitor

pytestmark = pytest.mark.backend


def _keras():
    import keras

    return keras


def _learnable(n=1000, seed=0):
    """A learnable 10-class problem (seed cases G and N2)."""
    keras = _keras()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 20)).astype("float32")
    y = keras.utils.to_categorical(np.argmax(x @ rng.standard_normal((20, 10)), axis=1), 10)
    return x, y


def _mlp(optimizer, hidden_activation=None):
    keras = _keras()
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation=hidden_activation),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _exploding_regression(n=512):
    """SGD with a learning rate far too high on a regression: the loss goes to Inf, then NaN."""
    keras = _keras()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 20)).astype("float32")
    y = x @ rng.standard_normal(20) * 10
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((20,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    return model, x, y


def _fit(model, x, y, monitor, **kwargs):
    kwargs.setdefault("verbose", 0)
    return model.fit(x, y, callbacks=[monitor], **kwargs)


def _codes(monitor):
    return set(monitor.report.codes)


def _alarms(monitor):
    return [f for f in monitor.report if f.severity in ("error", "warning")]


# --------------------------------------------------------------------------------------------
# promises: same training, report once, reset, never break fit
# --------------------------------------------------------------------------------------------


def _same_run(with_monitor: bool, **fit_kwargs):
    keras = _keras()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((192, 12)).astype("float32")
    y = (x[:, :3].sum(axis=1) > 0).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((12,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(8, activation="tanh"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    spe = fit_kwargs.pop("steps_per_execution", 1)
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=spe,
    )
    callbacks = (
        [Monitor(every=2, data=(x, y), verbose=0, max_overhead=None)] if with_monitor else []
    )
    history = model.fit(
        x,
        y,
        batch_size=16,
        epochs=3,
        validation_split=0.25,
        verbose=0,
        callbacks=callbacks,
        **fit_kwargs,
    )
    return [w.copy() for w in model.get_weights()], history.history, callbacks


def test_same_seed_same_weights_and_history_with_and_without_monitor():
    weights, history, _ = _same_run(False)
    weights_m, history_m, (monitor,) = _same_run(True)
    assert history == history_m
    assert all(np.array_equal(a, b) for a, b in zip(weights, weights_m, strict=True))
    trace = monitor.trace()
    assert trace.updates and trace.units, "the Monitor measured nothing, so it proved nothing"
    assert len(trace.epoch_logs) == 3 and "val_loss" in trace.epoch_logs[0]


def test_same_weights_with_steps_per_execution():
    keras = _keras()
    if keras.backend.backend() == "torch":
        pytest.skip("the PyTorch backend rejects steps_per_execution > 1")
    weights, history, _ = _same_run(False, steps_per_execution=3)
    weights_m, history_m, (monitor,) = _same_run(True, steps_per_execution=3)
    assert history == history_m
    assert all(np.array_equal(a, b) for a, b in zip(weights, weights_m, strict=True))
    trace = monitor.trace()
    # 144 training samples / 16 = 9 steps per epoch, logged every 3 steps
    assert trace.batch_steps[:3] == (3, 6, 9)
    # the per-interval losses average back to the epoch loss
    first_epoch = [v for v, e in zip(trace.losses, trace.batch_epochs, strict=True) if e == 0]
    assert np.mean(first_epoch) == pytest.approx(trace.epoch_logs[0]["loss"], rel=1e-5)


def test_per_batch_losses_are_recovered_from_running_means():
    x, y = _learnable(256)
    model = _mlp("adam", "relu")
    monitor = Monitor(verbose=0)
    history = _fit(model, x, y, monitor, epochs=2, batch_size=32)
    trace = monitor.trace()
    assert trace.batch_steps == tuple(range(1, 17))
    for epoch in range(2):
        losses = [v for v, e in zip(trace.losses, trace.batch_epochs, strict=True) if e == epoch]
        assert len(losses) == 8
        assert np.mean(losses) == pytest.approx(history.history["loss"][epoch], rel=1e-5)


def test_each_finding_is_reported_once_and_printed(capsys):
    x, y = _learnable(640)
    model = _mlp(_keras().optimizers.Ftrl())
    emitted = []
    monitor = Monitor(emit=emitted.append)
    _fit(model, x, y, monitor, epochs=4)  # KD404 holds at epochs 3 and 4: reported once
    codes = [f.code for report in emitted for f in report]
    assert codes.count("KD404") == 1
    assert sorted(codes) == sorted(monitor.report.codes)
    assert not capsys.readouterr().out  # `emit` replaces printing

    _fit(_mlp(_keras().optimizers.Ftrl()), x, y, Monitor(), epochs=4)
    out = capsys.readouterr().out
    assert out.count("KD404 warning loss-stuck-at-chance") == 1
    assert "Ftrl optimizer" in out and "docs: kerasdoctor rule KD404" in out


def test_state_is_reset_on_train_begin():
    x, y = _learnable(256)
    model = _mlp(_keras().optimizers.SGD(learning_rate=10.0), "relu")
    monitor = Monitor(verbose=0)
    _fit(model, x, y, monitor, epochs=1)
    first = monitor.trace()
    model2 = _mlp("adam", "relu")
    _fit(model2, x, y, monitor, epochs=1)
    second = monitor.trace()
    assert len(second.epoch_logs) == 1 and second.batch_steps[0] == 1
    assert second.losses != first.losses
    assert not _alarms(monitor)


def test_stop_on_error_stops_training():
    model, x, y = _exploding_regression()
    monitor = Monitor(verbose=0, stop_on_error=True)
    history = _fit(model, x, y, monitor, epochs=6)
    assert monitor.report.errors
    assert len(history.history["loss"]) < 6


def test_default_only_reports():
    model, x, y = _exploding_regression()
    monitor = Monitor(verbose=0)
    history = _fit(model, x, y, monitor, epochs=3)
    assert monitor.report.errors and len(history.history["loss"]) == 3
    (nan,) = [f for f in monitor.report if f.code == "KD401"]
    assert nan.evidence["epoch"] == 1 and "diverged first" in nan.message


def test_validation_data_and_select_and_ignore():
    monitor = Monitor(verbose=0, select=["KD"], ignore=["KD402"])
    model, x, y = _exploding_regression()
    _fit(model, x[:384], y[:384], monitor, epochs=2, validation_data=(x[384:], y[384:]))
    assert "val_loss" in monitor.trace().epoch_logs[-1]
    assert _codes(monitor) == {"KD401"}  # never the model rules (KD1-KD3)
    ignored = Monitor(verbose=0, ignore=["KD401"])
    model, x, y = _exploding_regression()
    _fit(model, x, y, ignored, epochs=1)
    assert "KD401" not in _codes(ignored)


def test_a_failing_measurement_never_breaks_fit():
    keras = _keras()

    class Tiny(keras.Model):  # subclassed: no graph, so no unit statistics
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(8, activation="relu")
            self.out = keras.layers.Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

    x = np.random.default_rng(0).standard_normal((64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = Tiny()
    model.compile(optimizer="adam", loss="mse")
    monitor = Monitor(verbose=0, data=(x, y), every=2, max_overhead=None)
    history = _fit(model, x, y, monitor, epochs=2, batch_size=16)
    assert len(history.history["loss"]) == 2
    assert all(f.severity == "info" for f in monitor.report)


def test_batch_ends_out_of_order_from_threads():
    """On JAX and PyTorch batch ends run on worker threads and may arrive out of order."""
    monitor = Monitor(verbose=0)
    monitor.set_params({"epochs": 1, "steps": 40, "verbose": 0})
    monitor._reset()
    monitor.on_epoch_begin(0)
    losses = [2.0 + math.sin(i) for i in range(40)]
    means = np.cumsum(losses) / np.arange(1, 41)
    order = list(range(40))
    random.Random(0).shuffle(order)

    def send(batch):
        monitor.on_train_batch_end(batch, {"loss": float(means[batch])})

    threads = [threading.Thread(target=send, args=(b,)) for b in order]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monitor.on_epoch_end(0, {"loss": float(means[-1])})
    trace = monitor.trace()
    assert trace.batch_steps == tuple(range(1, 41))
    assert trace.losses == pytest.approx(losses, rel=1e-9)


# --------------------------------------------------------------------------------------------
# the seed cases
# --------------------------------------------------------------------------------------------


def test_seed_g_ftrl_barely_learns():
    x, y = _learnable()
    model = _mlp(_keras().optimizers.Ftrl())
    monitor = Monitor(verbose=0)
    _fit(model, x, y, monitor, epochs=4)
    (finding,) = [f for f in monitor.report if f.code == "KD404"]
    assert "Ftrl" in finding.message and "Adam" in finding.fix


def test_seed_h_overfitting_onset_within_two_epochs_of_the_minimum():
    keras = _keras()
    keras.utils.set_random_seed(0)
    x = np.random.rand(100, 100)
    y = np.random.randint(0, 2, size=(100, 1))
    model = keras.Sequential(
        [
            keras.Input((100,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    monitor = Monitor(verbose=0)
    history = _fit(model, x, y, monitor, epochs=30, validation_split=0.2)
    val = history.history["val_loss"]
    (finding,) = [f for f in monitor.report if f.code == "KD406"]
    minimum = int(np.argmin(val)) + 1
    assert abs(finding.evidence["onset_epoch"] - minimum) <= 2, (minimum, finding.message)
    assert "restore_best_weights=True" in finding.fix and "Dropout" in finding.fix
    assert not [f for f in _alarms(monitor) if f.code != "KD406"]


def test_seed_n2_learning_rate_far_too_high():
    keras = _keras()
    x, y = _learnable()
    model = _mlp(keras.optimizers.SGD(learning_rate=10.0), "relu")
    monitor = Monitor(verbose=0)
    _fit(model, x, y, monitor, epochs=4)
    # TensorFlow: NaN (KD401); JAX and PyTorch: the saturated plateau (KD403)
    expected = "KD401" if keras.backend.backend() == "tensorflow" else "KD403"
    (finding,) = [f for f in monitor.report if f.code == expected]
    assert "the learning rate 10 is far too high for SGD" in finding.message
    assert "SGD(learning_rate=0.01)" in finding.fix


def _pixels(n=1000):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, size=n)
    templates = rng.normal(0, 1, size=(10, 28, 28))
    background = rng.uniform(0, 255, size=(n, 28, 28))
    x = np.clip(background * 0.7 + 40 * templates[labels] + 40, 0, 255).astype("uint8")
    return x, labels


def _pixel_mlp():
    keras = _keras()
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("with_data", [False, True], ids=["logs-only", "with-data"])
def test_seed_o_unscaled_pixels(with_data):
    x, y = _pixels()
    monitor = Monitor(verbose=0, data=(x, y) if with_data else None)
    _fit(_pixel_mlp(), x, y, monitor, epochs=5, validation_split=0.2)
    # stuck at ln 10 (TensorFlow) or on the saturated plateau (JAX, PyTorch)
    found = [f for f in monitor.report if f.code in ("KD403", "KD404")]
    assert found, monitor.report.to_text()
    assert "not scaled" in found[0].message
    if with_data:
        assert "values up to 255" in found[0].message and "/ 255.0" in found[0].fix


# --------------------------------------------------------------------------------------------
# healthy training raises no alarm
# --------------------------------------------------------------------------------------------


def test_seed_b_correct_setup_is_clean():
    keras = _keras()
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 3)),
            keras.layers.Conv2D(32, (3, 3)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.rand(100, 28, 28, 3)
    y = np.random.randint(0, 10, size=(100,))
    monitor = Monitor(verbose=0, data=(x, y), every=2, max_overhead=None)
    _fit(model, x, y, monitor, epochs=2)
    assert not _alarms(monitor), monitor.report.to_text()


def test_learnable_problem_is_clean():
    x, y = _learnable()
    model = _mlp("adam", "relu")
    monitor = Monitor(verbose=0, data=(x, y), every=10, max_overhead=None)
    _fit(model, x, y, monitor, epochs=5, validation_split=0.2)
    assert monitor.trace().updates and monitor.trace().units
    assert not _alarms(monitor), monitor.report.to_text()


def test_scaled_pixels_are_clean():
    x, y = _pixels()
    monitor = Monitor(verbose=0, data=(x / 255.0, y), every=25, max_overhead=None)
    _fit(_pixel_mlp(), x / 255.0, y, monitor, epochs=4, validation_split=0.2)
    assert not _alarms(monitor), monitor.report.to_text()


def test_monitor_is_exported_lazily():
    assert kerasdoctor.Monitor is Monitor


def test_watch_attaches_a_monitor_that_reports_training_findings():
    x, y = _learnable()
    emitted = []
    kerasdoctor.watch(emit=emitted.append)
    try:
        _mlp(_keras().optimizers.Ftrl()).fit(x, y, epochs=3, verbose=0)
    finally:
        kerasdoctor.unwatch()
    assert "KD404" in [f.code for report in emitted for f in report]
