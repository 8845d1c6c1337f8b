from __future__ import annotations

import math
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import (
    accuracy_key,
    chance_loss,
    fmt,
    learning_rate,
    learning_rate_verdict,
    optimizer_code,
    received_optimizer,
)


@rule(
    "KD416",
    "learning-too-slowly",
    summary="The loss is still above chance after several epochs",
    severity=Severity.WARNING,
    fix="Raise the learning rate (10x to 100x), or use Adam at its default rate.",
)
def learning_too_slowly(
    ctx: Context,
    *,
    min_epochs: int = 5,
    above: float = 0.05,
    max_fall: float = 0.05,
    max_progress: float = 0.5,
) -> Iterator[Issue]:
    """## What it does
    Checks for a classifier that learns, but far too slowly: after at least `min_epochs` (5)
    epochs its training loss fell in every epoch, yet it is still more than `above` (5%)
    above the chance level (`ln C`, the loss of a uniform guess); or, with a learning rate
    100 times below its optimizer's default, it falls by less than `max_fall` (5%) per epoch.
    With an accuracy metric, the accuracy must also be less than `max_progress` (50%) of the
    way from chance to 1.0; without one, the loss must be above `max_progress` of the chance
    level, and models with weight penalties are skipped (the penalty is part of the loss).

    ## Why is this bad?
    A set-up that can learn gets below the uniform guess within its first epoch: it only has
    to learn the class frequencies. A loss that is still above it after several epochs, and
    falling by a few percent per epoch, means each step moves the weights by a tiny amount:
    the learning rate is far too low (`SGD(learning_rate=1e-5)` on a model trained from
    scratch: 2.90 -> 2.52 in 8 epochs against ln 7 = 1.95 on JAX; on PyTorch, whose
    initial weights differ, 2.01 -> 1.69 at 2.5% per epoch). Nothing fails; the run just
    wastes its epochs. A loss just at the chance level is left to KD404: a symmetric
    problem such as XOR sits at ln 2 (0.6934 against 0.6931) for several epochs with Adam at
    0.01 before it breaks through. KD407 covers a loss that stopped improving below chance.

    ## Known problems
    Only single-output classifiers are checked. A model whose initial outputs are very
    confident and wrong (large logits) starts far above chance and may need more epochs to
    come down even at a good learning rate; raise `min_epochs` for it.

    ## References
    - [Keras: SGD](https://keras.io/api/optimizers/sgd/)
    - [Karpathy, A Recipe for Training Neural Networks (verify loss at init)](https://karpathy.github.io/2019/04/25/recipe/)
    """
    chance = chance_loss(ctx.model)
    logs = [entry for entry in ctx.trace.epoch_logs if entry.get("loss") is not None]
    if chance is None or len(logs) < min_epochs:
        return
    losses = [entry["loss"] for entry in logs]
    if not all(math.isfinite(v) for v in losses):
        return
    if any(b >= a for a, b in zip(losses, losses[1:], strict=False)):
        return  # not falling every epoch: flat (KD404, KD407), oscillating or rising
    per_epoch = (losses[0] / losses[-1]) ** (1 / (len(losses) - 1)) - 1
    low = learning_rate_verdict(ctx.model) == "low"
    high = losses[-1] > chance[0] * (1 + above)
    if not high and not (low and per_epoch < max_fall):
        return  # below chance (or at it: KD404's), at a pace that is not a too-low rate's
    last = logs[-1]
    key = accuracy_key(last)
    accuracy = last.get(key) if key else None
    if accuracy is not None:
        chance_accuracy = 1 / chance[2]
        if accuracy >= chance_accuracy + max_progress * (1 - chance_accuracy):
            return
    elif losses[-1] <= max_progress * chance[0] or (
        ctx.model is not None and any(layer.regularized for layer in ctx.model.layers)
    ):
        return  # without accuracy: halfway to a fitted loss, or a penalty inside the loss
    optimizer, lr = learning_rate(ctx.model)
    if high:
        where = "still above"
    elif losses[-1] < chance[0]:
        where = f"only {1 - losses[-1] / chance[0]:.0%} below"
    else:
        where = "at"
    cause = (
        f"the learning rate {lr:g} is far too low for {optimizer.name}"
        if low and optimizer is not None
        else "the updates are too small: the learning rate is too low for this model"
    )
    received = ", ".join(
        p
        for p in (
            f"loss={fmt(losses[0])} (epoch 1) -> {fmt(losses[-1])} (epoch {len(losses)})",
            f"{key}={accuracy:.3f}" if accuracy is not None else "",
            received_optimizer(ctx.model),
        )
        if p
    )
    yield Issue(
        f"Training is far too slow: after {len(losses)} epochs the loss {fmt(losses[-1])} is "
        f"{where} the {chance[1]} = {chance[0]:.3f} of a uniform guess, falling by only "
        f"{per_epoch:.1%} per epoch. Likely cause: {cause}. Received: {received}.",
        expected="A loss well below the chance level within the first few epochs.",
        fix=(
            f"optimizer={optimizer_code(ctx.model)}"
            if optimizer is not None and lr
            else "optimizer=keras.optimizers.Adam(learning_rate=0.001)"
        ),
        evidence={
            "onset_epoch": 1,
            "epochs": len(losses),
            "first_loss": losses[0],
            "loss": losses[-1],
            "chance_loss": chance[0],
            "per_epoch": per_epoch,
            "accuracy": accuracy,
            "learning_rate": lr,
        },
    )


def _context(optimizer, losses: tuple[float, ...], accuracy: float) -> Context:
    import keras

    from kerasdoctor.context import Trace

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(20, activation="relu", name="hidden"),
            keras.layers.Dense(7, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    trace = Trace(epoch_logs=tuple({"loss": v, "accuracy": accuracy} for v in losses))
    return Context(model=Context.of(model).model, trace=trace)


def bad() -> Context:
    import keras

    return _context(
        keras.optimizers.SGD(learning_rate=1e-5, momentum=0.9, nesterov=True),
        (2.895, 2.836, 2.779, 2.723, 2.669, 2.617, 2.567, 2.518),
        0.246,
    )


def good() -> Context:
    import keras

    return _context(
        keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
        (0.912, 0.402, 0.351, 0.334, 0.326, 0.321, 0.318, 0.316),
        0.884,
    )
