from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import (
    epoch_name,
    learning_rate,
    optimizer_code,
    scale_fix,
    unscaled_input,
)


@rule(
    "KD408",
    "dead-relu-units",
    summary="Most units of a ReLU layer output 0 for every input",
    severity=Severity.WARNING,
    fix="Scale the inputs, lower the learning rate, or use LeakyReLU.",
)
def dead_relu_units(
    ctx: Context, *, max_dead: float = 0.5, min_units: int = 4, min_rise: float = 0.2
) -> Iterator[Issue]:
    """## What it does
    Checks for ReLU layers in which at least `max_dead` (50%) of the units output 0 for
    every sample of the Monitor's fixed probe batch, at the latest measurement (hidden layers
    of fewer than `min_units` (4) units are skipped). A ReLU output layer is checked whatever
    its size: a dead output unit predicts 0 for every input. A layer that was not dead
    all along since initialisation must have lost at least `min_rise` (20 points) more of
    its units since then.

    ## Why is this bad?
    A ReLU unit whose input is negative for every sample outputs 0 and gets a zero gradient:
    it never trains again, and the layer's capacity shrinks by that fraction. Half of a layer
    dead on every one of up to 256 varied samples is far beyond chance: at a healthy
    initialisation about half of the samples activate each unit. Units die when a large
    update pushes their bias or weights far negative (a learning rate too high), or are
    dead from the start when the inputs are large and not centred. DeepDiagnosis and
    AUTOTRAINER flag a layer at 70% of zero activations; counting units dead on every
    sample is stricter. A layer that starts near the threshold and barely moves (a Dense
    layer after GlobalAveragePooling of ReLU maps, whose inputs are positive and nearly
    the same for every sample: 47% dead at initialisation, 53% after training well) has
    not been damaged by training: `min_rise` keeps it quiet.

    ## Known problems
    Needs the Monitor's `data=` argument (the probe batch; `kerasdoctor run` passes the
    arrays or dataset given to `fit()`). A probe batch that covers only part of the input
    distribution can make specialised units look dead. A layer dead at or above
    `max_dead` at every measurement from initialisation on is reported as dead from the
    start even when that is how the architecture works (a Dense layer after pooled ReLU
    maps can sit at 47-56%). A ReLU output whose targets are 0
    for every probe sample would look dead too.

    ## References
    - [Keras: ReLU and LeakyReLU layers](https://keras.io/api/layers/activation_layers/)
    - [Lu et al., Dying ReLU and Initialization (2019)](https://arxiv.org/abs/1903.06733)
    """
    latest: dict[str, object] = {}
    for stats in ctx.trace.units:
        if stats.activation in ("relu", "relu6"):
            latest[stats.layer] = stats
    outputs = {h.activation_layer: h for h in ctx.model.heads} if ctx.model is not None else {}
    for name, stats in latest.items():
        output = name in outputs
        if (stats.units < min_units and not output) or stats.dead < max_dead:
            continue
        history = [s for s in ctx.trace.units if s.layer == name]
        onset = stats
        for earlier in reversed(history):
            if earlier.dead < max_dead:
                break
            onset = earlier
        at_start = history[0] if history and history[0].step == 0 else None
        if at_start and onset.step and stats.dead - at_start.dead < min_rise:
            continue  # near where it started (47% -> 53%): the data's doing, not training's
        layer = ctx.model.layer(name) if ctx.model is not None else None
        _, lr = learning_rate(ctx.model)
        absmax = unscaled_input(ctx)
        if absmax is not None:
            cause = (
                f"the inputs are not scaled (values up to {absmax:g}): pre-activations and "
                "updates are huge"
            )
            fix = scale_fix(ctx)
        elif onset.step == 0:
            cause = (
                "they were dead from the start: the inputs are large or not centred, or the "
                "initialisation is off"
            )
            fix = scale_fix(ctx)
        elif lr is not None:
            cause = f"large updates killed them during training (learning_rate={lr:g})"
            fix = f"optimizer={optimizer_code(ctx.model, lr / 10)}"
        else:
            cause = "large updates killed them during training"
            fix = None
        if fix is None and layer is not None and layer.units:
            fix = f"keras.layers.{layer.cls}({layer.units}, activation='leaky_relu', name={name!r})"
        when = (
            "initialisation"
            if onset.step == 0
            else (f"step {onset.step} ({epoch_name(onset.epoch)})")
        )
        start = f" ({at_start.dead:.0%} at initialisation)" if at_start and onset.step else ""
        received = (
            f"Received: dead_units={round(stats.dead * stats.units)}/{stats.units}, "
            f"activation={stats.activation!r}."
        )
        evidence = {
            "onset_step": onset.step,
            "onset_epoch": onset.epoch + 1 if onset.step else 0,
            "dead": stats.dead,
            "units": stats.units,
            "step": onset.step,
            "dead_at_init": at_start.dead if at_start else None,
        }
        if output:
            linear = (
                f"keras.layers.{layer.cls}({layer.units}, name={name!r})"
                if layer is not None and layer.units and layer.cls == "Dense"
                else None
            )
            which = (
                "The output unit"
                if stats.units == 1
                else f"{stats.dead:.0%} of the {stats.units} output units"
            )
            how = (
                "its pre-activation was negative for every input from the start"
                if onset.step == 0
                else "updates pushed its pre-activation below 0 for every input"
            )
            yield Issue(
                f"{which} of layer {name!r} {'is' if stats.units == 1 else 'are'} dead: the "
                "ReLU outputs 0 for every probe sample, so the model predicts 0 whatever the "
                "input, and no gradient flows back through a dead output: training cannot "
                f"recover. Dead since {when}{start}. Likely cause: a ReLU on the output unit; "
                f"{how}. {received}",
                expected="A linear output unit for a regression (or targets the ReLU can "
                "reach: all >= 0).",
                fix=(linear + "  # a linear output: no activation") if linear else fix,
                layer=name,
                evidence={**evidence, "output": True},
            )
            continue
        yield Issue(
            f"{stats.dead:.0%} of the {stats.units} units of layer {name!r} are dead: they "
            f"output 0 for every probe sample, so they get no gradient and never train again. "
            f"Dead since {when}{start}. Likely cause: {cause}. {received}",
            expected=f"Fewer than {max_dead:.0%} of the units inactive on every sample.",
            fix=fix,
            layer=name,
            evidence=evidence,
        )


def _context(dead: tuple[float, ...]) -> Context:
    import keras

    from kerasdoctor.context import Trace, UnitStats

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="categorical_crossentropy"
    )
    units = tuple(
        UnitStats(step=100 * i, epoch=i, layer="hidden", activation="relu", units=64, dead=d)
        for i, d in enumerate(dead)
    )
    return Context(model=Context.of(model).model, trace=Trace(units=units))


def bad() -> Context:
    return _context((0.02, 0.41, 0.72, 0.81))


def good() -> Context:
    return _context((0.02, 0.03, 0.05, 0.05))
