from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._output_loss import (
    CATEGORICAL,
    CROSSENTROPY,
    PROBABILITY,
    evidence,
    inline,
    layer_code,
    loss_arg,
    loss_code,
    output_units,
    received,
)


@rule(
    "KD204",
    "logits-without-from-logits",
    summary="Cross-entropy reads an output that is not a probability",
    severity=Severity.ERROR,
    fix=(
        "Pass `from_logits=True` to the loss, e.g. "
        "`keras.losses.BinaryCrossentropy(from_logits=True)`, or end the model with "
        "`activation='sigmoid'`/`'softmax'`."
    ),
)
def logits_without_from_logits(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a cross-entropy loss (binary, categorical, sparse categorical, and their
    focal variants) with `from_logits=False` on an output whose effective activation
    is known and is not a probability: no activation (`linear`), `relu`, `tanh`, `elu`,
    `log_softmax`, and so on. Probabilities are `softmax`, `sigmoid`, `hard_sigmoid`,
    `sparse_sigmoid` and `sparsemax`.

    ## Why is this bad?
    With `from_logits=False` (the default of every string loss and loss object) the
    loss reads the outputs as probabilities and clips them into `[1e-7, 1 - 1e-7]`
    (a categorical loss first divides them by their sum). Unbounded scores are cut off
    and most of their gradient is lost. Keras gives no error and no warning, and the
    model trains to a much worse result: in the seed case, `Dense(1)` with
    `BinaryCrossentropy()` reaches accuracy 0.66 instead of 0.95.
    `log_softmax` outputs log-probabilities (all <= 0), which clip to 1e-7.

    ## Known problems
    An activation hidden in a Lambda or custom layer is 'unknown' and not reported.
    A categorical loss over a single unit is reported by KD207 alone: there the loss,
    not `from_logits`, is the root cause, and `from_logits=True` would not fix it.

    ## References
    - [Keras: BinaryCrossentropy](https://keras.io/api/losses/probabilistic_losses/#binarycrossentropy-class)
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    """
    model = ctx.model
    for head in model.heads:
        loss = head.loss
        if loss is None or loss.kind not in CROSSENTROPY or loss.from_logits:
            continue
        activation = head.activation
        if activation == "unknown" or activation in PROBABILITY:
            continue
        units = output_units(model, head)
        if units == 1 and loss.kind in CATEGORICAL:
            continue  # KD207: a categorical loss over one unit is constant whatever from_logits
        squash = "sigmoid" if loss.kind == "binary" else "softmax"
        logits_loss = loss_arg(model, head, loss_code(loss.name, from_logits=True))
        accuracy = (
            ", metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]"
            if loss.kind == "binary" and "accuracy" in model.metrics
            else ""
        )
        if activation == "linear":
            what = "has no activation, so it outputs unbounded scores (logits)"
            fix = (
                f"{logits_loss}{accuracy}  # {head.activation_layer!r} outputs logits\n"
                f"# or: {inline(layer_code(model, head, squash))}"
                f"  # keep {loss_arg(model, head, loss.given)}"
            )
        else:
            if activation == "log_softmax":
                what = "applies log_softmax, so it outputs log-probabilities (all <= 0)"
            else:
                what = f"applies {activation}, whose outputs are not probabilities"
            fix = (
                f"{layer_code(model, head, squash)}  # keep {loss_arg(model, head, loss.given)}\n"
                f"# or, for logits: {inline(layer_code(model, head, None))}"
                f" with {logits_loss}{accuracy}"
            )
        yield Issue(
            f"Output {head.key!r} {what}, but its loss {loss.given} has from_logits=False and "
            "reads them as probabilities, clipped into (0, 1): most of the gradient is lost. "
            "It trains without a warning, but to a much worse model. "
            + received(head, units, from_logits=True),
            expected=(
                f"from_logits=True for an output without activation, or {squash} outputs "
                "for from_logits=False."
            ),
            fix=fix,
            layer=head.activation_layer,
            evidence=evidence(head, units),
        )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="logit"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.BinaryCrossentropy(from_logits=False),
        metrics=["accuracy"],
    )
    return Context.of(model)


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="logit"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)],
    )
    return Context.of(model)
