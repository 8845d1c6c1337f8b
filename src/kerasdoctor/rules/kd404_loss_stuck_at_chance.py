from __future__ import annotations

import math
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import (
    accuracy_key,
    bad_from_the_start,
    chance_loss,
    epoch_name,
    fmt,
    learning_rate,
    learning_rate_verdict,
    optimizer_code,
    received_optimizer,
    scale_fix,
    unscaled_input,
)


@rule(
    "KD404",
    "loss-stuck-at-chance",
    summary="The loss stays at the level of a uniform guess",
    severity=Severity.WARNING,
    fix="Check the learning rate, the optimizer and the input scale.",
)
def loss_stuck_at_chance(
    ctx: Context,
    *,
    patience: int = 3,
    tolerance: float = 0.05,
    min_improvement: float = 0.01,
    min_steps: int = 50,
    min_stuck_steps: int = 250,
) -> Iterator[Issue]:
    """## What it does
    Checks for a classifier whose training loss has stayed at the chance level for the
    last `patience` (3) epochs: within `tolerance` (5%) of `ln C` (C classes; `ln 2` for a
    binary output), or between the entropy of the label frequencies and `ln C` when the
    labels are known, improving by less than `min_improvement` (1%) over those epochs,
    which hold at least `min_steps` (50) optimizer steps. With shorter epochs, the whole
    stretch of epochs at the chance level must hold at least `min_stuck_steps` (250) steps
    instead (32 epochs of 8 steps): a healthy model can sit at chance for a while before it
    takes off (XOR through three sigmoid layers with Adam(0.01): 160 steps at ln 2).

    Also checks for a classifier of 3 or more classes that has predicted one class for
    every sample all along: its training accuracy has been exactly the same, at most 1.2 / C,
    in every epoch so far (at least `patience` epochs and `min_steps` steps), while its loss
    stayed between `ln C` (less `tolerance`) and twice `ln C` (above that is KD403's
    saturated plateau).

    ## Why is this bad?
    `ln C` is the loss of predicting every class with probability `1/C`: a model at that
    level has learned nothing about the inputs; one at the entropy of the label frequencies
    has only learned how often each class occurs (its accuracy is the majority-class rate).
    When the data carry a signal, a working set-up leaves this level within an epoch or two
    (Adam on a learnable 10-class problem: 2.30 -> 1.75 in the second epoch, while the
    default `Ftrl()` stays at 2.30). The likely causes, from the facts: a learning rate 100
    times below its optimiser's default, the `Ftrl` optimiser, inputs that are not scaled
    (the first batch was already far above `ln C`: large early updates killed the units),
    or labels that carry no information about the inputs. An accuracy that is the same to
    the sample in every epoch means the argmax never changed for any sample: the model
    still outputs one class (five sigmoid layers under plain SGD(0.003) on 10 digit-like
    classes: accuracy 0.1037 in each of 5 epochs while the loss crept from 2.51 to 2.39;
    with Adam the accuracy is 0.9 after one epoch).

    ## Known problems
    Labels that truly carry no signal (random labels, or labels shuffled separately from
    the inputs) look the same: then the data, not the model, is at fault. A model that
    starts slowly and takes off only after three epochs and `min_steps` steps at the chance
    level is reported too early.

    ## References
    - [Keras: optimizers](https://keras.io/api/optimizers/)
    - [Karpathy, A Recipe for Training Neural Networks (verify loss at init)](https://karpathy.github.io/2019/04/25/recipe/)
    """
    chance = chance_loss(ctx.model)
    trace = ctx.trace
    logs = [entry for entry in trace.epoch_logs if entry.get("loss") is not None]
    if chance is None or len(logs) < patience:
        return
    window = logs[-patience:]
    losses = [entry["loss"] for entry in window]
    if not all(math.isfinite(v) for v in losses):
        return
    low = _label_entropy(ctx, chance[2]) or chance[0]
    start = _flat_at_chance(
        trace,
        logs,
        chance[0],
        low,
        patience,
        tolerance,
        min_improvement,
        min_steps,
        min_stuck_steps,
    )
    constant = None
    if start is None:
        constant = _one_class(trace, logs, chance, patience, tolerance, min_steps)
        if constant is None:
            return
        start = 0
    epoch = trace.epoch_number(trace.epoch_logs.index(logs[start]))
    key = accuracy_key(window[-1])
    accuracy = window[-1].get(key) if key else None
    optimizer, lr = learning_rate(ctx.model)
    absmax = unscaled_input(ctx)
    evidence = {
        "onset_epoch": epoch + 1,
        "epoch": epoch + 1,
        "loss": losses[-1],
        "chance_loss": chance[0],
        "accuracy": accuracy,
        "learning_rate": lr,
    }
    verdict = learning_rate_verdict(ctx.model)
    if optimizer is not None and optimizer.family == "ftrl":
        cause = (
            f"the Ftrl optimizer (learning_rate={lr:g}) barely moves the weights of a dense network"
        )
        fix = "optimizer=keras.optimizers.Adam(learning_rate=0.001)  # or Ftrl(learning_rate=0.1)"
    elif verdict == "low":
        cause = f"the learning rate {lr:g} is far too low for {optimizer.name}"
        fix = f"optimizer={optimizer_code(ctx.model)}"
    elif absmax is not None or bad_from_the_start(trace, chance):
        cause = (
            f"the inputs are not scaled (values up to {absmax:g})"
            if absmax is not None
            else f"the inputs are likely not scaled: the first batch's loss was "
            f"{fmt(trace.losses[0])}, far above {chance[1]}, and the huge early updates left "
            "the model predicting a constant"
        )
        fix = scale_fix(ctx)
    elif verdict == "high":
        cause = f"the learning rate {lr:g} is far too high for {optimizer.name}"
        fix = f"optimizer={optimizer_code(ctx.model)}"
    elif optimizer is not None and optimizer.family == "sgd" and lr is not None:
        cause = (
            f"plain {optimizer.name} (learning_rate={lr:g}) moves the weights too little to "
            "leave a constant prediction (small gradients through saturating or many layers), "
            "or the labels carry no information about the inputs"
        )
        fix = "optimizer=keras.optimizers.Adam(learning_rate=0.001)"
    else:
        cause = (
            "the labels may carry no information about the inputs (shuffled separately?), or "
            "the learning rate is too low"
        )
        fix = None
    received = ", ".join(
        p
        for p in (
            f"loss={fmt(losses[-1])}",
            f"accuracy={accuracy:.3f}" if accuracy is not None else "",
            received_optimizer(ctx.model),
        )
        if p
    )
    if constant is not None:
        evidence["constant_accuracy"] = constant
        yield Issue(
            f"The model is not learning: in all {len(logs)} epochs its training accuracy has "
            f"stayed at exactly {constant:.4f}, near the chance rate 1/{chance[2]} = "
            f"{1 / chance[2]:.3f}: it predicts the same class for every sample, and the loss "
            f"has not fallen below the chance level {chance[1]} = {chance[0]:.3f} (assuming "
            f"the labels carry a signal). Likely cause: {cause}. Received: {received}.",
            expected="An accuracy that rises above chance within an epoch or two.",
            fix=fix,
            evidence=evidence,
        )
        return
    yield Issue(
        f"The model is not learning: since {epoch_name(epoch)} the training loss has stayed at "
        f"the chance level {chance[1]} = {chance[0]:.3f}, the loss of a uniform guess over "
        f"{chance[2]} classes (assuming the labels carry a signal). Likely cause: {cause}. "
        f"Received: {received}.",
        expected=f"A training loss that falls below {chance[1]} = {chance[0]:.3f} within an "
        "epoch or two.",
        fix=fix,
        evidence=evidence,
    )


