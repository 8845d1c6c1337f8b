from __future__ import annotations

import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._errors import head_for, search, y_for

NOT_COMPILED = re.compile(r"You must call `compile\(\)` before using the model")
# PyTorch: evaluate() on a model never compiled reads the missing attribute directly.
NO_OPTIMIZER = re.compile(r"'(?P<cls>\w+)' object has no attribute 'optimizer'")
_MODEL_CLASSES = ("Sequential", "Functional", "Model")


def _compile_call(ctx: Context) -> str:
    """A compile() call that fits the model's output and labels, when they are known."""
    head = head_for(ctx)
    if head is None:
        return (
            "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
            "metrics=['accuracy'])  # pick the loss for your task"
        )
    y = y_for(ctx, head)
    units = head.units
    if head.activation == "softmax" and units and units > 1:
        loss = "categorical_crossentropy" if y is not None and y.one_hot else (
            "sparse_categorical_crossentropy"
        )
        return f"model.compile(optimizer='adam', loss={loss!r}, metrics=['accuracy'])"
    if head.activation == "sigmoid":
        return "model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])"
    if head.activation == "linear" and y is not None and y.classes and units and units > 1:
        return (
            "model.compile(optimizer='adam', "
            "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), "
            "metrics=['accuracy'])"
        )
    if head.activation == "linear" and (y is None or not y.classes):
        return "model.compile(optimizer='adam', loss='mse')  # regression"
    return "model.compile(optimizer='adam', loss=...)  # the loss for your task"


@rule(
    "KD508",
    "model-not-compiled",
    summary="fit() or evaluate() was called on a model never compiled",
    severity=Severity.ERROR,
    fix="Call `model.compile(optimizer=..., loss=...)` on this model before `fit()` or `evaluate()`.",
)
def model_not_compiled(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for "You must call `compile()` before using the model." (and, on PyTorch,
    `evaluate()`'s "'Sequential' object has no attribute 'optimizer'"), and writes the
    `compile()` call that fits the model's output activation and the labels.

    ## Why is this bad?
    `fit()` and `evaluate()` need a loss and an optimizer. A model is uncompiled when
    `compile()` was never called, was called on another model object (a rebuilt or
    cloned model: `clone_model` does not copy the compile settings), or when the model
    was loaded with `load_model(..., compile=False)`.

    ## Known problems
    The loss proposed is a guess from the output activation (softmax, sigmoid, none) and
    the labels; it is a starting point, not a diagnosis. The PyTorch message is matched
    only when the model's facts (if given) say it is not compiled.

    ## References
    - [Keras: Model.compile](https://keras.io/api/models/model_training_apis/#compile-method)
    - [Keras: clone_model](https://keras.io/api/models/cloning/)
    """
    if search(NOT_COMPILED, ctx) is None:
        m = search(NO_OPTIMIZER, ctx)
        if m is None:
            return
        if ctx.model is not None:
            if ctx.model.compiled or m.group("cls") != ctx.model.cls:
                return
        elif m.group("cls") not in _MODEL_CLASSES:
            return  # another object without an optimizer: not ours to explain
    name = f"Model {ctx.model.name!r}" if ctx.model is not None else "The model"
    yield Issue(
        f"{name} was never compiled, so it has no loss and no optimizer to train or evaluate "
        "with. Common causes: compile() called on another model object, a model rebuilt or "
        "cloned after compile(), or load_model(..., compile=False). "
        f"Received: compiled={False}.",
        expected="model.compile(optimizer=..., loss=...) before fit() or evaluate().",
        fix=_compile_call(ctx),
        evidence={"model": ctx.model.name if ctx.model is not None else None},
    )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = np.arange(64) % 3
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ],
        name="classifier",
    )
    try:
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)  # no compile() before
    except ValueError as error:
        return Context.of(model, x, y, error=error)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = np.arange(64) % 3
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ],
        name="classifier",
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return Context.of(model, x, y)
