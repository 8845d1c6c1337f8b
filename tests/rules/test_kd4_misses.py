"""Training-rule misses of the corpus, as small synthetic traces: KD404 over a long flat
stretch of short epochs, KD408 on a dead ReLU output, KD410 as one finding, one finding for a
divergence that ends in NaN, and the Monitor's pieces behind them."""

import math
import warnings

import numpy as np
import pytest

from kerasdoctor import engine
from kerasdoctor.context import Context, Trace, UnitStats, UpdateRatios

NAN = float("nan")


def _model(*, units=1, activation="sigmoid", loss="binary_crossentropy", hidden=2, **compile):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((2,))]
        + [keras.layers.Dense(10, activation="sigmoid", name=f"dense_{i}") for i in range(hidden)]
        + [keras.layers.Dense(units, activation=activation, name="out")]
    )
    model.compile(loss=loss, metrics=["accuracy"], **compile)
    return model


def _ctx(model, **trace):
    return Context(model=Context.of(model).model, trace=Trace(**trace))


def _run(ctx, code):
    return [f for f in engine.run(ctx, select=[code]) if f.code == code]


# KD404: the steps of the whole flat stretch count ---------------------------------------------


def _xor(epochs, steps, first=0.70):
    """The corpus XOR program: ln 2 + 0.2% for every epoch, 8 steps each."""
    import keras

    logs = tuple({"loss": first if i == 0 else 0.6944, "accuracy": 0.46} for i in range(epochs))
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    return _ctx(model, epoch_logs=logs, steps_per_epoch=steps, losses=(0.71,))


def test_kd404_short_epochs_count_over_the_whole_flat_stretch():
    (finding,) = _run(_xor(40, 8), "KD404")
    assert finding.evidence["onset_epoch"] == 1 and "ln(2)" in finding.message


def test_kd404_short_epochs_need_enough_steps_in_all():
    assert not _run(_xor(3, 8), "KD404")  # 24 steps: a slow start, maybe
    assert not _run(_xor(20, 8), "KD404")  # 160 steps: the healthy XOR twin's slow start
    assert _run(_xor(32, 8), "KD404")  # 256 steps at ln 2 with no progress
    assert _run(_xor(3, 17), "KD404")  # long enough epochs: 3 of them (51 steps), as before


def test_kd404_flat_stretch_is_only_the_trailing_epochs_at_chance():
    """Epochs that learned, then fell back to chance: only the epochs at chance count."""
    learned = tuple({"loss": v} for v in (0.69, 0.45, 0.30, 0.25))
    for at_chance, reported in ((31, False), (32, True)):
        logs = learned + tuple({"loss": 0.6944} for _ in range(at_chance))
        found = _run(_ctx(_model(), epoch_logs=logs, steps_per_epoch=8), "KD404")
        assert bool(found) is reported
    assert found[0].evidence["onset_epoch"] == 5


def _five_sigmoid(losses, accuracy, steps=30, units=10):
    import keras

    model = _model(units=units, activation="softmax", loss="categorical_crossentropy")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.003),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    logs = tuple({"loss": v, "accuracy": a} for v, a in zip(losses, accuracy, strict=True))
    return _ctx(model, epoch_logs=logs, steps_per_epoch=steps, losses=(2.45,))


FIVE = (2.5065, 2.4631, 2.4318, 2.4084, 2.3904)  # the corpus program on TensorFlow


def test_kd404_one_class_all_along_while_the_loss_creeps_above_chance():
    (finding,) = _run(_five_sigmoid(FIVE, [0.10367] * 5), "KD404")
    assert "stayed at exactly 0.1037" in finding.message
    assert "predicts the same class for every sample" in finding.message
    assert finding.fix == "optimizer=keras.optimizers.Adam(learning_rate=0.001)"
    assert finding.evidence["onset_epoch"] == 1


def test_kd404_one_class_needs_the_same_accuracy_every_epoch_and_enough_steps():
    assert not _run(_five_sigmoid(FIVE, [0.10367] * 4 + [0.10400]), "KD404")  # it moved
    assert not _run(_five_sigmoid(FIVE, [0.10367] * 5, steps=8), "KD404")  # 40 steps
    assert not _run(_five_sigmoid(FIVE[:2], [0.10367] * 2), "KD404")  # 2 epochs
    assert not _run(_five_sigmoid(FIVE, [0.31] * 5), "KD404")  # above chance
    below = (2.41, 2.30, 2.20, 2.15, 2.12)  # under ln 10 - 5%: it learns something
    assert not _run(_five_sigmoid(below, [0.10367] * 5), "KD404")
    plateau = (14.4,) * 5  # the saturated plateau: KD403's
    assert not _run(_five_sigmoid(plateau, [0.10367] * 5), "KD404")
    logs = tuple({"loss": 0.75, "accuracy": 0.5} for _ in range(5))
    binary = _ctx(_model(), epoch_logs=logs, steps_per_epoch=30)
    assert not _run(binary, "KD404")  # binary: only the loss band (ln 2 +- 5%)


