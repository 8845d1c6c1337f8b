"""KD318-KD323: class imbalance, validation splits and overlap, capacity, unread data."""

import numpy as np
import pytest

from tests.rules.kd3_quality_helpers import codes, findings, ints, mlp, normal

pytestmark = pytest.mark.backend


def _binary(n=1000, positives=30):
    y = np.zeros((n, 1), dtype="int64")
    y[np.random.default_rng(0).choice(n, size=positives, replace=False)] = 1
    return y


# -- KD318 -------------------------------------------------------------------------------------


def test_kd318_sample_weight_counts_as_handled():
    model = mlp(activation="sigmoid", loss="binary_crossentropy")
    y = _binary()
    assert "KD318" in codes(model, normal(1000, 8), y)
    weights = np.where(y[:, 0] == 1, 16.7, 0.515)
    assert "KD318" not in codes(model, normal(1000, 8), y, sample_weight=weights)


def test_kd318_focal_loss_is_made_for_imbalance():
    model = mlp(activation="sigmoid", loss="binary_focal_crossentropy")
    assert "KD318" not in codes(model, normal(1000, 8), _binary())


def test_kd318_threshold():
    model = mlp(activation="sigmoid", loss="binary_crossentropy")
    assert "KD318" not in codes(model, normal(1000, 8), _binary(positives=60))  # 94%
    import kerasdoctor

    report = kerasdoctor.diagnose(
        model,
        normal(1000, 8),
        _binary(positives=60),
        select=["KD318"],
        params={"KD318": {"max_share": 0.9}},
    )
    assert report.codes == ["KD318"]


def test_kd318_multi_class_one_hot_labels():
    ids = np.zeros(1000, dtype="int64")
    ids[:15], ids[15:30] = 1, 2
    onehot = np.eye(3)[ids]
    model = mlp(units=3, activation="softmax", loss="categorical_crossentropy")
    (finding,) = findings(model, normal(1000, 8), onehot, "KD318")
    assert "class_weight = {0: 0.344, 1: 22.2, 2: 22.2}" in finding.fix
    assert "classification_report" in finding.fix


def test_kd318_a_single_class_is_not_imbalance():
    model = mlp(activation="sigmoid", loss="binary_crossentropy")
    assert "KD318" not in codes(model, normal(100, 8), np.zeros((100, 1)))


# -- KD319 / KD320 -----------------------------------------------------------------------------


def test_kd319_sorted_binary_labels_give_a_skewed_split():
    y = np.sort(ints(2, 500))[:, None]  # all zeros first
    x = normal(500, 8)
    model = mlp(activation="sigmoid", loss="binary_crossentropy")
    (finding,) = findings(model, x, y, "KD319", validation_split=0.2)
    assert finding.severity == "warning"
    assert "total variation distance" in finding.message


def test_kd319_a_rare_class_landing_in_validation_by_chance_is_not_sorting():
    y = ints(4, 300)
    y[-1] = 4  # one sample of class 4, in the validation part
    model = mlp(units=5, activation="softmax", loss="sparse_categorical_crossentropy")
    assert "KD319" not in codes(model, normal(300, 8), y, validation_split=0.2)


def test_kd319_one_hot_labels():
    ids = np.repeat(np.arange(5), 100)
    model = mlp(units=5, activation="softmax", loss="categorical_crossentropy")
    (finding,) = findings(model, normal(500, 8), np.eye(5)[ids], "KD319", validation_split=0.2)
    assert finding.severity == "error"
    assert finding.evidence["unseen_classes"] == [4]


def test_kd320_is_not_about_validation_split():
    y = np.repeat(np.arange(5), 100)
    model = mlp(units=5, activation="softmax", loss="sparse_categorical_crossentropy")
    assert "KD320" not in codes(model, normal(500, 8), y, validation_split=0.2)


def test_kd320_ids_encoded_separately_for_each_part():
    names_train = np.array(["cat", "dog"] * 100)
    names_val = np.array(["dog", "fox"] * 20)
    _, y_train = np.unique(names_train, return_inverse=True)
    y_val = np.searchsorted(["cat", "dog", "fox"], names_val)  # fox gets id 2
    model = mlp(units=3, activation="softmax", loss="sparse_categorical_crossentropy")
    (finding,) = findings(
        model, normal(200, 8), y_train, "KD320", validation_data=(normal(40, 8, seed=1), y_val)
    )
    assert finding.evidence["unseen_classes"] == [2]


# -- KD321 -------------------------------------------------------------------------------------


