"""KD313 target-range-mismatch and KD314 nan-or-inf-in-data: edge cases beyond bad()/good()."""

import numpy as np
import pytest

from tests.rules.kd3_quality_helpers import codes, findings, ints, mlp, normal

pytestmark = pytest.mark.backend


# -- KD313 -------------------------------------------------------------------------------------


def test_kd313_targets_above_1_with_a_sigmoid_output():
    y = np.random.default_rng(0).uniform(0, 250, size=(300, 1))
    (finding,) = findings(mlp(activation="sigmoid"), normal(300, 8), y, "KD313")
    assert finding.severity == "error"
    assert "go up to" in finding.message and "[0, 1]" in finding.message
    assert finding.fix.startswith("Dense(1, name='out')")


@pytest.mark.parametrize("activation", ["softplus", "exponential", "relu6", "hard_sigmoid"])
def test_kd313_negative_targets_with_non_negative_outputs(activation):
    y = normal(300, 1) * 0.3 + 0.2  # in [-1, 1.4]: negative values, none above 1 but a few
    (finding,) = findings(mlp(activation=activation), normal(300, 8), y, "KD313")
    assert finding.severity == "error"
    assert "go down to" in finding.message or "span [" in finding.message


def test_kd313_tanh_within_and_outside_its_range():
    inside = np.clip(normal(300, 1), -1, 1)
    assert "KD313" not in codes(mlp(activation="tanh"), normal(300, 8), inside)
    assert "KD313" in codes(mlp(activation="tanh"), normal(300, 8), inside * 3)


def test_kd313_non_negative_targets_with_relu_are_fine():
    y = np.abs(normal(300, 1))
    assert "KD313" not in codes(mlp(activation="relu"), normal(300, 8), y)


def test_kd313_large_targets_on_a_linear_output_are_a_warning():
    y = np.random.default_rng(0).normal(250_000, 80_000, size=(300, 1))  # house prices
    (finding,) = findings(mlp(), normal(300, 8), y, "KD313")
    assert finding.severity == "warning"
    assert "y_mean, y_std = y.mean(), y.std()" in finding.fix
    assert "model.predict(x_new) * y_std + y_mean" in finding.fix


def test_kd313_scale_threshold_is_a_parameter():
    import kerasdoctor

    y = np.random.default_rng(0).normal(50, 10, size=(300, 1))
    assert "KD313" not in codes(mlp(), normal(300, 8), y)
    report = kerasdoctor.diagnose(
        mlp(), normal(300, 8), y, select=["KD313"], params={"KD313": {"max_scale": 20}}
    )
    assert report.codes == ["KD313"]


def test_kd313_leaves_binary_crossentropy_to_kd307():
    y = np.random.default_rng(0).uniform(0, 5, size=(300, 1))
    model = mlp(activation="sigmoid", loss="binary_crossentropy")
    assert "KD313" not in codes(model, normal(300, 8), y)


def test_kd313_unknown_activation_is_not_judged():
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(1, name="pre"),
            keras.layers.Lambda(lambda t: t * 2, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    y = np.random.default_rng(0).uniform(0, 1e6, size=(300, 1))
    assert "KD313" not in codes(model, normal(300, 8), y)


# -- KD314 -------------------------------------------------------------------------------------


def test_kd314_nan_in_targets():
    y = normal(200, 1)
    y[42] = np.nan
    (finding,) = findings(mlp(), normal(200, 8), y, "KD314")
    assert finding.message.startswith("y contains 1 NaN value;")
    assert finding.evidence["first_bad"] == 42
    assert "x, y = x[keep], y[keep]" in finding.fix


def test_kd314_nan_in_validation_data():
    x_val = normal(50, 8)
    x_val[7, 1] = np.inf
    (finding,) = findings(
        mlp(), normal(200, 8), normal(200, 1), "KD314", validation_data=(x_val, normal(50, 1))
    )
    assert finding.message.startswith("x_val contains 1 Inf value;")
    assert "x_val, y_val = x_val[keep], y_val[keep]" in finding.fix


def test_kd314_large_array_says_it_was_a_sample():
    x = normal(20_000, 8)
    x[-1, 0] = np.nan  # the last row is always read
    (finding,) = findings(mlp(), x, normal(20_000, 1), "KD314")
    assert "counted in a sample" in finding.message
    assert "2048 rows read of 20000 checked" in finding.message
    assert finding.evidence["first_bad"] == 19_999
    assert finding.evidence["complete"] is False


def test_kd314_pandas_with_missing_values():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(normal(100, 3), columns=["age", "income", "score"])
    frame.loc[5, "income"] = None
    (finding,) = findings(mlp(inputs=3), frame, normal(100, 1), "KD314")
    assert finding.evidence["first_bad"] == 5


def test_kd314_multi_input_names_the_input():
    import keras

    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    out = keras.layers.Dense(1, name="out")(keras.layers.Concatenate()([a, b]))
    model = keras.Model([a, b], out)
    model.compile(optimizer="adam", loss="mse")
    xb = normal(100, 3)
    xb[3, 2] = np.nan
    (finding,) = findings(model, {"a": normal(100, 4), "b": xb}, normal(100, 1), "KD314")
    assert finding.message.startswith("x['b'] contains 1 NaN value")


def test_kd314_integer_data_has_no_nan():
    assert "KD314" not in codes(mlp(), ints(10, 100, 8), normal(100, 1))
