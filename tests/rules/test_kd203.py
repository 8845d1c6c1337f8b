"""KD203 sigmoid-with-categorical-crossentropy: edge cases beyond bad()/good()."""

import pytest

from tests.rules.kd2_helpers import codes, compiled, findings, sequential

pytestmark = pytest.mark.backend


def _seed_d_model():
    from keras.layers import Dense
    from keras.models import Sequential

    model = Sequential(
        [Dense(64, activation="relu", input_shape=(10,)), Dense(10, activation="sigmoid")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_seed_cases_d1_d2_sigmoid10_with_cce():
    # D1 (one-hot labels) and D2 (integer labels) share the model and compile call.
    model = _seed_d_model()
    assert codes(model) == {"KD203"}
    (finding,) = findings(model)
    assert "units=10" in finding.message and "activation='sigmoid'" in finding.message
    assert "activation='softmax'" in finding.fix
    assert "binary_crossentropy" in finding.fix  # the multi-label alternative


@pytest.mark.parametrize(
    "loss",
    [
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "categorical_focal_crossentropy",
        "keras.losses.categorical_crossentropy",
        "keras.losses.SparseCategoricalCrossentropy()",
        "keras.losses.CategoricalCrossentropy(from_logits=False)",
    ],
)
def test_every_spelling_of_a_categorical_loss(loss):
    import keras

    if loss.startswith("keras."):
        loss = eval(loss, {"keras": keras})
    model = compiled(sequential(keras.layers.Dense(10, activation="sigmoid")), loss)
    assert codes(model) == {"KD203"}


def test_activation_layer_after_dropout():
    import keras

    model = compiled(
        sequential(
            keras.layers.Dense(10, name="scores"),
            keras.layers.Dropout(0.3),
            keras.layers.Activation("sigmoid", name="act"),
        ),
        keras.losses.categorical_crossentropy,
    )
    (finding,) = findings(model)
    assert finding.code == "KD203"
    assert finding.location.layer == "act"
    assert finding.fix.startswith("Activation('softmax', name='act')")


def test_hard_sigmoid_counts_as_sigmoid():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(4, activation="hard_sigmoid")), "categorical_crossentropy"
    )
    assert codes(model) == {"KD203"}


def test_from_logits_true_is_left_to_kd205():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(10, activation="sigmoid")),
        keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    assert codes(model) == {"KD205"}


def test_one_sigmoid_unit_is_left_to_kd207():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(1, activation="sigmoid")), "categorical_crossentropy"
    )
    assert codes(model) == {"KD207"}


def test_multi_label_sigmoid_with_bce_is_clean():
    import keras

    model = compiled(sequential(keras.layers.Dense(10, activation="sigmoid")), "bce")
    assert codes(model) == set()


def test_multi_output_dict():
    import keras

    inputs = keras.Input((10,))
    model = keras.Model(
        inputs,
        {
            "tags": keras.layers.Dense(6, activation="sigmoid", name="tags_out")(inputs),
            "kind": keras.layers.Dense(3, activation="sigmoid", name="kind_out")(inputs),
        },
    )
    model.compile(optimizer="adam", loss={"tags": "bce", "kind": "categorical_crossentropy"})
    (finding,) = findings(model)
    assert finding.code == "KD203"
    assert "Output 'kind'" in finding.message
    assert "loss={'kind': 'categorical_crossentropy', ...}" in finding.fix
