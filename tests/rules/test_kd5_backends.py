"""The exception rules (KD5xx) on what Keras really raises, on the current backend.

Each fault is run for real (tiny models, one batch) and `kerasdoctor.explain(e, model, x, y)`
must name the right rule, with the user's own shapes and names in the explanation. Faults that
a backend does not raise (out-of-range labels and ids on JAX, `steps_per_execution` on
TensorFlow and JAX) are checked to stay silent there, so a Keras change is noticed.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import kerasdoctor

BACKEND = os.environ.get("KERAS_BACKEND", "jax")


def _fit(model, x, y, **kwargs):
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, **kwargs)


def _raise(build):
    """Run `build`, which ends by raising; return (error, model, x, y) or None if nothing raised."""
    holder: dict = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build(holder)
    except Exception as error:  # every backend raises its own type
        return error, holder.get("model"), holder.get("x"), holder.get("y")
    return None


def _explain(build):
    raised = _raise(build)
    assert raised is not None, "Keras no longer raises here: update the rule and its docs"
    error, model, x, y = raised
    return kerasdoctor.explain(error, model, x, y), error


def _codes(report):
    return [f.code for f in report.findings]


# --------------------------------------------------------------------------------------------
# The faults, as a user writes them
# --------------------------------------------------------------------------------------------


def conv2d_input_shape_without_channels(h):  # seed E: raises inside Sequential(...)
    import keras

    keras.Sequential(
        [keras.layers.Conv2D(32, 3, input_shape=(28, 28)), keras.layers.Flatten(),
         keras.layers.Dense(10, activation="softmax")]
    )


def lstm_input_shape_flat(h):  # seed L1
    import keras

    keras.Sequential([keras.layers.LSTM(32, input_shape=(10,)), keras.layers.Dense(1)])


def conv2d_fed_images_without_channels(h):
    import keras

    h["x"], h["y"] = np.zeros((64, 28, 28), "float32"), np.arange(64) % 10
    h["model"] = m = keras.Sequential(
        [keras.layers.Conv2D(4, 3, name="conv"), keras.layers.Flatten(name="flat"),
         keras.layers.Dense(10, activation="softmax", name="out")]
    )
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    _fit(m, h["x"], h["y"])


def dense_fed_other_width(h):
    import keras

    h["model"] = m = keras.Sequential([keras.layers.Dense(4, name="hidden"), keras.layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    _fit(m, np.zeros((64, 10), "float32"), np.zeros((64, 1), "float32"))
    h["x"], h["y"] = np.zeros((64, 12), "float32"), np.zeros((64, 1), "float32")
    _fit(m, h["x"], h["y"])


def grayscale_into_rgb_input(h):  # seed A
    import keras

    h["x"], h["y"] = np.random.rand(64, 28, 28).astype("float32"), np.arange(64) % 10
    h["model"] = m = keras.Sequential(
        [keras.Input((28, 28, 3)), keras.layers.Conv2D(4, 3, name="conv"),
         keras.layers.Flatten(name="flat"), keras.layers.Dense(10, activation="softmax", name="out")]
    )
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    _fit(m, h["x"], h["y"])


def flat_pixels_into_image_input(h):
    import keras

    h["x"], h["y"] = np.ones((64, 784), "float32"), np.arange(64) % 10
    h["model"] = m = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(name="flat"),
         keras.layers.Dense(10, activation="softmax", name="out")]
    )
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    _fit(m, h["x"], h["y"])


def int_labels_with_cce(h):  # seed A2
    import keras

    h["x"], h["y"] = np.zeros((64, 8), "float32"), (np.arange(64) % 10).reshape(-1, 1)
    h["model"] = m = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(10, activation="softmax", name="out")]
    )
    m.compile(optimizer="adam", loss="categorical_crossentropy")
    _fit(m, h["x"], h["y"])


def softmax2_with_bce(h):  # seed C
    import keras

    h["x"], h["y"] = np.zeros((64, 8), "float32"), (np.arange(64) % 2).reshape(-1, 1)
    h["model"] = m = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(2, activation="softmax", name="out")]
    )
    m.compile(optimizer="adam", loss="binary_crossentropy")
    _fit(m, h["x"], h["y"])


def one_hot_labels_with_scce(h):
    import keras

    h["x"], h["y"] = np.zeros((64, 8), "float32"), np.eye(3)[np.arange(64) % 3]
    h["model"] = m = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(3, activation="softmax", name="out")]
    )
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    _fit(m, h["x"], h["y"])


def missing_flatten(h):
    import keras

    h["x"], h["y"] = np.zeros((64, 28, 28), "float32"), np.arange(64) % 10
    h["model"] = m = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Dense(16, activation="relu", name="hidden"),
         keras.layers.Dense(10, activation="softmax", name="out")]
    )
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    _fit(m, h["x"], h["y"])


def mse_targets_do_not_broadcast(h):
    import keras

    h["x"], h["y"] = np.zeros((64, 8), "float32"), np.zeros((64,), "float32")
    h["model"] = m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3, name="out")])
    m.compile(optimizer="adam", loss="mse")
    _fit(m, h["x"], h["y"])


def labels_one_to_ten(h):  # seed K
    import keras

    h["x"], h["y"] = np.random.rand(64, 8).astype("float32"), np.arange(64) % 10 + 1
    h["model"] = m = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(10, activation="softmax", name="out")]
    )
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    _fit(m, h["x"], h["y"])


def embedding_ids_past_vocabulary(h):
    import keras

    h["x"], h["y"] = np.full((64, 5), 50), np.zeros((64, 1), "float32")
    h["model"] = m = keras.Sequential(
        [keras.Input((5,), dtype="int32"), keras.layers.Embedding(50, 4, name="tokens"),
         keras.layers.Flatten(name="flat"), keras.layers.Dense(1, name="out")]
    )
    m.compile(optimizer="adam", loss="mse")
    _fit(m, h["x"], h["y"])


def y_shorter_than_x(h):
    import keras

    h["x"], h["y"] = np.zeros((100, 8), "float32"), np.zeros((90, 1), "float32")
    h["model"] = m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, name="out")])
    m.compile(optimizer="adam", loss="mse")
    _fit(m, h["x"], h["y"])


def string_labels(h):
    import keras

    h["x"], h["y"] = np.zeros((60, 8), "float32"), np.array(["cat", "dog", "bird"] * 20)
    h["model"] = m = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(3, activation="softmax", name="out")]
    )
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    _fit(m, h["x"], h["y"])


def fit_before_compile(h):
    import keras

    h["x"], h["y"] = np.zeros((64, 8), "float32"), np.arange(64) % 3
    h["model"] = m = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(3, activation="softmax", name="out")]
    )
    _fit(m, h["x"], h["y"])


def misspelt_loss(h):
    import keras

    h["x"], h["y"] = np.zeros((64, 8), "float32"), np.zeros((64, 1), "float32")
    h["model"] = m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, name="out")])
    m.compile(optimizer="adam", loss="mean_squared_eror")
    _fit(m, h["x"], h["y"])


def misspelt_optimizer(h):
    import keras

    h["model"] = m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, name="out")])
    m.compile(optimizer="adamw2", loss="mse")


def misspelt_activation(h):
    import keras

    keras.layers.Dense(3, activation="Relu")


def integer_learning_rate(h):  # seed N1
    import keras

    keras.optimizers.SGD(learning_rate=10)


def legacy_lr_argument(h):
    import keras

    keras.optimizers.Adam(lr=0.01)


def loss_keyed_by_layer_names(h):
    import keras

    i = keras.Input((8,), name="features")
    h["model"] = m = keras.Model(
        i, {"a": keras.layers.Dense(3, name="cls")(i), "b": keras.layers.Dense(1, name="reg")(i)}
    )
    m.compile(optimizer="adam", loss={"cls": "mse", "reg": "mse"})
    h["x"] = np.zeros((64, 8), "float32")
    h["y"] = {"a": np.zeros((64, 3), "float32"), "b": np.zeros((64, 1), "float32")}
    _fit(m, h["x"], h["y"])


def one_y_for_two_outputs(h):
    import keras

    i = keras.Input((8,))
    h["model"] = m = keras.Model(
        i, [keras.layers.Dense(3, name="cls")(i), keras.layers.Dense(1, name="reg")(i)]
    )
    m.compile(optimizer="adam", loss=["mse", "mse"])
    h["x"], h["y"] = np.zeros((64, 8), "float32"), np.zeros((64, 3), "float32")
    _fit(m, h["x"], h["y"])


def steps_per_execution_10(h):
    import keras

    h["x"], h["y"] = np.zeros((64, 8), "float32"), np.zeros((64, 1), "float32")
    h["model"] = m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, name="out")])
    m.compile(optimizer="adam", loss="mse", steps_per_execution=10)
    _fit(m, h["x"], h["y"])


# (fault, code, phrases the explanation must contain: the user's own shapes and names)
FAULTS = [
    (conv2d_input_shape_without_channels, "KD501",
     ["Conv2D", "4-D input (batch, height, width, channels)", "keras.Input((28, 28, 1))",
      "x = x[..., None]"]),
    (lstm_input_shape_flat, "KD501", ["LSTM", "(batch, timesteps, features)", "keras.Input((10, 1))"]),
    (conv2d_fed_images_without_channels, "KD501",
     ["Your x has shape (64, 28, 28)", "(64, 28, 28) -> (64, 28, 28, 1)", "keras.Input((28, 28, 1))"]),
    (dense_fed_other_width, "KD501", ["10", "12"]),
    (grayscale_into_rgb_input, "KD502",
     ["(None, 28, 28, 3)", "x.shape=(64, 28, 28)", "keras.Input((28, 28, 1))", "np.repeat"]),
    (flat_pixels_into_image_input, "KD502", ["784 = 28×28×1", "x.reshape(-1, 28, 28, 1)"]),
    (int_labels_with_cce, "KD503",
     ["target.shape=(None, 1), output.shape=(None, 10)", "'sparse_categorical_crossentropy'",
      "to_categorical(y, 10)"]),
    (softmax2_with_bce, "KD503", ["Dense(1, activation='sigmoid', name='out')"]),
    (one_hot_labels_with_scce, "KD503", ["one-hot", "'categorical_crossentropy'", "np.argmax"]),
    (missing_flatten, "KD503", ["(None, 28, 10)", "Flatten()  # insert before 'hidden'"]),
    (mse_targets_do_not_broadcast, "KD504",
     ["y of shape (64,)", "output 'out' of shape (None, 3)", "Dense(1, name='out')"]),
    (labels_one_to_ten, "KD505", ["1-based", "y = y - 1"]),
    (embedding_ids_past_vocabulary, "KD505",
     ["Embedding layer 'tokens'", "input_dim=51, output_dim=4, name='tokens'"]),
    (y_shorter_than_x, "KD506", ["x has 100; y has 90"]),
    (string_labels, "KD507", ["targets y", "np.unique(y, return_inverse=True)"]),
    (fit_before_compile, "KD508", ["loss='sparse_categorical_crossentropy'"]),
    (misspelt_loss, "KD509", ["Did you mean 'mean_squared_error'?", "at the first fit() step"]),
    (misspelt_optimizer, "KD509", ["optimizer='adamw'"]),
    (misspelt_activation, "KD509", ["activation='relu'"]),
    (integer_learning_rate, "KD510", ["integer 10", "learning_rate=0.01"]),
    (legacy_lr_argument, "KD510", ["learning_rate=...  # instead of lr="]),
    (loss_keyed_by_layer_names, "KD511",
     ["layer name 'cls'", "loss={'a': 'mse', 'b': 'mse'}"]),
    (one_y_for_two_outputs, "KD511", ["2 outputs", "[y_1, y_2, ...]"]),
    (steps_per_execution_10, "KD510", ["steps_per_execution=10", "PyTorch"]),
]
# What a backend does not raise at all (Keras is silent there).
SILENT = {
    ("jax", "labels_one_to_ten"),
    ("jax", "embedding_ids_past_vocabulary"),
    ("jax", "steps_per_execution_10"),
    ("tensorflow", "steps_per_execution_10"),
}


@pytest.mark.backend
@pytest.mark.parametrize("fault, code, phrases", FAULTS, ids=[f[0].__name__ for f in FAULTS])
def test_real_fault_is_explained(fault, code, phrases):
    if (BACKEND, fault.__name__) in SILENT:
        assert _raise(fault) is None, f"{BACKEND} now raises for {fault.__name__}: explain it"
        return
    report, error = _explain(fault)
    assert _codes(report) == [code], f"{type(error).__name__}: {error}\n{report.to_text()}"
    text = report.to_text()
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} missing from:\n{text}"


@pytest.mark.backend
def test_explanations_read_the_same_on_every_backend():
    """Shapes are reported without the backend's batch size or torch.Size."""
    report, _ = _explain(int_labels_with_cce)
    finding = report.findings[0]
    assert finding.message == (
        "The loss 'categorical_crossentropy' compares targets of shape (None, 1) with outputs of "
        "shape (None, 10): the labels are integer class ids (y holds the class ids 0..9), but "
        "'categorical_crossentropy' expects one-hot labels with one column per class (10). Your "
        "y has shape (64, 1). Received: target.shape=(None, 1), output.shape=(None, 10), "
        "loss='categorical_crossentropy'."
    )
    report, _ = _explain(mse_targets_do_not_broadcast)
    assert "torch.Size" not in report.to_text() and "(32," not in report.to_text()


