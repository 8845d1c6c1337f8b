from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import (
    CLIPPED_LOSS,
    accuracy_key,
    bad_from_the_start,
    chance_loss,
    epoch_name,
    fmt,
    grew,
    learning_rate,
    learning_rate_verdict,
    optimizer_code,
    received_optimizer,
    scale_fix,
    unscaled_input,
)


@rule(
    "KD403",
    "saturated-output-plateau",
    summary="Saturated outputs: the loss is stuck with zero gradient",
    severity=Severity.ERROR,
    fix="Scale the inputs and lower the learning rate, then train again from scratch.",
)
def saturated_output_plateau(
    ctx: Context, *, tolerance: float = 0.03, flat: float = 0.02, above_chance: float = 2.0
) -> Iterator[Issue]:
    """## What it does
    Checks for the plateau of a saturated softmax or sigmoid output: for two epochs in a
    row the loss stays within `flat` (2%) of itself and either equals
    `(1 - accuracy) * 16.118` within `tolerance` (3%), or, without an accuracy metric, stays
    `above_chance` (2) times the loss of a uniform guess (`ln C`).

    ## Why is this bad?
    When the output saturates (probabilities of exactly 0 and 1), JAX and PyTorch clip the
    probabilities to `[1e-7, 1 - 1e-7]`: every wrong sample then costs `-ln(1e-7) = 16.118`,
    every right one 0, so the loss is `(1 - accuracy) * 16.118` and the gradient is exactly
    zero. Training cannot recover. TensorFlow computes the loss from the logits instead and
    shows the same fault as NaN (KD401) or divergence (KD402). A model that learns nothing
    sits at `ln C`, below this plateau; one that learns sits lower still.

    The likely cause comes from the facts: a learning rate 100 times its optimiser's default
    (the outputs were blown up by huge steps), or a first batch that was already far above
    `ln C` (inputs not scaled: the outputs were saturated before any step).

    ## Known problems
    Needs two epochs of logs. Multi-output models are not checked. The signature is exact
    only for Keras's built-in crossentropy losses.

    ## References
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: Normalization layer](https://keras.io/api/layers/preprocessing_layers/numerical/normalization/)
    """
    chance = chance_loss(ctx.model)
    trace = ctx.trace
    logs = [entry for entry in trace.epoch_logs if "loss" in entry]
    if chance is None or len(logs) < 2:
        return
    start = None
    for i in range(1, len(logs)):
        if _saturated(logs[i - 1], logs[i], chance[0], tolerance, flat, above_chance):
            start = i - 1
            break
    if start is None or not _saturated(
        logs[-2], logs[-1], chance[0], tolerance, flat, above_chance
    ):
        return
    last = logs[-1]
    loss = last["loss"]
    key = accuracy_key(last)
    accuracy = last.get(key) if key else None
    signature = (
        f"(1 - accuracy) * 16.118 = {(1 - accuracy) * CLIPPED_LOSS:.3f}"
        if accuracy is not None
        else f"{fmt(loss / chance[0])} times {chance[1]} = {chance[0]:.3f}"
    )
    optimizer, lr = learning_rate(ctx.model)
    evidence = {
        "onset_epoch": trace.epoch_number(start) + 1,
        "epoch": trace.epoch_number(start) + 1,
        "loss": loss,
        "accuracy": accuracy,
        "chance_loss": chance[0],
        "learning_rate": lr,
    }
    absmax = unscaled_input(ctx)
    if learning_rate_verdict(ctx.model) == "high":
        cause = f"the learning rate {lr:g} is far too high for {optimizer.name}"
        fix = f"optimizer={optimizer_code(ctx.model)}"
    elif absmax is not None or bad_from_the_start(trace, chance):
        first = trace.losses[0]
        cause = (
            f"the inputs are not scaled (values up to {absmax:g})"
            if absmax is not None
            else f"the inputs are likely not scaled: the first batch's loss was already "
            f"{fmt(first)}, far above {chance[1]} = {chance[0]:.3f}"
        )
        if absmax is not None:
            evidence["input_absmax"] = absmax
        fix = scale_fix(ctx)
    elif grew(trace, 10.0) is not None and lr is not None:
        cause = f"the learning rate {lr:g} is too high: the loss grew before it stalled"
        fix = f"optimizer={optimizer_code(ctx.model, lr / 10)}"
    else:
        cause = "the inputs are not scaled, or the learning rate is too high"
        fix = None
    received = ", ".join(
        p
        for p in (
            f"loss={fmt(loss)}",
            f"accuracy={accuracy:.3f}" if accuracy is not None else "",
            received_optimizer(ctx.model),
        )
        if p
    )
    yield Issue(
        f"The output is saturated: since {epoch_name(trace.epoch_number(start))} the loss is "
        f"stuck at {fmt(loss)}, about {signature}: the cost of confidently wrong predictions with "
        f"probabilities clipped to 1e-7; the gradient is zero and training cannot recover. "
        f"Likely cause: {cause}. Received: {received}.",
        expected=f"A loss below the chance level {chance[1]} = {chance[0]:.3f} that decreases.",
        fix=fix,
        evidence=evidence,
    )


def _saturated(
    before: dict, now: dict, chance: float, tolerance: float, flat: float, above_chance: float
) -> bool:
    previous, loss = before.get("loss"), now.get("loss")
    if previous is None or loss is None or not loss > chance:
        return False
    if abs(loss - previous) > flat * loss:
        return False
    key = accuracy_key(now)
    if key is not None:
        expected = (1 - now[key]) * CLIPPED_LOSS
        return now[key] < 0.99 and abs(loss - expected) <= tolerance * expected
    return loss >= above_chance * chance


def _context(lr: float, epochs: tuple[tuple[float, float], ...], first: float) -> Context:
    import keras

    from kerasdoctor.context import Trace

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=lr),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    trace = Trace(
        epoch_logs=tuple({"loss": loss, "accuracy": acc} for loss, acc in epochs),
        losses=(first,),
        batch_logs=({"loss": first},),
    )
    return Context(model=Context.of(model).model, trace=trace)


def bad() -> Context:
    return _context(10.0, ((11.79, 0.262), (12.07, 0.251), (12.08, 0.250)), first=2.47)


def good() -> Context:
    return _context(0.01, ((1.92, 0.342), (1.41, 0.561), (1.13, 0.652)), first=2.47)
