"""KD307 binary-labels-out-of-range, KD308 target-shape-mismatch, KD309 sample-count-mismatch."""

import numpy as np
import pytest

from tests.rules.kd3_shapes_helpers import codes, findings, model, rand

pytestmark = pytest.mark.backend


def _binary(units=1, activation="sigmoid"):
    from keras import layers

    return model(
        layers.Dense(units, activation=activation, name="out"),
        loss="binary_crossentropy",
        inputs=(5,),
    )


def _regression(units):
    from keras import layers

    return model(layers.Dense(units, name="out"), loss="mse", inputs=(5,))


@pytest.mark.parametrize(
    ("y", "fix"),
    [
        (np.arange(300) % 2 * 2 - 1, "y = (y == 1).astype('float32')  # 1 -> 1.0, -1 -> 0.0"),
        (np.arange(300) % 2 * 255, "y = (y == 255).astype('float32')"),
    ],
)
def test_binary_targets_coded_otherwise(y, fix):
    (finding,) = findings(_binary(), rand(300, 5), y)
    assert finding.code == "KD307"
    assert finding.fix.startswith(fix)


def test_binary_loss_on_class_ids():
    (finding,) = findings(_binary(), rand(300, 5), np.arange(300) % 5, code="KD307")
    assert "Dense(5, activation='softmax', name='out')" in finding.fix
    assert "sparse_categorical_crossentropy" in finding.fix


def test_binary_loss_on_continuous_targets():
    (finding,) = findings(_binary(), rand(300, 5), rand(300) * 10, code="KD307")
    assert "y.min()" in finding.fix and "'mse'" in finding.fix


def test_binary_probabilities_are_fine():
    assert not codes(_binary(), rand(300, 5), rand(300))


def test_seed_c_two_softmax_units_with_bce_is_left_to_kd202():
    y = (np.arange(100) % 2).reshape(-1, 1)
    assert not findings(_binary(2, "softmax"), rand(100, 5), y)


def test_two_sigmoid_units_with_bce_and_one_label_column():
    y = (np.arange(100) % 2).reshape(-1, 1)
    (finding,) = findings(_binary(2, "sigmoid"), rand(100, 5), y)
    assert finding.code == "KD308" and not finding.evidence["silent"]
    assert "Dense(1, activation='sigmoid', name='out')" in finding.fix


def test_mse_broadcasts_silently():
    (finding,) = findings(_regression(1), rand(100, 5), rand(100, 3))
    assert finding.code == "KD308" and finding.evidence["silent"]
    assert "trained toward all 3 targets" in finding.message
    (wide,) = findings(_regression(3), rand(100, 5), rand(100, 1))
    assert wide.evidence["silent"] and "same single target" in wide.message


def test_mse_raises_on_vector_target():
    (finding,) = findings(_regression(3), rand(100, 5), rand(100))
    assert finding.code == "KD308" and not finding.evidence["silent"]
    assert "Dense(1, name='out')" in finding.fix


@pytest.mark.parametrize(("units", "shape"), [(1, (100,)), (1, (100, 1)), (3, (100, 3))])
def test_shapes_keras_accepts(units, shape):
    assert not codes(_regression(units), rand(100, 5), rand(*shape))


def test_one_hot_of_the_wrong_width():
    import keras
    from keras import layers

    m = model(
        layers.Dense(4, activation="softmax", name="out"),
        loss="categorical_crossentropy",
        inputs=(5,),
    )
    y = keras.utils.to_categorical(np.arange(100) % 3, 3)
    assert codes(m, rand(100, 5), y) == {"KD308"}


def test_dense_on_unflattened_input_is_left_to_kd102():
    from keras import layers

    m = model(
        layers.Dense(10, activation="softmax", name="out"),
        loss="categorical_crossentropy",
        inputs=(28, 28),
    )
    import keras

    y = keras.utils.to_categorical(np.arange(100) % 10, 10)
    assert "KD308" not in codes(m, rand(100, 28, 28), y)
    assert "KD102" in kerasdoctor_codes(m, rand(100, 28, 28), y)


def kerasdoctor_codes(m, x, y):
    import kerasdoctor

    return set(kerasdoctor.diagnose(m, x, y).codes)


def test_sample_counts():
    (finding,) = findings(_regression(1), rand(100, 5), rand(90))
    assert finding.code == "KD309"
    assert "x has 100, y has 90" in finding.message


def test_sample_counts_of_multi_input_and_validation_data():
    import keras

    a, b = keras.Input((5,), name="a"), keras.Input((3,), name="b")
    m = keras.Model([a, b], keras.layers.Dense(1, name="out")(keras.layers.Concatenate()([a, b])))
    m.compile(loss="mse")
    (finding,) = findings(m, {"a": rand(100, 5), "b": rand(80, 3)}, rand(100), code="KD309")
    assert "x['b'] has 80" in finding.message
    (val,) = findings(
        _regression(1),
        rand(100, 5),
        rand(100),
        code="KD309",
        validation_data=(rand(20, 5), rand(10)),
    )
    assert val.message.startswith("validation_data: ")
