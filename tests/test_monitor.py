"""The Monitor on real (tiny) training runs: the seed cases, healthy runs, and its promises.

The seed cases are re-expressed here as small in-test code (G: Ftrl barely learns; H:
overfitting; N2: SGD with learning_rate=10; O: unscaled pixels; B: a correct set-up). Models
are tiny and epochs few: these tests run on TensorFlow, JAX and PyTorch in CI.
"""

import dataclasses
import glob
import math
import os
import random
import threading

import numpy as np
import pytest

import kerasdoctor
from kerasdoctor import engine
from kerasdoctor.context import Context, Trace
from kerasdoctor.monitor import Monitor

backend = pytest.mark.backend


def _keras():
    import keras

    return keras


def _learnable(n=640, seed=0):
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


def _exploding_regression(n=256):
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


def _alarms(report):
    return [f for f in report if f.severity in ("error", "warning")]


def _one(report, code):
    found = [f for f in report if f.code == code]
    assert len(found) == 1, report.to_text()
    return found[0]


def _tensorboard_texts(log_dir):
    """{tag: [(step, text)]} of the text summaries in the event files under `log_dir`."""
    import tensorflow as tf

    texts = {}
    for path in glob.glob(os.path.join(log_dir, "**", "events.out.tfevents.*"), recursive=True):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "text":
                    text = tf.make_ndarray(value.tensor).item().decode()
                    texts.setdefault(value.tag, []).append((event.step, text))
    return texts


# --------------------------------------------------------------------------------------------
# promises: same training with and without the Monitor, on every backend
# --------------------------------------------------------------------------------------------


def _same_run(with_monitor: bool, steps_per_execution: int):
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
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    # every=2: weights are copied mid-epoch, where JAX keeps them outside the model (purged)
    monitor = Monitor(every=2, data=(x, y), verbose=0, max_overhead=None)
    history = model.fit(
        x,
        y,
        batch_size=16,
        epochs=3,
        validation_split=0.25,
        verbose=0,
        callbacks=[monitor] if with_monitor else [],
    )
    return [w.copy() for w in model.get_weights()], history.history, monitor


@backend
@pytest.mark.parametrize("steps_per_execution", [1, 3])
def test_same_seed_same_weights_and_history_with_and_without_monitor(steps_per_execution):
    keras = _keras()
    if steps_per_execution > 1 and keras.backend.backend() == "torch":
        pytest.skip("the PyTorch backend rejects steps_per_execution > 1")
    weights, history, _ = _same_run(False, steps_per_execution)
    weights_m, history_m, monitor = _same_run(True, steps_per_execution)
    assert history == history_m
    assert all(np.array_equal(a, b) for a, b in zip(weights, weights_m, strict=True))

    trace = monitor.trace  # plain data: what the HTML report plots
    assert isinstance(trace, Trace) and dataclasses.asdict(trace)
    assert trace.updates and trace.units, "the Monitor measured nothing, so it proved nothing"
    # the weights read mid-epoch were real (not JAX's purged placeholders)
    assert all(0 < r < 1 for u in trace.updates for r in u.ratios.values())
    assert trace.epoch_numbers == (0, 1, 2)
    assert [logs["val_loss"] for logs in trace.epoch_logs] == history["val_loss"]
    # 144 training samples / 16 = 9 steps per epoch, logged every `steps_per_execution` steps
    assert trace.batch_steps == tuple(range(steps_per_execution, 28, steps_per_execution))
    for epoch in range(3):  # the per-interval losses recovered from the running means
        losses = [v for v, e in zip(trace.losses, trace.batch_epochs, strict=True) if e == epoch]
        assert np.mean(losses) == pytest.approx(history["loss"][epoch], rel=1e-4)
    assert not _alarms(monitor.report), monitor.report.to_text()


@backend
def test_unit_statistics_are_paced_but_the_first_and_last_always_taken():
    """Many short epochs: the probe batch's unit statistics count against `max_overhead`
    (with no budget left, only before the first step and after the last); with no limit,
    after every epoch (and at the weight snapshots) too."""
    x, y = _learnable(n=96)
    steps = {}
    for budget in (0.0, None):
        model = _mlp("adam", hidden_activation="relu")
        monitor = Monitor(verbose=0, data=(x, y), max_overhead=budget)
        model.fit(x, y, batch_size=32, epochs=6, verbose=0, callbacks=[monitor])
        steps[budget] = sorted({u.step for u in monitor.trace.units})
    assert steps[0.0] == [0, 18]
    assert {0, 3, 6, 9, 12, 15, 18} <= set(steps[None])  # and at the snapshots


