from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._output_loss import (
    CATEGORICAL,
    evidence,
    inline,
    layer_code,
    loss_arg,
    loss_code,
    output_units,
    received,
)


@rule(
    "KD207",
    "categorical-loss-on-one-unit",
    summary="Categorical cross-entropy on a single output unit",
    severity=Severity.ERROR,
    fix=(
        "Use `Dense(1, activation='sigmoid')` with `binary_crossentropy`, or "
        "`Dense(num_classes, activation='softmax')` with a categorical loss."
    ),
)
def categorical_loss_on_one_unit(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for `categorical_crossentropy`, `sparse_categorical_crossentropy` or
    `categorical_focal_crossentropy` on an output whose last axis has a single unit,
    whatever its activation and `from_logits`.

    ## Why is this bad?
    A categorical loss normalises over the last axis (it divides by the sum, or
    applies softmax with `from_logits=True`). Over one unit the predicted probability
    is always 1.0: the loss is 0 for every sample, the gradient is zero, and nothing
    trains, silently. With `sparse_categorical_crossentropy` the only valid label is
    0: label 1 is out of range, which raises on TensorFlow and PyTorch and is silently
    ignored on JAX. A binary problem needs one sigmoid unit with `binary_crossentropy`;
    a problem with C classes needs C softmax units.

    ## Known problems
    Softmax over one unit with a categorical loss is reported by both KD201 (the
    activation is constant) and this rule (the loss is constant): the two faults are
    independent, since changing only one of them leaves the model untrainable, and both
    fixes point to `Dense(1, activation='sigmoid')` with `binary_crossentropy`. On such
    a head KD204 and KD205 stay silent: `from_logits` is not the root cause there.

    ## References
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: BinaryCrossentropy](https://keras.io/api/losses/probabilistic_losses/#binarycrossentropy-class)
    """
    model = ctx.model
    for head in model.heads:
        loss = head.loss
        if loss is None or loss.kind not in CATEGORICAL:
            continue
        units = output_units(model, head)
        if units != 1:
            continue
        if loss.kind == "sparse_categorical":
            what = (
                "the only valid label is 0: label 1 is out of range (an error on TensorFlow and "
                "PyTorch, silently ignored on JAX), and label 0 always has probability 1.0, so "
                "nothing trains"
            )
        else:
            what = (
                "the predicted probability of that unit is always 1.0, so the loss is 0 for every "
                "sample, the gradient is zero and nothing trains, without a warning"
            )
        logits = loss.from_logits
        binary = layer_code(model, head, None if logits else "sigmoid")
        softmax = layer_code(model, head, None if logits else "softmax", units="num_classes")
        binary_loss = loss_arg(model, head, loss_code("binary_crossentropy", logits))
        yield Issue(
            f"Output {head.key!r} has a single unit, but its loss {loss.given} normalises over "
            f"the last axis: {what}. " + received(head, units),
            expected=(
                "One sigmoid unit with binary_crossentropy, or one softmax unit per class "
                "with a categorical loss."
            ),
            fix=(
                f"{binary}  # with {binary_loss}, "
                "labels 0/1\n"
                f"# or: {inline(softmax)} with {loss_arg(model, head, loss.given)}"
            ),
            layer=head.activation_layer,
            evidence=evidence(head, units),
        )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
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
