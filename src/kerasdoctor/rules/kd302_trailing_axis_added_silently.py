from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._data_model import data_shape, fits, inputs_with_data, shape_text


@rule(
    "KD302",
    "trailing-axis-added-silently",
    summary="Keras silently adds a feature axis of size 1 to the input",
    severity=Severity.WARNING,
    fix="Add the axis yourself (`x = x[..., None]`), or reshape x to what it means.",
)
def trailing_axis_added_silently(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for sequence data of rank 2, (N, T), fed to a model whose input expects
    (None, T, 1): T time steps of one feature each (seed case L2: `Input((10, 1))` into an
    LSTM, `x` of shape (100, 10)).

    ## Why is this bad?
    A Functional or Sequential model with an `Input` appends the missing trailing axis
    without a word (`Functional._adjust_input_rank`, on every backend) whenever the data
    has one axis fewer than the input and the input's last axis is 1. So `x` (100, 10)
    trains as 10 time steps of 1 feature. That is right if each row is a univariate
    series, and silently wrong if each row holds 10 features of one time step, which
    should be (100, 1, 10) with `Input((1, 10))`. Making the axis explicit in the data
    documents which one is meant, and lets Keras check it.

    ## Known problems
    When the rows really are univariate series this warning is only about explicitness:
    add the axis (`x = x[..., None]`) and it goes away. Images without their channel axis
    of 1, (N, 28, 28) into (None, 28, 28, 1), and a single feature (N,) into (None, 1) are
    not reported: the axis Keras adds there has only one meaning.

    ## References
    - [Keras: LSTM layer (inputs of shape (batch, timesteps, features))](https://keras.io/api/layers/recurrent_layers/lstm/)
    - [Keras: the Input object](https://keras.io/api/layers/core_layers/input/)
    - [Keras source: Functional._adjust_input_rank](https://github.com/keras-team/keras/blob/master/keras/src/models/functional.py)
    """
    for name, expected, x, x_name in inputs_with_data(ctx):
        if expected is None:
            continue
        shape = data_shape(ctx, x)
        xs, es = tuple(shape[1:]), tuple(expected[1:])
        if not (len(es) == 2 and es[-1] == 1 and len(xs) == 1 and fits(xs, es[:-1])):
            continue
        steps = xs[0]
        n = "N" if shape[0] is None else shape[0]
        yield Issue(
            f"{x_name} has no feature axis, so Keras silently appends one: each sample of "
            f"{x_name} trains as {steps} time steps of 1 feature. If each row holds {steps} "
            f"features of a single time step, that is the wrong reading: it should be "
            f"({n}, 1, {steps}) with keras.Input(shape=(1, {steps})). "
            f"Received: {x_name}.shape={shape_text(shape)}, input shape={expected}.",
            expected=f"{x_name} of shape ({n}, {steps}, 1), the rank of the model's input.",
            fix=(
                f"{x_name} = {x_name}[..., None]  # ({n}, {steps}, 1): {steps} time steps of "
                f"1 feature, explicitly\n# or, for {steps} features at one time step: "
                f"{x_name} = {x_name}.reshape(-1, 1, {steps}) with "
                f"keras.Input(shape=(1, {steps}))"
            ),
            evidence={
                "input": name or None,
                "x_shape": list(shape),
                "expected_shape": list(expected),
            },
        )


def bad() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((10, 1)),
            keras.layers.LSTM(4, name="lstm"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.random((200, 10)).astype("float32")  # (N, 10): no feature axis
    y = x.mean(axis=1, keepdims=True)
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((10, 1)),
            keras.layers.LSTM(4, name="lstm"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.random((200, 10, 1)).astype("float32")  # 10 time steps of 1 feature
    y = x.mean(axis=1)
    return Context.of(model, x, y)
