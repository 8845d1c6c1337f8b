"""KD102 dense-on-unflattened-input: edge cases beyond bad()/good()."""

import numpy as np
import pytest

from tests.rules.kd1_helpers import compiled, findings, sequential

pytestmark = pytest.mark.backend


def test_cnn_without_flatten_points_between_the_pooling_and_the_dense():
    from keras import layers

    model = sequential(
        layers.Conv2D(32, 3, activation="relu", name="conv"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Dropout(0.25, name="drop"),
        layers.Dense(128, activation="relu", name="fc"),
        layers.Dense(10, activation="softmax", name="out"),
        inputs=(28, 28, 1),
    )
    (finding,) = findings(compiled(model), "KD102")
    assert finding.location.layer == "fc"
    assert "(None, 13, 13, 32)" in finding.message
    assert "output.shape=(None, 13, 13, 10)" in finding.message
    assert "target.shape=(None, 10)" in finding.message  # one-hot targets for CCE
    assert "between 'drop' and 'fc'" in finding.fix
    assert "GlobalAveragePooling2D()" in finding.fix


def test_unbuilt_sequential_gets_its_shapes_from_the_data():
    from keras import layers

    model = compiled(
        sequential(
            layers.Dense(64, activation="relu", name="hidden"),
            layers.Dense(10, activation="softmax", name="out"),
            inputs=None,
        ),
        loss="sparse_categorical_crossentropy",
    )
    x = np.zeros((32, 28, 28), "float32")
    assert findings(model, "KD102") == []  # no data: shapes unknown, nothing said
    (finding,) = findings(model, "KD102", x, np.arange(32) % 10)
    assert finding.location.layer == "hidden"
    assert "output.shape=(None, 28, 10)" in finding.message


def test_binary_head_on_a_feature_map_is_reported():
    from keras import layers

    model = sequential(
        layers.Conv2D(8, 3, activation="relu"),
        layers.Dense(1, activation="sigmoid", name="out"),
        inputs=(16, 16, 3),
    )
    (finding,) = findings(compiled(model, loss="binary_crossentropy"), "KD102")
    assert finding.location.layer == "out"
    assert "target.shape=(None, 1)" in finding.message


@pytest.mark.parametrize("reducer", ["Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D"])
def test_flattened_or_pooled_is_clean(reducer):
    from keras import layers

    model = sequential(
        layers.Conv2D(8, 3, activation="relu"),
        getattr(layers, reducer)(),
        layers.Dense(10, activation="softmax"),
        inputs=(16, 16, 3),
    )
    assert findings(compiled(model), "KD102") == []


def test_regression_output_with_spatial_axes_is_clean():
    from keras import layers

    model = sequential(layers.Dense(1, name="out"), inputs=(28, 28))
    assert findings(compiled(model, loss="mse"), "KD102") == []


def test_sequence_tagging_with_rnn_is_clean():
    from keras import layers

    model = sequential(
        layers.LSTM(32, return_sequences=True),
        layers.Dense(5, activation="softmax"),
        inputs=(12, 8),
    )
    assert findings(compiled(model, loss="sparse_categorical_crossentropy"), "KD102") == []


def test_token_classification_with_embedding_is_clean():
    from keras import layers

    model = sequential(
        layers.Embedding(1000, 16),
        layers.Dense(5, activation="softmax"),
        inputs=(12,),
    )
    assert findings(compiled(model, loss="sparse_categorical_crossentropy"), "KD102") == []


def test_time_distributed_dense_is_clean():
    from keras import layers

    model = sequential(
        layers.TimeDistributed(layers.Dense(16, activation="relu")),
        layers.Dense(5, activation="softmax"),
        inputs=(12, 8),
    )
    assert findings(compiled(model), "KD102") == []


def test_segmentation_with_upsampling_is_clean():
    from keras import layers

    model = sequential(
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.UpSampling2D(2),
        layers.Dense(3, activation="softmax"),
        inputs=(16, 16, 3),
    )
    assert findings(compiled(model), "KD102") == []


def test_fully_convolutional_head_is_clean():
    from keras import layers

    model = sequential(
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.Conv2D(3, 1, activation="softmax"),
        inputs=(16, 16, 3),
    )
    assert findings(compiled(model), "KD102") == []


def test_per_position_targets_in_the_data_are_clean():
    from keras import layers

    model = sequential(layers.Dense(10, activation="softmax"), inputs=(28, 28))
    model = compiled(model, loss="sparse_categorical_crossentropy")
    x = np.zeros((32, 28, 28), "float32")
    assert findings(model, "KD102", x, np.zeros((32, 28), "int64")) == []
    assert len(findings(model, "KD102", x, np.zeros((32,), "int64"))) == 1


def test_deliberate_reshape_to_several_predictions_is_clean():
    # One softmax per character of a 5-character code: Dense -> Reshape -> Softmax.
    from keras import layers

    model = sequential(
        layers.Dense(5 * 36),
        layers.Reshape((5, 36)),
        layers.Softmax(),
        inputs=(64,),
    )
    assert findings(compiled(model), "KD102") == []

    model = sequential(layers.Reshape((8, 8)), layers.Dense(10, activation="softmax"), inputs=(64,))
    assert findings(compiled(model), "KD102") == []


def test_custom_layer_on_the_path_is_clean():
    import keras
    from keras import layers

    class Mixer(layers.Layer):
        def call(self, x):
            return x

    model = sequential(Mixer(), layers.Dense(10, activation="softmax"), inputs=(28, 28))
    assert findings(compiled(model), "KD102") == []
    assert keras  # imported for the layer base class


def test_multi_output_reports_only_the_classifier_head():
    import keras
    from keras import layers

    inputs = keras.Input((16, 16, 3))
    features = layers.Conv2D(8, 3, activation="relu", name="conv")(inputs)
    cls = layers.Dense(4, activation="softmax", name="cls")(features)
    reg = layers.Dense(1, name="reg")(layers.Flatten()(features))
    model = keras.Model(inputs, {"c": cls, "r": reg})
    model.compile(optimizer="adam", loss={"c": "categorical_crossentropy", "r": "mse"})
    (finding,) = findings(model, "KD102")
    assert finding.location.layer == "cls" and "Output 'c'" in finding.message
