from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._output_loss import LOSS_CLASSES
from kerasdoctor.rules._training import fmt, scale_fix, unscaled_input


@rule(
    "KD412",
    "unexpected-initial-loss",
    summary="The loss at initialisation is far above an uninformed guess",
    severity=Severity.WARNING,
    fix="Check the label encoding, `from_logits`, the input scale and the initialisers.",
)
def unexpected_initial_loss(
    ctx: Context, *, max_ratio: float = 3.0, max_ratio_regression: float = 10.0
) -> Iterator[Issue]:
    """## What it does
    Checks for a loss at initialisation far above the loss of an uninformed guess. The
    loss is the one `kerasdoctor.probe()` measured before any step, without weight
    penalties; the guess is `ln C` for C-class crossentropy (every class at probability
    1/C), `ln 2` for binary crossentropy, `mean(y**2)` for mean squared error and
    `mean(|y|)` for mean absolute error (a model that outputs 0). It reports a loss more than `max_ratio` (3) times the guess for
    crossentropy, `max_ratio_regression` (10) times for regression losses.

    ## Why is this bad?
    A freshly initialised network outputs nearly uniform probabilities (or values near 0),
    so its loss sits near the guess: `ln 10 = 2.30` for ten classes. A healthy set-up
    measures 1 to 1.7 times that (a wide Conv2D-Flatten-Dense model on images in [0, 1]:
    about 1.6). Three times more means the outputs are confidently wrong before training:
    the inputs are not scaled (pixels 0..255), logits are fed to a loss that expects
    probabilities (`from_logits=False`), the labels are encoded differently from what the
    loss expects, or an initialiser is far too large. Crossentropy grows like a logarithm,
    squared errors like a square, hence the two thresholds. TheDeepChecker checks the
    initial loss the same way.

    ## Known problems
    Needs `kerasdoctor.probe(model, x, y)`. Multi-output models and custom losses are not
    checked. A regression whose targets are all near 0 has a tiny `mean(y**2)` and is
    reported as soon as the outputs are not; standardise such targets.

    ## References
    - [Karpathy, A Recipe for Training Neural Networks (verify loss @ init)](https://karpathy.github.io/2019/04/25/recipe/)
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    - [Ben Braiek and Khomh, TheDeepChecker (TOSEM 2022)](https://arxiv.org/abs/2112.15436)
    """
    probe = ctx.trace.probe
    if probe is None or probe.initial_loss is None or not probe.expected_loss:
        return
    regression = probe.expected_basis is not None and probe.expected_basis.startswith("mean")
    limit = max_ratio_regression if regression else max_ratio
    ratio = probe.initial_loss / probe.expected_loss
    if not ratio > limit:
        return
    head = ctx.model.heads[0] if ctx.model is not None and len(ctx.model.heads) == 1 else None
    absmax = unscaled_input(ctx)
    causes = []
    fix = None
    if absmax is not None:
        causes.append(f"the inputs are not scaled (values up to {absmax:g})")
        fix = scale_fix(ctx)
    if (
        head is not None
        and head.loss is not None
        and not head.loss.from_logits
        and (head.activation in ("linear", "relu"))
    ):
        causes.append(
            f"the output {head.key!r} gives logits (activation={head.activation!r}) but "
            f"the loss expects probabilities (from_logits=False)"
        )
        fix = fix or f"loss=keras.losses.{_loss_class(head.loss.name)}(from_logits=True)"
    causes.append("the labels are encoded differently from what the loss expects")
    causes.append("an initialiser is far too large")
    yield Issue(
        f"The loss at initialisation is {fmt(probe.initial_loss)}, {fmt(ratio)} times the "
        f"{fmt(probe.expected_loss)} = {probe.expected_basis} of an uninformed guess: the model "
        "is confidently wrong before training. Likely causes: "
        + "; ".join(causes)
        + f". Received: initial_loss={fmt(probe.initial_loss)}, loss={probe.loss_name!r}, "
        f"batch_size={probe.batch_size}.",
        expected=f"An initial loss near {probe.expected_basis} = {fmt(probe.expected_loss)} "
        f"(at most {limit:g} times).",
        fix=fix,
        evidence={
            "onset_epoch": 0,  # 0: before training (the probe)
            "onset_step": 0,
            "initial_loss": probe.initial_loss,
            "expected_loss": probe.expected_loss,
            "basis": probe.expected_basis,
            "input_absmax": absmax,
        },
    )


def _loss_class(name: str) -> str:
    return LOSS_CLASSES.get(name) or "".join(part.capitalize() for part in name.split("_"))


def _context(initial: float, absmax: float) -> Context:
    import keras

    from kerasdoctor.context import ProbeResults, Trace

    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(128, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    probe = ProbeResults(
        batch_size=32,
        loss_name="sparse_categorical_crossentropy",
        initial_loss=initial,
        expected_loss=2.302585092994046,
        expected_basis="ln(10)",
        input_absmax=absmax,
    )
    return Context(model=Context.of(model).model, trace=Trace(probe=probe))


def bad() -> Context:
    return _context(initial=191.7, absmax=255.0)


def good() -> Context:
    return _context(initial=2.41, absmax=1.0)
