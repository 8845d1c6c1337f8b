from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.facts import LayerFacts, ModelFacts
from kerasdoctor.rule import Issue, Severity, rule

_SPATIAL_KINDS = ("conv", "pool")
# Keras's reason when a Conv or Pooling output would be empty (keras/src/ops/operation_utils.py).
_TOO_SMALL = "zero or negative"


def _spatial(shape: tuple | None) -> tuple | None:
    """The spatial axes of a channels-last (batch, *spatial, channels) shape."""
    return tuple(shape[1:-1]) if shape and len(shape) >= 3 else None


def _size(spatial: tuple) -> str:
    return "x".join("?" if d is None else str(d) for d in spatial)


def _chain(model: ModelFacts, name: str) -> list[LayerFacts]:
    """The single-parent chain of layers from the first layer to `name`, first first."""
    chain: list[LayerFacts] = []
    layer = model.layer(name)
    while layer is not None and layer not in chain:
        chain.append(layer)
        layer = model.layer(layer.parents[0]) if len(layer.parents) == 1 else None
    return chain[::-1]


def _input_shape(ctx: Context, model: ModelFacts, layer: LayerFacts) -> tuple | None:
    if len(layer.parents) == 1:
        parent = model.layer(layer.parents[0])
        return parent.output_shape if parent is not None else None
    if not layer.parents:
        if ctx.data is not None and ctx.data.x is not None and ctx.data.x.shape:
            return (None, *ctx.data.x.shape[1:])
        if len(model.inputs) == 1:
            return model.inputs[0].shape
    return None


def _failures(ctx: Context) -> Iterator[tuple[LayerFacts, str]]:
    """Conv/Pooling layers whose output would have no spatial extent, with Keras's reason."""
    model = ctx.model
    if model.shape_error is not None:
        name, reason = model.shape_error
        layer = model.layer(name)
        if layer is not None and layer.kind in _SPATIAL_KINDS and _TOO_SMALL in reason:
            yield layer, reason
    for layer in model.layers:
        spatial = _spatial(layer.output_shape)
        if (
            layer.kind in _SPATIAL_KINDS
            and spatial
            and any(d is not None and d <= 0 for d in spatial)
        ):
            yield layer, f"output shape {layer.output_shape}"


@rule(
    "KD105",
    "spatial-size-reaches-zero",
    summary="Conv/pooling stack shrinks the input to nothing",
    severity=Severity.ERROR,
    fix="Use `padding='same'` on the Conv layers, fewer poolings, or larger inputs.",
)
def spatial_size_reaches_zero(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a Conv or Pooling layer whose output would have a spatial size of zero or
    less for the shape of the data: each `padding='valid'` convolution takes
    `kernel_size - 1` pixels off, and each pooling divides the size, until nothing is
    left.

    ## Why is this bad?
    The model cannot run on this data. When the input shape is declared with
    `keras.Input`, Keras raises at construction; when it is not (an unbuilt
    `Sequential`), the error comes only at `fit()`, on the first batch, as
    `Computed output size would be zero or negative`, inside a layer call and without
    saying which earlier layers consumed the size.

    ## Known problems
    The shapes come from the data passed alongside the model (`diagnose(model, x, y)`)
    or from the model's declared input, and assume channels-last images. Only Conv and
    Pooling layers are reported; other shape errors (a Dense with the wrong input width,
    a Conv2D fed 3-D data) are the data rules' job.

    ## References
    - [Keras: Conv2D layer (padding)](https://keras.io/api/layers/convolution_layers/convolution2d/)
    - [Keras: MaxPooling2D layer](https://keras.io/api/layers/pooling_layers/max_pooling2d/)
    - [A guide to convolution arithmetic (Dumoulin and Visin)](https://arxiv.org/abs/1603.07285)
    """
    model = ctx.model
    x_shape = ctx.data.x.shape if ctx.data is not None and ctx.data.x is not None else None
    reported: set[str] = set()
    for layer, reason in _failures(ctx):
        if layer.name in reported:
            continue
        reported.add(layer.name)
        received = _input_shape(ctx, model, layer)
        chain = _chain(model, layer.name)
        first_input = _spatial(_input_shape(ctx, model, chain[0]))
        steps = [f"input {_size(first_input)}"] if first_input else []
        steps += [
            f"{step.name!r} {_size(_spatial(step.output_shape))}"
            for step in chain[:-1]
            if step.kind in _SPATIAL_KINDS and _spatial(step.output_shape)
        ]
        steps.append(f"{layer.name!r} nothing")
        convs = [step for step in chain if step.kind == "conv"]
        pools = [step for step in chain if step.kind == "pool"]
        fixes = []
        if convs:
            units = convs[0].units if convs[0].units is not None else "..."
            others = ", ".join(repr(c.name) for c in convs[1:])
            fixes.append(
                f"keras.layers.{convs[0].cls}({units}, ..., padding='same', "
                f"name={convs[0].name!r})  # keep your kernel size"
                + (f"; the same for {others}" if others else "")
            )
        alternatives = [f"remove {pools[-1].cls} {pools[-1].name!r}"] if pools else []
        if first_input:
            alternatives.append(f"feed inputs larger than {_size(first_input)}")
        else:
            alternatives.append("feed larger inputs")
        fixes.append("# or: " + "; or: ".join(alternatives))
        yield Issue(
            f"{layer.cls} layer {layer.name!r} receives a tensor of shape {received}, too small "
            "for it: its output would have zero or negative spatial size, so the model cannot "
            f"run on this data. The spatial size shrinks {' -> '.join(steps)}. "
            f"Received: layer={layer.name!r}, input_shape={received}"
            + (f", x.shape={x_shape}." if x_shape else "."),
            expected="A spatial size of at least 1 after every Conv and Pooling layer.",
            fix="\n".join(fixes),
            layer=layer.name,
            evidence={
                "layer": layer.name,
                "input_shape": list(received) if received else None,
                "keras_reason": reason,
            },
        )


def bad() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.layers.Conv2D(32, 3, activation="relu", name="conv1"),
            keras.layers.MaxPooling2D(2, name="pool1"),
            keras.layers.Conv2D(64, 3, activation="relu", name="conv2"),
            keras.layers.MaxPooling2D(2, name="pool2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((100, 8, 8, 1), dtype="float32")
    y = np.arange(100) % 10
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1"),
            keras.layers.MaxPooling2D(2, name="pool1"),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2"),
            keras.layers.MaxPooling2D(2, name="pool2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((100, 8, 8, 1), dtype="float32")
    y = np.arange(100) % 10
    return Context.of(model, x, y)
