from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._output_loss import (
    CAN_BE_NEGATIVE,
    NON_NEGATIVE,
    PROBABILITY,
    evidence,
    layer_code,
    loss_arg,
    output_units,
    received,
)


@rule(
    "KD208",
    "output-range-mismatch",
    summary="Output activation range cannot match the loss",
    severity=Severity.WARNING,
    fix="Change the output activation to one whose range the loss expects.",
)
def output_range_mismatch(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for an output activation whose range cannot match what the loss expects:

    - `hinge` or `squared_hinge` on an output that is never negative (`sigmoid`,
      `softmax`, `relu`, `softplus`, `exponential`, ...);
    - `categorical_hinge` on an output bounded to [0, 1] (`softmax`, `sigmoid`, ...);
    - `poisson` on an output that can be negative (no activation, `tanh`, `elu`,
      `leaky_relu`, ...);
    - `kl_divergence` on an output that is not a probability (anything but `softmax`,
      `sigmoid`, `hard_sigmoid`, `sparse_sigmoid`, `sparsemax`).

    ## Why is this bad?
    Hinge losses want unbounded scores whose sign is the class (labels -1/1; Keras
    turns 0/1 labels into -1/1): with outputs that are never negative a negative
    sample can never reach its margin, its loss stays at 1 or more, and the sign of
    the output no longer separates the classes. `categorical_hinge` wants the true
    class score to beat the others by 1, which [0, 1] outputs reach only when fully
    saturated. The Poisson loss computes `log(y_pred)`: one negative output makes the
    loss NaN (a linear output does so from the first step). KL divergence compares
    two distributions and clips `y_pred` into [1e-7, 1], so scores outside it lose
    their gradient.

    ## Known problems
    `relu` with `categorical_hinge` is not reported: only score differences matter
    there. An activation hidden in a Lambda or custom layer is 'unknown' and not
    reported.

    ## References
    - [Keras: hinge losses](https://keras.io/api/losses/hinge_losses/)
    - [Keras: probabilistic losses (Poisson, KLDivergence)](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: layer activation functions](https://keras.io/api/layers/activations/)
    """
    model = ctx.model
    for head in model.heads:
        loss = head.loss
        activation = head.activation
        if loss is None or activation == "unknown":
            continue
        if loss.name in ("hinge", "squared_hinge") and activation in NON_NEGATIVE:
            why = (
                f"{activation} outputs are never negative, but {loss.name} expects scores whose "
                "sign is the class (labels -1/1): a negative sample can never reach its margin, "
                "so its loss stays at 1 or more and the sign of the output cannot separate the "
                "classes"
            )
            expected = "Unbounded scores (no activation) or tanh outputs for a hinge loss."
            replacement, comment = "tanh", "or no activation; labels -1/1 or 0/1"
        elif loss.name == "categorical_hinge" and activation in PROBABILITY:
            why = (
                f"{activation} outputs lie in [0, 1], but categorical_hinge wants the true class "
                "score to beat every other score by a margin of 1, which such outputs reach only "
                "when fully saturated, where their gradient vanishes"
            )
            expected = "Unbounded scores (no activation) for categorical_hinge."
            replacement, comment = None, "scores"
        elif loss.name == "poisson" and activation in CAN_BE_NEGATIVE:
            why = (
                f"{_range(activation)}, but the poisson loss computes log(y_pred), which is NaN "
                "for a negative output: the loss becomes NaN as soon as one prediction is "
                "negative"
            )
            expected = (
                "A positive rate for the poisson loss: activation='exponential' or 'softplus'."
            )
            replacement, comment = "exponential", "or 'softplus': a positive rate"
        elif loss.name == "kl_divergence" and activation not in PROBABILITY:
            why = (
                f"{_range(activation)}, but kl_divergence compares probability distributions and "
                "clips y_pred into [1e-7, 1]: values outside it lose their gradient"
            )
            expected = "A probability distribution (softmax) for kl_divergence."
            replacement, comment = "softmax", "a probability distribution"
        else:
            continue
        units = output_units(model, head)
        yield Issue(
            f"Output {head.key!r}: {why}. " + received(head, units),
            expected=expected,
            fix=(
                f"{layer_code(model, head, replacement)}  # {comment}, "
                f"with {loss_arg(model, head, loss.given)}"
            ),
            layer=head.activation_layer,
            evidence=evidence(head, units),
        )


def _range(activation: str) -> str:
    if activation == "linear":
        return "it has no activation, so its outputs can be negative"
    if activation in CAN_BE_NEGATIVE:
        return f"{activation} outputs can be negative"
    return f"{activation} outputs are not probabilities"


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="rate"),
        ]
    )
    model.compile(optimizer="adam", loss="poisson")
    return Context.of(model)


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="exponential", name="rate"),
        ]
    )
    model.compile(optimizer="adam", loss="poisson")
    return Context.of(model)