@backend
def test_unit_statistics_are_those_of_the_model_in_inference_mode():
    """Dead units counted on the probe batch through the model's own layers, inference mode
    (BatchNormalization's moving statistics, no Dropout): 5 of 16 ReLU units held dead by a
    bias of -1000, before the first step and after the last."""
    keras = _keras()
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((200, 8)).astype("float32") * 3 + 1
    y = (x[:, 0] > 1).astype("float32")
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.BatchNormalization(),
            hidden,
            keras.layers.Dropout(0.5),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    # units 0-4 dead; unit 5 reads feature 0 less 5: alive through BatchNormalization's
    # initial moving statistics (inference), dead through the batch's own (training)
    kernel = keras.ops.convert_to_numpy(hidden.kernel).copy()
    kernel[:, 5] = np.eye(8)[0]
    hidden.kernel.assign(kernel)
    hidden.bias.assign(np.array([-1000.0] * 5 + [-5.0] + [0.0] * 10, dtype="float32"))
    monitor = Monitor(verbose=0, data=(x, y))
    model.fit(x, y, batch_size=50, epochs=2, verbose=0, callbacks=[monitor])
    first, last = monitor.trace.units[0], monitor.trace.units[-1]
    assert (first.step, first.layer, first.units, first.dead) == (0, "hidden", 16, 5 / 16)
    assert (last.step, last.dead) == (8, 5 / 16)
    inference = keras.Model(model.inputs[0], hidden.output)
    outputs = keras.ops.convert_to_numpy(inference(x, training=False))
    assert last.dead == np.mean(np.all(outputs <= 0, axis=0))


@backend
def test_weight_samples_are_new_arrays_of_the_chosen_weights():
    """Whole values where no positions are given, else those flat positions; copies, so a
    later update of the variable (or JAX donating its buffer) leaves the sample as it was."""
    keras = _keras()
    from kerasdoctor.monitor import _take_samples

    big = keras.Variable(np.arange(24, dtype="float32").reshape(4, 6))
    small = keras.Variable(np.arange(3, dtype="float32"))
    index = keras.ops.convert_to_tensor(np.array([1, 7, 23], dtype="int32"))
    taken, copied = _take_samples([big.value, small.value], [index, None])
    big.assign(np.zeros((4, 6), dtype="float32"))
    small.assign(np.zeros(3, dtype="float32"))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(taken), [1, 7, 23])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(copied), [0, 1, 2])


# --------------------------------------------------------------------------------------------
# the seed cases
# --------------------------------------------------------------------------------------------


@backend
def test_seed_g_ftrl_flagged_by_the_probe_before_training_and_by_the_monitor(tmp_path):
    """Seed G under watch(probe=True), with a TensorBoard: the probe finds it before the first
    step (KD413), the Monitor during training (KD404, once), and TensorBoard shows it."""
    keras = _keras()
    x, y = _learnable()
    emitted = []
    kerasdoctor.watch(probe=True, emit=emitted.append, config=False)
    try:
        model = _mlp(keras.optimizers.Ftrl())
        board = keras.callbacks.TensorBoard(log_dir=str(tmp_path))
        model.fit(x, y, epochs=4, verbose=0, callbacks=[board])
    finally:
        kerasdoctor.unwatch()
    codes = [f.code for report in emitted for f in report]
    assert codes.count("KD413") == 1 and codes.count("KD404") == 1, codes
    assert codes.index("KD413") < codes.index("KD404")  # the probe ran before training
    probed = next(f for report in emitted for f in report if f.code == "KD413")
    assert "Ftrl" in probed.message and "Adam" in probed.fix
    assert probed.evidence["onset_epoch"] == 0  # before training
    found = next(f for report in emitted for f in report if f.code == "KD404")
    assert "Ftrl optimizer" in found.message and "Adam" in found.fix
    assert found.evidence["onset_epoch"] == 1
    texts = _tensorboard_texts(str(tmp_path / "kerasdoctor"))
    ((step, text),) = texts["kerasdoctor/KD404"]
    assert step in (3 * 20, 4 * 20) and "loss-stuck-at-chance" in text and "Ftrl" in text


@backend
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
    finding = _one(monitor.report, "KD406")
    minimum = int(np.argmin(val)) + 1  # 1-based, as Keras prints epochs
    assert abs(finding.evidence["onset_epoch"] - minimum) <= 2, (minimum, finding.message)
    assert "restore_best_weights=True" in finding.fix
    assert "Dropout" in finding.fix and "regularizers" in finding.fix
    assert not [f for f in _alarms(monitor.report) if f.code != "KD406"]
    assert monitor.trace.epoch_series("val_loss") == val


