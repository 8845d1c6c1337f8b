from __future__ import annotations

import math
from collections.abc import Iterator

from kerasdoctor.context import Context, Trace
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import (
    all_finite,
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
    "KD401",
    "loss-not-finite",
    summary="The training loss became NaN or Inf",
    severity=Severity.ERROR,
    fix="Lower the learning rate, scale the inputs, and check the data for NaN.",
)
def loss_not_finite(
    ctx: Context, *, growth: float = 100.0, lr_factor: float = 100.0
) -> Iterator[Issue]:
    """## What it does
    Checks for a training loss that became NaN or Inf, and names the batch where it first
    happened and its most likely cause.

    ## Why is this bad?
    Once the loss is NaN the weights are NaN too: every later step is wasted and the model
    predicts NaN. Keras does not stop (unless `TerminateOnNaN` is used) and, on JAX and
    PyTorch, the same fault often shows as a plateau instead (see KD403).

    The cause is read from the facts, in this order: NaN or Inf in the input data; a
    learning rate `lr_factor` (100) times its optimiser's default or more (SGD >= 1.0,
    Adam >= 0.1); a loss that first grew `growth` (100) times from its first batch (a
    divergence: the learning rate is too high for this model and data); inputs that are not
    scaled (values above 10); a custom loss (a log or division of zero); else a numerical
    fault in a custom layer.

    ## Known problems
    The cause is a ranking of likely causes, not a proof. The first non-finite batch is
    exact unless the Monitor thinned a very long history.

    ## References
    - [Keras: TerminateOnNaN](https://keras.io/api/callbacks/terminate_on_nan/)
    - [Keras: SGD](https://keras.io/api/optimizers/sgd/)
    - [Goodfellow et al., Deep Learning, 8.2.4 (exploding gradients)](https://www.deeplearningbook.org/contents/optimization.html)
    """
    trace = ctx.trace
    where = _first_nonfinite(trace)
    if where is None:
        return
    step, epoch, value = where
    kind = "NaN or Inf" if value is None else "NaN" if math.isnan(value) else "Inf"
    cause, expected, fix, evidence = likely_cause(ctx, growth=growth, lr_factor=lr_factor)
    received = ", ".join(
        part
        for part in (
            f"loss={kind.lower() if value is None or kind == 'NaN' else value}",
            received_optimizer(ctx.model),
        )
        if part
    )
    yield Issue(
        f"The training loss became {kind} at step {step} ({epoch_name(epoch)}), and every "
        f"step after it is wasted: the weights are {kind} too. Likely cause: {cause}. "
        f"Received: {received}.",
        expected=expected,
        fix=fix,
        evidence={
            "onset_step": step,
            "onset_epoch": epoch + 1,
            "step": step,
            "epoch": epoch + 1,
            "loss": str(value) if value is not None else "nan or inf",
            **evidence,
        },
    )


def _first_nonfinite(trace: Trace) -> tuple[int, int, float | None] | None:
    """(step, epoch, value) of the first non-finite loss, from the batches or the epochs
    (value None: NaN or Inf, not known)."""
    if (
        trace.first_nonfinite is None
        and all_finite(trace.losses)
        and all_finite(logs.get("loss", 0.0) for logs in trace.epoch_logs)
    ):
        return None
    for i, loss in enumerate(trace.losses):
        if not math.isfinite(loss):
            return trace.step_of(i), trace.epoch_of(i), loss
    if trace.first_nonfinite is not None:  # seen by the Monitor, not recorded yet
        step, epoch = trace.first_nonfinite
        return step, epoch, None
    for i, logs in enumerate(trace.epoch_logs):
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(loss):
            steps = trace.steps_per_epoch
            start = trace.epoch_number(i) * steps + 1 if steps else 0
            return start, trace.epoch_number(i), loss
    return None


