from __future__ import annotations

import math
import statistics
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import (
    all_finite,
    chance_loss,
    epoch_name,
    fmt,
    learning_rate,
    learning_rate_verdict,
    optimizer_code,
    received_optimizer,
)


@rule(
    "KD402",
    "loss-diverging",
    summary="The training loss grows by orders of magnitude",
    severity=Severity.ERROR,
    fix="Lower the learning rate 10 times, or clip gradients with `clipnorm=1.0`.",
)
def loss_diverging(ctx: Context, *, growth: float = 100.0, window: int = 5) -> Iterator[Issue]:
    """## What it does
    Checks for a training loss that grew `growth` (100) times above the loss of the first
    batch and stays there: the median of the last `window` (5) recorded batch losses is
    that high.

    ## Why is this bad?
    Gradient descent lowers the loss; a loss that grows by orders of magnitude means each
    step overshoots, usually because the learning rate is too high for the model and data.
    On TensorFlow it ends in NaN (see KD401); on JAX and PyTorch the outputs saturate and
    training stalls on a plateau (see KD403). 100 times is far beyond the batch-to-batch
    noise of any loss (a few times at most), and the median ignores a single bad batch.

    For a classifier the loss must also be above the chance level (`ln C`): a fitted
    model resumed at a loss of 0.002 whose batches spike to 0.2 is noisy, not diverging.

    ## Known problems
    A regression whose first batch is near zero (a model resumed after it was fitted) makes
    any later noise look like growth. Once the loss is NaN this rule
    is silent: KD401 reports the NaN and the divergence before it.

    ## References
    - [Keras: optimizers, learning rate](https://keras.io/api/optimizers/)
    - [Keras: gradient clipping (`clipnorm`)](https://keras.io/api/optimizers/#base-optimizer-class)
    """
    trace = ctx.trace
    losses = trace.losses
    if not losses or not math.isfinite(losses[0]) or losses[0] <= 0:
        return
    if trace.first_nonfinite is not None or not all_finite(losses):
        return  # KD401
    start = losses[0]
    recent = statistics.median(losses[-window:])
    chance = chance_loss(ctx.model)
    if len(losses) < 2 or recent < growth * start or (chance and recent < chance[0]):
        return  # a classifier still better than a uniform guess has not diverged
    onset = next(i for i, v in enumerate(losses) if v >= growth * start)
    step, epoch = trace.step_of(onset), trace.epoch_of(onset)
    optimizer, lr = learning_rate(ctx.model)
    verdict = learning_rate_verdict(ctx.model)
    if lr is not None:
        smaller = lr / 10 if verdict != "high" else None
        fix = f"optimizer={optimizer_code(ctx.model, smaller)}  # or add clipnorm=1.0"
        cause = (
            f"the learning rate {lr:g} is far too high for {optimizer.name}"
            if verdict == "high"
            else f"the learning rate {lr:g} is too high for this model and data"
        )
    else:
        fix = None
        cause = "the learning rate is too high for this model and data"
    received = ", ".join(
        p
        for p in (
            f"first_loss={fmt(start)}",
            f"recent_loss={fmt(recent)}",
            received_optimizer(ctx.model),
        )
        if p
    )
    yield Issue(
        f"The training loss is diverging: it passed {growth:g} times its first value at step "
        f"{step} ({epoch_name(epoch)}) and is now {fmt(recent / start)} times higher. "
        f"Likely cause: {cause}. Received: {received}.",
        expected="A loss that decreases, or at least stays near its first value.",
        fix=fix,
        evidence={
            "onset_step": step,
            "onset_epoch": epoch + 1,
            "step": step,
            "epoch": epoch + 1,
            "first_loss": start,
            "recent_loss": recent,
            "learning_rate": lr,
        },
    )


def _context(lr: float, losses: tuple[float, ...]) -> Context:
    import keras

    from kerasdoctor.context import Trace

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    trace = Trace(batch_logs=tuple({"loss": v} for v in losses), losses=losses)
    return Context(model=Context.of(model).model, trace=trace)


def bad() -> Context:
    return _context(0.5, (1.3, 2.9, 41.0, 380.0, 2.6e3, 9.1e3, 4.4e4, 1.2e5))


def good() -> Context:
    return _context(0.01, (1.3, 1.1, 0.93, 0.85, 0.8, 0.74, 0.71, 0.69))
