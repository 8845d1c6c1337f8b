from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._output_loss import (
    CATEGORICAL,
    CROSSENTROPY,
    PROBABILITY,
    SIGMOID_LIKE,
    double_softmax_floor,
    evidence,
    layer_code,
    loss_arg,
    loss_code,
    output_units,
    received,
)


@rule(
    "KD205",
    "probabilities-with-from-logits",
    summary="Probability output fed to a loss built with from_logits=True",
    severity=Severity.ERROR,
    fix="Remove the output activation, or drop `from_logits=True` from the loss.",
)
def probabilities_with_from_logits(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a cross-entropy loss built with `from_logits=True` on an output whose
    effective activation already gives probabilities: `softmax`, `sigmoid`,
    `hard_sigmoid`, `sparse_sigmoid` or `sparsemax`.

    ## Why is this bad?
    `from_logits=True` tells the loss to apply softmax (categorical losses) or sigmoid
    (binary losses) itself, so the probabilities are squashed a second time. On JAX
    and PyTorch this is a real double softmax, silently: the outputs of the inner
    softmax lie in [0, 1], so the outer one can never be confident and the loss has a
    floor of log(1 + (C - 1) / e) for C classes (1.46 for 10). In the seed case the
    model reaches accuracy 0.685 instead of 0.808 on JAX. TensorFlow only warns ("Was
    this intended?") and reads the logits cached on a softmax/sigmoid output, so there
    training is unharmed, unless a layer such as Dropout comes after the activation:
    the same script trains differently per backend.

    ## Known problems
    A softmax over 2 or more units with a binary loss is reported by KD202 alone, and a
    categorical loss over one unit by KD207 alone: their fixes change the activation
    and the loss together. Softmax over one unit with a binary loss is reported by both
    KD201 and this rule; the two faults are independent and their fixes agree.
    `log_softmax` with `from_logits=True` is correct (softmax of log-probabilities gives
    the probabilities back) and is not reported.

    ## References
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: SparseCategoricalCrossentropy](https://keras.io/api/losses/probabilistic_losses/#sparsecategoricalcrossentropy-class)
    """
    model = ctx.model
    for head in model.heads:
        loss = head.loss
        if loss is None or loss.kind not in CROSSENTROPY or not loss.from_logits:
            continue
        activation = head.activation
        if activation not in PROBABILITY:
            continue
        units = output_units(model, head)
        if activation == "softmax" and loss.kind == "binary" and (units is None or units >= 2):
            continue  # KD202
        if units == 1 and loss.kind in CATEGORICAL:
            continue  # KD207
        squash = "softmax" if loss.kind in CATEGORICAL else "sigmoid"
        matched = activation == squash or (squash == "sigmoid" and activation in SIGMOID_LIKE)
        extra = {}
        floor = ""
        if activation == "softmax" and loss.kind in CATEGORICAL and units and units > 1:
            extra["loss_floor"] = round(double_softmax_floor(units), 4)
            floor = f": the loss can never go below {extra['loss_floor']} for {units} classes"
        if activation == squash:
            what = f"This is a double {squash}"
        else:
            what = f"The loss applies {squash} on top of {activation}"
        if matched and activation in ("softmax", "sigmoid") and len(head.path) == 1:
            consequence = (
                f"{what} on JAX and PyTorch{floor}. TensorFlow only warns and reads the logits "
                f"cached on the {activation} output, so the model trains differently per backend"
            )
        else:
            consequence = f"{what} on every backend{floor}"
        fix = f"{layer_code(model, head, None)}  # logits: the loss applies {squash} itself"
        if matched:
            fix += (
                f"\n# or keep {activation} with "
                f"{loss_arg(model, head, loss_code(loss.name, from_logits=False))}"
            )
        yield Issue(
            f"Output {head.key!r} applies {activation}, so it outputs probabilities, but its "
            f"loss {loss.given} has from_logits=True and applies {squash} to them again. "
            f"{consequence}. " + received(head, units, from_logits=True),
            expected=(
                f"Logits (no activation) for from_logits=True, or {activation} outputs with "
                "from_logits=False."
                if matched
                else "Logits (no activation) for from_logits=True."
            ),
            fix=fix,
            layer=head.activation_layer,
            evidence=evidence(head, units, **extra),
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
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return Context.of(model)


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, name="logits"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return Context.of(model)
