"""Edge cases of the training rules (KD401-KD415) on synthetic traces: thresholds, causes, silence."""

import math

import numpy as np

from kerasdoctor import engine
from kerasdoctor.context import Context, ProbeResults, Trace, UnitStats, UpdateRatios

# Synthetic traces and model facts only (no training): the same on every backend.
NAN = float("nan")


def _facts(
    optimizer="adam",
    loss="categorical_crossentropy",
    units=10,
    activation="softmax",
    hidden="relu",
    regularized=False,
    metrics=("accuracy",),
):
    import keras

    keras.utils.set_random_seed(0)
    regularizer = keras.regularizers.L2(0.01) if regularized else None
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(
                32, activation=hidden, kernel_regularizer=regularizer, name="hidden"
            ),
            keras.layers.Dense(units, activation=activation, name="out"),
        ]
    )
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def _ctx(model=None, x=None, y=None, **trace):
    base = Context.of(model, x, y) if model is not None else Context()
    return Context(model=base.model, data=base.data, trace=Trace(**trace))


def _run(ctx, code):
    return [f for f in engine.run(ctx, select=[code]) if f.code == code]


# KD401 ---------------------------------------------------------------------------------------


def test_kd401_names_nan_in_the_data_first():
    x = np.random.default_rng(0).standard_normal((64, 20)).astype("float32")
    x[5, 3] = np.nan
    ctx = _ctx(_facts("sgd"), x, None, losses=(2.3, 2.2, NAN))
    (finding,) = _run(ctx, "KD401")
    assert "inputs contain NaN" in finding.message and "first at row 5" in finding.message
    assert finding.evidence["step"] == 3


def test_kd401_custom_loss_takes_a_log_of_zero():
    import keras

    def my_loss(y_true, y_pred):
        return -keras.ops.mean(y_true * keras.ops.log(y_pred))

    model = _facts("adam", loss=my_loss)
    (finding,) = _run(_ctx(model, losses=(2.3, 2.1, 1.9, NAN)), "KD401")
    assert "custom loss my_loss" in finding.message and "clip" in finding.fix


def test_kd401_divergence_with_a_usual_learning_rate():
    (finding,) = _run(_ctx(_facts("sgd"), losses=(2.3, 40.0, 9e4, 3e9, math.inf)), "KD401")
    assert "became Inf" in finding.message and "diverged first" in finding.message
    assert "learning_rate=0.001" in finding.fix


def test_kd401_from_epoch_logs_alone():
    trace = dict(epoch_logs=({"loss": 2.1e13}, {"loss": 4.7e28}, {"loss": NAN}), steps_per_epoch=32)
    (finding,) = _run(_ctx(_facts(), **trace), "KD401")
    assert "step 65 (epoch 3)" in finding.message


def test_kd401_silent_on_finite_losses_even_huge():
    assert not _run(_ctx(_facts(), losses=(2.3, 1e30, 1e300)), "KD401")


# KD402 ---------------------------------------------------------------------------------------


def test_kd402_a_spike_that_recovers_is_not_divergence():
    losses = (2.3, 2.1, 900.0, 2.0, 1.9, 1.8, 1.7, 1.7)
    assert not _run(_ctx(_facts(), losses=losses), "KD402")


def test_kd402_is_silent_once_the_loss_is_nan():
    losses = (2.3, 400.0, 9e5, 8e9, 2e12, NAN)
    assert not _run(_ctx(_facts(), losses=losses), "KD402")


def test_kd402_threshold_is_a_parameter():
    ctx = _ctx(_facts(), losses=(1.0, 20.0, 30.0, 40.0, 50.0, 60.0))
    assert not _run(ctx, "KD402")
    assert engine.run(ctx, select=["KD402"], params={"KD402": {"growth": 10}}).findings


# KD403 ---------------------------------------------------------------------------------------


def test_kd403_without_accuracy_uses_the_chance_level():
    logs = ({"loss": 14.51}, {"loss": 14.53}, {"loss": 14.53})
    ctx = _ctx(_facts(metrics=()), epoch_logs=logs, losses=(14.6,))
    (finding,) = _run(ctx, "KD403")
    assert "times ln(10)" in finding.message and "not scaled" in finding.message


def test_kd403_unscaled_input_named_from_the_data():
    x = np.random.default_rng(0).integers(0, 256, (64, 20)).astype("uint8")
    logs = ({"loss": 14.5, "accuracy": 0.1}, {"loss": 14.51, "accuracy": 0.0998})
    (finding,) = _run(_ctx(_facts("sgd"), x, None, epoch_logs=logs, losses=(14.6,)), "KD403")
    assert "values up to 255" in finding.message and "/ 255.0" in finding.fix


def test_kd403_silent_for_a_learning_model_and_for_binary_at_chance():
    logs = ({"loss": 1.2, "accuracy": 0.6}, {"loss": 0.9, "accuracy": 0.7})
    assert not _run(_ctx(_facts(), epoch_logs=logs), "KD403")
    binary = _facts(loss="binary_crossentropy", units=1, activation="sigmoid")
    logs = ({"loss": 0.693, "accuracy": 0.5}, {"loss": 0.693, "accuracy": 0.5})
    assert not _run(_ctx(binary, epoch_logs=logs), "KD403")


