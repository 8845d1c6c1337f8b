"""KD301 input-shape-mismatch: each common cause, with its fix; silence where Keras adapts."""

import numpy as np
import pytest

from tests.rules.kd3_shapes_helpers import findings, model, rand

pytestmark = pytest.mark.backend


def _kd301(m, x, **kwargs):
    found = findings(m, x, np.zeros(len(x)), code="KD301", **kwargs)
    assert len(found) <= 1
    return found[0] if found else None


def _conv(inputs, **conv):
    from keras import layers

    return model(
        layers.Conv2D(4, 3, name="conv", **conv),
        layers.Flatten(name="flat"),
        layers.Dense(1, name="out"),
        inputs=inputs,
    )


def _case(finding):
    return finding.evidence["case"]


def test_grayscale_without_channel_axis_into_rgb_model():
    finding = _kd301(_conv((28, 28, 3)), rand(50, 28, 28))
    assert _case(finding) == "grayscale_into_rgb"
    assert "np.repeat(x[..., None], 3, axis=-1)" in finding.fix
    assert "keras.Input(shape=(28, 28, 1))" in finding.fix


def test_missing_channel_of_one_is_added_by_keras_silently():
    assert _kd301(_conv((28, 28, 1)), rand(50, 28, 28)) is None


def test_grayscale_channel_into_rgb_model():
    finding = _kd301(_conv((28, 28, 3)), rand(50, 28, 28, 1))
    assert "np.repeat(x, 3, axis=-1)" in finding.fix


def test_channels_first_into_channels_last_model():
    finding = _kd301(_conv((28, 28, 3)), rand(50, 3, 28, 28))
    assert _case(finding) == "channels_first_into_channels_last"
    assert "x = np.moveaxis(x, 1, -1)" in finding.fix
    assert "data_format='channels_first'" in finding.fix


def test_channels_last_into_channels_first_model():
    finding = _kd301(_conv((3, 28, 28), data_format="channels_first"), rand(50, 28, 28, 3))
    assert _case(finding) == "channels_last_into_channels_first"
    assert "x = np.moveaxis(x, -1, 1)" in finding.fix


def test_flattened_images_into_conv_model():
    finding = _kd301(_conv((28, 28, 1)), rand(50, 784))
    assert _case(finding) == "flattened_images"
    assert finding.fix == "x = x.reshape(-1, 28, 28, 1)"


def test_feature_count():
    from keras import layers

    finding = _kd301(model(layers.Dense(1, name="out"), inputs=(10,)), rand(50, 12))
    assert _case(finding) == "feature_count"
    assert "x.shape=(50, 12)" in finding.message and "(None, 10)" in finding.message
    assert "keras.Input(shape=(12,))" in finding.fix


def test_batch_size_written_into_the_input_shape():
    from keras import layers

    m = model(layers.Dense(1, name="out"), inputs=(32, 10))
    finding = _kd301(m, rand(50, 10), batch_size=32)
    assert _case(finding) == "batch_size_in_shape"
    assert "which is the batch size" in finding.message
    assert "keras.Input(shape=(10,))" in finding.fix
    guessed = _kd301(m, rand(50, 10))  # no batch_size given: 32 still reads as one
    assert _case(guessed) == "batch_size_in_shape" and "looks like" in guessed.message


def test_sequence_without_time_axis_into_rnn():
    from keras import layers

    m = model(layers.LSTM(4, name="lstm"), layers.Dense(1, name="out"), inputs=(None, 10))
    finding = _kd301(m, rand(50, 10))
    assert _case(finding) == "missing_time_axis"
    assert "x = x[:, None, :]" in finding.fix


def test_sequence_without_feature_axis_into_rnn():
    from keras import layers

    m = model(layers.LSTM(4, name="lstm"), layers.Dense(1, name="out"), inputs=(10, 5))
    assert _case(_kd301(m, rand(50, 10))) == "missing_feature_axis"


def test_the_silent_trailing_axis_is_kd302s():
    from keras import layers

    m = model(layers.LSTM(4, name="lstm"), layers.Dense(1, name="out"), inputs=(10, 1))
    assert _kd301(m, rand(50, 10)) is None


def test_extra_trailing_axis_of_one_is_squeezed_by_keras():
    from keras import layers

    assert _kd301(model(layers.Dense(1, name="out"), inputs=(10,)), rand(50, 10, 1)) is None


@pytest.mark.parametrize(
    ("first", "shape", "case", "fix"),
    [
        ("conv2d", (50, 28, 28), "missing_channel_axis", "x = x[..., None]"),
        ("conv2d", (50, 784), "flattened_images", "x = x.reshape(-1, 28, 28, 1)"),
        ("conv2d", (50, 3072), "flattened_images", "x = x.reshape(-1, 32, 32, 3)"),
        ("lstm", (50, 10), "missing_feature_axis", "x = x[..., None]"),
        ("conv1d", (50, 10), "missing_feature_axis", "x = x[:, None, :]"),
        ("dense", (50,), "missing_last_axis", "x = x[..., None]"),
    ],
)
def test_unbuilt_sequential_first_layer_rank(first, shape, case, fix):
    from keras import layers

    make = {
        "conv2d": lambda: layers.Conv2D(4, 3, name="first"),
        "lstm": lambda: layers.LSTM(4, name="first"),
        "conv1d": lambda: layers.Conv1D(4, 3, name="first"),
        "dense": lambda: layers.Dense(4, name="first"),
    }[first]
    rest = [layers.Flatten(name="flat")] if first in ("conv2d", "conv1d") else []
    m = model(make(), *rest, layers.Dense(1, name="out"))
    finding = _kd301(m, rand(*shape))
    assert _case(finding) == case
    assert fix in finding.fix
    assert finding.location.layer == "first"
    assert "first.input_spec=InputSpec(" in finding.message


def test_unbuilt_channels_first_images_train_silently():
    finding = _kd301(_conv(None), rand(50, 3, 28, 28))
    assert _case(finding) == "channels_first_silent"
    assert "x = np.moveaxis(x, 1, -1)" in finding.fix
    assert "(None, 1, 26, 4)" in finding.message


@pytest.mark.parametrize(
    "shape", [(50, 28, 28, 3), (50, 28, 28, 1), (50, 3, 4, 16), (50, 64, 64, 5)]
)
def test_unbuilt_channels_last_images_are_not_mistaken_for_channels_first(shape):
    assert _kd301(_conv(None), rand(*shape)) is None


def test_unbuilt_channels_first_layer_accepts_channels_first_images():
    assert _kd301(_conv(None, data_format="channels_first"), rand(50, 3, 28, 28)) is None


def test_multi_input_names_the_input():
    import keras

    a, b = keras.Input((5,), name="a"), keras.Input((3,), name="b")
    out = keras.layers.Dense(1, name="out")(keras.layers.Concatenate()([a, b]))
    m = keras.Model([a, b], out)
    m.compile(loss="mse")
    y = np.zeros(50)
    (finding,) = findings(m, {"a": rand(50, 5), "b": rand(50, 4)}, y, code="KD301")
    assert "x['b'].shape=(50, 4)" in finding.message and finding.location.layer == "b"
    (listed,) = findings(m, [rand(50, 5), rand(50, 4)], y, code="KD301")
    assert "x[1].shape=(50, 4)" in listed.message
    assert not findings(m, [rand(50, 5), rand(50, 3)], y, code="KD301")


def test_subclassed_models_are_not_checked():
    import keras

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    m = Net()
    m.compile(loss="mse")
    assert not findings(m, rand(50, 3, 28, 28), np.zeros(50), code="KD301")
