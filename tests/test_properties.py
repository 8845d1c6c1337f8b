"""Property: on any small model, compiled any way or not at all, `diagnose()` never raises and
no check crashes (no KD000).

Hypothesis draws a plain description of a model (a `Spec`: input shape, hidden layers, one or
two heads, losses, optimiser, optional data), then the test builds it. A failing example prints
its spec, and Hypothesis shrinks it to a small one.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, note, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import kerasdoctor  # noqa: E402

HEAD_ACTIVATIONS = ["softmax", "sigmoid", "linear", "relu", "tanh"]
HIDDEN_ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear", "gelu", "softmax"]
LOSS_STRINGS = [
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "bce",
    "mse",
    "mae",
    "mean_squared_error",
    "huber",
    "kld",
    "poisson",
    "hinge",
    "cosine_similarity",
    "CategoricalCrossentropy",
    "binary_focal_crossentropy",
    "not_a_loss",
]
LOSS_CLASSES = [
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
]
OPTIMIZER_STRINGS = ["adam", "sgd", "rmsprop", "adagrad", "adadelta", "ftrl", "nadam", "adamax"]
OPTIMIZER_CLASSES = ["Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "Adadelta", "Ftrl", "Lion"]
SCHEDULES = ["ExponentialDecay", "CosineDecay", "PiecewiseConstantDecay", "InverseTimeDecay"]


@dataclasses.dataclass(frozen=True)
class Spec:
    style: str  # sequential | sequential-unbuilt | functional | functional-nested
    outputs: str  # single | dict | list: how a functional model returns its heads
    input_shape: tuple[int, ...]  # without the batch axis
    hidden: tuple[tuple, ...]  # (kind, *arguments)
    heads: tuple[tuple, ...]  # (key, units, activation, separate, dropout_after)
    loss: Any  # a description, see `make_loss`; None: not compiled
    optimizer: Any
    metrics: bool
    data: str | None  # None, 'onehot', 'int', 'float'


# --------------------------------------------------------------------------------------------
# Strategies: plain data only
# --------------------------------------------------------------------------------------------


@st.composite
def hidden_layers(draw, rank: int, spatial: int) -> tuple[tuple[tuple, ...], int]:
    """Hidden layers valid for an input of `rank` (batch included); returns them and the rank."""
    layers = []
    for _ in range(draw(st.integers(0, 4))):
        options = ["dense", "dropout", "batchnorm", "activation"]
        if rank in (3, 4):
            options += ["conv", "flatten", "global_pool"]
        if rank == 4 and spatial >= 2:
            options.append("pool")
        kind = draw(st.sampled_from(options))
        if kind == "dense":
            layers.append(
                ("dense", draw(st.integers(1, 16)), draw(st.sampled_from(HIDDEN_ACTIVATIONS)))
            )
        elif kind == "conv":
            layers.append(
                ("conv", rank, draw(st.integers(1, 8)), draw(st.sampled_from(["relu", "linear"])))
            )
        elif kind == "dropout":
            layers.append(("dropout", draw(st.sampled_from([0.0, 0.1, 0.5, 0.9]))))
        elif kind == "activation":
            layers.append(("activation", draw(st.sampled_from(HIDDEN_ACTIVATIONS))))
        elif kind == "pool":
            layers.append(("pool",))
            spatial //= 2
        elif kind in ("flatten", "global_pool"):
            layers.append((kind, rank))
            rank = 2
        else:
            layers.append((kind,))
    return tuple(layers), rank


@st.composite
def losses(draw, keys: tuple[str, ...]):
    def one():
        kind = draw(st.sampled_from(["string", "object", "keras-function", "user-function"]))
        if kind == "string":
            return ("string", draw(st.sampled_from(LOSS_STRINGS)))
        if kind == "object":
            return ("object", draw(st.sampled_from(LOSS_CLASSES)), draw(st.booleans()))
        if kind == "keras-function":
            return (
                "keras-function",
                draw(
                    st.sampled_from(
                        ["categorical_crossentropy", "mean_squared_error", "binary_crossentropy"]
                    )
                ),
            )
        return ("user-function",)

    shape = draw(st.sampled_from(["one", "list", "dict"]))
    if shape == "one":
        return ("one", one())
    if shape == "list":
        return ("list", tuple(one() for _ in keys))
    # A dict may leave out outputs (Keras then trains them with no loss), never the first.
    return ("dict", tuple((i, one()) for i in range(len(keys)) if i == 0 or draw(st.booleans())))


@st.composite
def optimizers(draw):
    kind = draw(st.sampled_from(["string", "object", "schedule", "loss-scale"]))
    if kind == "string":
        return ("string", draw(st.sampled_from(OPTIMIZER_STRINGS)))
    rate = draw(st.sampled_from([1e-6, 1e-4, 1e-3, 3e-3, 0.01, 0.1, 1.0, 10.0, 100.0]))
    cls = draw(st.sampled_from(OPTIMIZER_CLASSES))
    if kind == "schedule":
        return ("schedule", cls, draw(st.sampled_from(SCHEDULES)), rate)
    return (kind, cls, rate)


@st.composite
def specs(draw) -> Spec:
    style = draw(
        st.sampled_from(["sequential", "sequential-unbuilt", "functional", "functional-nested"])
    )
    rank = draw(st.integers(2, 4))  # with the batch axis
    if rank == 2:
        input_shape = (draw(st.integers(1, 16)),)
    elif rank == 3:
        input_shape = (draw(st.integers(2, 8)), draw(st.integers(1, 6)))
    else:
        side = draw(st.integers(4, 10))
        input_shape = (side, side, draw(st.integers(1, 3)))
    hidden, _ = draw(hidden_layers(rank, min(input_shape[:-1], default=0)))
    two = style.startswith("functional") and draw(st.booleans())
    keys = ("main", "aux") if two else ("out",)
    if not style.startswith("functional"):
        outputs = "single"
    else:
        outputs = draw(st.sampled_from(["dict", "list"] if two else ["single", "dict"]))
    heads = tuple(
        (
            key,
            draw(st.integers(1, 12)),
            draw(st.sampled_from(HEAD_ACTIVATIONS)),
            draw(st.sampled_from([None, "activation", "softmax-layer"])),
            draw(st.booleans()),
        )
        for key in keys
    )
    compiled = draw(st.integers(0, 4)) > 0
    return Spec(
        style=style,
        outputs=outputs,
        input_shape=input_shape,
        hidden=hidden,
        heads=heads,
        loss=draw(losses(keys)) if compiled else None,
        optimizer=draw(optimizers()) if compiled else None,
        metrics=draw(st.booleans()),
        data=draw(st.sampled_from([None, None, "onehot", "int", "float"])),
    )


# --------------------------------------------------------------------------------------------
# From a spec to live Keras objects
# --------------------------------------------------------------------------------------------


def user_loss(y_true, y_pred):
    import keras

    return keras.ops.mean(keras.ops.square(y_true - y_pred))


def make_hidden(layer: tuple):
    import keras

    L = keras.layers
    kind, *args = layer
    if kind == "dense":
        return L.Dense(args[0], activation=args[1])
    if kind == "conv":
        conv = L.Conv1D if args[0] == 3 else L.Conv2D
        return conv(args[1], 3, padding="same", activation=args[2])
    if kind == "dropout":
        return L.Dropout(args[0])
    if kind == "batchnorm":
        return L.BatchNormalization()
    if kind == "activation":
        return L.Activation(args[0])
    if kind == "pool":
        return L.MaxPooling2D(2)
    if kind == "flatten":
        return L.Flatten()
    return L.GlobalAveragePooling1D() if args[0] == 3 else L.GlobalAveragePooling2D()


def make_head(head: tuple) -> list:
    import keras

    L = keras.layers
    key, units, activation, separate, dropout_after = head
    if separate is None:
        layers = [L.Dense(units, activation=activation, name=key)]
    elif separate == "softmax-layer":
        layers = [L.Dense(units, name=f"{key}_logits"), L.Softmax(name=key)]
    else:
        layers = [L.Dense(units, name=f"{key}_logits"), L.Activation(activation, name=key)]
    if dropout_after:
        layers.append(L.Dropout(0.2, name=f"{key}_dropout"))
    return layers


def make_loss(description):
    import keras

    kind, *args = description
    if kind == "string":
        return args[0]
    if kind == "object":
        return getattr(keras.losses, args[0])(from_logits=args[1])
    if kind == "keras-function":
        return getattr(keras.losses, args[0])
    return user_loss


def make_optimizer(description):
    import keras

    kind, *args = description
    if kind == "string":
        return args[0]
    if kind == "schedule":
        cls, schedule, rate = args
        schedules = keras.optimizers.schedules
        lr = {
            "ExponentialDecay": lambda: schedules.ExponentialDecay(rate, 100, 0.9),
            "CosineDecay": lambda: schedules.CosineDecay(rate, 100),
            "PiecewiseConstantDecay": lambda: schedules.PiecewiseConstantDecay(
                [10], [rate, rate / 10]
            ),
            "InverseTimeDecay": lambda: schedules.InverseTimeDecay(rate, 100, 0.5),
        }[schedule]()
        return getattr(keras.optimizers, cls)(learning_rate=lr)
    cls, rate = args
    optimizer = getattr(keras.optimizers, cls)(learning_rate=rate)
    if kind == "loss-scale":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def make_model(spec: Spec):
    import keras

    hidden = [make_hidden(layer) for layer in spec.hidden]
    if spec.style.startswith("sequential"):
        head = make_head(spec.heads[0])
        inputs = [] if spec.style == "sequential-unbuilt" else [keras.Input(spec.input_shape)]
        model = keras.Sequential([*inputs, *hidden, *head])
    else:
        inputs = keras.Input(spec.input_shape, name="x")
        if spec.style == "functional-nested" and hidden:
            trunk = keras.Sequential([keras.Input(spec.input_shape), *hidden], name="trunk")
            x = trunk(inputs)
        else:
            x = inputs
            for layer in hidden:
                x = layer(x)
        outputs = {}
        for head in spec.heads:
            y = x
            for layer in make_head(head):
                y = layer(y)
            outputs[head[0]] = y
        if spec.outputs == "dict":
            model = keras.Model(inputs, outputs)
        elif spec.outputs == "list":
            model = keras.Model(inputs, list(outputs.values()))
        else:
            model = keras.Model(inputs, outputs[spec.heads[0][0]])

    if spec.loss is not None:
        shape, value = spec.loss
        if shape == "one":
            loss = make_loss(value)
        elif shape == "list":
            loss = [make_loss(v) for v in value]
        else:  # keyed by the output's dict key, else by the name of its last layer
            keys = [
                head[0] if spec.outputs == "dict" else head[0] + "_dropout" * head[4]
                for head in spec.heads
            ]
            loss = {keys[i]: make_loss(v) for i, v in value}
        model.compile(
            optimizer=make_optimizer(spec.optimizer),
            loss=loss,
            metrics=["accuracy"] if spec.metrics else None,
        )
    return model


def make_data(spec: Spec, rows: int = 24):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, *spec.input_shape)).astype("float32")
    if spec.data is None:
        return None, None

    def target(units: int):
        if spec.data == "int":
            return rng.integers(0, units + 1, size=(rows,))
        if spec.data == "onehot":
            return np.eye(units, dtype="float32")[rng.integers(0, units, size=rows)]
        return rng.uniform(size=(rows, units)).astype("float32")

    targets = {head[0]: target(head[1]) for head in spec.heads}
    if len(targets) == 1:
        return x, next(iter(targets.values()))
    return x, targets


# --------------------------------------------------------------------------------------------
# The property
# --------------------------------------------------------------------------------------------


@pytest.mark.backend
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # conftest's clear_session; each example clears too
    ],
)
@given(spec=specs())
def test_diagnose_never_raises_and_no_check_crashes(spec):
    import keras

    keras.backend.clear_session()
    note(repr(spec))
    model = make_model(spec)
    x, y = make_data(spec)
    built = model.built

    report = kerasdoctor.diagnose(model, x, y)

    assert "KD000" not in report.codes, report.to_text()
    assert report.to_text() and report.to_json()
    assert model.built == built  # diagnose reads the model, never builds it
