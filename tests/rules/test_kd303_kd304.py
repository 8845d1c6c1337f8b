"""KD303 integer-labels-with-categorical-loss and KD304 one-hot-labels-with-sparse-loss."""

import numpy as np
import pytest

from tests.rules.kd3_shapes_helpers import codes, findings, model, rand

pytestmark = pytest.mark.backend


def _classifier(loss, units=4):
    from keras import layers

    return model(layers.Dense(units, activation="softmax", name="out"), loss=loss, inputs=(5,))


def _labels(shape=(200,)):
    return (np.arange(200) % 4).reshape(shape)


@pytest.mark.parametrize("shape", [(200,), (200, 1)])
def test_integer_labels_of_both_shapes(shape):
    (finding,) = findings(_classifier("categorical_crossentropy"), rand(200, 5), _labels(shape))
    assert finding.code == "KD303"
    assert f"y.shape={shape}" in finding.message
    assert "keras.utils.to_categorical(y, 4)" in finding.fix


def test_float_integer_labels_are_class_ids_too():
    y = _labels().astype("float32")
    assert codes(_classifier("categorical_crossentropy"), rand(200, 5), y) == {"KD303"}


@pytest.mark.parametrize(
    ("loss", "twin"),
    [
        (
            "keras.losses.CategoricalCrossentropy(from_logits=True)",
            "keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
        ),
        ("categorical_focal_crossentropy", None),
    ],
)
def test_loss_objects_and_focal(loss, twin):
    import keras  # noqa: F401  (used by eval)

    (finding,) = findings(_classifier(eval(loss) if "(" in loss else loss), rand(200, 5), _labels())
    assert finding.code == "KD303"
    if twin:
        assert twin in finding.fix
    else:
        assert "sparse" not in finding.fix


def test_multi_output_uses_the_output_key():
    import keras

    inputs = keras.Input((5,), name="x")
    m = keras.Model(
        inputs,
        {
            "cls": keras.layers.Dense(4, activation="softmax", name="cls")(inputs),
            "reg": keras.layers.Dense(1, name="reg")(inputs),
        },
    )
    m.compile(loss={"cls": "categorical_crossentropy", "reg": "mse"})
    (finding,) = findings(m, rand(200, 5), {"cls": _labels(), "reg": rand(200, 1)})
    assert finding.code == "KD303"
    assert "y['cls']" in finding.message and "y['cls'] = keras.utils.to_categorical" in finding.fix
    assert "loss={'cls': 'sparse_categorical_crossentropy', ...}" in finding.fix


def test_one_hot_labels_with_sparse_loss():
    import keras

    y = keras.utils.to_categorical(_labels(), 4)
    (finding,) = findings(_classifier("sparse_categorical_crossentropy"), rand(200, 5), y)
    assert finding.code == "KD304"
    assert "y = y.argmax(axis=-1)" in finding.fix
    assert "loss='categorical_crossentropy'" in finding.fix


def test_label_smoothed_or_multi_hot_rows_are_not_one_hot():
    y = np.full((200, 4), 0.25, dtype="float32")
    assert "KD304" not in codes(_classifier("sparse_categorical_crossentropy"), rand(200, 5), y)


def test_correct_pairings_are_clean():
    import keras

    assert not codes(_classifier("sparse_categorical_crossentropy"), rand(200, 5), _labels())
    y = keras.utils.to_categorical(_labels(), 4)
    assert not codes(_classifier("categorical_crossentropy"), rand(200, 5), y)
