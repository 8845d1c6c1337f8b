from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.facts import LayerFacts, ModelFacts
from kerasdoctor.rule import Issue, Severity, rule

# Activations after which a softmax still sees the logits' information: softmax(log_softmax(z))
# equals softmax(z).
_HARMLESS = ("linear", "log_softmax")
# Layers that pass the logits on without a non-linearity.
_PASS_KINDS = ("dropout", "reshape", "norm")


def _is_softmax(layer: LayerFacts) -> bool:
    return layer.kind == "activation" and layer.activation == "softmax"


def _parent(model: ModelFacts, layer: LayerFacts) -> LayerFacts | None:
    return model.layer(layer.parents[0]) if len(layer.parents) == 1 else None


def _walk_back(
    model: ModelFacts, softmax: LayerFacts
) -> tuple[LayerFacts, list[LayerFacts]] | None:
    """The Dense/Conv that produces the softmax's input and the activation layers between;
    None when the chain branches, or reaches another kind of layer or an unknown activation."""
    between: list[LayerFacts] = []
    layer = _parent(model, softmax)
    while layer is not None:
        if layer.kind in ("dense", "conv"):
            return layer, between
        if layer.kind == "activation":
            if layer.activation in (None, "unknown"):
                return None
            between.append(layer)
        elif layer.kind not in _PASS_KINDS:
            return None
        layer = _parent(model, layer)
    return None


def _dense_call(layer: LayerFacts) -> str:
    units = layer.units if layer.units is not None else "..."
    more = ", ..." if layer.kind == "conv" else ""
    return f"keras.layers.{layer.cls}({units}{more}, name={layer.name!r})"


def _softmax_call(layer: LayerFacts) -> str:
    if layer.cls == "Softmax":
        return f"keras.layers.Softmax(name={layer.name!r})"
    return f"keras.layers.Activation('softmax', name={layer.name!r})"


@rule(
    "KD104",
    "activation-before-softmax",
    summary="A non-linear activation is applied before the softmax",
    severity=Severity.WARNING,
    fix="Give the last Dense no activation; let the Softmax act on its raw logits.",
)
def activation_before_softmax(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a non-linear activation between the last Dense (or Conv) layer and the
    `Softmax` layer or `Activation('softmax')` of an output:
    `Dense(10, activation='relu') -> Softmax()`, or `Dense(10) -> ReLU() -> Softmax()`.

    ## Why is this bad?
    Softmax expects logits: unbounded scores, negative for unlikely classes. ReLU sets
    every negative logit to 0, so all unlikely classes get the same probability and no
    gradient flows through them; a dead unit never recovers. Sigmoid or tanh squeeze the
    logits into a narrow range, so the softmax stays close to uniform and the model
    cannot become confident; softmax twice does the same. Keras raises no error.

    ## Known problems
    `log_softmax` before a softmax is not reported: it changes nothing. The rule follows
    the chain back from the softmax through Dropout, Flatten/Reshape and normalization
    layers only while it does not branch, and says nothing when an activation is unknown
    (a Lambda or custom function). Only the softmax that produces an output is checked:
    a hidden softmax, such as attention weights computed from `Dense(1, activation='tanh')`,
    is left alone.

    ## References
    - [Keras: Softmax layer](https://keras.io/api/layers/activation_layers/softmax/)
    - [Keras: Dense layer](https://keras.io/api/layers/core_layers/dense/)
    """
    model = ctx.model
    for head in model.heads:
        softmax = model.layer(head.activation_layer)
        if softmax is None or not _is_softmax(softmax):
            continue
        walked = _walk_back(model, softmax)
        if walked is None:
            continue
        dense, between = walked
        applied = [(dense.name, dense.activation)] if dense.activation is not None else []
        applied += [(layer.name, layer.activation) for layer in reversed(between)]
        if any(activation == "unknown" for _, activation in applied):
            continue
        harmful = [(name, act) for name, act in applied if act not in _HARMLESS]
        if not harmful:
            continue
        name, activation = harmful[0]
        what = ", ".join(f"{act!r} (layer {n!r})" for n, act in harmful)
        remove = [layer.name for layer in between if layer.activation not in _HARMLESS]
        fix = f"{_dense_call(dense)},  # no activation: raw logits\n{_softmax_call(softmax)},"
        if remove:
            fix += f"  # and remove {', '.join(repr(n) for n in remove)}"
        yield Issue(
            f"Softmax layer {softmax.name!r} of output {head.key!r} receives the output of "
            f"{dense.cls} layer {dense.name!r} after the non-linear activation {what}, not raw "
            f"logits. Received: {dense.name}.activation={dense.activation!r}"
            + (
                f", layers between={[layer.name for layer in reversed(between)]}."
                if between
                else "."
            ),
            expected=(
                f"{dense.cls} {dense.name!r} with no activation (logits), directly followed by "
                f"the softmax {softmax.name!r}."
            ),
            fix=fix,
            layer=name,
            evidence={
                "softmax_layer": softmax.name,
                "dense": dense.name,
                "dense_activation": dense.activation,
                "activations": [act for _, act in harmful],
            },
        )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="relu", name="logits"),
            keras.layers.Softmax(name="probs"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return Context.of(model)


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, name="logits"),
            keras.layers.Softmax(name="probs"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return Context.of(model)
