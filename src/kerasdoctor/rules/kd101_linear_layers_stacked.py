from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.facts import LayerFacts, ModelFacts
from kerasdoctor.rule import Issue, Severity, rule

# Layers that pass a tensor on without any non-linearity: Dropout-like (a per-unit scaling)
# and Flatten/Reshape-like (a re-indexing). Anything else between two layers ends the match.
_LINEAR_PASS_KINDS = ("dropout", "reshape")
_WEIGHT_KINDS = ("dense", "conv")


def _call(layer: LayerFacts, activation: str) -> str:
    """`keras.layers.Dense(64, activation='relu', name='hidden')`; `...` for conv arguments."""
    units = layer.units if layer.units is not None else "..."
    more = ", ..." if layer.kind == "conv" else ""
    return (
        f"keras.layers.{layer.cls}({units}{more}, activation={activation!r}, name={layer.name!r})"
    )


def _only_consumer(model: ModelFacts, layer: LayerFacts, heads: set[str]) -> LayerFacts | None:
    """The single layer that consumes `layer`'s output, if it is exactly one and not an output."""
    children = model.children(layer.name)
    if layer.name in heads or len(children) != 1 or len(children[0].parents) != 1:
        return None
    return children[0]


def _input_width(model: ModelFacts, layer: LayerFacts) -> int | None:
    """The size of the last axis of the tensor that `layer` receives, when known."""
    if len(layer.parents) == 1:
        parent = model.layer(layer.parents[0])
        if parent is not None and parent.output_shape:
            return parent.output_shape[-1]
    elif not layer.parents and model.inputs and len(model.inputs) == 1:
        shape = model.inputs[0].shape
        return shape[-1] if shape else None
    return None


@rule(
    "KD101",
    "linear-layers-stacked",
    summary="Two linear layers in a row collapse into one",
    severity=Severity.INFO,
    fix="Give the first layer a non-linear activation (e.g. `activation='relu'`), or remove it.",
)
def linear_layers_stacked(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a Dense or Conv layer with no activation (`'linear'`) whose only consumer
    is another Dense or Conv layer, with nothing in between but Dropout-like or
    Flatten/Reshape-like layers.

    ## Why is this bad?
    Without a non-linearity, `Dense(10)(Dense(64)(x))` computes `x @ (W1 @ W2) + b`: one
    linear map. The first layer adds parameters and training time but no capacity, and
    the model is no more expressive than a single layer. Usually an `activation='relu'`
    was forgotten: in Keras, `Dense` and `Conv2D` default to no activation. Keras trains
    such a model without complaint.

    ## Known problems
    The rule is advice (info), not a warning: such a model trains, it is only less
    expressive than it looks, and many tutorials (the seeds' "correct" convnet among
    them) put a `Conv2D` without activation straight before `Flatten -> Dense`.

    A linear layer followed by BatchNormalization/LayerNormalization, an `Activation`
    layer, a merge (`Add`, `Concatenate`) or any other layer is never reported: the linear
    bottleneck of MobileNetV2/EfficientNet (`Conv2D -> BatchNormalization -> Conv2D`) and
    residual projections are intentional.

    Also left alone, because the factorisation is usually the point:
    - a low-rank bottleneck, where the linear layer is narrower than both its input and the
      next layer (a linear autoencoder, a low-rank factorisation); when the input width is
      unknown, only a first layer at least as wide as the second is reported;
    - a Dense projected to a feature map for a Conv (`Dense -> Reshape -> Conv2DTranspose`,
      the stem of a GAN generator);
    - a `DepthwiseConv` followed by a Conv (a hand-written separable convolution).

    ## References
    - [Keras: Dense layer](https://keras.io/api/layers/core_layers/dense/)
    - [Keras: layer activations](https://keras.io/api/layers/activations/)
    - [Goodfellow et al., Deep Learning, 6.1: why a non-linearity is needed](https://www.deeplearningbook.org/contents/mlp.html)
    """
    model = ctx.model
    heads = {head.layer for head in model.heads}
    for layer in model.layers:
        if layer.kind not in _WEIGHT_KINDS or layer.activation != "linear":
            continue
        between: list[LayerFacts] = []
        consumer = _only_consumer(model, layer, heads)
        while consumer is not None and consumer.kind in _LINEAR_PASS_KINDS:
            between.append(consumer)
            consumer = _only_consumer(model, consumer, heads)
        if consumer is None or consumer.kind not in _WEIGHT_KINDS:
            continue
        if layer.kind == "dense" and consumer.kind == "conv":
            continue  # Dense -> Reshape -> Conv: a projection to a feature map
        if layer.cls.startswith("DepthwiseConv"):
            continue  # depthwise then pointwise: a separable convolution
        width, out, in_width = layer.units, consumer.units, _input_width(model, layer)
        if width is None or out is None:
            continue
        if width < out and (in_width is None or width < in_width):
            continue  # a low-rank bottleneck, possibly intended
        via = "".join(f" -> {b.cls} {b.name!r}" for b in between)
        yield Issue(
            f"{layer.cls} layer {layer.name!r} has no activation and feeds only "
            f"{consumer.cls} layer {consumer.name!r}{' through' + via[3:] if via else ''}, "
            f"so the two compute a single linear map and {layer.name!r} adds no capacity "
            f"(this assumes the activation was forgotten, not that a factorisation is intended). "
            f"Received: {layer.name}.activation='linear', units={width}, "
            f"next={consumer.name!r} ({consumer.cls}, units={out}, "
            f"activation={consumer.activation!r}).",
            expected=(
                f"A non-linear activation between {layer.name!r} and {consumer.name!r}, "
                "or a single layer."
            ),
            fix=f"{_call(layer, 'relu')}  # or remove {layer.name!r}",
            layer=layer.name,
            evidence={
                "layer": layer.name,
                "units": width,
                "input_width": in_width,
                "between": [b.name for b in between],
                "next": consumer.name,
                "next_units": out,
                "next_activation": consumer.activation,
            },
        )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
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
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return Context.of(model)
