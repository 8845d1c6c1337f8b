"""KD206 regression-loss-on-softmax: edge cases beyond bad()/good()."""

import pytest

from tests.rules.kd2_helpers import codes, compiled, findings, sequential

pytestmark = pytest.mark.backend


def test_seed_case_m_mse_for_classification():
    import keras
    from keras.layers import Dense

    model = keras.Sequential(
        [keras.Input((20,)), Dense(64, activation="relu"), Dense(10, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    assert codes(model) == {"KD206"}
    (finding,) = findings(model)
    assert finding.severity == "warning"
    assert "Assumed" in finding.message
    assert "categorical_crossentropy" in finding.fix
    assert "sparse_categorical_crossentropy" in finding.fix


@pytest.mark.parametrize(
    "loss",
    [
        "mean_squared_error",
        "mae",
        "huber",
        "log_cosh",
        "msle",
        "mape",
        "keras.losses.Huber()",
        "keras.losses.mean_squared_error",
    ],
)
def test_every_regression_loss(loss):
    import keras

    if loss.startswith("keras."):
        loss = eval(loss, {"keras": keras})
    model = compiled(sequential(keras.layers.Dense(3, activation="softmax")), loss)
    assert codes(model) == {"KD206"}


def test_activation_layer_after_dense():
    import keras

    model = compiled(
        sequential(
            keras.layers.Dense(10, name="scores"), keras.layers.Activation("softmax", name="probs")
        ),
        "mse",
    )
    (finding,) = findings(model)
    assert finding.code == "KD206"
    assert finding.location.layer == "probs"


def test_softmax_over_one_unit_is_left_to_kd201():
    import keras

    model = compiled(sequential(keras.layers.Dense(1, activation="softmax")), "mse")
    assert codes(model) == {"KD201"}


@pytest.mark.parametrize("activation", [None, "sigmoid", "relu"])
def test_other_activations_with_regression_loss_are_clean(activation):
    import keras

    model = compiled(sequential(keras.layers.Dense(3, activation=activation)), "mse")
    assert codes(model) == set()


def test_multi_output_dict():
    import keras

    inputs = keras.Input((10,))
    model = keras.Model(
        inputs,
        {
            "cls": keras.layers.Dense(4, activation="softmax", name="cls_out")(inputs),
            "box": keras.layers.Dense(4, name="box_out")(inputs),
        },
    )
    model.compile(optimizer="adam", loss={"cls": "mse", "box": "mse"})
    (finding,) = findings(model)
    assert finding.code == "KD206"
    assert "Output 'cls'" in finding.message
    assert "loss={'cls': 'categorical_crossentropy', ...}" in finding.fix