# KD404 ---------------------------------------------------------------------------------------


def test_kd404_majority_rate_with_known_labels():
    y = np.array([0] * 80 + [1] * 10 + [2] * 10)
    onehot = np.eye(3)[y]
    model = _facts(units=3)
    x = np.random.default_rng(0).standard_normal((100, 20)).astype("float32")
    logs = tuple({"loss": v, "accuracy": 0.8} for v in (0.64, 0.639, 0.639, 0.638))
    ctx = _ctx(model, x, onehot, epoch_logs=logs, steps_per_epoch=50)
    assert _run(ctx, "KD404")  # the entropy of 80/10/10 is 0.639, far below ln 3 = 1.099
    assert not _run(_ctx(model, epoch_logs=logs, steps_per_epoch=50), "KD404")


def test_kd404_learning_rate_far_too_low():
    import keras

    logs = tuple({"loss": v} for v in (2.302, 2.301, 2.301))
    (finding,) = _run(
        _ctx(_facts(keras.optimizers.SGD(1e-5)), epoch_logs=logs, steps_per_epoch=100), "KD404"
    )
    assert "far too low" in finding.message and "learning_rate=0.01" in finding.fix


def test_kd404_needs_enough_steps_and_no_progress():
    logs = tuple({"loss": v} for v in (2.302, 2.301, 2.301))
    assert not _run(_ctx(_facts(), epoch_logs=logs, steps_per_epoch=10), "KD404")
    logs = tuple({"loss": v} for v in (2.30, 2.25, 2.19))
    assert not _run(_ctx(_facts(), epoch_logs=logs, steps_per_epoch=100), "KD404")


# KD405 ---------------------------------------------------------------------------------------


def test_kd405_noisy_but_converging_is_not_oscillation():
    losses = (1.2, 0.9, 1.05, 0.8, 0.92, 0.7, 0.8, 0.6)
    assert not _run(_ctx(_facts(), epoch_logs=tuple({"loss": v} for v in losses)), "KD405")


# KD406 ---------------------------------------------------------------------------------------


def _h_like(train, val, **extra):
    return tuple({"loss": t, "val_loss": v, **extra} for t, v in zip(train, val, strict=True))


def test_kd406_early_local_minimum_within_noise_is_not_reported():
    # seed H on TensorFlow: val_loss dips at epoch 3, rises 3.7%, then reaches its minimum at 8
    val = (0.6616, 0.6515, 0.6487, 0.658, 0.6725, 0.6692, 0.655, 0.6478)
    train = (0.7425, 0.6667, 0.6471, 0.6237, 0.6099, 0.5989, 0.5806, 0.5587)
    assert not _run(_ctx(_facts(), epoch_logs=_h_like(train, val)), "KD406")


def test_kd406_weight_penalties_use_the_accuracy_gap():
    model = _facts(regularized=True, loss="binary_crossentropy", units=1, activation="sigmoid")
    train = (3.1, 2.9, 2.8, 2.6, 2.4, 2.2, 2.0, 1.8)
    val = (2.97, 2.88, 2.8, 2.7, 2.55, 2.4, 2.3, 2.2)  # falls: the penalty shrinks
    acc = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.95)
    val_acc = (0.6, 0.6, 0.55, 0.55, 0.5, 0.55, 0.5, 0.55)
    logs = tuple(
        {"loss": t, "val_loss": v, "accuracy": a, "val_accuracy": va}
        for t, v, a, va in zip(train, val, acc, val_acc, strict=True)
    )
    (finding,) = _run(_ctx(model, epoch_logs=logs), "KD406")
    assert "training accuracy is 0.95" in finding.message and "EarlyStopping" in finding.fix
    # without penalties the validation loss trend decides, and it falls: no overfitting
    assert not _run(
        _ctx(_facts(loss="binary_crossentropy", units=1, activation="sigmoid"), epoch_logs=logs),
        "KD406",
    )


def test_kd406_needs_validation():
    logs = tuple({"loss": v} for v in (0.7, 0.6, 0.5, 0.4, 0.3))
    assert not _run(_ctx(_facts(), epoch_logs=logs), "KD406")


# KD407 ---------------------------------------------------------------------------------------


def test_kd407_not_at_or_above_chance():
    stuck = tuple({"loss": 2.30, "accuracy": 0.1} for _ in range(6))
    above = tuple({"loss": 12.1, "accuracy": 0.25} for _ in range(6))
    assert not _run(_ctx(_facts(), epoch_logs=stuck), "KD407")
    assert not _run(_ctx(_facts(), epoch_logs=above), "KD407")


# KD408-KD409 ---------------------------------------------------------------------------------


