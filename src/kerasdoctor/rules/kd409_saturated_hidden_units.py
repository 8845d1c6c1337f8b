from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import epoch_name, scale_fix, unscaled_input


@rule(
    "KD409",
    "saturated-hidden-units",
    summary="Most sigmoid or tanh units of a hidden layer are saturated",
    severity=Severity.WARNING,
    fix="Scale the inputs, use Glorot initialisation or BatchNormalization, or use ReLU.",
)
def saturated_hidden_units(
    ctx: Context, *, max_saturated: float = 0.5, min_units: int = 4
) -> Iterator[Issue]:
    """## What it does
    Checks for hidden sigmoid or tanh layers in which at least `max_saturated` (50%) of the
    units are saturated (within 1% of the activation's bounds for at least 90% of the
    Monitor's probe samples) at the latest measurement. Output layers are not checked:
    a confident classifier saturates its output by design.

    ## Why is this bad?
    Where sigmoid or tanh is flat its derivative is nearly 0: a saturated unit passes almost
    no gradient back, so it and every layer before it learn very slowly (vanishing
    gradients). Saturation comes from large pre-activations: inputs that are not scaled,
    weights initialised too large, or a learning rate that blew the weights up. DeepDiagnosis
    flags a layer when more than half of its pre-activations are beyond +/-5, which is the
    same 1% band for sigmoid.

    ## Known problems
    Needs the Monitor's `data=` argument (the probe batch). Gating units (LSTM gates, a
    sigmoid used as a switch) may saturate on purpose; they sit inside recurrent layers and
    are not measured.

    ## References
    - [Keras: layer activations](https://keras.io/api/layers/activations/)
    - [Glorot and Bengio, Understanding the difficulty of training deep feedforward networks (2010)](https://proceedings.mlr.press/v9/glorot10a.html)
    """
    latest: dict[str, object] = {}
    for stats in ctx.trace.units:
        if stats.activation not in ("relu", "relu6"):
            latest[stats.layer] = stats
    for name, stats in latest.items():
        if stats.units < min_units or stats.saturated < max_saturated:
            continue
        history = [s for s in ctx.trace.units if s.layer == name]
        onset = stats
        for earlier in reversed(history):
            if earlier.saturated < max_saturated:
                break
            onset = earlier
        absmax = unscaled_input(ctx)
        layer = ctx.model.layer(name) if ctx.model is not None else None
        if onset.step == 0 or absmax is not None:
            cause = (
                f"the inputs are not scaled (values up to {absmax:g})"
                if absmax is not None
                else "the inputs or the initial weights are too large"
            )
            fix = scale_fix(ctx)
        else:
            cause = "the weights grew during training (a learning rate too high)"
            fix = (
                f"keras.layers.{layer.cls}({layer.units}, activation='relu', name={name!r})"
                if layer is not None and layer.units
                else None
            )
        when = (
            "initialisation"
            if onset.step == 0
            else (f"step {onset.step} ({epoch_name(onset.epoch)})")
        )
        yield Issue(
            f"{stats.saturated:.0%} of the {stats.units} {stats.activation} units of layer "
            f"{name!r} are saturated: they sit at their bounds for nearly every probe sample, "
            f"so almost no gradient flows through them. Saturated since {when}. Likely "
            f"cause: {cause}. Received: saturated_units={round(stats.saturated * stats.units)}/"
            f"{stats.units}, activation={stats.activation!r}.",
            expected=f"Fewer than {max_saturated:.0%} of the units at their bounds.",
            fix=fix,
            layer=name,
            evidence={
                "onset_step": onset.step,
                "onset_epoch": onset.epoch + 1 if onset.step else 0,
                "saturated": stats.saturated,
                "units": stats.units,
                "step": onset.step,
            },
        )


def _context(saturated: tuple[float, ...]) -> Context:
    import keras

    from kerasdoctor.context import Trace, UnitStats

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(32, activation="tanh", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    units = tuple(
        UnitStats(step=100 * i, epoch=i, layer="hidden", activation="tanh", units=32, saturated=s)
        for i, s in enumerate(saturated)
    )
    return Context(model=Context.of(model).model, trace=Trace(units=units))


def bad() -> Context:
    return _context((0.81, 0.84, 0.88))


def good() -> Context:
    return _context((0.0, 0.03, 0.06))