def test_kd321_validation_data_cut_from_the_training_arrays():
    x, y = normal(400, 8), ints(2, 400, 1)
    model = mlp(activation="sigmoid", loss="binary_crossentropy")
    (finding,) = findings(model, x, y, "KD321", validation_data=(x[:80], y[:80]))
    assert finding.message.startswith("80 of the 80 validation rows checked (100%)")
    assert "(validation_data)" in finding.message
    assert "x_val, y_val = x_val[keep], y_val[keep]" in finding.fix


def test_kd321_few_categorical_columns_coincide_by_chance():
    x = ints(3, 400, 4)  # 81 possible rows: repeats are natural
    model = mlp(inputs=4, activation="sigmoid", loss="binary_crossentropy")
    assert "KD321" not in codes(model, x, ints(2, 400, 1), validation_split=0.2)


def test_kd321_images_are_compared_too():
    x = np.random.default_rng(0).integers(0, 256, size=(200, 8, 8)).astype("uint8")
    x[180:] = x[:20]
    model = mlp(inputs=(8, 8), activation="sigmoid", loss="binary_crossentropy")
    (finding,) = findings(model, x, ints(2, 200, 1), "KD321", validation_split=0.2)
    assert finding.evidence["val_duplicates"] == 20


# -- KD322 -------------------------------------------------------------------------------------


def _big(**compile_kwargs):
    import keras

    model = keras.Sequential(
        [
            keras.Input((100,)),
            keras.layers.Dense(256, activation="relu", name="wide"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(loss="binary_crossentropy", **{"optimizer": "adam", **compile_kwargs})
    return model


def test_kd322_without_validation_nothing_shows_it():
    (finding,) = findings(_big(), normal(100, 100), ints(2, 100, 1), "KD322", epochs=30)
    assert finding.severity == "warning"
    assert "without validation data nothing will show it" in finding.message
    assert "validation_data=None" in finding.message


def test_kd322_early_stopping_on_validation_data_is_enough():
    import keras

    stop = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)
    assert "KD322" not in codes(
        _big(), normal(100, 100), ints(2, 100, 1), epochs=30, validation_split=0.2, callbacks=[stop]
    )


def test_kd322_early_stopping_without_validation_data_does_nothing():
    import keras

    stop = keras.callbacks.EarlyStopping(patience=3)
    (finding,) = findings(
        _big(), normal(100, 100), ints(2, 100, 1), "KD322", epochs=30, callbacks=[stop]
    )
    assert "EarlyStopping without validation data" in finding.message


def test_kd322_weight_decay_is_a_weight_penalty():
    import keras

    model = _big(optimizer=keras.optimizers.AdamW(weight_decay=0.01))
    assert "KD322" not in codes(model, normal(100, 100), ints(2, 100, 1), epochs=30)


def test_kd322_enough_data_is_fine():
    assert "KD322" not in codes(_big(), normal(2000, 100), ints(2, 2000, 1), epochs=30)


def test_kd322_unbuilt_model_has_no_parameter_count():
    import keras

    model = keras.Sequential(
        [keras.layers.Dense(256, activation="relu"), keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    assert "KD322" not in codes(model, normal(50, 100), ints(2, 50, 1), epochs=30)


def test_kd322_a_dataset_read_in_part_has_no_sample_count():
    tf = pytest.importorskip("tensorflow")
    data = tf.data.Dataset.from_tensor_slices((normal(5000, 100), ints(2, 5000, 1))).batch(16)
    assert "KD322" not in codes(_big(), data, epochs=30)


def test_kd322_a_small_dataset_read_whole_is_counted():
    tf = pytest.importorskip("tensorflow")
    data = tf.data.Dataset.from_tensor_slices((normal(100, 100), ints(2, 100, 1))).batch(32)
    (finding,) = findings(_big(), data, None, "KD322", epochs=30)
    assert finding.evidence["training_samples"] == 100


# -- KD323 -------------------------------------------------------------------------------------


def test_kd323_unknown_container():
    class Rows:
        def __iter__(self):
            return iter([])

    (finding,) = findings(mlp(), Rows(), None, "KD323")
    assert "x of type Rows is not a kind of data kerasdoctor reads" in finding.message
    assert finding.severity == "info"


def test_kd323_generator_is_not_consumed():
    def batches():
        for _ in range(3):
            yield normal(4, 8), normal(4, 1)

    gen = batches()
    (finding,) = findings(mlp(), gen, None, "KD323")
    assert "generator" in finding.message
    assert len(list(gen)) == 3  # every batch is still there for fit()


def test_kd319_kd320_integer_regression_targets_are_not_classes():
    y = np.sort(ints(60, 500))  # counts, in time order: the last ones are the largest
    x = normal(500, 8)
    assert not {"KD319", "KD320"} & codes(mlp(), x, y, validation_split=0.2)
    assert not {"KD319", "KD320"} & codes(
        mlp(), x[:400], y[:400], validation_data=(x[400:], y[400:])
    )
