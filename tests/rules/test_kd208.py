"""KD208 output-range-mismatch: edge cases beyond bad()/good()."""

import pytest

from tests.rules.kd2_helpers import codes, compiled, findings, sequential

pytestmark = pytest.mark.backend


def _model(units, activation, loss):
    import keras

    return compiled(sequential(keras.layers.Dense(units, activation=activation, name="out")), loss)


@pytest.mark.parametrize(
    ("units", "activation", "loss"),
    [
        (1, "sigmoid", "hinge"),
        (1, "relu", "hinge"),
        (3, "softmax", "squared_hinge"),
        (3, "softmax", "categorical_hinge"),
        (3, "sigmoid", "categorical_hinge"),
        (1, None, "poisson"),
        (1, "tanh", "poisson"),
        (1, "elu", "poisson"),
        (3, None, "kl_divergence"),
        (3, "relu", "kld"),
        (3, "tanh", "keras.losses.KLDivergence()"),
        (1, None, "keras.losses.Poisson()"),
        (1, "sigmoid", "keras.losses.Hinge()"),
    ],
)
def test_mismatches(units, activation, loss):
    import keras

    if loss.startswith("keras."):
        loss = eval(loss, {"keras": keras})
    model = _model(units, activation, loss)
    assert codes(model) == {"KD208"}
    (finding,) = findings(model)
    assert finding.severity == "warning"
    assert finding.location.layer == "out"


@pytest.mark.parametrize(
    ("units", "activation", "loss"),
    [
        (1, None, "hinge"),
        (1, "tanh", "hinge"),
        (1, "tanh", "squared_hinge"),
        (3, None, "categorical_hinge"),
        (3, "relu", "categorical_hinge"),
        (1, "exponential", "poisson"),
        (1, "softplus", "poisson"),
        (1, "relu", "poisson"),
        (3, "softmax", "kl_divergence"),
        (3, "sigmoid", "kl_divergence"),
        (1, None, "cosine_similarity"),
    ],
)
def test_matching_ranges_are_clean(units, activation, loss):
    assert codes(_model(units, activation, loss)) == set()


def test_poisson_fix_and_message():
    (finding,) = findings(_model(1, None, "poisson"))
    assert "NaN" in finding.message
    assert finding.fix.startswith("Dense(1, activation='exponential', name='out')")


def test_hinge_fix_suggests_tanh():
    (finding,) = findings(_model(1, "sigmoid", "hinge"))
    assert "never negative" in finding.message
    assert finding.fix.startswith("Dense(1, activation='tanh', name='out')")


def test_softmax_layer_with_categorical_hinge():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(4, name="scores"), keras.layers.Softmax(name="probs")),
        "categorical_hinge",
    )
    (finding,) = findings(model)
    assert finding.code == "KD208"
    assert finding.location.layer == "probs"
    assert "remove the Softmax layer 'probs'" in finding.fix


def test_unknown_activation_is_not_reported():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(1), keras.layers.Lambda(lambda t: keras.ops.exp(t))),
        "poisson",
    )
    assert codes(model) == set()


def test_multi_output_dict():
    import keras

    inputs = keras.Input((10,))
    model = keras.Model(
        inputs,
        {
            "count": keras.layers.Dense(1, name="count_out")(inputs),
            "dist": keras.layers.Dense(3, activation="softmax", name="dist_out")(inputs),
        },
    )
    model.compile(optimizer="adam", loss={"count": "poisson", "dist": "kld"})
    (finding,) = findings(model)
    assert finding.code == "KD208"
    assert "Output 'count'" in finding.message
    assert "loss={'count': 'poisson', ...}" in finding.fix
