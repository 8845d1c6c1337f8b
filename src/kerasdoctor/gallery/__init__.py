"""The gallery of broken models that `kerasdoctor demo` diagnoses: one per fault family.

Each case builds the broken set-up and its fix as `Setup`s (model, x, y, fit arguments),
on small synthetic data. A broken set-up may raise, as Keras does at construction; the
demo then explains the exception.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any


@dataclasses.dataclass(frozen=True)
class Setup:
    model: Any
    x: Any = None
    y: Any = None
    fit_kwargs: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Case:
    """A broken set-up, its fix, and the codes kerasdoctor must report for it."""

    family: str
    title: str
    keras_says: str
    broken: Callable[[], Setup]
    fixed: Callable[[], Setup]
    expects: tuple[str, ...]


def _rng():
    import numpy as np

    return np.random.default_rng(0)


def _images(n: int = 100, channel: bool = True):
    x = _rng().random((n, 28, 28, 1) if channel else (n, 28, 28), dtype="float32")
    return x


def _cnn(channels: int = 1):
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, channels)),
            layers.Conv2D(8, 3, activation="relu", name="conv"),
            layers.MaxPooling2D(name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(10, activation="softmax", name="out"),
        ],
        name="cnn",
    )


def shapes_broken() -> Setup:
    model = _cnn(channels=3)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    y = _rng().integers(0, 10, size=(100, 1))
    return Setup(model, _images(channel=False), y)


def shapes_fixed() -> Setup:
    model = _cnn(channels=1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    y = _rng().integers(0, 10, size=(100,))
    return Setup(model, _images(channel=True), y)


def _mlp(units: int, activation: str | None, hidden: int = 32, features: int = 10):
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((features,)),
            layers.Dense(hidden, activation="relu", name="hidden"),
            layers.Dense(units, activation=activation, name="out"),
        ],
        name="mlp",
    )


def activation_broken() -> Setup:
    model = _mlp(2, "softmax")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return Setup(model, _rng().random((100, 10)), _rng().integers(0, 2, size=(100, 1)))


def activation_fixed() -> Setup:
    model = _mlp(1, "sigmoid")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return Setup(model, _rng().random((100, 10)), _rng().integers(0, 2, size=(100, 1)))


def logits_broken() -> Setup:
    import keras

    model = _mlp(1, None)
    model.compile(
        optimizer="adam",
        loss=keras.losses.BinaryCrossentropy(from_logits=False),
        metrics=["accuracy"],
    )
    return Setup(model, _rng().random((100, 10)), _rng().integers(0, 2, size=(100, 1)))


def logits_fixed() -> Setup:
    import keras

    model = _mlp(1, None)
    model.compile(
        optimizer="adam",
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return Setup(model, _rng().random((100, 10)), _rng().integers(0, 2, size=(100, 1)))


def labels_broken() -> Setup:
    model = _mlp(10, "softmax")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return Setup(model, _rng().random((200, 10)), _rng().integers(1, 11, size=(200,)))


def labels_fixed() -> Setup:
    model = _mlp(10, "softmax")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return Setup(model, _rng().random((200, 10)), _rng().integers(0, 10, size=(200,)))


def optimizer_broken() -> Setup:
    import keras

    model = _mlp(10, "softmax")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=10.0),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return Setup(model, _rng().random((200, 10)), _rng().integers(0, 10, size=(200,)))


def optimizer_fixed() -> Setup:
    import keras

    model = _mlp(10, "softmax")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return Setup(model, _rng().random((200, 10)), _rng().integers(0, 10, size=(200,)))


def pixels_broken() -> Setup:
    import keras
    from keras import layers

    x = (_rng().random((300, 28, 28)) * 255).astype("uint8")
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Flatten(name="flatten"),
            layers.Dense(64, activation="relu", name="hidden"),
            layers.Dense(10, activation="softmax", name="out"),
        ],
        name="mlp",
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return Setup(model, x, _rng().integers(0, 10, size=(300,)))


def pixels_fixed() -> Setup:
    setup = pixels_broken()
    return dataclasses.replace(setup, x=setup.x.astype("float32") / 255.0)


def overfitting_broken() -> Setup:
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input((100,)),
            layers.Dense(128, activation="relu", name="hidden1"),
            layers.Dense(128, activation="relu", name="hidden2"),
            layers.Dense(1, activation="sigmoid", name="out"),
        ],
        name="mlp",
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    x, y = _rng().random((100, 100)), _rng().integers(0, 2, size=(100, 1))
    return Setup(model, x, y, {"epochs": 50, "validation_split": 0.2})


def overfitting_fixed() -> Setup:
    import keras
    from keras import layers, regularizers

    model = keras.Sequential(
        [
            keras.Input((100,)),
            layers.Dense(128, activation="relu", kernel_regularizer=regularizers.l2(1e-3),
                         name="hidden1"),
            layers.Dropout(0.3, name="drop1"),
            layers.Dense(128, activation="relu", kernel_regularizer=regularizers.l2(1e-3),
                         name="hidden2"),
            layers.Dropout(0.3, name="drop2"),
            layers.Dense(1, activation="sigmoid", name="out"),
        ],
        name="mlp",
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    x, y = _rng().random((100, 100)), _rng().integers(0, 2, size=(100, 1))
    stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    return Setup(model, x, y, {"epochs": 50, "validation_split": 0.2, "callbacks": [stop]})


def construction_broken() -> Setup:
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28)),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    return Setup(model)  # never reached: Sequential(...) raises


def construction_fixed() -> Setup:
    model = _cnn(channels=1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Setup(model, _images(), _rng().integers(0, 10, size=(100,)))


CASES: tuple[Case, ...] = (
    Case(
        "shapes",
        "Images without a channel axis, and integer labels with a one-hot loss",
        "Keras reports only the first: 'Invalid input shape ... Expected shape (None, 28, 28, 3)'",
        shapes_broken,
        shapes_fixed,
        ("KD301", "KD303"),
    ),
    Case(
        "activation/loss",
        "A 2-unit softmax output with binary cross-entropy",
        "Keras fails at the first step: 'target.shape=(None, 1), output.shape=(None, 2)'",
        activation_broken,
        activation_fixed,
        ("KD202",),
    ),
    Case(
        "activation/loss",
        "Logits treated as probabilities (no activation, from_logits=False)",
        "Keras says nothing; the model trains to about 66% instead of 95%",
        logits_broken,
        logits_fixed,
        ("KD204",),
    ),
    Case(
        "labels",
        "Labels 1..10 for 10 output units",
        "TensorFlow and PyTorch fail mid-training; JAX trains silently on wrong losses",
        labels_broken,
        labels_fixed,
        ("KD305",),
    ),
    Case(
        "optimiser",
        "SGD with a learning rate of 10",
        "Keras says nothing; the loss becomes NaN (TensorFlow) or freezes (JAX, PyTorch)",
        optimizer_broken,
        optimizer_fixed,
        ("KD209",),
    ),
    Case(
        "data",
        "Raw uint8 pixels 0..255 fed to an MLP",
        "Keras says nothing; training sticks at chance accuracy",
        pixels_broken,
        pixels_fixed,
        ("KD315",),
    ),
    Case(
        "overfitting",
        "29,000 parameters for 80 training samples, no regularisation",
        "Keras says nothing; validation loss climbs from epoch 8 while training reaches 100%",
        overfitting_broken,
        overfitting_fixed,
        ("KD322",),
    ),
    Case(
        "compile failure",
        "Conv2D declared with a 2-D input_shape",
        "Keras: 'expected min_ndim=4, found ndim=3. Full shape received: (None, 28, 28)'",
        construction_broken,
        construction_fixed,
        ("KD501",),
    ),
)


def diagnose_setup(make: Callable[[], Setup], **options: Any):
    """Build a set-up and diagnose it; a set-up that raises is explained instead."""
    from kerasdoctor import engine

    try:
        setup = make()
    except Exception as error:
        return engine.explain(error, **options)
    return engine.diagnose(setup.model, setup.x, setup.y, **setup.fit_kwargs, **options)
