"""KD211 unknown-loss: the misspelt loss, the embedded name list, aliases and multi-output."""

import pytest

import kerasdoctor
from kerasdoctor.rules.kd211_unknown_loss import KERAS_LOSS_NAMES, closest_loss

pytestmark = pytest.mark.backend


def _model(loss, units: int = 10, activation: str = "softmax"):
    import keras

    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(units, activation=activation, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss=loss)
    return model


def _findings(model):
    return list(kerasdoctor.diagnose(model, select=["KD211"]).findings)


def test_misspelt_loss_compiles_then_fit_raises_and_is_reported():
    import keras
    import numpy as np

    model = _model("categorical_crossentropyy")
    report = kerasdoctor.diagnose(model)
    (finding,) = [f for f in report.findings if f.code == "KD211"]
    assert str(finding.severity) == "error"
    assert "Did you mean 'categorical_crossentropy'?" in finding.message
    assert "Received: loss='categorical_crossentropyy'." in finding.message
    assert finding.fix == "loss='categorical_crossentropy'"
    x, y = np.zeros((4, 4), "float32"), keras.utils.to_categorical([0, 1, 2, 3], 10)
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        model.fit(x, y, verbose=0)


def test_embedded_names_are_exactly_what_keras_accepts():
    import keras
    from keras.src.losses import ALL_OBJECTS_DICT

    base_classes = {"Loss", "LossFunctionWrapper"}  # in the table, but not losses
    assert sorted(KERAS_LOSS_NAMES) == sorted(set(ALL_OBJECTS_DICT) - base_classes)
    for name in KERAS_LOSS_NAMES:
        assert keras.losses.get(name) is not None, name


@pytest.mark.parametrize(
    "loss", ["mse", "MSE", "bce", "kld", "huber", "MeanSquaredError", "categorical_crossentropy"]
)
def test_valid_names_are_clean(loss):
    assert _findings(_model(loss)) == []


@pytest.mark.parametrize("loss", ["crossentropy", "ce", "CE", "CrossEntropy"])
def test_shape_resolved_crossentropy_is_valid(loss):
    """compile_utils.get_loss picks the crossentropy from the shapes: fit() works."""
    import keras
    import numpy as np

    model = _model(loss)
    assert _findings(model) == []
    x, y = np.zeros((4, 4), "float32"), keras.utils.to_categorical([0, 1, 2, 3], 10)
    model.fit(x, y, verbose=0)


@pytest.mark.parametrize(
    "typo, suggestion",
    [
        ("categorical_crossentropyy", "categorical_crossentropy"),
        ("sparse_categorical_cross_entropy", "sparse_categorical_crossentropy"),
        ("binary_cross_entropy", "binary_crossentropy"),
        ("mean_square_error", "mean_squared_error"),
        ("Mean_Squared_Error", "mean_squared_error"),
        ("BinaryCrossEntropy", "BinaryCrossentropy"),
        ("logcosh", "log_cosh"),  # Keras 2 names
        ("kullback_leibler_divergence", "kl_divergence"),
        ("cosine_proximity", "cosine_similarity"),
        ("sparse_categorial_crossentropy", "sparse_categorical_crossentropy"),
        ("hubber", "huber"),
        ("totally_made_up", None),
    ],
)
def test_suggestion(typo, suggestion):
    assert closest_loss(typo) == suggestion
    (finding,) = _findings(_model(typo))
    if suggestion is None:
        assert "Did you mean" not in finding.message
        assert "keras.losses" in finding.fix  # the rule's generic fix
    else:
        assert finding.fix == f"loss={suggestion!r}"


def test_suggestions_are_valid_keras_losses():
    import keras

    for typo in ("categorical_crossentropyy", "logcosh", "BinaryCrossEntropy", "msee"):
        assert keras.losses.get(closest_loss(typo)) is not None


def test_a_value_that_is_not_a_loss():
    (finding,) = _findings(_model(5))
    assert "loss value" in finding.message and "Received: loss=5." in finding.message
    assert finding.evidence["suggestion"] is None


def test_dict_losses_report_the_output():
    import keras

    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    outputs = {
        "price": keras.layers.Dense(1, name="reg")(hidden),
        "kind": keras.layers.Dense(3, activation="softmax", name="cls")(hidden),
    }
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss={"price": "mse", "kind": "categorical_crossentropyy"})
    (finding,) = _findings(model)
    assert "for output 'kind'" in finding.message
    assert finding.fix == "loss={'kind': 'categorical_crossentropy', ...}"


def test_one_bad_string_for_two_outputs_is_one_finding():
    import keras

    inputs = keras.Input((4,))
    model = keras.Model(
        inputs,
        [keras.layers.Dense(1, name="a")(inputs), keras.layers.Dense(1, name="b")(inputs)],
    )
    model.compile(optimizer="adam", loss="msee")
    (finding,) = _findings(model)
    assert finding.fix == "loss='mse'"
    assert finding.evidence["outputs"] == ["a", "b"]
