from __future__ import annotations

import math
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import (
    accuracy_key,
    chance_loss,
    epoch_name,
    fmt,
    received_optimizer,
)


@rule(
    "KD407",
    "underfitting",
    summary="Training stopped improving far from fitting the data",
    severity=Severity.INFO,
    fix="Use a larger model, less regularisation, a higher learning rate, or train longer.",
)
def underfitting(
    ctx: Context,
    *,
    min_epochs: int = 5,
    patience: int = 3,
    min_improvement: float = 0.01,
    max_progress: float = 0.5,
    max_gap: float = 0.1,
) -> Iterator[Issue]:
    """## What it does
    Checks for a classifier that stopped improving while still far from fitting its
    training data: after at least `min_epochs` (5) epochs, the training loss improved by
    less than `min_improvement` (1%) over the last `patience` (3) epochs, and it is still
    above `max_progress` (50%) of the chance level `ln C` (with an accuracy metric: the
    accuracy covers less than half the way from chance to 1.0). With validation, the
    validation loss is within `max_gap` (10%) of the training loss: the model does as badly
    on data it trains on as on new data.

    ## Why is this bad?
    A model that cannot fit its own training data will not do better on new data: it is too
    small for the problem, too regularised, trained with too low a learning rate, or fed
    features that cannot explain the labels. Halfway from chance is a deliberately low bar,
    so that a hard problem that is being learned slowly is not reported.

    ## Known problems
    Noisy labels cap the reachable accuracy: a plateau at the noise level is the best any
    model can do. Only single-output classifiers are checked. With weight penalties the
    loss includes the penalty, so the accuracy is used when there is one.

    ## References
    - [Keras: Dense layer (units)](https://keras.io/api/layers/core_layers/dense/)
    - [Goodfellow et al., Deep Learning, 5.2 (capacity, underfitting)](https://www.deeplearningbook.org/contents/ml.html)
    """
    chance = chance_loss(ctx.model)
    trace = ctx.trace
    logs = [entry for entry in trace.epoch_logs if entry.get("loss") is not None]
    if chance is None or len(logs) < max(min_epochs, patience + 1):
        return
    window = [entry["loss"] for entry in logs[-patience - 1 :]]
    if not all(math.isfinite(v) for v in window):
        return
    if window[0] - window[-1] > min_improvement * window[0]:
        return
    last = logs[-1]
    loss = last["loss"]
    if not loss < chance[0] * 0.95:
        return  # at or above chance: KD404, KD403
    key = accuracy_key(last)
    accuracy = last.get(key) if key else None
    if accuracy is not None:
        chance_accuracy = 1 / chance[2]
        if accuracy >= chance_accuracy + max_progress * (1 - chance_accuracy):
            return
        if accuracy <= chance_accuracy * 1.2:
            return  # at chance: KD404 / KD403
    else:
        regularized = ctx.model is not None and any(layer.regularized for layer in ctx.model.layers)
        if regularized or loss <= max_progress * chance[0]:
            return
    val = last.get("val_loss")
    if val is not None and (not math.isfinite(val) or abs(val - loss) > max_gap * loss):
        return
    epoch = trace.epoch_number(trace.epoch_logs.index(logs[-patience - 1]))
    received = ", ".join(
        p
        for p in (
            f"loss={fmt(loss)}",
            f"val_loss={fmt(val)}" if val is not None else "",
            f"{key}={accuracy:.3f}" if accuracy is not None else "",
            received_optimizer(ctx.model),
        )
        if p
    )
    yield Issue(
        f"The model underfits: since {epoch_name(epoch)} the training loss has stopped "
        f"improving at {fmt(loss)}, less than halfway from the chance level {chance[1]} = "
        f"{chance[0]:.3f} to a fitted model"
        + (", and the validation loss is just as high" if val is not None else "")
        + f". Received: {received}.",
        expected="A training loss that keeps falling well below the chance level.",
        evidence={
            "onset_epoch": epoch + 1,
            "epoch": epoch + 1,
            "loss": loss,
            "val_loss": val,
            "accuracy": accuracy,
        },
    )


def _context(epochs: tuple[tuple[float, float], ...]) -> Context:
    import keras

    from kerasdoctor.context import Trace

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(2, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    trace = Trace(
        epoch_logs=tuple(
            {"loss": loss, "accuracy": acc, "val_loss": loss * 1.02, "val_accuracy": acc - 0.01}
            for loss, acc in epochs
        )
    )
    return Context(model=Context.of(model).model, trace=trace)


def bad() -> Context:
    return _context(
        ((2.21, 0.18), (1.98, 0.27), (1.851, 0.31), (1.85, 0.32), (1.848, 0.32), (1.847, 0.32))
    )


def good() -> Context:
    return _context(
        ((2.01, 0.38), (1.42, 0.55), (1.03, 0.68), (0.81, 0.75), (0.68, 0.79), (0.61, 0.81))
    )
