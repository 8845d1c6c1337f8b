from __future__ import annotations

import math
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import (
    fmt,
    learning_rate,
    learning_rate_verdict,
    optimizer_code,
    received_optimizer,
    scale_fix,
    unscaled_input,
)


@rule(
    "KD413",
    "cannot-fit-one-batch",
    summary="The model cannot fit even one small batch",
    severity=Severity.WARNING,
    fix="Check the learning rate, the optimizer, the loss, the labels and frozen layers.",
)
def cannot_fit_one_batch(
    ctx: Context, *, min_decrease: float = 0.05, growth: float = 10.0, rise: float = 1.5
) -> Iterator[Issue]:
    """## What it does
    Checks for a model that cannot fit one small batch, in the overfit probe of
    `kerasdoctor.probe()`: a clone trains on one batch of 32 samples for 30 steps. It
    reports a loss whose last three steps are less than `min_decrease` (5%) below the loss
    after the first step (5% of the part above the targets' entropy, for soft targets such
    as an autoencoder's pixels, which no model fits below it), or a loss that ended `rise`
    (1.5) times above where it began, grew `growth` (10) times on the way, or became NaN.
    Adam on wide, unscaled inputs often spikes in its first steps and then recovers
    (PyTorch, 12,288 pixel inputs: 2.0 -> 6.4 -> 2.1): a spike alone is not reported.

    ## Why is this bad?
    Thirty steps on the same 32 samples is the easiest task a model will ever get: any
    set-up that can learn drives that loss down (Adam at its default rate on a 10-class
    problem: 2.6 -> 1.6; plain SGD at its default 0.01: 15% down, three times the
    threshold; the default `Ftrl()`: 0.1%). The first step is left out because it can
    only undo a poor initialisation: Ftrl's first step shrinks the weights to a uniform
    output, which lowers a high initial loss without learning anything. A loss that
    does not move means the optimizer barely updates the weights (a learning rate far too
    low, or `Ftrl()` with its defaults, whose first step shrinks the weights towards zero),
    the layers are frozen, or the loss does not depend on the outputs; a loss that grows
    means the learning rate is far too high. TheDeepChecker ("unable to fit a single batch")
    and Karpathy's recipe use the same test.

    ## Known problems
    Needs `kerasdoctor.probe(model, x, y)`. A flat loss is reported only with a cause the
    facts show (Ftrl, a learning rate far too low, saturated outputs or unscaled inputs, no
    trainable layer): a recurrent network on token ids can legitimately move its loss by only
    2% in 30 steps at Adam's default rate. Heavy regularisation (large weight penalties,
    dropout 0.5 everywhere) can legitimately slow the fit of one batch.

    ## References
    - [Karpathy, A Recipe for Training Neural Networks (overfit one batch)](https://karpathy.github.io/2019/04/25/recipe/)
    - [Keras: optimizers](https://keras.io/api/optimizers/)
    - [Ben Braiek and Khomh, TheDeepChecker (TOSEM 2022)](https://arxiv.org/abs/2112.15436)
    """
    probe = ctx.trace.probe
    if probe is None or len(probe.fit_losses) < 4:
        return
    losses = probe.fit_losses
    first = losses[0]
    if not math.isfinite(first) or first <= 0:
        return
    optimizer, lr = learning_rate(ctx.model)
    received = received_optimizer(ctx.model)
    end = losses[-3:]
    final = sum(end) / len(end) if all(math.isfinite(v) for v in end) else math.inf
    if (
        not all(math.isfinite(v) for v in losses)
        or max(losses) > growth * first
        or final > rise * first
    ):
        worst = next((v for v in losses if not math.isfinite(v)), max(losses))
        verdict = learning_rate_verdict(ctx.model)
        cause = (
            f"the learning rate {lr:g} is far too high for {optimizer.name}"
            if verdict == "high"
            else "the learning rate is too high for this model"
        )
        yield Issue(
            f"Fitting one batch of {probe.batch_size} samples makes the loss worse: it went "
            f"from {fmt(first)} up to {fmt(worst)} within {len(losses)} steps. Likely cause: "
            f"{cause}." + (f" Received: {received}." if received else ""),
            expected="A loss that falls steadily on a batch the model sees again and again.",
            fix=(
                f"optimizer={optimizer_code(ctx.model, None if verdict == 'high' else lr / 10)}"
                if optimizer is not None and lr
                else None
            ),
            evidence={
                "onset_epoch": 0,  # 0: before training (the probe)
                "onset_step": 0,
                "first_loss": first,
                "worst_loss": str(worst),
                "steps": len(losses),
                "learning_rate": lr,
            },
        )
        return
    # From the loss after the first step: a first step can only undo a poor initialisation
    # (Ftrl's shrinks the weights to zero, a uniform output) without learning anything.
    # Soft targets (an autoencoder's pixels) cannot be fitted below their entropy: the fall
    # is measured against the part of the loss that can be removed.
    start = losses[1]
    if start - final >= min_decrease * (start - (probe.loss_floor or 0.0)):
        return
    absmax = unscaled_input(ctx)
    if optimizer is not None and optimizer.family == "ftrl":
        cause = (
            f"the Ftrl optimizer (learning_rate={lr:g}) barely moves the weights: its "
            "updates are tiny for a dense network"
        )
        fix = "optimizer=keras.optimizers.Adam(learning_rate=0.001)  # or Ftrl(learning_rate=0.1)"
    elif learning_rate_verdict(ctx.model) == "low":
        cause = f"the learning rate {lr:g} is far too low for {optimizer.name}"
        fix = f"optimizer={optimizer_code(ctx.model)}"
    elif absmax is not None or (
        probe.initial_loss and probe.expected_loss and probe.initial_loss > 3 * probe.expected_loss
    ):
        cause = (
            "the outputs are saturated from the start (initial loss "
            f"{fmt(probe.initial_loss)}), so the gradient is zero"
            + (f": the inputs are not scaled (values up to {absmax:g})" if absmax else "")
        )
        fix = scale_fix(ctx)
    elif ctx.model is not None and not any(layer.trainable for layer in ctx.model.layers):
        cause = "no layer is trainable"
        fix = "model.trainable = True"
    else:  # no cause in the facts: a slow learner (an LSTM at Adam's 0.001) looks the same
        return
    yield Issue(
        f"The model cannot fit one batch: {len(losses)} steps on the same {probe.batch_size} "
        f"samples moved the loss only from {fmt(start)} (after the first step) to "
        f"{fmt(final)}"
        + (
            f", about the {fmt(probe.expected_loss)} = {probe.expected_basis} of an uninformed "
            "guess"
            if probe.expected_loss and abs(final - probe.expected_loss) < 0.1 * probe.expected_loss
            else ""
        )
        + f". Likely cause: {cause}."
        + (f" Received: {received}." if received else ""),
        expected=f"The loss of one batch falls by more than {min_decrease:.0%} in "
        f"{len(losses)} steps.",
        fix=fix,
        evidence={
            "onset_epoch": 0,  # 0: before training (the probe)
            "onset_step": 0,
            "first_loss": first,
            "final_loss": final,
            "steps": len(losses),
            "learning_rate": lr,
        },
    )


def _context(optimizer: str, losses: tuple[float, ...]) -> Context:
    import keras

    from kerasdoctor.context import ProbeResults, Trace

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    probe = ProbeResults(
        batch_size=32, fit_losses=losses, expected_loss=2.302585092994046, expected_basis="ln(10)"
    )
    return Context(model=Context.of(model).model, trace=Trace(probe=probe))


def bad() -> Context:
    return _context("ftrl", (2.512, 2.303, 2.302, 2.302, 2.302, 2.301, 2.301, 2.301))


def good() -> Context:
    return _context("adam", (2.512, 2.31, 2.02, 1.71, 1.43, 1.19, 0.98, 0.8))
