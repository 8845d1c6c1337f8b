"""KD310 labels-scaled-by-mistake, KD311 continuous-targets-with-classification-head,
KD312 few-classes-with-regression-loss: edge cases beyond bad()/good()."""

import numpy as np
import pytest

from tests.rules.kd3_quality_helpers import codes, findings, ints, mlp, normal

pytestmark = pytest.mark.backend

LABEL_RULES = ("KD310", "KD311", "KD312")


def _label_codes(model, x, y, **kwargs):
    return codes(model, x, y, **kwargs) & set(LABEL_RULES)


# -- KD310 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("divisor", "dtype"), [(255, "float32"), (10, "float64"), (256, "float32")]
)
def test_kd310_sparse_labels_divided_by_a_constant(divisor, dtype):
    y = (ints(10, 300) / divisor).astype(dtype)
    model = mlp(units=10, activation="softmax", loss="sparse_categorical_crossentropy")
    (finding,) = findings(model, normal(300, 8), y, "KD310")
    assert finding.evidence["divisor"] == divisor
    assert finding.evidence["recovered_ids"] == list(range(10))
    assert f"np.rint(y * {divisor}).astype('int64')" in finding.fix
    assert "becomes class 0" in finding.message


def test_kd310_labels_divided_by_two_collapse_pairs_of_classes():
    y = ints(6, 300) / 2.0  # 0, 0.5, 1, 1.5, 2, 2.5
    model = mlp(units=6, activation="softmax", loss="sparse_categorical_crossentropy")
    (finding,) = findings(model, normal(300, 8), y, "KD310")
    assert "the 6 classes collapse into 3" in finding.message


def test_kd310_binary_labels_divided_by_255():
    y = (ints(2, 300, 1) / 255.0).astype("float32")
    model = mlp(units=1, activation="sigmoid", loss="binary_crossentropy")
    (finding,) = findings(model, normal(300, 8), y, "KD310")
    assert "0.003922 for the positive class" in finding.message
    assert finding.fix.startswith("y = np.rint(y * 255).astype('float32')")


@pytest.mark.parametrize("values", [(0.1, 0.9), (0.0, 0.5, 1.0), (0.05, 0.95), (0.0, 0.9)])
def test_kd310_soft_binary_labels_are_legitimate(values):
    y = np.random.default_rng(0).choice(values, size=(300, 1))
    model = mlp(units=1, activation="sigmoid", loss="binary_crossentropy")
    assert "KD310" not in codes(model, normal(300, 8), y)


def test_kd310_categorical_loss_with_scaled_ids_suggests_to_categorical():
    y = ints(5, 300) / 255.0
    model = mlp(units=5, activation="softmax", loss="categorical_crossentropy")
    (finding,) = findings(model, normal(300, 8), y, "KD310")
    assert "keras.utils.to_categorical(np.rint(y * 255).astype('int64'), 5)" in finding.fix


def test_kd310_not_when_the_recovered_ids_do_not_fit_the_output():
    y = ints(50, 300) / 10.0  # would be ids 0..49 for a 10-unit output: something else
    model = mlp(units=10, activation="softmax", loss="sparse_categorical_crossentropy")
    assert "KD310" not in codes(model, normal(300, 8), y)


def test_kd310_multi_output_names_the_head():
    import keras

    inputs = keras.Input((8,), name="features")
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    kind = keras.layers.Dense(10, activation="softmax", name="kind")(hidden)
    price = keras.layers.Dense(1, name="price")(hidden)
    model = keras.Model(inputs, {"kind": kind, "price": price})
    model.compile(
        optimizer="adam", loss={"kind": "sparse_categorical_crossentropy", "price": "mse"}
    )
    y = {"kind": ints(10, 300) / 255.0, "price": normal(300, 1)}
    (finding,) = findings(model, normal(300, 8), y, "KD310")
    assert "output 'kind'" in finding.message
    assert finding.fix.startswith("y['kind'] = np.rint(y['kind'] * 255)")


# -- KD311 -------------------------------------------------------------------------------------


def test_kd311_categorical_loss_with_one_value_per_sample():
    y = normal(300) * 3 + 10
    model = mlp(units=4, activation="softmax", loss="categorical_crossentropy")
    (finding,) = findings(model, normal(300, 8), y, "KD311")
    assert "wants one-hot rows" in finding.message
    assert "Dense(1, name='out')" in finding.fix


