from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._output_loss import evidence, loss_arg, output_units, received


@rule(
    "KD206",
    "regression-loss-on-softmax",
    summary="Regression loss on a softmax classifier output",
    severity=Severity.WARNING,
    fix=(
        "Use `loss='categorical_crossentropy'` (one-hot labels) or "
        "`loss='sparse_categorical_crossentropy'` (integer labels)."
    ),
)
def regression_loss_on_softmax(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a regression loss (`mean_squared_error`, `mean_absolute_error`, `huber`,
    `log_cosh`, `mean_squared_logarithmic_error`, `mean_absolute_percentage_error`) on
    an output whose effective activation is softmax.

    ## Why is this bad?
    A softmax output is a probability distribution over classes, which is what a
    classifier predicts. Cross-entropy is the loss made for it: its gradient stays
    large when the model is confidently wrong. A squared or absolute error through a
    softmax has vanishing gradients when the softmax saturates, so training is slower
    and can stall on a wrong class, and the loss is on another scale (0.09 instead of
    2.3 at the start for 10 classes), which misleads anyone reading the curves. Keras
    trains it without a warning (the seed case reaches accuracy 0.807 instead of
    0.815 after 10 epochs).

    ## Known problems
    A model that regresses proportions (targets that are distributions, not classes)
    may use a softmax with a regression loss on purpose: the message says it assumed a
    classifier, and `ignore=["KD206"]` silences it. Softmax over a single unit is
    reported by KD201, not here.

    ## References
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: regression losses](https://keras.io/api/losses/regression_losses/)
    """
    model = ctx.model
    for head in model.heads:
        loss = head.loss
        if head.activation != "softmax" or loss is None or loss.kind != "regression":
            continue
        units = output_units(model, head)
        if units == 1:
            continue  # KD201: softmax over one unit is constant whatever the loss
        yield Issue(
            f"Output {head.key!r} applies softmax, a probability distribution over classes, but "
            f"its loss {loss.given} is a regression loss: its gradient vanishes as the softmax "
            "saturates, so the classifier trains slower than with cross-entropy, and the loss is "
            "on another scale. Assumed: the targets are classes, not proportions. "
            + received(head, units),
            expected="A cross-entropy loss for a softmax classifier.",
            fix=(
                f"{loss_arg(model, head, repr('categorical_crossentropy'))}"
                "  # one-hot labels\n"
                f"# or {loss_arg(model, head, repr('sparse_categorical_crossentropy'))}"
                " for integer labels"
            ),
            layer=head.activation_layer,
            evidence=evidence(head, units),
        )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="probs"),
        ]
    )
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    return Context.of(model)


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="probs"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return Context.of(model)
