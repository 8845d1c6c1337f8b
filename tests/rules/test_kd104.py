"""KD104 activation-before-softmax: edge cases beyond bad()/good()."""

import pytest

from tests.rules.kd1_helpers import compiled, findings, sequential

pytestmark = pytest.mark.backend


@pytest.mark.parametrize(
    "activation", ["ReLU()", "Activation('relu')", "LeakyReLU()", "Activation('tanh')"]
)
def test_activation_layer_between_dense_and_softmax_is_reported(activation):
    from keras import layers

    act = eval(f"layers.{activation}")
    model = sequential(layers.Dense(10, name="logits"), act, layers.Softmax(name="probs"))
    (finding,) = findings(compiled(model), "KD104")
    assert finding.location.layer == act.name
    assert f"remove {act.name!r}" in finding.fix
    assert "keras.layers.Dense(10, name='logits')" in finding.fix


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "softmax", "elu"])
def test_dense_activation_then_activation_softmax_is_reported(activation):
    from keras import layers

    model = sequential(
        layers.Dense(10, activation=activation, name="logits"),
        layers.Dropout(0.2),
        layers.Activation("softmax", name="probs"),
    )
    (finding,) = findings(compiled(model), "KD104")
    assert f"logits.activation={activation!r}" in finding.message
    assert "keras.layers.Activation('softmax', name='probs')" in finding.fix


@pytest.mark.parametrize("activation", ["linear", "log_softmax"])
def test_logits_or_log_softmax_before_softmax_is_clean(activation):
    from keras import layers

    model = sequential(layers.Dense(10, activation=activation), layers.Softmax())
    assert findings(compiled(model), "KD104") == []


def test_normalisation_between_is_walked_through():
    from keras import layers

    clean = sequential(layers.Dense(10), layers.BatchNormalization(), layers.Softmax())
    assert findings(compiled(clean), "KD104") == []
    bad = sequential(
        layers.Dense(10, activation="relu"), layers.BatchNormalization(), layers.Softmax()
    )
    assert len(findings(compiled(bad), "KD104")) == 1


def test_custom_activation_is_not_judged():
    from keras import layers

    def scaled(x):
        return 2.0 * x

    model = sequential(layers.Dense(10, activation=scaled), layers.Softmax())
    assert findings(compiled(model), "KD104") == []


def test_hidden_attention_softmax_is_clean():
    # Attention pooling: scores = Dense(1, tanh), weights = Softmax over time; not an output.
    import keras
    from keras import layers

    inputs = keras.Input((12, 8))
    scores = layers.Flatten()(layers.Dense(1, activation="tanh")(inputs))
    weights = layers.Softmax(name="attention")(scores)
    pooled = layers.Dot(axes=1)([weights, inputs])
    outputs = layers.Dense(3, activation="softmax")(pooled)
    model = compiled(keras.Model(inputs, outputs))
    assert findings(model, "KD104") == []


def test_functional_output_softmax_layer_is_reported():
    import keras
    from keras import layers

    inputs = keras.Input((20,))
    logits = layers.Dense(4, activation="relu", name="logits")(inputs)
    outputs = layers.Softmax(name="probs")(logits)
    model = compiled(
        keras.Model(inputs, {"cls": outputs}), loss={"cls": "categorical_crossentropy"}
    )
    (finding,) = findings(model, "KD104")
    assert "output 'cls'" in finding.message
