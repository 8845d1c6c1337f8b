"""`kerasdoctor.probe()`: experiments on a clone, before training, that never touch the model."""

import dataclasses

import numpy as np
import pytest

import kerasdoctor
from kerasdoctor import engine
from kerasdoctor.context import Context, Trace
from kerasdoctor.probes import measure

backend = pytest.mark.backend


def _keras():
    import keras

    return keras


def _learnable(n=512):
    keras = _keras()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 20)).astype("float32")
    y = keras.utils.to_categorical(np.argmax(x @ rng.standard_normal((20, 10)), axis=1), 10)
    return x, y


def _mlp(optimizer, hidden="relu", dropout=False):
    keras = _keras()
    keras.utils.set_random_seed(0)
    layers = [keras.Input((20,)), keras.layers.Dense(64, activation=hidden)]
    if dropout:
        layers.append(keras.layers.Dropout(0.3))
    layers.append(keras.layers.Dense(10, activation="softmax"))
    model = keras.Sequential(layers)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _warnings(report):
    return [f for f in report if f.severity in ("error", "warning")]


@backend
def test_probe_never_touches_the_model_nor_the_random_state():
    keras = _keras()
    x, y = _learnable(256)

    def train(probe_first: bool):
        model = _mlp("adam", dropout=True)
        model.fit(x[:64], y[:64], epochs=1, verbose=0)  # optimizer state exists
        weights = [w.copy() for w in model.get_weights()]
        optimizer_state = [keras.ops.convert_to_numpy(v).copy() for v in model.optimizer.variables]
        if probe_first:
            report = kerasdoctor.probe(model, x, y)
            assert not _warnings(report), report.to_text()  # a healthy set-up: clean
            assert all(
                np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True)
            )
            after = [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]
            assert all(np.array_equal(a, b) for a, b in zip(optimizer_state, after, strict=True))
        history = model.fit(x, y, epochs=1, verbose=0)
        return model.get_weights(), history.history

    weights, history = train(False)
    weights_p, history_p = train(True)
    assert history == history_p
    assert all(np.array_equal(a, b) for a, b in zip(weights, weights_p, strict=True))


# Seed G (Ftrl) is probed under watch(probe=True) in test_monitor.py, on every backend.


def _report(model, x, y, results, select=("KD4",)):
    """What probe() reports, from results already measured (one probe instead of two)."""
    ctx = dataclasses.replace(Context.of(model, x, y), trace=Trace(probe=results))
    return engine.run(ctx, select=list(select))


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_healthy_setups_are_clean(optimizer):
    x, y = _learnable()
    report = kerasdoctor.probe(_mlp(optimizer), x, y)
    assert not _warnings(report), report.to_text()


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
    results = measure(model, x, y)
    assert results.initial_loss < 3 * np.log(10)
    report = _report(model, x, y, results)
    assert not _warnings(report), report.to_text()


def test_seed_o_unscaled_pixels():
    keras = _keras()
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, size=256)
    x = np.clip(rng.uniform(0, 255, size=(256, 28, 28)) * 0.7 + 40, 0, 255).astype("uint8")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    report = kerasdoctor.probe(model, x, labels)
    (finding,) = [f for f in report if f.code == "KD412"]
    assert "not scaled (values up to 218)" in finding.message and "/ 255.0" in finding.fix


def test_seed_n2_learning_rate_far_too_high():
    x, y = _learnable()
    report = kerasdoctor.probe(_mlp(_keras().optimizers.SGD(learning_rate=10.0)), x, y)
    (finding,) = [f for f in report if f.code == "KD413"]
    assert "far too high for SGD" in finding.message


def test_logits_with_probability_loss_give_a_high_initial_loss():
    keras = _keras()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 20)).astype("float32") * 3
    y = (x[:, 0] > 0).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((20,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=False))
    results = measure(model, x, y)
    assert results.expected_basis == "ln(2)"
    report = _report(model, x, y, results, select=["KD412"])
    if report.findings:  # depends on the initial weights: the loss is often, not always, off
        assert "from_logits=True" in report.findings[0].fix


def test_zero_initialised_kernels_make_the_output_ignore_the_input():
    keras = _keras()
    x, y = _learnable()
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(16, activation="relu", kernel_initializer="zeros", name="hidden"),
            keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    report = kerasdoctor.probe(model, x, y)
    assert "KD415" in report.codes


def test_a_layer_cut_off_from_the_loss_is_not_updated():
    keras = _keras()
    x, y = _learnable()
    inputs = keras.Input((20,))
    cut = keras.layers.Dense(16, activation="relu", name="cut")(inputs)
    cut = keras.layers.Lambda(keras.ops.stop_gradient, name="stop")(cut)
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    merged = keras.layers.Concatenate()([cut, hidden])
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax", name="out")(merged))
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    report = kerasdoctor.probe(model, x, y)
    (finding,) = [f for f in report if f.code == "KD414"]
    assert finding.location.layer == "cut"


def test_regression_expects_the_targets_mean_square():
    keras = _keras()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 8)).astype("float32")
    y = x @ rng.standard_normal(8) + 3.0
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    results = measure(model, x, y)
    assert results.expected_basis == "mean(y**2)"
    assert results.expected_loss == pytest.approx(np.mean(y[results_rows(256)] ** 2))
    report = _report(model, x, y, results)
    assert not _warnings(report), report.to_text()


def results_rows(n, k=32):
    return np.unique(np.linspace(0, n - 1, k).astype(np.int64))


def test_uncompiled_model_and_datasets_are_skipped():
    keras = _keras()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    assert measure(model, np.zeros((8, 4)), np.zeros(8)).skipped
    model.compile(optimizer="adam", loss="mse")
    assert measure(model, (row for row in range(3)), None).skipped
    assert not kerasdoctor.probe(model, (row for row in range(3))).findings


def test_kerasdoctor_run_probe(tmp_path, capsys):
    """`kerasdoctor run --probe`: each model is probed on a clone at fit(), before training."""
    from kerasdoctor import cli

    script = tmp_path / "train.py"
    script.write_text(
        "import numpy as np\n"
        "import keras\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.standard_normal((256, 20)).astype('float32')\n"
        "y = keras.utils.to_categorical(np.argmax(x @ rng.standard_normal((20, 10)), axis=1), 10)\n"
        "model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(64),\n"
        "                          keras.layers.Dense(10, activation='softmax')])\n"
        "model.compile(optimizer=keras.optimizers.Ftrl(), loss='categorical_crossentropy')\n"
        "model.fit(x, y, epochs=1, verbose=0)\n"
    )
    assert cli.main(["run", "--probe", "--dry-run", str(script)]) == 0
    err = capsys.readouterr().err
    assert "KD413 warning cannot-fit-one-batch" in err and "Ftrl" in err