def test_kd408_dead_from_the_start_and_small_layers():
    dead = (
        UnitStats(0, 0, "hidden", "relu", 32, dead=0.7),
        UnitStats(50, 0, "hidden", "relu", 32, dead=0.75),
    )
    (finding,) = _run(_ctx(_facts(), units=dead), "KD408")
    assert "since initialisation" in finding.message
    tiny = (UnitStats(0, 0, "hidden", "relu", 3, dead=1.0),)
    assert not _run(_ctx(_facts(), units=tiny), "KD408")


def test_kd409_recovered_units_are_not_reported():
    stats = (
        UnitStats(0, 0, "hidden", "tanh", 32, saturated=0.8),
        UnitStats(100, 1, "hidden", "tanh", 32, saturated=0.2),
    )
    assert not _run(_ctx(_facts(hidden="tanh"), units=stats), "KD409")


# KD410-KD411 ---------------------------------------------------------------------------------


def _updates(*ratios):
    return tuple(UpdateRatios(100 * (i + 1), 0, 1, r) for i, r in enumerate(ratios))


def test_kd410_stopped_everywhere_is_one_finding():
    zero = {"hidden": 0.0, "out": 0.0}
    (finding,) = _run(
        _ctx(_facts(), updates=_updates(zero, zero, zero), losses=(2.4, 12.0)), "KD410"
    )
    assert "Training has stopped" in finding.message and "at all" in finding.message


def test_kd410_silent_once_converged_and_when_all_layers_are_healthy():
    slow = {"hidden": 1e-9, "out": 1e-9}
    converged = (2.4, 0.3, 0.2, 0.1, 0.1, 0.1)
    assert not _run(_ctx(_facts(), updates=_updates(slow, slow, slow), losses=converged), "KD410")
    fine = {"hidden": 2e-4, "out": 3e-3}
    assert not _run(_ctx(_facts(), updates=_updates(fine, fine, fine), losses=(2.4, 2.0)), "KD410")


def test_kd411_a_single_large_first_update_is_not_reported():
    ratios = ({"hidden": 3.0}, {"hidden": 0.01})
    assert not _run(_ctx(_facts(), updates=_updates(*ratios)), "KD411")


# KD412-KD415 ---------------------------------------------------------------------------------


def _probe(**kwargs):
    kwargs.setdefault("batch_size", 32)
    return ProbeResults(**kwargs)


def test_kd412_regression_threshold_and_logits_cause():
    mse = _probe(initial_loss=30.0, expected_loss=4.0, expected_basis="mean(y**2)")
    assert not _run(_ctx(_facts(loss="mse", units=1, activation="linear"), probe=mse), "KD412")
    logits = _facts(loss="binary_crossentropy", units=1, activation="linear")
    probe = _probe(
        initial_loss=5.1,
        expected_loss=math.log(2),
        expected_basis="ln(2)",
        loss_name="binary_crossentropy",
        input_absmax=3.0,
    )
    (finding,) = _run(_ctx(logits, probe=probe), "KD412")
    assert "from_logits=False" in finding.message
    assert "BinaryCrossentropy(from_logits=True)" in finding.fix


def test_kd413_nan_while_fitting_one_batch():
    import keras

    probe = _probe(fit_losses=(2.4, 35.0, 4e5, NAN))
    (finding,) = _run(_ctx(_facts(keras.optimizers.SGD(10.0)), probe=probe), "KD413")
    assert "far too high for SGD" in finding.message


def test_kd414_no_layer_updated():
    probe = _probe(checked_layers=("hidden", "out"), unchanged_layers=("hidden", "out"))
    (finding,) = _run(_ctx(_facts(), probe=probe), "KD414")
    assert finding.location.layer is None and "none of the 2" in finding.message


def test_kd415_identical_samples_are_skipped():
    probe = _probe(output_spread=None, output_scale=0.3)
    assert not _run(_ctx(_facts(), probe=probe), "KD415")


def test_every_training_finding_says_when_it_began():
    """`onset_epoch` (1-based; 0 = before training, the probes) and, for rules that see
    steps, `onset_step`: the HTML report marks them on the loss curves."""
    steps = {"KD401", "KD402", "KD408", "KD409", "KD410", "KD411", "KD412", "KD413", "KD414"}
    for rule in engine.selected(["KD4"]):
        found = [f for f in engine.run(engine.example_context(rule.bad), select=[rule.code])]
        assert found, rule.code
        for finding in found:
            onset = finding.evidence.get("onset_epoch")
            assert isinstance(onset, int) and onset >= 0, (rule.code, finding.evidence)
            if rule.code in steps:
                assert isinstance(finding.evidence.get("onset_step"), int), rule.code


def test_each_training_rules_good_example_is_clean_for_the_monitor():
    """The healthy counterpart of every training rule raises no alarm from the rules the
    Monitor runs (it checks its trace with exactly these)."""
    from kerasdoctor.monitor import Monitor

    monitor = Monitor(verbose=0, config=False)
    for rule in engine.selected(["KD4"]):
        report = engine.run(engine.example_context(rule.good), select=monitor.select)
        assert not report.at_least("warning"), f"{rule.code} good(): {report.to_text()}"