def likely_cause(
    ctx: Context, *, growth: float = 100.0, lr_factor: float = 100.0
) -> tuple[str, str, str, dict]:
    """(cause, expected, fix, evidence) of a loss gone wrong, most likely cause first."""
    data = ctx.data
    model = ctx.model
    optimizer, lr = learning_rate(model)
    evidence: dict = {}
    if lr is not None:
        evidence["learning_rate"] = lr
    for name, facts in (("x", data and data.x), ("y", data and data.y)):
        if facts is not None and (facts.nan or facts.inf):
            evidence.update({f"{name}_nan": facts.nan, f"{name}_inf": facts.inf})
            return (
                f"the {'inputs' if name == 'x' else 'targets'} contain NaN or Inf "
                f"({facts.nan} NaN, {facts.inf} Inf in the sample, first at row {facts.first_bad})",
                "Finite inputs and targets.",
                f"mask = np.isfinite({name}).reshape(len({name}), -1).all(axis=1); "
                "x, y = x[mask], y[mask]",
                evidence,
            )
    diverged = grew(ctx.trace, growth) if ctx.trace is not None else None
    if diverged is not None:
        evidence.update({"first_loss": diverged[0], "peak_loss": diverged[1]})
    if learning_rate_verdict(model, lr_factor) == "high":
        return (
            f"the learning rate {lr:g} is far too high for {optimizer.name}"
            + (
                f" (the loss grew from {fmt(diverged[0])} to {fmt(diverged[1])} first)"
                if diverged
                else ""
            ),
            f"A learning rate near {optimizer.name}'s usual {optimizer_code(model)}.",
            f"optimizer={optimizer_code(model)}",
            evidence,
        )
    absmax = unscaled_input(ctx)
    chance = chance_loss(model)
    first = ctx.trace.losses[0] if ctx.trace is not None and ctx.trace.losses else None
    if absmax is not None:
        evidence["input_absmax"] = absmax
        return (
            f"the inputs are not scaled (values up to {absmax:g}), so the first layers' "
            "outputs and gradients are huge",
            "Inputs scaled to about [0, 1] or standardised to mean 0, variance 1.",
            scale_fix(ctx),
            evidence,
        )
    if diverged is not None:
        smaller = f"{lr / 10:g}" if lr else "a 10 times smaller value"
        return (
            f"the loss diverged first (it grew from {fmt(diverged[0])} to {fmt(diverged[1])}): "
            "the learning rate is too high for this model and data",
            "A loss that decreases from its first batches.",
            f"optimizer={optimizer_code(model, lr / 10 if lr else None)}  "
            f"# learning_rate={smaller}; or clipnorm=1.0",
            evidence,
        )
    if chance is not None and first is not None and math.isfinite(first) and first > 2 * chance[0]:
        evidence["first_loss"] = first
        return (
            f"the loss was already {fmt(first)} on the first batch, far above "
            f"{chance[1]} = {chance[0]:.3f}: the inputs are likely not scaled",
            f"A first-batch loss near the chance level {chance[1]} = {chance[0]:.3f}.",
            scale_fix(ctx),
            evidence,
        )
    head = model.heads[0] if model is not None and len(model.heads) == 1 else None
    if head is not None and head.loss is not None and head.loss.kind == "custom":
        return (
            f"the custom loss {head.loss.given} takes a log (or divides by) zero",
            "A loss that clips its inputs before log or division.",
            "y_pred = keras.ops.clip(y_pred, 1e-7, 1 - 1e-7)  # in the loss, before any log",
            evidence,
        )
    return (
        "a numerical fault: NaN in the data, a log or square root of zero in a custom layer, "
        "or a learning rate too high for this model",
        "A finite loss at every step.",
        "keras.callbacks.TerminateOnNaN()  # stop early; then check the data for NaN "
        "and lower the learning rate",
        evidence,
    )


def bad() -> Context:
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
        optimizer=keras.optimizers.SGD(learning_rate=10.0), loss="categorical_crossentropy"
    )
    losses = (2.41, 35.2, 4.1e3, 8.8e6, 2.2e13, float("nan"))
    trace = Trace(
        batch_logs=tuple({"loss": v} for v in losses),
        losses=losses,
        batch_steps=(1, 2, 3, 4, 5, 6),
    )
    return Context(model=Context.of(model).model, trace=trace)


def good() -> Context:
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
        optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="categorical_crossentropy"
    )
    losses = (2.41, 2.30, 2.12, 1.95, 1.81, 1.70)
    trace = Trace(batch_logs=tuple({"loss": v} for v in losses), losses=losses)
    return Context(model=Context.of(model).model, trace=trace)
