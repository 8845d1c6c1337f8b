"""KD204 logits-without-from-logits: edge cases beyond bad()/good()."""

import pytest

from tests.rules.kd2_helpers import codes, compiled, findings, sequential

pytestmark = pytest.mark.backend


def _seed_i_model(last_activation, from_logits, metric="accuracy"):
    import keras
    from keras.layers import Dense

    model = keras.Sequential(
        [keras.Input((20,)), Dense(32, activation="relu"), Dense(1, activation=last_activation)]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.BinaryCrossentropy(from_logits=from_logits),
        metrics=[metric],
    )
    return model


def test_seed_case_i_logits_with_bce_from_logits_false():
    model = _seed_i_model(None, False)
    assert codes(model) == {"KD204"}
    (finding,) = findings(model)
    assert "from_logits=False" in finding.message
    assert "keras.losses.BinaryCrossentropy(from_logits=True)" in finding.fix
    assert "BinaryAccuracy(threshold=0.0)" in finding.fix  # 'accuracy' would threshold at 0.5
    assert "activation='sigmoid'" in finding.fix


def test_seed_case_i_correct_setups_are_clean():
    import keras

    assert codes(_seed_i_model(None, True, keras.metrics.BinaryAccuracy(threshold=0.0))) == set()
    assert codes(_seed_i_model("sigmoid", False)) == set()


@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy(from_logits=True)"),
        ("categorical_crossentropy", "CategoricalCrossentropy(from_logits=True)"),
        ("keras.losses.categorical_crossentropy", "CategoricalCrossentropy(from_logits=True)"),
        ("keras.losses.CategoricalFocalCrossentropy()", "CategoricalFocalCrossentropy("),
        ("bce", "BinaryCrossentropy(from_logits=True)"),
    ],
)
def test_linear_output_with_every_crossentropy(loss, expected):
    import keras

    if loss.startswith("keras."):
        loss = eval(loss, {"keras": keras})
    model = compiled(sequential(keras.layers.Dense(10, name="scores")), loss)
    (finding,) = findings(model)
    assert finding.code == "KD204"
    assert expected in finding.fix
    assert "BinaryAccuracy" not in finding.fix  # no 'accuracy' metric was asked for


@pytest.mark.parametrize("activation", ["relu", "tanh", "elu", "log_softmax", "softplus"])
def test_non_probability_activations(activation):
    import keras

    model = compiled(
        sequential(keras.layers.Dense(10, activation=activation, name="out")),
        "categorical_crossentropy",
    )
    (finding,) = findings(model)
    assert finding.code == "KD204"
    assert finding.fix.startswith("Dense(10, activation='softmax', name='out')")
    assert "Dense(10, name='out')" in finding.fix  # the logits alternative


def test_relu_activation_layer_after_dropout():
    import keras

    model = compiled(
        sequential(
            keras.layers.Dense(3, name="scores"),
            keras.layers.ReLU(name="relu"),
            keras.layers.Dropout(0.5),
        ),
        "sparse_categorical_crossentropy",
    )
    (finding,) = findings(model)
    assert finding.code == "KD204"
    assert finding.location.layer == "relu"
    assert "Activation('softmax', name='relu')" in finding.fix
    assert "remove the ReLU layer 'relu'" in finding.fix


@pytest.mark.parametrize("activation", ["softmax", "sigmoid", "hard_sigmoid"])
def test_probability_outputs_are_clean(activation):
    import keras

    model = compiled(
        sequential(keras.layers.Dense(10, activation=activation)),
        "binary_crossentropy" if activation != "softmax" else "categorical_crossentropy",
    )
    assert codes(model) == set()


def test_log_softmax_with_from_logits_true_is_clean():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(10, activation="log_softmax")),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    assert codes(model) == set()


def test_one_linear_unit_with_categorical_loss_is_left_to_kd207():
    import keras

    model = compiled(sequential(keras.layers.Dense(1)), "categorical_crossentropy")
    assert codes(model) == {"KD207"}


def test_unknown_activation_is_not_reported():
    import keras

    model = compiled(
        sequential(
            keras.layers.Dense(1), keras.layers.Lambda(lambda t: 1 / (1 + keras.ops.exp(-t)))
        ),
        "binary_crossentropy",
    )
    assert codes(model) == set()


def test_regression_loss_on_linear_output_is_clean():
    import keras

    assert codes(compiled(sequential(keras.layers.Dense(1)), "mse")) == set()


def test_multi_output_dict_with_list_of_losses_by_key():
    import keras

    inputs = keras.Input((10,))
    model = keras.Model(
        inputs,
        {
            "is_spam": keras.layers.Dense(1, name="spam_logit")(inputs),
            "score": keras.layers.Dense(1, name="score_out")(inputs),
        },
    )
    model.compile(optimizer="adam", loss={"is_spam": "bce", "score": "mse"})
    (finding,) = findings(model)
    assert finding.code == "KD204"
    assert "Output 'is_spam'" in finding.message
    assert "loss={'is_spam': keras.losses.BinaryCrossentropy(from_logits=True), ...}" in finding.fix


def test_output_of_a_nested_model():
    import keras

    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, name="inner_out")])
    inputs = keras.Input((5,))
    model = keras.Model(inputs, inner(inputs))
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    (finding,) = findings(model)
    assert finding.code == "KD204"
    assert finding.location.layer == "inner_out"
    assert "set activation='softmax' on layer 'inner_out'" in finding.fix