@backend
def test_seed_n2_learning_rate_far_too_high(capsys):
    keras = _keras()
    x, y = _learnable(1000 if keras.backend.backend() == "tensorflow" else 640)  # TF: NaN
    model = _mlp(keras.optimizers.SGD(learning_rate=10.0), "relu")
    monitor = Monitor()  # verbose: prints each finding once
    history = _fit(model, x, y, monitor, epochs=4)
    # TensorFlow: NaN (KD401); JAX and PyTorch: the saturated plateau (KD403)
    code = "KD401" if keras.backend.backend() == "tensorflow" else "KD403"
    finding = _one(monitor.report, code)
    assert "the learning rate 10 is far too high for SGD" in finding.message
    assert "SGD(learning_rate=0.01)" in finding.fix
    assert finding.evidence["onset_epoch"] >= 1
    assert len(history.history["loss"]) == 4  # by default the Monitor only reports
    out = capsys.readouterr().out
    assert out.count(f"{code} error") == 1 and f"docs: kerasdoctor rule {code}" in out

    monitor.set_model(_mlp("adam"))  # state is reset when training begins again
    monitor.on_train_begin()
    assert not monitor.report.findings and not monitor.trace.losses
    assert not monitor.trace.epoch_logs


def _pixels(n):
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


@backend
def test_seed_o_unscaled_pixels():
    # TensorFlow: 3 epochs of at least 50 steps at ln 10; JAX, PyTorch: 2 epochs on the plateau
    x, y = _pixels(700 if _keras().backend.backend() == "tensorflow" else 400)
    monitor = Monitor(verbose=0, data=(x, y))
    _fit(_pixel_mlp(), x, y, monitor, epochs=4, validation_split=0.2)
    # stuck at ln 10 (TensorFlow) or on the saturated plateau (JAX, PyTorch)
    found = [f for f in monitor.report if f.code in ("KD403", "KD404")]
    assert len(found) == 1, monitor.report.to_text()
    assert "values up to 255" in found[0].message and "/ 255.0" in found[0].fix
    assert found[0].evidence["onset_epoch"] in (1, 2)

    # From the logs alone (no `data`, as under watch()): the first batch's loss gives it away.
    trace = dataclasses.replace(monitor.trace, units=())
    report = engine.run(Context(model=monitor._facts, trace=trace), select=["KD4"])
    found = [f for f in report if f.code in ("KD403", "KD404")]
    assert len(found) == 1, report.to_text()
    assert "not scaled" in found[0].message and "/ 255.0" not in found[0].fix


# --------------------------------------------------------------------------------------------
# healthy training raises no alarm
# --------------------------------------------------------------------------------------------


@backend
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
    monitor = Monitor(verbose=0, data=(x, y), every=4, max_overhead=None)
    _fit(model, x, y, monitor, epochs=2)
    assert monitor.trace.updates
    assert not _alarms(monitor.report), monitor.report.to_text()


@backend
def test_scaled_pixels_are_clean():
    """Seed O fixed (pixels / 255): a healthy run, measured often, raises no alarm."""
    x, y = _pixels(400)
    x = x / 255.0
    monitor = Monitor(verbose=0, data=(x, y), every=4, max_overhead=None)
    _fit(_pixel_mlp(), x, y, monitor, epochs=3, validation_split=0.2)
    assert monitor.trace.updates and monitor.trace.units
    assert not _alarms(monitor.report), monitor.report.to_text()


# --------------------------------------------------------------------------------------------
# options: stop on error, select/ignore, validation_data, TensorBoard; never break fit()
# --------------------------------------------------------------------------------------------


@backend
def test_stop_on_error_select_ignore_and_a_tensorboard_in_the_same_fit(tmp_path):
    keras = _keras()
    model, x, y = _exploding_regression()
    monitor = Monitor(verbose=0, stop_on_error=True, select=["KD"], ignore=["KD402"])
    board = keras.callbacks.TensorBoard(log_dir=str(tmp_path))  # found by the Monitor itself
    history = model.fit(
        x[:192],
        y[:192],
        epochs=5,
        validation_data=(x[192:], y[192:]),
        verbose=0,
        callbacks=[board, monitor],
    )
    assert len(history.history["loss"]) < 5  # stopped
    assert set(monitor.report.codes) == {"KD401"}  # never KD1-KD3, never the ignored KD402
    finding = monitor.report.findings[0]
    assert finding.evidence["onset_epoch"] == 1 and finding.evidence["onset_step"] >= 1
    assert "val_loss" in monitor.trace.epoch_logs[-1]
    ((step, text),) = _tensorboard_texts(str(tmp_path / "kerasdoctor"))["kerasdoctor/KD401"]
    assert step >= finding.evidence["onset_step"] and "loss-not-finite" in text


@backend
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
    trace = monitor.trace
    assert trace.batch_steps == tuple(range(1, 41))
    assert trace.losses == pytest.approx(losses, rel=1e-9)


def test_arguments_are_checked_and_the_monitor_is_exported_lazily():
    assert kerasdoctor.Monitor is Monitor
    assert Monitor.async_safe is True
    with pytest.raises(ValueError, match="every"):
        Monitor(every=0)
    with pytest.raises(ValueError, match="Received: tensorboard=3"):
        Monitor(tensorboard=3)
    assert "Args:" in Monitor.__doc__ and "Example:" in Monitor.__doc__
