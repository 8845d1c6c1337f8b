from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import fmt


@rule(
    "KD415",
    "output-ignores-input",
    summary="The model gives the same output for every input",
    severity=Severity.WARNING,
    fix="Check for zero-initialised kernels, dead layers and inputs multiplied away.",
)
def output_ignores_input(ctx: Context, *, tolerance: float = 1e-6) -> Iterator[Issue]:
    """## What it does
    Checks for a model whose output does not depend on its input, in the probe of
    `kerasdoctor.probe()`: the outputs of a clone for the (different) samples of one batch
    must differ by more than `tolerance` (1e-6) times their magnitude.

    ## Why is this bad?
    A model whose output does not depend on its input predicts the same thing for every
    sample: at best the average target. Before training it means the signal is cut
    somewhere: kernels initialised to zero (`kernel_initializer='zeros'` gives every unit
    the same value, the bias), a ReLU layer dead for every sample (huge negative inputs or
    biases), a `Lambda` or custom layer that ignores its input, or a saturated softmax that
    gives the same one-hot output to every sample. 1e-6 is float32 rounding noise: real
    differences between samples are orders of magnitude larger.

    ## Known problems
    Needs `kerasdoctor.probe(model, x, y)`. A batch of identical samples is skipped.

    ## References
    - [Keras: layer weight initializers](https://keras.io/api/layers/initializers/)
    - [Keras: Lambda layer](https://keras.io/api/layers/core_layers/lambda/)
    """
    probe = ctx.trace.probe
    if probe is None or probe.output_spread is None or probe.output_scale is None:
        return
    if probe.output_spread > tolerance * max(probe.output_scale, 1e-12):
        return
    yield Issue(
        f"The model's output is the same for all {probe.batch_size} different samples of the "
        f"probe batch (they differ by at most {fmt(probe.output_spread)}): the input does not "
        "reach the output. Likely causes: kernels initialised to zero, a ReLU layer dead for "
        "every sample, a Lambda or custom layer that ignores its input, or a saturated output. "
        f"Received: output_spread={fmt(probe.output_spread)}, "
        f"output_scale={fmt(probe.output_scale)}.",
        expected="Outputs that differ between different inputs.",
        evidence={
            "onset_epoch": 0,  # 0: before training (the probe)
            "onset_step": 0,
            "spread": probe.output_spread,
            "scale": probe.output_scale,
        },
    )


def _context(spread: float, initializer: str) -> Context:
    import keras

    from kerasdoctor.context import ProbeResults, Trace

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(
                16, activation="relu", kernel_initializer=initializer, name="hidden"
            ),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    probe = ProbeResults(batch_size=32, output_spread=spread, output_scale=max(spread, 0.02))
    return Context(model=Context.of(model).model, trace=Trace(probe=probe))


def bad() -> Context:
    return _context(0.0, "zeros")


def good() -> Context:
    return _context(0.41, "glorot_uniform")