@pytest.mark.backend
def test_the_exception_is_left_unchanged():
    """explain() reads the exception; the user's exception object is not modified."""
    raised = _raise(int_labels_with_cce)
    error, model, x, y = raised
    before = (type(error), str(error), error.args)
    kerasdoctor.explain(error, model, x, y)
    assert (type(error), str(error), error.args) == before


@pytest.mark.backend
def test_explain_without_model_still_explains():
    report, _ = _explain(grayscale_into_rgb_input)
    raised = _raise(grayscale_into_rgb_input)
    alone = kerasdoctor.explain(raised[0])
    assert _codes(alone) == _codes(report) == ["KD502"]
    assert "(None, 28, 28, 3)" in alone.to_text()


def test_unknown_identifier_names_match_keras():
    """KD509's list of valid names is Keras's own, so its suggestions stay valid."""
    from keras.src import (
        activations,
        constraints,
        initializers,
        losses,
        metrics,
        optimizers,
        regularizers,
    )

    from kerasdoctor.rules.kd509_unknown_identifier import NAMES

    internal = {"optimizer", "optimizermap", "lossscaleoptimizer", "multioptimizer", "metric",
                "mean_metric_wrapper", "initializer", "regularizer", "constraint"}
    modules = {"loss": losses, "optimizer": optimizers, "metric": metrics,
               "activation": activations, "initializer": initializers,
               "regularizer": regularizers, "constraint": constraints}
    for kind, module in modules.items():
        keras_names = {k for k in module.ALL_OBJECTS_DICT if isinstance(k, str) and k == k.lower()}
        ours = set(NAMES[kind]) - ({"acc", "crossentropy"} if kind == "metric" else set())
        assert ours == keras_names - internal, kind


def test_default_layer_names_match_keras():
    """KD501 recognises a layer's class from Keras's default name for it."""
    from keras.src.utils.naming import to_snake_case

    from kerasdoctor.rules._errors import _DEFAULT_NAMES

    for name, cls in _DEFAULT_NAMES.items():
        assert to_snake_case(cls) == name, (name, cls)
