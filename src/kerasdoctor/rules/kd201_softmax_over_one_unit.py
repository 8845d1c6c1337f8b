from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule


@rule(
    "KD201",
    "softmax-over-one-unit",
    summary="Softmax over a single output unit always outputs 1.0",
    severity=Severity.ERROR,
    fix="Use `Dense(1, activation='sigmoid')` for a binary output.",
)
def softmax_over_one_unit(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for an output whose effective activation is softmax over a last axis of
    size 1.

    ## Why is this bad?
    Softmax normalises over the last axis, so with one unit it returns exactly 1.0
    for every input. The gradient is zero: nothing trains, the loss never moves and
    every prediction is the same. Keras raises no error.

    ## Known problems
    None known: softmax over one unit is constant whatever the loss.

    ## References
    - [Keras: Softmax layer](https://keras.io/api/layers/activation_layers/softmax/)
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    """
    for head in ctx.model.heads:
        if head.activation == "softmax" and head.units == 1:
            loss = head.loss.name if head.loss else None
            yield Issue(
                f"Output {head.key!r} applies softmax over a single unit, so it always outputs "
                f"1.0 and its gradient is zero. Received: units=1, "
                f"activation='softmax' (layer {head.activation_layer!r}), loss={loss}.",
                expected="Softmax over 2 or more units (one per class), or sigmoid for one unit.",
                fix=(
                    f"Dense(1, activation='sigmoid', name={head.activation_layer!r})  "
                    "# with loss='binary_crossentropy'"
                ),
                layer=head.activation_layer,
                evidence={"units": 1, "activation": "softmax", "loss": loss},
            )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return Context.of(model)


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return Context.of(model)