# KD408: a dead ReLU output unit ------------------------------------------------------------


def _units(layer, activation, units, dead):
    return tuple(
        UnitStats(step=s, epoch=max(e, 0), layer=layer, activation=activation, units=units, dead=d)
        for s, e, d in zip((0, 7, 14), (0, 0, 1), dead, strict=True)
    )


def test_kd408_dead_relu_output_unit_of_a_regression():
    model = _model(activation="relu", loss="mse")
    (finding,) = _run(_ctx(model, units=_units("out", "relu", 1, (0.0, 1.0, 1.0))), "KD408")
    assert finding.location.layer == "out" and finding.evidence["output"] is True
    assert "The output unit of layer 'out' is dead" in finding.message
    assert "Dead since step 7 (epoch 1)" in finding.message
    assert finding.fix.startswith("keras.layers.Dense(1, name='out')")


def test_kd408_dead_output_from_the_start_and_live_outputs():
    model = _model(activation="relu", loss="mse")
    (finding,) = _run(_ctx(model, units=_units("out", "relu", 1, (1.0, 1.0, 1.0))), "KD408")
    assert "from the start" in finding.message and "initialisation" in finding.message
    assert not _run(_ctx(model, units=_units("out", "relu", 1, (0.0, 0.0, 0.0))), "KD408")


def test_kd408_small_hidden_layers_are_still_skipped():
    model = _model(activation="relu", loss="mse")
    assert not _run(_ctx(model, units=_units("dense_0", "relu", 2, (1.0, 1.0, 1.0))), "KD408")


# KD410: one finding for many slow layers ---------------------------------------------------


def test_kd410_many_slow_layers_make_one_finding():
    names = [f"block_{i}" for i in range(31)]
    ratios = {**{name: 1e-8 * (i + 1) for i, name in enumerate(names)}, "head": 3e-3}
    updates = tuple(UpdateRatios(100 * (i + 1), i, 1, ratios) for i in range(3))
    ctx = Context(model=None, trace=Trace(updates=updates, losses=(2.3, 2.3)))
    (finding,) = _run(ctx, "KD410")
    assert list(finding.evidence["layers"]) == names
    assert finding.evidence["fastest_layer"] == "head"
    assert "The updates of 31 layers vanish ('block_0', 'block_1', 'block_2' and 28 more)" in (
        finding.message
    )
    assert finding.location.layer == "block_0"


def test_kd410_one_slow_layer_keeps_its_own_message():
    ratios = {"dense_0": 2e-8, "dense_1": 1e-3, "out": 3e-3}
    updates = tuple(UpdateRatios(100 * (i + 1), i, 1, ratios) for i in range(3))
    (finding,) = _run(_ctx(_model(), updates=updates, losses=(0.7, 0.69)), "KD410")
    assert finding.message.startswith("The updates of layer 'dense_0' vanish")
    assert finding.evidence["layers"] == {"dense_0": 2e-8}


# The Monitor's pieces ---------------------------------------------------------------------


