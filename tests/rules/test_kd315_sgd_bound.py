"""KD315 unscaled-inputs, its plain-SGD branch: learning_rate x E[x^2] beyond the stable
bound of gradient descent on a squared error (bench/corpus/unscaled_inputs/tv_advertising)."""

import numpy as np
import pytest

import kerasdoctor

pytestmark = pytest.mark.backend

RNG = np.random.default_rng(0)
BUDGETS = RNG.uniform(0.7, 296.4, size=(200, 1)).astype("float32")
SALES = (7.0 + 0.0475 * BUDGETS + RNG.normal(0, 3.2, size=(200, 1))).astype("float32")


def _linear(optimizer="sgd", loss="mse", columns=1, first=None):
    import keras

    inputs = keras.Input(shape=(columns,))
    h = first(inputs) if first is not None else inputs
    preds = keras.layers.Dense(1, name="out")(h)
    model = keras.Model(inputs, preds)
    model.compile(optimizer=optimizer, loss=loss)
    return model


def _kd315(model, x, y, **params):
    report = kerasdoctor.diagnose(model, x, y, select=["KD315"], params={"KD315": params})
    return list(report.findings)


def test_tv_advertising_budgets_with_default_sgd():
    import keras

    (finding,) = _kd315(_linear(keras.optimizers.SGD()), BUDGETS, SALES)
    assert str(finding.severity) == "warning" and finding.location.layer == "out"
    assert "plain SGD" in finding.message and "learning_rate=0.01" in finding.message
    product = finding.evidence["lr_times_second_moment"]
    assert 200 < product < 400  # 0.01 x (148^2 + 85^2)
    assert "Normalization" in finding.fix


def test_standardised_budgets_are_clean():
    x = (BUDGETS - BUDGETS.mean()) / BUDGETS.std()
    assert _kd315(_linear(), x, SALES) == []


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_adaptive_optimizers_are_clean(optimizer):
    assert _kd315(_linear(optimizer), BUDGETS, SALES) == []


def test_gradient_clipping_and_a_tiny_step_are_clean():
    import keras

    assert _kd315(_linear(keras.optimizers.SGD(clipnorm=1.0)), BUDGETS, SALES) == []
    assert _kd315(_linear(keras.optimizers.SGD(learning_rate=1e-7)), BUDGETS, SALES) == []


def test_cross_entropy_is_not_judged_by_the_bound():
    import keras

    model = _linear(loss=keras.losses.BinaryCrossentropy(from_logits=True))
    labels = (SALES > SALES.mean()).astype("float32")
    assert _kd315(model, BUDGETS, labels) == []


def test_a_normalization_layer_first_is_trusted():
    import keras

    norm = keras.layers.Normalization(name="norm")
    norm.adapt(BUDGETS)
    assert _kd315(_linear(first=norm), BUDGETS, SALES) == []


def test_ordinary_features_with_sgd_are_clean():
    x = RNG.normal(0, 3, size=(200, 4)).astype("float32")  # 0.01 x 9 = 0.09
    assert _kd315(_linear(columns=4), x, SALES) == []


def test_one_wide_column_among_several():
    x = RNG.normal(0, 1, size=(200, 3)).astype("float32")
    x[:, 2] = RNG.normal(0, 60, size=200)  # under max_ratio: 60 x 3 is not 100x the median
    (finding,) = _kd315(_linear(columns=3), x, SALES)
    assert finding.evidence["second_moment"] > 3000  # that column's variance, not the mean


def test_threshold_is_tunable():
    assert _kd315(_linear(), BUDGETS, SALES, max_sgd_product=1000.0) == []
