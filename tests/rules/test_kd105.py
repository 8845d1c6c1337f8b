"""KD105 spatial-size-reaches-zero: edge cases beyond bad()/good()."""

import numpy as np
import pytest

from tests.rules.kd1_helpers import compiled, findings, sequential

pytestmark = pytest.mark.backend

X8 = np.zeros((4, 8, 8, 1), "float32")
Y = np.zeros((4,), "int64")


def _unbuilt(*layers):
    return compiled(sequential(*layers, inputs=None), loss="sparse_categorical_crossentropy")


def test_kernel_larger_than_the_image():
    from keras import layers

    model = _unbuilt(layers.Conv2D(8, 9, name="big"), layers.Flatten(), layers.Dense(10))
    (finding,) = findings(model, "KD105", X8, Y)
    assert finding.location.layer == "big"
    assert "input 8x8 -> 'big' nothing" in finding.message
    assert "input_shape=(None, 8, 8, 1)" in finding.message
    assert "padding='same', name='big'" in finding.fix


def test_strided_convolutions():
    from keras import layers

    model = _unbuilt(
        layers.Conv2D(8, 3, strides=4, name="s1"),
        layers.Conv2D(8, 3, strides=4, name="s2"),
        layers.Flatten(),
        layers.Dense(10),
    )
    (finding,) = findings(model, "KD105", X8, Y)
    assert finding.location.layer == "s2"
    assert "'s1' 2x2" in finding.message


def test_pooling_after_pooling():
    from keras import layers

    model = _unbuilt(
        layers.AveragePooling2D(4, name="p1"),
        layers.AveragePooling2D(4, name="p2"),
        layers.Flatten(),
        layers.Dense(10),
    )
    (finding,) = findings(model, "KD105", X8, Y)
    assert finding.location.layer == "p2"
    assert "remove AveragePooling2D 'p2'" in finding.fix
    assert "padding" not in finding.fix  # no Conv layer to pad


def test_one_dimensional_convolutions():
    from keras import layers

    model = _unbuilt(layers.Conv1D(8, 5, name="c1"), layers.MaxPooling1D(4, name="p1"))
    (finding,) = findings(model, "KD105", np.zeros((4, 6, 3), "float32"), Y)
    assert finding.location.layer == "p1"


def test_no_data_says_nothing():
    from keras import layers

    model = _unbuilt(layers.Conv2D(8, 9), layers.Flatten(), layers.Dense(10))
    assert findings(model, "KD105") == []


def test_other_shape_errors_are_not_this_rules():
    from keras import layers

    # A Conv2D fed 3-D data: a rank error, not an empty output.
    model = _unbuilt(layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(10))
    assert findings(model, "KD105", np.zeros((4, 28, 28), "float32"), Y) == []
    # A Reshape that does not fit: not a Conv/Pooling layer.
    model = _unbuilt(layers.Flatten(), layers.Dense(10), layers.Reshape((3, 3)))
    assert findings(model, "KD105", X8, Y) == []


def test_big_enough_images_are_clean():
    from keras import layers

    model = _unbuilt(
        layers.Conv2D(8, 3, name="c1"),
        layers.MaxPooling2D(2),
        layers.Conv2D(8, 3),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(10),
    )
    assert findings(model, "KD105", X8, Y) != []
    assert findings(model, "KD105", np.zeros((4, 32, 32, 1), "float32"), Y) == []
