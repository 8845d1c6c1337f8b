"""KD212 accuracy-with-regression-loss: metric spellings, outputs, losses and data."""

import numpy as np
import pytest

import kerasdoctor

pytestmark = pytest.mark.backend


def _model(metrics, loss="mse", activation=None, units=1):
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(units, activation=activation, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss=loss, metrics=metrics)
    return model


def _findings(model, x=None, y=None):
    return list(kerasdoctor.diagnose(model, x, y, select=["KD212"]).findings)


def test_mse_with_accuracy_is_reported_by_diagnose():
    report = kerasdoctor.diagnose(_model(["accuracy"]))
    (finding,) = [f for f in report.findings if f.code == "KD212"]
    assert str(finding.severity) == "warning"
    assert "Received: metrics=['accuracy'], loss='mse', activation='linear'" in finding.message
    assert "Assumed: the targets are continuous." in finding.message
    assert finding.fix == "metrics=['mae', keras.metrics.RootMeanSquaredError()]"
    assert finding.location.layer == "out"


def test_accuracy_really_is_meaningless_on_continuous_targets():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 8)).astype("float32")
    y = (x @ rng.standard_normal((8, 1))).astype("float32")
    model = _model(["accuracy"])
    history = model.fit(x, y, epochs=3, verbose=0).history
    assert max(history["accuracy"]) < 0.05
    assert len(_findings(model, x, y)) == 1


@pytest.mark.parametrize("spelling", ["accuracy", "acc", "ACC", "Accuracy()"])
def test_accuracy_spellings(spelling):
    import keras

    metric = keras.metrics.Accuracy() if spelling == "Accuracy()" else spelling
    assert len(_findings(_model([metric, "mae"]))) == 1


@pytest.mark.parametrize(
    "loss", ["mse", "mae", "huber", "log_cosh", "msle", "keras.losses.MeanSquaredError()"]
)
def test_every_regression_loss(loss):
    import keras

    if loss.startswith("keras."):
        loss = eval(loss, {"keras": keras})
    assert len(_findings(_model(["accuracy"], loss=loss))) == 1


def test_relu_output_is_reported():
    assert len(_findings(_model(["accuracy"], activation="relu"))) == 1


@pytest.mark.parametrize("activation", ["softmax", "sigmoid", "tanh"])
def test_probability_and_bounded_outputs_are_left_alone(activation):
    """softmax/sigmoid with mse is KD206's business (classification with the wrong loss)."""
    assert _findings(_model(["accuracy"], activation=activation, units=3)) == []


def test_regression_metrics_and_classification_losses_are_clean():
    import keras

    assert _findings(_model(["mae", keras.metrics.RootMeanSquaredError()])) == []
    assert _findings(_model(["accuracy"], loss="binary_crossentropy", activation="sigmoid")) == []


def test_integer_targets_may_have_a_meaningful_accuracy():
    x = np.zeros((16, 8), "float32")
    assert _findings(_model(["accuracy"]), x, np.zeros((16, 1), "int64")) == []
    assert len(_findings(_model(["accuracy"]), x, np.zeros((16, 1), "float32"))) == 1


def _two_heads(second_loss, second_activation, metrics):
    import keras

    inputs = keras.Input((8,))
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = {
        "price": keras.layers.Dense(1, name="reg")(hidden),
        "other": keras.layers.Dense(3, activation=second_activation, name="second")(hidden),
    }
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss={"price": "mse", "other": second_loss}, metrics=metrics)
    return model


def test_dict_metrics_on_mixed_outputs_are_not_reported():
    model = _two_heads(
        "categorical_crossentropy", "softmax", {"price": ["mae"], "other": ["accuracy"]}
    )
    assert _findings(model) == []


def test_dict_metrics_on_regression_outputs_are_reported():
    model = _two_heads("mae", None, {"price": ["accuracy"], "other": ["mae"]})
    (finding,) = _findings(model)
    assert "'price': loss='mse', activation='linear'" in finding.message
    assert "'other': loss='mae', activation='linear'" in finding.message
    assert finding.fix == "metrics={'price': ['mae'], 'other': ['mae']}"
    assert finding.location.layer is None
