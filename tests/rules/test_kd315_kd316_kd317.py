"""KD315 unscaled-inputs, KD316 constant-features, KD317 non-numeric-data: edge cases."""

import numpy as np
import pytest

from tests.rules.kd3_quality_helpers import codes, findings, ints, mlp, normal

pytestmark = pytest.mark.backend


def _pixels(n=300, shape=(16, 16)):
    return np.random.default_rng(0).integers(0, 256, size=(n, *shape)).astype("uint8")


# -- KD315 -------------------------------------------------------------------------------------


def test_kd315_float_pixels_not_divided_are_still_pixels():
    x = _pixels().astype("float32")
    (finding,) = findings(
        mlp(inputs=(16, 16), units=10, activation="softmax"), x, ints(10, 300), "KD315"
    )
    assert "raw pixel values" in finding.message


def test_kd315_flattened_pixels():
    x = _pixels().reshape(300, -1)
    (finding,) = findings(mlp(inputs=256), x, normal(300, 1), "KD315")
    assert "raw pixel values" in finding.message


@pytest.mark.parametrize("first", ["Rescaling", "Normalization", "BatchNormalization"])
def test_kd315_scaling_layer_at_the_start(first):
    import keras

    layer = {
        "Rescaling": lambda: keras.layers.Rescaling(1 / 255),
        "Normalization": lambda: keras.layers.Normalization(),
        "BatchNormalization": lambda: keras.layers.BatchNormalization(),
    }[first]()
    model = keras.Sequential(
        [
            keras.Input((16, 16)),
            keras.layers.Flatten(),
            layer,
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert "KD315" not in codes(model, _pixels(), ints(10, 300))


def test_kd315_augmentation_does_not_rescale():
    import keras

    model = keras.Sequential(
        [
            keras.Input((16, 16, 1)),
            keras.layers.RandomFlip(),
            keras.layers.Conv2D(4, 3, name="conv"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    (finding,) = findings(model, _pixels()[..., None], ints(10, 300), "KD315")
    assert finding.location.layer == "conv"


def test_kd315_batchnorm_right_after_the_first_conv_is_trusted():
    import keras

    model = keras.Sequential(
        [
            keras.Input((16, 16, 1)),
            keras.layers.Conv2D(4, 3),
            keras.layers.BatchNormalization(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert "KD315" not in codes(model, _pixels()[..., None], ints(10, 300))


def test_kd315_a_lambda_at_the_start_is_trusted():
    import keras

    model = keras.Sequential(
        [
            keras.Input((16, 16)),
            keras.layers.Lambda(lambda t: t / 255.0),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert "KD315" not in codes(model, _pixels().astype("float32"), ints(10, 300))


def test_kd315_token_ids_into_an_embedding_are_not_pixels():
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Embedding(5000, 8),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    assert "KD315" not in codes(model, ints(5000, 300, 20), ints(2, 300, 1))


def test_kd315_columns_of_very_different_scales_are_named():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.uniform(18, 90, 300),
            "rooms": rng.integers(1, 8, 300).astype(float),
            "share": rng.random(300),
            "income": rng.normal(60_000, 20_000, 300),
        }
    )
    (finding,) = findings(mlp(inputs=4), frame, normal(300, 1), "KD315")
    assert "'income'" in finding.message and "'age'" not in finding.message
    assert "norm.adapt(x)" in finding.fix
    assert finding.evidence["columns"] == ["'income'"]


def test_kd315_similar_scales_are_fine():
    rng = np.random.default_rng(0)
    x = np.stack([rng.uniform(18, 90, 300), rng.integers(1, 8, 300), rng.random(300)], axis=1)
    assert "KD315" not in codes(mlp(inputs=3), x, normal(300, 1))


def test_kd315_values_in_the_thousands():
    x = np.random.default_rng(0).normal(5000, 1000, size=(300, 1))
    (finding,) = findings(mlp(inputs=1), x, normal(300, 1), "KD315")
    assert "far from unit scale" in finding.message


def test_kd315_functional_model_with_and_without_rescaling():
    import keras

    for scaled in (True, False):
        inputs = keras.Input((16, 16), name="image")
        h = keras.layers.Rescaling(1 / 255)(inputs) if scaled else inputs
        h = keras.layers.Flatten()(h)
        out = keras.layers.Dense(10, activation="softmax", name="out")(h)
        model = keras.Model(inputs, out)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        assert ("KD315" in codes(model, _pixels(), ints(10, 300))) is not scaled


def test_kd315_unit_scale_images_are_fine():
    x = _pixels().astype("float32") / 255.0
    assert "KD315" not in codes(
        mlp(
            inputs=(16, 16), units=10, activation="softmax", loss="sparse_categorical_crossentropy"
        ),
        x,
        ints(10, 300),
    )


# -- KD316 -------------------------------------------------------------------------------------


def test_kd316_needs_enough_rows():
    x = normal(200, 4)
    x[:, 1] = 3.0
    assert "KD316" not in codes(mlp(inputs=4), x, normal(200, 1))
    import kerasdoctor

    report = kerasdoctor.diagnose(
        mlp(inputs=4), x, normal(200, 1), select=["KD316"], params={"KD316": {"min_rows": 100}}
    )
    assert report.codes == ["KD316"]


def test_kd316_names_pandas_columns():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(normal(600, 3), columns=["a", "b", "c"])
    frame["country"] = 1.0
    (finding,) = findings(mlp(inputs=4), frame, normal(600, 1), "KD316")
    assert "column 'country'" in finding.message
    assert "x.loc[:, x.nunique() > 1]" in finding.fix
    assert finding.severity == "info"


def test_kd316_images_are_not_checked():
    x = np.zeros((600, 8, 8), dtype="float32")
    x[:, 2:6, 2:6] = normal(600, 4, 4)  # constant borders, like MNIST
    assert "KD316" not in codes(mlp(inputs=(8, 8)), x, normal(600, 1))


def test_kd316_sampled_rows_are_said():
    x = normal(5000, 3)
    x[:, 0] = 0.0
    (finding,) = findings(mlp(inputs=3), x, normal(5000, 1), "KD316")
    assert "2048 rows read of 5000" in finding.message


# -- KD317 -------------------------------------------------------------------------------------


def test_kd317_string_inputs_into_a_string_lookup_are_fine():
    import keras

    words = np.array([["red"], ["green"], ["blue"]] * 40)
    lookup = keras.layers.StringLookup(vocabulary=["red", "green", "blue"], output_mode="one_hot")
    inputs = keras.Input((1,), dtype="string", name="colour")
    out = keras.layers.Dense(1, activation="sigmoid", name="out")(lookup(inputs))
    model = keras.Model(inputs, out)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    assert "KD317" not in codes(model, words, ints(2, 120, 1))


def test_kd317_string_inputs_into_a_dense_model():
    words = np.array([["red", "big"], ["green", "small"]] * 60)
    (finding,) = findings(mlp(inputs=2), words, normal(120, 1), "KD317")
    assert "Invalid dtype: str160" in finding.message
    assert "StringLookup" in finding.fix


def test_kd317_pandas_with_a_text_column():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"size": normal(100), "colour": ["red", "blue"] * 50})
    (finding,) = findings(mlp(inputs=2), frame, normal(100, 1), "KD317")
    assert "dtype 'object'" in finding.message
    assert "pd.get_dummies(x, dtype='float32')" in finding.fix


def test_kd317_object_labels():
    y = np.array(["yes", "no"] * 50, dtype=object)
    (finding,) = findings(
        mlp(activation="sigmoid", loss="binary_crossentropy"), normal(100, 8), y, "KD317"
    )
    assert "Invalid dtype: object" in finding.message
    assert "np.unique(y, return_inverse=True)" in finding.fix


def test_kd315_resized_float_images_from_a_directory_pipeline():
    tf = pytest.importorskip("tensorflow")
    images = np.random.default_rng(0).uniform(0, 255, size=(64, 16, 16, 3)).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((images, ints(3, 64))).batch(16)
    import keras

    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    (finding,) = findings(model, data, None, "KD315")
    assert "raw pixel values" in finding.message
