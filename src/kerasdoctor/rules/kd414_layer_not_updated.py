from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import scale_fix, unscaled_input


@rule(
    "KD414",
    "layer-not-updated",
    summary="A training step leaves a trainable layer unchanged",
    severity=Severity.WARNING,
    fix="Connect the layer to the loss, or set `layer.trainable = False` on purpose.",
)
def layer_not_updated(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for trainable layers that one training step leaves exactly unchanged, in the
    gradient-flow probe of `kerasdoctor.probe()`: one step on a clone of the model, on one
    batch, must change the weights of every trainable layer.

    ## Why is this bad?
    Every optimizer in Keras moves a weight whose gradient is not zero, so a trainable layer
    left unchanged by a step got no gradient at all: it is not connected to the loss (an
    output without a loss, a branch cut off by `ops.stop_gradient` or a non-differentiable
    op such as `argmax` or a cast to int), every unit after it is dead on the batch, or the
    output is saturated (softmax over one unit, a sigmoid at 0 or 1). The layer will never
    train, however long the run. When no layer changes at all, the loss itself has no
    gradient.

    ## Known problems
    Needs `kerasdoctor.probe(model, x, y)`. It is one step on one batch: a layer behind
    ReLU units that happen to be inactive on all 32 samples is reported though other
    batches would reach it. Embedding rows not in the batch do not change; the layer as a
    whole still does.

    ## References
    - [Keras: transfer learning and freezing layers (`trainable`)](https://keras.io/guides/transfer_learning/)
    - [Keras: ops.stop_gradient](https://keras.io/api/ops/core/#stopgradient-function)
    """
    probe = ctx.trace.probe
    if probe is None or not probe.checked_layers or not probe.unchanged_layers:
        return
    unchanged = probe.unchanged_layers
    if len(unchanged) == len(probe.checked_layers):
        unscaled = unscaled_input(ctx)
        yield Issue(
            f"One training step changed none of the {len(unchanged)} trainable layers: the loss "
            "has no gradient with respect to any weight. Likely cause: "
            + (
                f"the inputs are not scaled (values up to {unscaled:g}), so the "
                "outputs are saturated from the start"
                if unscaled
                else "saturated or constant outputs, a loss that does not use the predictions, or a "
                "learning rate of 0"
            )
            + f". Received: unchanged_layers={list(unchanged)}.",
            expected="Every trainable layer changes after one step.",
            fix=scale_fix(ctx)
            if unscaled
            else ("kerasdoctor.diagnose(model, x, y)  # check the output activation and the loss"),
            evidence={
                "onset_epoch": 0,  # 0: before training (the probe)
                "onset_step": 0,
                "unchanged": list(unchanged),
                "checked": list(probe.checked_layers),
            },
        )
        return
    for name in unchanged:
        yield Issue(
            f"One training step left layer {name!r} exactly unchanged: no gradient reaches it, "
            "so it will never train. It is cut off from the loss (an output without a loss, "
            "`stop_gradient`, an integer cast) or every unit after it is dead on the batch. "
            f"Received: unchanged_layers={list(unchanged)} of "
            f"{len(probe.checked_layers)} trainable layers.",
            expected="Every trainable layer changes after one step.",
            fix=f"model.get_layer({name!r}).trainable = False  # if it is not meant to train",
            layer=name,
            evidence={
                "onset_epoch": 0,  # 0: before training (the probe)
                "onset_step": 0,
                "unchanged": list(unchanged),
                "checked": list(probe.checked_layers),
            },
        )


def _context(unchanged: tuple[str, ...]) -> Context:
    import keras

    from kerasdoctor.context import ProbeResults, Trace

    inputs = keras.Input((8,), name="features")
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    aux = keras.layers.Dense(4, name="aux_head")(hidden)
    out = keras.layers.Dense(1, activation="sigmoid", name="out")(hidden)
    model = keras.Model(inputs, [out, aux])
    model.compile(optimizer="adam", loss=["binary_crossentropy", None])
    probe = ProbeResults(
        batch_size=32, checked_layers=("hidden", "aux_head", "out"), unchanged_layers=unchanged
    )
    return Context(model=Context.of(model).model, trace=Trace(probe=probe))


def bad() -> Context:
    return _context(("aux_head",))


def good() -> Context:
    return _context(())
