from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._output_loss import (
    evidence,
    inline,
    layer_code,
    loss_arg,
    loss_code,
    output_units,
    received,
)


@rule(
    "KD202",
    "softmax-with-binary-crossentropy",
    summary="Softmax output trained with a binary cross-entropy loss",
    severity=Severity.ERROR,
    fix=(
        "Use `Dense(1, activation='sigmoid')` with `binary_crossentropy`, or keep the softmax "
        "and use `sparse_categorical_crossentropy`."
    ),
)
def softmax_with_binary_crossentropy(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for an output whose effective activation is softmax over 2 or more units,
    trained with a binary loss (`binary_crossentropy`, `binary_focal_crossentropy`,
    with or without `from_logits`).

    ## Why is this bad?
    Softmax makes the units compete: they sum to 1, one class per sample. Binary
    cross-entropy scores each unit as an independent yes/no probability. The two
    disagree about what the labels are:

    - with 0/1 labels of shape `(N, 1)` (the usual binary setup), `fit()` fails with
      "Arguments `target` and `output` must have the same shape. Received:
      target.shape=(None, 1), output.shape=(None, 2)" on every backend;
    - with multi-hot labels (multi-label classification) the model can never predict
      two classes at once;
    - with one-hot labels it trains, but `"accuracy"` resolves to per-unit binary
      accuracy and looks much better than the model is.

    For two classes, use one sigmoid unit with `binary_crossentropy` (labels 0/1 of
    shape `(N, 1)`), or keep two softmax units with `sparse_categorical_crossentropy`
    (integer labels 0/1 of shape `(N,)`). For several classes, use softmax with a
    categorical loss; for multi-label, sigmoid with `binary_crossentropy`.

    ## Known problems
    A softmax output with `from_logits=True` is also a double squash (KD205); this
    rule owns that head, and KD205 stays silent on it, because this rule's fix changes
    both the activation and the loss. Softmax over a single unit is KD201's.

    ## References
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: Softmax layer](https://keras.io/api/layers/activation_layers/softmax/)
    """
    model = ctx.model
    for head in model.heads:
        loss = head.loss
        if head.activation != "softmax" or loss is None or loss.kind != "binary":
            continue
        units = output_units(model, head)
        if units is None or units < 2:
            continue
        logits = loss.from_logits
        if units == 2:
            one = layer_code(model, head, None if logits else "sigmoid", units=1)
            two = layer_code(model, head, None if logits else "softmax", units=2)
            fix = (
                f"{one}  # with {loss_arg(model, head, loss_code('binary_crossentropy', logits))}"
                ", labels 0/1 of shape (N, 1)\n"
                f"# or keep 2 units: {inline(two)}"
                f" with {loss_arg(model, head, loss_code('sparse_categorical_crossentropy', logits))}"
                ", integer labels 0/1 of shape (N,)"
            )
        else:
            many = layer_code(model, head, None if logits else "softmax")
            multi = layer_code(model, head, None if logits else "sigmoid")
            fix = (
                f"{many}  # with "
                f"{loss_arg(model, head, loss_code('sparse_categorical_crossentropy', logits))}"
                " (integer labels) or "
                f"{loss_code('categorical_crossentropy', logits)} (one-hot labels)\n"
                f"# or, if a sample can have several labels: {inline(multi)}"
                f" with {loss_arg(model, head, loss_code('binary_crossentropy', logits))}"
            )
        yield Issue(
            f"Output {head.key!r} applies softmax over {units} units, which makes them sum to 1, "
            f"but its loss {loss.given} scores each unit as an independent 0/1 probability. "
            "With 0/1 labels of shape (N, 1), fit() fails with a shape error; with multi-hot "
            "labels the model can never predict two classes at once. " + received(head, units),
            expected=(
                "For two classes: 1 sigmoid unit with binary_crossentropy, or 2 softmax units "
                "with sparse_categorical_crossentropy."
                if units == 2
                else "Softmax with a categorical loss (one class per sample), or sigmoid with "
                "binary_crossentropy (several labels per sample)."
            ),
            fix=fix,
            layer=head.activation_layer,
            evidence=evidence(head, units),
        )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(2, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return Context.of(model)


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return Context.of(model)
