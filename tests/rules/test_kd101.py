"""KD101 linear-layers-stacked: edge cases beyond bad()/good()."""

import pytest

from tests.rules.kd1_helpers import compiled, findings, layers_reported, sequential

pytestmark = pytest.mark.backend


def test_seed_case_g_hidden_dense_without_activation():
    from keras.layers import Dense
    from keras.models import Sequential

    model = Sequential([Dense(64), Dense(10, activation="softmax")])  # unbuilt, no Input
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    (finding,) = findings(model, "KD101")
    assert finding.location.layer == "dense"
    assert "'dense_1'" in finding.message and "units=64" in finding.message
    assert "activation='relu'" in finding.fix and "name='dense'" in finding.fix


def test_dropout_and_flatten_between_still_collapse():
    from keras import layers

    model = sequential(
        layers.Conv2D(32, 3, name="conv"),
        layers.Dropout(0.2, name="drop"),
        layers.Flatten(name="flat"),
        layers.Dense(10, activation="softmax", name="out"),
        inputs=(8, 8, 1),
    )
    (finding,) = findings(compiled(model), "KD101")
    assert finding.location.layer == "conv"
    assert "through Dropout 'drop' -> Flatten 'flat'" in finding.message
    assert finding.evidence["between"] == ["drop", "flat"]


def test_conv_after_linear_conv_is_reported():
    from keras import layers

    model = sequential(
        layers.Conv2D(16, 3, name="c1"),
        layers.Conv2D(16, 3, activation="relu", name="c2"),
        layers.GlobalAveragePooling2D(name="gap"),
        layers.Dense(10, activation="softmax", name="out"),
        inputs=(16, 16, 3),
    )
    (finding,) = findings(compiled(model), "KD101")
    assert finding.location.layer == "c1"
    assert "keras.layers.Conv2D(16, ..., activation='relu', name='c1')" in finding.fix


def test_functional_chain_is_reported():
    import keras
    from keras import layers

    inputs = keras.Input((20,))
    hidden = layers.Dense(32, name="proj")(inputs)
    outputs = layers.Dense(1, name="out")(layers.Dropout(0.1, name="drop")(hidden))
    model = compiled(keras.Model(inputs, outputs), loss="mse")
    assert layers_reported(model, "KD101") == ["proj"]


@pytest.mark.parametrize(
    "between",
    [
        "BatchNormalization",
        "LayerNormalization",
        "ReLU",
        "Activation('relu')",
        "Activation('tanh')",
        "LeakyReLU",
    ],
)
def test_anything_non_linear_or_normalising_between_is_clean(between):
    from keras import layers

    middle = eval(f"layers.{between}" + ("" if "(" in between else "()"))
    model = sequential(
        layers.Dense(64, name="hidden"), middle, layers.Dense(10, activation="softmax")
    )
    assert findings(compiled(model), "KD101") == []


def test_mobilenet_v2_linear_bottleneck_is_clean():
    from keras import layers

    model = sequential(
        layers.Conv2D(96, 1, activation="relu6", name="expand"),
        layers.DepthwiseConv2D(3, padding="same", activation="relu6", name="depthwise"),
        layers.Conv2D(24, 1, name="project"),  # linear on purpose
        layers.BatchNormalization(name="project_bn"),
        layers.Conv2D(144, 1, activation="relu6", name="next_expand"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(10, activation="softmax"),
        inputs=(32, 32, 24),
    )
    assert findings(compiled(model), "KD101") == []


def test_residual_add_and_concatenate_are_clean():
    import keras
    from keras import layers

    inputs = keras.Input((32,))
    projected = layers.Dense(32, name="proj")(inputs)
    added = layers.Add(name="add")([inputs, projected])
    linear = layers.Dense(16, name="branch")(added)
    merged = layers.Concatenate(name="cat")([linear, added])
    outputs = layers.Dense(10, activation="softmax", name="out")(merged)
    model = compiled(keras.Model(inputs, outputs))
    assert findings(model, "KD101") == []


def test_linear_autoencoder_bottleneck_is_clean():
    from keras import layers

    model = sequential(
        layers.Dense(2, name="code"), layers.Dense(784, name="decoded"), inputs=(784,)
    )
    assert findings(compiled(model, loss="mse"), "KD101") == []


def test_narrow_first_layer_with_unknown_input_width_is_clean():
    from keras import layers

    model = sequential(layers.Dense(4, name="narrow"), layers.Dense(10), inputs=None)
    assert findings(compiled(model), "KD101") == []


def test_gan_generator_stem_dense_reshape_conv_transpose_is_clean():
    # keras.io DCGAN: Dense(8*8*128) -> Reshape -> Conv2DTranspose -> LeakyReLU.
    from keras import layers

    model = sequential(
        layers.Dense(8 * 8 * 128, name="project"),
        layers.Reshape((8, 8, 128), name="reshape"),
        layers.Conv2DTranspose(128, 4, strides=2, padding="same", name="up"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(3, 5, padding="same", activation="sigmoid"),
        inputs=(128,),
    )
    assert findings(compiled(model, loss="mse"), "KD101") == []


def test_hand_written_separable_convolution_is_clean():
    from keras import layers

    model = sequential(
        layers.DepthwiseConv2D(3, padding="same", name="dw"),
        layers.Conv2D(64, 1, activation="relu", name="pw"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(10, activation="softmax"),
        inputs=(32, 32, 3),
    )
    assert findings(compiled(model), "KD101") == []


def test_linear_layer_that_is_also_an_output_or_has_two_consumers_is_clean():
    import keras
    from keras import layers

    inputs = keras.Input((20,))
    shared = layers.Dense(32, name="shared")(inputs)
    a = layers.Dense(10, activation="softmax", name="a")(shared)
    b = layers.Dense(1, name="b")(shared)
    model = keras.Model(inputs, [a, b])
    model.compile(optimizer="adam", loss=["categorical_crossentropy", "mse"])
    assert findings(model, "KD101") == []

    embedding = layers.Dense(32, name="embedding")(inputs)
    head = layers.Dense(10, activation="softmax", name="head")(embedding)
    model = keras.Model(inputs, [embedding, head])
    model.compile(optimizer="adam", loss=["mse", "categorical_crossentropy"])
    assert findings(model, "KD101") == []


def test_custom_activation_function_is_not_assumed_linear():
    from keras import layers, ops

    def my_act(x):
        return ops.maximum(x, 0.1 * x)

    model = sequential(layers.Dense(64, activation=my_act), layers.Dense(10))
    assert findings(compiled(model, loss="mse"), "KD101") == []