def test_monitor_update_ratios_of_weights_holding_inf_warn_nothing():
    from kerasdoctor.monitor import Monitor

    monitor = Monitor(verbose=0, config=False)
    before = {"a": [np.array([np.inf, 1.0], "float32")], "b": [np.array([1.0, 2.0], "float32")]}
    after = {"a": [np.array([np.inf, 2.0], "float32")], "b": [np.array([1.0, 2.2], "float32")]}
    monitor._unread = [(4, 0, 2, before, after)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monitor._harvest()
    (measured,) = monitor._updates
    assert set(measured.ratios) == {"b"}  # no ratio for the layer holding Inf
    assert measured.ratios["b"] == pytest.approx(0.2 / math.sqrt(5) / 2)


def test_monitor_measures_relu_outputs_but_not_sigmoid_outputs():
    from kerasdoctor.monitor import _hidden_activation_layers

    relu = Context.of(_model(activation="relu", loss="mse")).model
    assert _hidden_activation_layers(relu) == [
        ("dense_0", "sigmoid"),
        ("dense_1", "sigmoid"),
        ("out", "relu"),
    ]
    sigmoid = Context.of(_model()).model
    assert [name for name, _ in _hidden_activation_layers(sigmoid)] == ["dense_0", "dense_1"]


def test_run_gives_the_monitor_a_probe_batch_only_from_what_it_can_reread():
    from kerasdoctor.hooks import _probe_data

    x, y = np.zeros((8, 2), "float32"), np.zeros((8, 1), "float32")
    data = _probe_data({"x": x, "y": y})
    assert data[0] is x and data[1] is y
    assert _probe_data({"x": {"a": x}, "y": [1] * 8})[1] is None  # a list of labels: x alone
    assert _probe_data({"x": (row for row in x), "y": None}) is None  # a generator: never
    assert _probe_data({"x": [x, [1, 2]], "y": y}) is None
    assert _probe_data({"x": None, "y": None}) is None


# KD401/KD402: one divergence that ends in NaN is one finding -------------------------------


def test_monitor_nan_arriving_before_the_batches_it_follows_is_not_also_a_divergence():
    """On JAX and PyTorch batch ends come from worker threads, out of order: the NaN batch's
    end may be the first to arrive after a run of huge finite losses. KD401 keeps the fault
    (it names the batch, and its cause the growth before it); KD402 stays silent."""
    from kerasdoctor.monitor import Monitor

    emitted = []
    monitor = Monitor(verbose=0, config=False, emit=emitted.append)
    monitor.set_params({"epochs": 1, "steps": 8, "verbose": 0})
    monitor._reset()
    monitor.on_epoch_begin(0)
    losses = [1.0, 50.0, 3e3, 2e5, 1e7, 8e8, math.inf, math.inf]
    means = np.cumsum(losses) / np.arange(1, 9)
    for batch in (0, 1, 2, 3, 6, 4, 5, 7):  # batch 6 (the first Inf) overtakes 4 and 5
        monitor.on_train_batch_end(batch, {"loss": float(means[batch])})
    monitor._check(True)
    codes = [f.code for report in emitted for f in report]
    assert codes == ["KD401"], codes
    (finding,) = monitor.report.findings
    assert finding.evidence["onset_step"] == 7


def test_kd402_alone_when_no_nan_follows():
    losses = (1.3, 2.9, 41.0, 380.0, 2.6e3, 9.1e3, 4.4e4, 1.2e5)
    ctx = Context(trace=Trace(losses=losses))
    assert [f.code for f in engine.run(ctx, select=["KD401", "KD402"])] == ["KD402"]
    ctx = Context(trace=Trace(losses=losses, first_nonfinite=(9, 0)))
    (finding,) = engine.run(ctx, select=["KD401", "KD402"])
    assert finding.code == "KD401" and "became NaN or Inf at step 9" in finding.message
    assert "the loss diverged first" in finding.message


def test_kd408_a_layer_hovering_near_its_initial_level_is_not_killed_by_training():
    model = _model(activation="relu", loss="mse", hidden=0)
    stats = _units("out", "relu", 32, (0.47, 0.53, 0.53))  # the corpus CNN's Dense, healthy
    hidden = tuple(UnitStats(s.step, s.epoch, "hidden", "relu", 32, s.dead) for s in stats)
    assert not _run(_ctx(model, units=hidden), "KD408")
    rose = _units("hidden", "relu", 32, (0.47, 0.70, 0.75))
    assert _run(_ctx(model, units=rose), "KD408")
    at_init = _units("hidden", "relu", 32, (0.55, 0.56, 0.56))  # dead from the start
    assert _run(_ctx(model, units=at_init), "KD408")


@pytest.mark.backend
def test_monitor_measures_updates_of_a_fit_shorter_than_every():
    """12 steps in all, under the default every=200: measured 8 times rather than never, so
    KD410/KD411 can speak about short fits (the corpus's four sigmoid layers: 160 steps)."""
    import keras

    from kerasdoctor.monitor import Monitor

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    monitor = Monitor(verbose=0, config=False)
    model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[monitor])
    assert monitor._measure_every == 1
    assert len(monitor.trace.updates) >= 3
    assert not monitor.report.at_least("warning"), monitor.report.to_text()


def test_kd408_a_layer_dead_at_init_that_dipped_and_came_back_is_hovering():
    model = _model(activation="relu", loss="mse", hidden=0)
    units = _units("hidden", "relu", 32, (0.56, 0.47, 0.53))  # the corpus CNN on JAX
    assert not _run(_ctx(model, units=units), "KD408")


def test_kd410_no_gradient_on_the_sampled_steps_while_the_loss_still_falls():
    """A contrastive (hinge) loss: batches whose pairs are all beyond the margin have an
    exactly zero gradient; the epoch loss still halves, so training has not stopped."""
    zero = {"sequential": 0.0}
    updates = tuple(UpdateRatios(6 * (i + 3), 1 + i // 3, 1, zero) for i in range(3))
    epochs = tuple({"loss": v} for v in (0.0015, 5.6e-4, 2.7e-4))
    ctx = Context(trace=Trace(updates=updates, epoch_logs=epochs, losses=(8e-4, 9e-4)))
    assert not _run(ctx, "KD410")
    flat = tuple({"loss": v} for v in (0.0015, 0.0015, 0.0015))
    ctx = Context(trace=Trace(updates=updates, epoch_logs=flat, losses=(8e-4, 9e-4)))
    assert _run(ctx, "KD410")
