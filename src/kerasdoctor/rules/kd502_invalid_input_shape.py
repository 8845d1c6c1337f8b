from __future__ import annotations

import math
import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._errors import SHAPE, batchless, data_x, fmt, known, parse_shape, search

# The model's input check (Functional/Sequential with an Input). The input's repr comes
# first: `Tensor("data:0", ...)` on TensorFlow, `JitTracer(...)` on JAX, and on PyTorch the
# whole tensor printed over many lines: hence re.S and a lazy match up to "with name".
INVALID = re.compile(
    r"Invalid input shape for input .*? with name '(?P<name>[^']*)' and path '(?P<path>[^']*)'\. "
    rf"Expected shape (?P<expected>{SHAPE}), but input has incompatible shape (?P<shape>{SHAPE})",
    re.S,
)
# A Functional model's own input spec, raised by predict()/evaluate() on TensorFlow and PyTorch.
SPEC = re.compile(
    r"Input (?P<idx>\d+) with name '(?P<name>[^']*)' of layer '(?P<layer>[^']+)' is incompatible "
    rf"with the layer: expected shape=(?P<expected>{SHAPE}), found shape=(?P<shape>{SHAPE})"
)


def _dims(shape: tuple) -> str:
    return "×".join(str(d) for d in shape)


def _diagnose(expected: tuple, received: tuple, x_shape: tuple | None) -> tuple[str, str]:
    """(what is wrong, code that fixes it) for data of shape `received` fed to `expected`."""
    want, got = expected[1:], received[1:]
    data = fmt(x_shape) if x_shape else None
    arrow = lambda new: f"{data} -> {fmt((x_shape[0], *new))}" if x_shape else ""  # noqa: E731

    if len(got) == len(want) - 1 and tuple(got) == tuple(want[:-1]):
        channels = want[-1]
        if channels == 1:
            return (
                "the data lacks the trailing axis of size 1 (the channel axis)",
                f"x = x[..., None]  # {arrow(want)}".rstrip(" #"),
            )
        if len(want) == 3:
            return (
                f"the images have no channel axis (grayscale?), but the model expects "
                f"{channels} channels",
                f"keras.Input({(*got, 1)})  # if the images are grayscale: declare 1 channel\n"
                f"x = x[..., None]  # {arrow((*got, 1))}".rstrip(" #")
                + f"\n# or give the data {channels} channels: "
                f"x = np.repeat(x[..., None], {channels}, axis=-1)",
            )
        return (
            f"the data lacks the last axis, of size {channels}",
            f"# give x a last axis of size {channels}: shape (n, {', '.join(map(str, want))})",
        )
    if len(got) == len(want) + 1 and tuple(got[:-1]) == tuple(want) and got[-1] == 1:
        return (
            "the data has an extra trailing axis of size 1",
            f"x = x.squeeze(-1)  # {arrow(want)}".rstrip(" #"),
        )
    if known(expected) and known(received) and len(got) != len(want):
        if math.prod(got) == math.prod(want):
            if len(got) < len(want):
                what = f"the data is flattened: {math.prod(got)} = {_dims(want)}"
            else:
                what = f"the data is not flattened: {_dims(got)} = {math.prod(want)}"
            return (
                what,
                f"x = x.reshape(-1, {', '.join(map(str, want))})  # {arrow(want)}".rstrip(" #")
                + (
                    f"\n# or declare keras.Input({tuple(got)}) and add keras.layers.Flatten()"
                    if len(want) == 1
                    else ""
                ),
            )
    if len(got) == len(want) and len(got) >= 3 and got[0] == want[-1] and tuple(got[1:]) == tuple(want[:-1]):
        return (
            "the data is channels-first, while the model (and Keras's default) is channels-last",
            f"x = np.moveaxis(x, 1, -1)  # {arrow(want)}".rstrip(" #"),
        )
    if len(got) == len(want) and tuple(got[:-1]) == tuple(want[:-1]):
        return (
            f"the data has {got[-1]} features per sample, the model's input {want[-1]}",
            f"keras.Input({tuple(got)})  # if {got[-1]} features is right: rebuild the model for them\n"
            f"# otherwise give x the {want[-1]} features the model was built for",
        )
    return (
        f"the data's shape {fmt(received)} does not fit the input's {fmt(expected)}",
        f"# reshape x to (n, {', '.join(map(str, want))}), or declare keras.Input({tuple(got)})",
    )