def _flat_at_chance(
    trace, logs, chance, low, patience, tolerance, min_improvement, min_steps, min_stuck_steps
) -> int | None:
    """The index of the first epoch of the flat stretch at the chance level, or None."""
    losses = [entry["loss"] for entry in logs[-patience:]]
    if not all(low * (1 - tolerance) <= v <= chance * (1 + tolerance) for v in losses):
        return None
    if losses[0] - losses[-1] > min_improvement * losses[0]:
        return None
    start = len(logs) - patience
    for i in range(start - 1, -1, -1):  # how far back the plateau goes
        value = logs[i]["loss"]
        if not low * (1 - tolerance) <= value <= chance * (1 + tolerance):
            break
        start = i
    steps = trace.steps_per_epoch
    if (
        steps is not None
        and steps * patience < min_steps
        and steps * (len(logs) - start) < min_stuck_steps
    ):
        return None  # short epochs, not long at chance in all: a slow start, maybe
    return start


def _one_class(trace, logs, chance, patience, tolerance, min_steps) -> float | None:
    """The accuracy of a model that has predicted one class for every sample all along:
    the same accuracy, at chance (at most 1.2 / C, C >= 3), in every epoch so far, and a loss
    never below the chance level (nor at the saturated plateau, KD403); else None."""
    key = accuracy_key(logs[-1])
    if key is None or chance[2] < 3:
        return None
    accuracy = [entry.get(key) for entry in logs]
    losses = [entry["loss"] for entry in logs]
    first = accuracy[0]
    if first is None or not all(a is not None and abs(a - first) <= 1e-6 for a in accuracy):
        return None
    if first > 1.2 / chance[2]:
        return None
    if not all(chance[0] * (1 - tolerance) <= v < 2 * chance[0] for v in losses):
        return None
    steps = trace.steps_per_epoch
    if steps is not None and steps * len(logs) < min_steps:
        return None
    return first


def _label_entropy(ctx: Context, classes: int) -> float | None:
    """The entropy of the label frequencies (the loss of predicting them), when known."""
    y = ctx.data.y if ctx.data is not None else None
    if y is None or not y.classes or len(y.classes) > classes:
        return None
    total = sum(y.classes.values())
    return -sum(c / total * math.log(c / total) for c in y.classes.values() if c)


def _context(optimizer: str, losses: tuple[float, ...]) -> Context:
    import keras

    from kerasdoctor.context import Trace

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    trace = Trace(
        epoch_logs=tuple({"loss": v, "accuracy": 0.18} for v in losses),
        steps_per_epoch=32,
        losses=(2.50,),
    )
    return Context(model=Context.of(model).model, trace=trace)


def bad() -> Context:
    return _context("ftrl", (2.3081, 2.3004, 2.2993, 2.2985, 2.2977))


def good() -> Context:
    return _context("adam", (2.3101, 1.7459, 1.389, 1.1536, 0.9881))
