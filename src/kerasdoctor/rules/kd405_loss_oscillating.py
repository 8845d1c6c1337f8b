from __future__ import annotations

import math
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import (
    epoch_name,
    fmt,
    learning_rate,
    optimizer_code,
    received_optimizer,
)


@rule(
    "KD405",
    "loss-oscillating",
    summary="The training loss swings up and down instead of falling",
    severity=Severity.WARNING,
    fix="Lower the learning rate, or use a schedule that decays it.",
)
def loss_oscillating(
    ctx: Context,
    *,
    window: int = 6,
    min_jump: float = 0.1,
    min_rises: int = 2,
    max_progress: float = 0.05,
) -> Iterator[Issue]:
    """## What it does
    Checks for an epoch loss that oscillates: over the last `window` (6) epochs it rose by
    more than `min_jump` (10%) from one epoch to the next at least `min_rises` (2) times,
    falling in between, while the lowest loss of the window's second half is at most
    `max_progress` (5%) below the lowest of its first half (no net progress).

    ## Why is this bad?
    The epoch loss averages hundreds of batches, so its noise is small: healthy training
    lowers it almost every epoch. Repeated rises of 10% or more, with no net progress, mean
    the steps overshoot the minimum back and forth: the learning rate is too high (often
    with high momentum), or the batches are too small and too different. AUTOTRAINER
    flags "unstable loss" on a similar test.

    ## Known problems
    Needs `window` epochs. Very small datasets (a few batches per epoch) have noisy epoch
    losses and may trip it; raise `min_jump` for them.

    ## References
    - [Keras: learning rate schedules](https://keras.io/api/optimizers/learning_rate_schedules/)
    - [Keras: ReduceLROnPlateau](https://keras.io/api/callbacks/reduce_lr_on_plateau/)
    - [Zhang et al., AutoTrainer, ICSE 2021](https://arxiv.org/abs/2103.08759)
    """
    trace = ctx.trace
    logs = [entry for entry in trace.epoch_logs if entry.get("loss") is not None]
    if len(logs) < window:
        return
    losses = [entry["loss"] for entry in logs[-window:]]
    if not all(math.isfinite(v) and v > 0 for v in losses):
        return
    rises = [i for i in range(1, window) if losses[i] > losses[i - 1] * (1 + min_jump)]
    falls = [i for i in range(1, window) if losses[i] < losses[i - 1]]
    if len(rises) < min_rises or not falls or min(falls) > max(rises):
        return
    half = window // 2
    if min(losses[half:]) < min(losses[:half]) * (1 - max_progress):
        return  # the lows keep falling: noisy but converging
    first = len(logs) - window + rises[0]
    epoch = trace.epoch_number(trace.epoch_logs.index(logs[first]))
    _, lr = learning_rate(ctx.model)
    swing = max(losses) / min(losses)
    received = ", ".join(
        p
        for p in (
            "losses=[" + ", ".join(fmt(v) for v in losses) + "]",
            received_optimizer(ctx.model),
        )
        if p
    )
    yield Issue(
        f"The training loss oscillates: over the last {window} epochs it rose by more than "
        f"{min_jump:.0%} {len(rises)} times (first in {epoch_name(epoch)}), its highs "
        f"{swing:.1f} times its lows, with no net progress. The steps "
        f"overshoot: the learning rate is likely too high. Received: {received}.",
        expected="An epoch loss that falls, or levels off, from one epoch to the next.",
        fix=(
            f"optimizer={optimizer_code(ctx.model, lr / 10)}  # or "
            "callbacks=[keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)]"
            if lr is not None
            else None
        ),
        evidence={
            "onset_epoch": epoch + 1,
            "epoch": epoch + 1,
            "losses": losses,
            "rises": len(rises),
            "learning_rate": lr,
        },
    )


def _context(losses: tuple[float, ...]) -> Context:
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
        optimizer=keras.optimizers.SGD(learning_rate=0.5, momentum=0.9),
        loss="sparse_categorical_crossentropy",
    )
    trace = Trace(epoch_logs=tuple({"loss": v} for v in losses))
    return Context(model=Context.of(model).model, trace=trace)


def bad() -> Context:
    return _context((1.21, 0.93, 1.38, 0.88, 1.52, 0.97, 1.44, 1.02))


def good() -> Context:
    return _context((1.21, 0.93, 0.81, 0.79, 0.72, 0.73, 0.66, 0.64))
