from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.facts import HeadFacts, LayerFacts, ModelFacts
from kerasdoctor.rule import Issue, Severity, rule

_PROBABILITY = ("softmax", "sigmoid")
_CLASSIFICATION = ("categorical", "sparse_categorical", "binary")
# Dropout-kind layers that change values; ActivityRegularization passes them through.
_HARMLESS_DROPOUT = ("ActivityRegularization",)
_WHY = {
    "dropout": (
        "at training time it zeroes a fraction {rate} of the probabilities and multiplies the "
        "rest by {scale}, so they no longer sum to 1 and may exceed 1"
    ),
    "noise": "at training time it adds noise, so the outputs leave [0, 1] and no longer sum to 1",
    "norm": "it shifts and rescales the outputs, so they leave [0, 1] and no longer sum to 1",
    "dense": "it mixes the probabilities linearly, so the output is no longer a probability",
}


def _why(layer: LayerFacts) -> str:
    role = _role(layer)
    if role == "dropout" and layer.rate is not None and 0 < layer.rate < 1:
        return _WHY[role].format(
            rate=layer.rate, scale=f"1/(1 - {layer.rate}) = {1 / (1 - layer.rate):.3g}"
        )
    if role == "dropout":
        return _WHY[role].format(rate="`rate`", scale="1/(1 - rate)")
    return _WHY[role]


def _role(layer: LayerFacts) -> str | None:
    """How a layer placed after the output activation spoils it, or None if it does not."""
    if layer.kind == "dropout" and layer.cls not in _HARMLESS_DROPOUT:
        return "noise" if "Noise" in layer.cls else "dropout"
    if layer.kind == "norm":
        return "norm"
    if layer.kind in ("dense", "conv") and layer.activation == "linear":
        return "dense"
    return None


def _walk_back(model: ModelFacts, head: HeadFacts) -> tuple[list[LayerFacts], LayerFacts] | None:
    """The layers after the last activation of `head` (output first), and that activation's
    layer; None when the chain branches or reaches a layer whose activation is unknown."""
    after: list[LayerFacts] = []
    layer = model.layer(head.layer)
    while layer is not None:
        passes = layer.kind in ("dropout", "reshape", "norm") or (
            layer.kind in ("dense", "conv", "activation") and layer.activation == "linear"
        )
        if not passes:
            return (after, layer) if layer.activation is not None else None
        after.append(layer)
        if len(layer.parents) != 1:
            return None
        layer = model.layer(layer.parents[0])
    return None


def _call(layer: LayerFacts) -> str:
    """The activation layer as code: `keras.layers.Dense(10, activation='softmax', name='out')`."""
    if layer.kind == "activation":
        if layer.cls == "Softmax":
            return f"keras.layers.Softmax(name={layer.name!r})"
        return f"keras.layers.Activation({layer.activation!r}, name={layer.name!r})"
    units = layer.units if layer.units is not None else "..."
    more = ", ..." if layer.kind == "conv" else ""
    return (
        f"keras.layers.{layer.cls}({units}{more}, activation={layer.activation!r}, "
        f"name={layer.name!r})"
    )


def _fix(spoilers: list[LayerFacts], activation: LayerFacts) -> str:
    first = spoilers[-1]  # the one closest to the activation
    if first.kind == "dropout":
        rate = first.rate if first.rate is not None else "..."
        return (
            f"keras.layers.{first.cls}({rate}, name={first.name!r}),  # moved before "
            f"{activation.name!r}\n"
            f"{_call(activation)},  # the last layer"
        )
    if first.kind == "norm":
        return (
            f"# remove {first.cls} {first.name!r} (or move it before {activation.name!r}) so that\n"
            f"{_call(activation)}  # is the last layer"
        )
    return f"# remove {first.cls} {first.name!r} so that\n{_call(activation)}  # is the last layer"


@rule(
    "KD103",
    "layer-after-output-activation",
    summary="A layer after the output softmax/sigmoid spoils it",
    severity=Severity.ERROR,
    fix="Make the softmax/sigmoid layer the last layer; move Dropout before it.",
)
def layer_after_output_activation(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a Dropout, GaussianNoise, GaussianDropout or AlphaDropout layer, or a
    BatchNormalization/LayerNormalization layer, placed after the output's softmax or
    sigmoid, and for a Dense with no activation after a softmax output of a classifier.

    ## Why is this bad?
    The loss expects probabilities. `Dense(10, activation='softmax') -> Dropout(0.5)`
    zeroes half the probabilities and doubles the others during training, so they no
    longer sum to 1 and can exceed 1; crossentropy then clips them and the gradients are
    wrong. BatchNormalization after a sigmoid gives values outside [0, 1]. A Dense after
    the softmax turns the probabilities back into unnormalised scores. Keras raises no
    error: the model trains, worse.

    ## Known problems
    A sigmoid or softmax followed by a Dense is reported only when the softmax is the
    activation of a classifier (a crossentropy loss without `from_logits=True`): a
    sigmoid hidden layer feeding a Dense output is a classic, valid network. The chain is
    followed only while it does not branch, and says nothing when an activation is
    unknown (a Lambda or custom function).

    ## References
    - [Keras: Dropout layer](https://keras.io/api/layers/regularization_layers/dropout/)
    - [Keras: BatchNormalization layer](https://keras.io/api/layers/normalization_layers/batch_normalization/)
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    """
    model = ctx.model
    for head in model.heads:
        walked = _walk_back(model, head)
        if walked is None:
            continue
        after, activation = walked
        if activation.activation not in _PROBABILITY:
            continue
        spoilers = [layer for layer in after if _role(layer) is not None]
        if not spoilers:
            continue
        if any(_role(layer) == "dense" for layer in spoilers):
            loss = head.loss
            classifier = loss is not None and loss.kind in _CLASSIFICATION and not loss.from_logits
            if activation.activation != "softmax" or not classifier:
                continue  # a sigmoid/softmax hidden layer, then a Dense output: valid
        first = spoilers[-1]
        names = ", ".join(f"{layer.cls} {layer.name!r}" for layer in reversed(spoilers))
        loss = head.loss.name if head.loss else None
        yield Issue(
            f"Output {head.key!r} applies {activation.activation} in layer "
            f"{activation.name!r} and then {names}: {_why(first)}. "
            f"Received: output layer={head.layer!r}, activation={activation.activation!r} "
            f"(layer {activation.name!r}), layers after it={[layer.name for layer in reversed(after)]}, "
            f"loss={loss}.",
            expected=(
                f"The {activation.activation} layer {activation.name!r} as the last layer of "
                f"output {head.key!r}; Dropout and normalization before it."
            ),
            fix=_fix(spoilers, activation),
            layer=first.name,
            evidence={
                "activation": activation.activation,
                "activation_layer": activation.name,
                "after": [layer.name for layer in reversed(after)],
                "spoilers": [layer.cls for layer in reversed(spoilers)],
                "loss": loss,
            },
        )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
            keras.layers.Dropout(0.5, name="drop"),
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
            keras.layers.Dropout(0.5, name="drop"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return Context.of(model)
