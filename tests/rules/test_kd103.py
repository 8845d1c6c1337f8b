"""KD103 layer-after-output-activation: edge cases beyond bad()/good()."""

import pytest

from tests.rules.kd1_helpers import compiled, findings, sequential

pytestmark = pytest.mark.backend


@pytest.mark.parametrize(
    "after, loss",
    [
        ("BatchNormalization", "binary_crossentropy"),
        ("LayerNormalization", "binary_crossentropy"),
        ("GaussianNoise(0.1)", "binary_crossentropy"),
        ("GaussianDropout(0.2)", "binary_crossentropy"),
        ("AlphaDropout(0.2)", "binary_crossentropy"),
        ("Dropout(0.3)", "mse"),
    ],
)
def test_sigmoid_then_noise_or_normalisation_is_reported(after, loss):
    from keras import layers

    spoiler = eval(f"layers.{after}" + ("" if "(" in after else "()"))
    model = sequential(layers.Dense(1, activation="sigmoid", name="out"), spoiler)
    (finding,) = findings(compiled(model, loss=loss), "KD103")
    assert finding.severity == "error"
    assert "sigmoid" in finding.message and "'out'" in finding.message
    assert finding.location.layer == spoiler.name


def test_dropout_message_gives_the_scale():
    from keras import layers

    model = sequential(
        layers.Dense(10, activation="softmax", name="out"), layers.Dropout(0.2, name="drop")
    )
    (finding,) = findings(compiled(model), "KD103")
    assert "1/(1 - 0.2) = 1.25" in finding.message
    assert finding.fix.splitlines()[0].startswith("keras.layers.Dropout(0.2, name='drop')")


def test_softmax_layer_then_dropout_is_reported():
    from keras import layers

    model = sequential(
        layers.Dense(10, name="logits"),
        layers.Softmax(name="probs"),
        layers.Dropout(0.5, name="drop"),
    )
    (finding,) = findings(compiled(model), "KD103")
    assert "layer 'probs'" in finding.message
    assert "keras.layers.Softmax(name='probs')" in finding.fix


def test_normalisation_then_dropout_both_named():
    from keras import layers

    model = sequential(
        layers.Dense(10, activation="softmax", name="out"),
        layers.BatchNormalization(name="bn"),
        layers.Dropout(0.5, name="drop"),
    )
    (finding,) = findings(compiled(model), "KD103")
    assert "BatchNormalization 'bn', Dropout 'drop'" in finding.message
    assert finding.location.layer == "bn"


def test_linear_dense_after_softmax_classifier_is_reported():
    from keras import layers

    model = sequential(
        layers.Dense(10, activation="softmax", name="probs"), layers.Dense(10, name="out")
    )
    (finding,) = findings(compiled(model), "KD103")
    assert finding.location.layer == "out"


@pytest.mark.parametrize("loss", ["mse", "keras.losses.CategoricalCrossentropy(from_logits=True)"])
def test_dense_after_softmax_is_clean_without_a_probability_loss(loss):
    import keras  # noqa: F401  (for eval)
    from keras import layers

    model = sequential(layers.Dense(8, activation="softmax"), layers.Dense(10))
    assert findings(compiled(model, loss=eval(loss) if "(" in loss else loss), "KD103") == []


def test_sigmoid_hidden_layer_then_dense_regression_is_clean():
    from keras import layers

    model = sequential(
        layers.Dense(64, activation="sigmoid"),
        layers.BatchNormalization(),
        layers.Dense(1),
    )
    assert findings(compiled(model, loss="mse"), "KD103") == []
    model = sequential(layers.Dense(64, activation="sigmoid"), layers.Dense(10))
    assert findings(compiled(model), "KD103") == []


@pytest.mark.parametrize("after", ["Reshape((10, 1))", "Flatten()", "ActivityRegularization()"])
def test_shape_only_layers_after_softmax_are_clean(after):
    from keras import layers

    model = sequential(layers.Dense(10, activation="softmax"), eval(f"layers.{after}"))
    assert findings(compiled(model), "KD103") == []


def test_lambda_after_softmax_is_not_judged():
    from keras import layers

    model = sequential(layers.Dense(10, activation="softmax"), layers.Lambda(lambda t: t * 1.0))
    assert findings(compiled(model), "KD103") == []


def test_multi_output_reports_only_the_broken_head():
    import keras
    from keras import layers

    inputs = keras.Input((20,))
    hidden = layers.Dense(32, activation="relu")(inputs)
    a = layers.Dropout(0.5, name="a_drop")(layers.Dense(3, activation="softmax", name="a")(hidden))
    b = layers.Dense(1, activation="sigmoid", name="b")(layers.Dropout(0.5)(hidden))
    model = keras.Model(inputs, {"kind": a, "flag": b})
    model.compile(
        optimizer="adam", loss={"kind": "categorical_crossentropy", "flag": "binary_crossentropy"}
    )
    (finding,) = findings(model, "KD103")
    assert finding.location.layer == "a_drop" and "Output 'kind'" in finding.message