@rule(
    "KD502",
    "invalid-input-shape",
    summary="The data's shape does not match the model's Input shape",
    severity=Severity.ERROR,
    fix="Reshape the data to the model's input shape, or declare the Input shape the data has.",
)
def invalid_input_shape(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for Keras's model input check failing ("Invalid input shape for input ...
    Expected shape (None, 28, 28, 1), but input has incompatible shape (None, 28, 28)", or a
    Functional model's "expected shape=..., found shape=..."), and compares the two shapes
    to name the cause: a missing channel axis, grayscale images for an RGB model, flattened
    or unflattened data, channels-first images, or another number of features.

    ## Why is this bad?
    `fit()`, `evaluate()` and `predict()` stop at the first batch. The message is long and,
    on PyTorch, embeds the whole input tensor printed over many lines; the shape in it is
    the batch's, so the cause has to be worked out by comparing two tuples.

    ## Known problems
    Keras itself adds a missing trailing axis of size 1 silently when the rank is off by
    one (so `(n, 10)` data fits an `Input((10, 1))`); this error is raised only when that
    does not apply. The rule reads the shapes from the message; with the data it also
    shows the full shape of `x`.

    ## References
    - [Keras: the Input object](https://keras.io/api/layers/core_layers/input/)
    - [Keras: the Functional API, input shapes](https://keras.io/guides/functional_api/)
    """
    m = search(INVALID, ctx) or search(SPEC, ctx)
    if m is None:
        return
    expected = batchless(parse_shape(m.group("expected")))
    received = batchless(parse_shape(m.group("shape")))
    if not expected or not received:
        return
    x = data_x(ctx)
    x_shape = x.shape if x is not None and x.shape and len(x.shape) == len(received) else None
    if x_shape is not None and batchless(x_shape) != received:
        x_shape = None
    what, fix = _diagnose(expected, received, x_shape)
    name = m.groupdict().get("path") or m.group("name")
    input_name = (
        f" {name!r}" if name and name != "None" and not name.startswith("keras_tensor") else ""
    )
    shown = fmt(x_shape) if x_shape else fmt(received)
    yield Issue(
        f"The model's input{input_name} expects data of shape {fmt(expected)}, but receives "
        f"{shown}: {what}. Received: x.shape={shown}, expected shape={fmt(expected)}.",
        expected=f"Data of shape {fmt(expected)} (None: any number of samples).",
        fix=fix,
        evidence={
            "expected": list(expected),
            "received": list(received),
            "x_shape": list(x_shape) if x_shape else None,
            "input": name or None,
        },
    )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28)).astype("float32")  # grayscale images without a channel axis
    y = np.arange(64) % 10
    model = keras.Sequential(
        [
            keras.Input((28, 28, 3)),  # declared as RGB
            keras.layers.Conv2D(8, 3, activation="relu", name="conv"),
            keras.layers.MaxPooling2D(name="pool"),
            keras.layers.Conv2D(8, 3, activation="relu", name="conv_2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    try:
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    except ValueError as error:
        return Context.of(model, x, y, error=error)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28)).astype("float32")
    y = np.arange(64) % 10
    x = x[..., None]  # (64, 28, 28) -> (64, 28, 28, 1)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3, activation="relu", name="conv"),
            keras.layers.MaxPooling2D(name="pool"),
            keras.layers.Conv2D(8, 3, activation="relu", name="conv_2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return Context.of(model, x, y)
