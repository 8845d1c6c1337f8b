from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._output_loss import (
    CATEGORICAL,
    SIGMOID_LIKE,
    evidence,
    inline,
    layer_code,
    loss_arg,
    output_units,
    received,
)


@rule(
    "KD203",
    "sigmoid-with-categorical-crossentropy",
    summary="Sigmoid output trained with a categorical cross-entropy",
    severity=Severity.ERROR,
    fix="Use `activation='softmax'` on the output layer for a categorical loss.",
)
def sigmoid_with_categorical_crossentropy(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for an output whose effective activation is sigmoid (or `hard_sigmoid`,
    `sparse_sigmoid`) over more than one unit, trained with `categorical_crossentropy`,
    `sparse_categorical_crossentropy` or `categorical_focal_crossentropy` with
    `from_logits=False`.

    ## Why is this bad?
    Sigmoid squashes each unit on its own, so the outputs are independent yes/no
    scores, not one probability distribution over the classes. A categorical loss
    expects the units to sum to 1. Keras trains it without a word: on JAX and PyTorch
    the loss divides the outputs by their sum, on TensorFlow it reads the cached
    pre-sigmoid logits instead, so the same model trains differently per backend.
    Either way `predict()` returns rows that do not sum to 1 (about 5 for 10 units in
    the seed case) and are not class probabilities.

    For one class per sample use softmax; for several labels per sample keep sigmoid
    and use `binary_crossentropy`.

    ## Known problems
    With `from_logits=True` the loss applies softmax to the sigmoid outputs: that head
    is reported by KD205 (probabilities-with-from-logits), whose fix (drop the sigmoid)
    is the right one there. A single sigmoid unit with a categorical loss is KD207's.

    ## References
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: layer activation functions](https://keras.io/api/layers/activations/)
    """
    model = ctx.model
    for head in model.heads:
        loss = head.loss
        if head.activation not in SIGMOID_LIKE or loss is None:
            continue
        if loss.kind not in CATEGORICAL or loss.from_logits:
            continue
        units = output_units(model, head)
        if units is None or units < 2:
            continue
        softmax = layer_code(model, head, "softmax")
        binary = layer_code(model, head, head.activation)
        yield Issue(
            f"Output {head.key!r} applies {head.activation} to each of its {units} units "
            f"independently, but its loss {loss.given} expects one probability distribution per "
            "sample (units that sum to 1). It trains without a warning, but predict() returns "
            "independent scores whose rows do not sum to 1, not class probabilities, and the "
            "loss is computed differently on TensorFlow than on JAX and PyTorch. "
            + received(head, units),
            expected="Softmax over the classes for a categorical loss.",
            fix=(
                f"{softmax}  # keep {loss_arg(model, head, loss.given)}\n"
                f"# or, if a sample can have several labels: {inline(binary)}"
                f" with {loss_arg(model, head, repr('binary_crossentropy'))}"
            ),
            layer=head.activation_layer,
            evidence=evidence(head, units),
        )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return Context.of(model)


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return Context.of(model)
