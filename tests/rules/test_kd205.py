"""KD205 probabilities-with-from-logits: edge cases beyond bad()/good()."""

import pytest

from tests.rules.kd2_helpers import codes, compiled, findings, sequential

pytestmark = pytest.mark.backend


def test_seed_case_j_softmax_with_scce_from_logits_true():
    import keras
    from keras.layers import Dense

    model = keras.Sequential(
        [keras.Input((20,)), Dense(64, activation="relu"), Dense(10, activation="softmax")]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    assert codes(model) == {"KD205"}
    (finding,) = findings(model)
    assert "double softmax on JAX and PyTorch" in finding.message
    assert "TensorFlow only warns" in finding.message
    assert finding.evidence["loss_floor"] == pytest.approx(1.4612, abs=1e-4)
    assert "Dense(10, name='dense_1')" in finding.fix
    assert "loss='sparse_categorical_crossentropy'" in finding.fix


def test_softmax_layer_followed_by_dropout_is_double_softmax_everywhere():
    import keras

    model = compiled(
        sequential(
            keras.layers.Dense(10, name="logits"),
            keras.layers.Softmax(name="probs"),
            keras.layers.Dropout(0.1),
        ),
        keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    (finding,) = findings(model)
    assert finding.code == "KD205"
    assert "on every backend" in finding.message  # TF's cached logits do not cross Dropout
    assert finding.location.layer == "probs"
    assert "remove the Softmax layer 'probs'" in finding.fix


def test_sigmoid_with_bce_from_logits_true():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(1, activation="sigmoid", name="p")),
        keras.losses.BinaryCrossentropy(from_logits=True),
    )
    (finding,) = findings(model)
    assert finding.code == "KD205"
    assert "double sigmoid" in finding.message
    assert "loss_floor" not in finding.evidence
    assert "Dense(1, name='p')" in finding.fix


def test_sigmoid_with_cce_from_logits_true_suggests_only_logits():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(10, activation="sigmoid", name="p")),
        keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    assert codes(model) == {"KD205"}
    (finding,) = findings(model)
    assert "applies softmax on top of sigmoid" in finding.message
    assert "or keep sigmoid" not in finding.fix  # that would be KD203


def test_focal_loss_object():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(4, activation="softmax")),
        keras.losses.CategoricalFocalCrossentropy(from_logits=True),
    )
    assert codes(model) == {"KD205"}


def test_softmax_over_two_units_with_bce_is_left_to_kd202():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(2, activation="softmax")),
        keras.losses.BinaryCrossentropy(from_logits=True),
    )
    assert codes(model) == {"KD202"}


def test_one_unit_with_categorical_loss_is_left_to_kd207():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(1, activation="sigmoid")),
        keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    assert codes(model) == {"KD207"}


def test_softmax_over_one_unit_is_reported_with_kd201():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(1, activation="softmax")),
        keras.losses.BinaryCrossentropy(from_logits=True),
    )
    assert codes(model) == {"KD201", "KD205"}


@pytest.mark.parametrize("activation", [None, "log_softmax"])
def test_logits_and_log_probabilities_are_clean(activation):
    import keras

    model = compiled(
        sequential(keras.layers.Dense(10, activation=activation)),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    assert codes(model) == set()


def test_multi_output_dict():
    import keras

    inputs = keras.Input((10,))
    model = keras.Model(
        inputs,
        {
            "digit": keras.layers.Dense(10, activation="softmax", name="digit_out")(inputs),
            "odd": keras.layers.Dense(1, name="odd_out")(inputs),
        },
    )
    model.compile(
        optimizer="adam",
        loss={
            "digit": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            "odd": keras.losses.BinaryCrossentropy(from_logits=True),
        },
    )
    (finding,) = findings(model)
    assert finding.code == "KD205"
    assert "Output 'digit'" in finding.message
    assert "loss={'digit': 'sparse_categorical_crossentropy', ...}" in finding.fix
