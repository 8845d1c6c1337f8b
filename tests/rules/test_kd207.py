"""KD207 categorical-loss-on-one-unit: edge cases beyond bad()/good()."""

import pytest

from tests.rules.kd2_helpers import codes, compiled, findings, sequential

pytestmark = pytest.mark.backend


@pytest.mark.parametrize("activation", [None, "sigmoid", "relu", "tanh"])
def test_any_activation_over_one_unit(activation):
    import keras

    model = compiled(
        sequential(keras.layers.Dense(1, activation=activation)), "categorical_crossentropy"
    )
    assert codes(model) == {"KD207"}  # not KD204 for the linear and relu outputs


def test_sparse_loss_says_label_one_is_out_of_range():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(1, activation="sigmoid", name="out")),
        keras.losses.SparseCategoricalCrossentropy(),
    )
    (finding,) = findings(model)
    assert finding.code == "KD207"
    assert "label 1 is out of range" in finding.message
    assert finding.fix.startswith("Dense(1, activation='sigmoid', name='out')")


def test_from_logits_true_gives_a_logits_fix():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(1, name="out")),
        keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    assert codes(model) == {"KD207"}
    (finding,) = findings(model)
    assert "Dense(1, name='out')" in finding.fix
    assert "BinaryCrossentropy(from_logits=True)" in finding.fix
    assert "Dense(num_classes, name='out')" in finding.fix


def test_softmax_over_one_unit_is_reported_with_kd201():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(1, activation="softmax")), "categorical_crossentropy"
    )
    assert codes(model) == {"KD201", "KD207"}


def test_unbuilt_sequential_and_function_loss():
    import keras

    model = compiled(
        sequential(
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
            inputs=None,
        ),
        keras.losses.sparse_categorical_crossentropy,
    )
    assert codes(model) == {"KD207"}


def test_sequence_output_with_one_unit():
    import keras

    model = compiled(
        keras.Sequential(
            [keras.Input((5, 3)), keras.layers.Dense(1, activation="sigmoid", name="tag")]
        ),
        "categorical_crossentropy",
    )
    assert codes(model) == {"KD207"}


def test_multi_output_dict():
    import keras

    inputs = keras.Input((10,))
    model = keras.Model(
        inputs,
        {
            "yes": keras.layers.Dense(1, activation="sigmoid", name="yes_out")(inputs),
            "kind": keras.layers.Dense(3, activation="softmax", name="kind_out")(inputs),
        },
    )
    model.compile(
        optimizer="adam",
        loss={"yes": "categorical_crossentropy", "kind": "categorical_crossentropy"},
    )
    (finding,) = findings(model)
    assert finding.code == "KD207"
    assert "Output 'yes'" in finding.message
    assert "loss={'yes': 'binary_crossentropy', ...}" in finding.fix


@pytest.mark.parametrize("units", [2, 10])
def test_several_units_are_clean(units):
    import keras

    model = compiled(
        sequential(keras.layers.Dense(units, activation="softmax")), "categorical_crossentropy"
    )
    assert codes(model) == set()