def test_kd311_soft_label_rows_are_legitimate():
    rows = np.random.default_rng(0).dirichlet(np.ones(4), size=300)  # distillation targets
    model = mlp(units=4, activation="softmax", loss="categorical_crossentropy")
    assert not _label_codes(model, normal(300, 8), rows)


def test_kd311_label_smoothing_rows_are_legitimate():
    onehot = np.eye(4)[ints(4, 300)]
    smoothed = onehot * 0.9 + 0.1 / 4
    model = mlp(units=4, activation="softmax", loss="categorical_crossentropy")
    assert not _label_codes(model, normal(300, 8), smoothed)


def test_kd311_rows_outside_0_1_are_not_probabilities():
    y = normal(300, 4) * 5
    model = mlp(units=4, activation="softmax", loss="categorical_crossentropy")
    (finding,) = findings(model, normal(300, 8), y, "KD311")
    assert "values in [0, 1]" in finding.message


def test_kd311_binary_soft_labels_are_legitimate():
    y = np.random.default_rng(0).random((300, 1))
    model = mlp(units=1, activation="sigmoid", loss="binary_crossentropy")
    assert not _label_codes(model, normal(300, 8), y)


def test_kd311_few_distinct_values_are_left_alone():
    y = np.random.default_rng(0).choice([0.3, 1.7, 2.2, 3.9], size=300)
    model = mlp(units=4, activation="softmax", loss="sparse_categorical_crossentropy")
    assert "KD311" not in codes(model, normal(300, 8), y)


def test_kd311_min_distinct_is_a_parameter():
    import kerasdoctor

    y = np.random.default_rng(0).choice([0.3, 1.7, 2.2, 3.9, 5.1], size=300)
    model = mlp(units=6, activation="softmax", loss="sparse_categorical_crossentropy")
    report = kerasdoctor.diagnose(
        model, normal(300, 8), y, select=["KD311"], params={"KD311": {"min_distinct": 5}}
    )
    assert report.codes == ["KD311"]


# -- KD312 -------------------------------------------------------------------------------------


def test_kd312_binary_targets_with_mse_suggest_sigmoid_and_bce():
    (finding,) = findings(mlp(), normal(300, 8), ints(2, 300, 1), "KD312")
    assert finding.fix.startswith("Dense(1, activation='sigmoid', name='out')")
    assert "binary_crossentropy" in finding.fix


def test_kd312_ids_not_from_zero_are_renumbered():
    y = ints(3, 300) + 1  # 1, 2, 3
    (finding,) = findings(mlp(), normal(300, 8), y, "KD312")
    assert "np.unique(y, return_inverse=True)" in finding.fix


@pytest.mark.parametrize("loss", ["mae", "huber", "mean_squared_error"])
def test_kd312_every_regression_loss(loss):
    assert "KD312" in codes(mlp(loss=loss), normal(300, 8), ints(4, 300))


def test_kd312_many_values_look_like_counts():
    y = ints(15, 600)
    assert "KD312" not in codes(mlp(), normal(600, 8), y)
    import kerasdoctor

    report = kerasdoctor.diagnose(
        mlp(), normal(600, 8), y, select=["KD312"], params={"KD312": {"max_classes": 20}}
    )
    assert report.codes == ["KD312"]


def test_kd312_not_on_a_nonlinear_output():
    assert "KD312" not in codes(mlp(activation="sigmoid"), normal(300, 8), ints(2, 300))


def test_kd312_not_with_too_few_samples_per_value():
    assert "KD312" not in codes(mlp(), normal(12, 8), ints(3, 12))


def test_kd312_not_for_continuous_targets():
    assert "KD312" not in codes(mlp(), normal(300, 8), normal(300))


def test_kd311_measurements_with_one_decimal_are_continuous():
    y = np.round(np.random.default_rng(0).normal(21.0, 3.0, size=300), 1)  # e.g. temperatures
    model = mlp(units=10, activation="softmax", loss="sparse_categorical_crossentropy")
    assert _label_codes(model, normal(300, 8), y) == {"KD311"}
