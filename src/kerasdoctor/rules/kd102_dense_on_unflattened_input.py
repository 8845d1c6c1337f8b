from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.facts import HeadFacts, LayerFacts, ModelFacts
from kerasdoctor.rule import Issue, Severity, rule

_CLASSIFICATION = ("categorical", "sparse_categorical", "binary")

# Layers that keep the shape of their input: walked from the head back to its last Dense.
_SHAPE_KEEPING = ("activation", "dropout", "norm")

# What an image/tabular classifier is built from. A path from the input to the head made
# only of these is a plain classifier, whose spatial output axes are a mistake; any other
# layer (RNN, Embedding, attention, TimeDistributed, UpSampling, Conv-transpose, Permute,
# Lambda, a nested or custom model or layer) may make per-position outputs legitimate.
_PLAIN_KINDS = (
    "input",
    "dense",
    "conv",
    "pool",
    "global_pool",
    "activation",
    "dropout",
    "reshape",
    "norm",
    "merge",
    "preprocessing",
)
_PLAIN_OTHER_PREFIXES = ("ZeroPadding", "Cropping")
_NOT_PLAIN_CLASSES = ("Permute",)


def _is_plain(layer: LayerFacts) -> bool:
    if layer.cls in _NOT_PLAIN_CLASSES or "Transpose" in layer.cls:
        return False
    if layer.kind == "other":
        return layer.cls.startswith(_PLAIN_OTHER_PREFIXES)
    return layer.kind in _PLAIN_KINDS


def _ancestors(model: ModelFacts, name: str) -> list[LayerFacts] | None:
    """Every layer the output of `name` depends on (itself included); None if one is unknown."""
    seen: dict[str, LayerFacts] = {}
    stack = [name]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        layer = model.layer(current)
        if layer is None:
            return None
        seen[current] = layer
        stack.extend(layer.parents)
    return list(seen.values())


def _single_parent(model: ModelFacts, layer: LayerFacts) -> LayerFacts | None:
    if len(layer.parents) != 1:
        return None
    return model.layer(layer.parents[0])


def _last_dense(model: ModelFacts, head: HeadFacts) -> LayerFacts | None:
    """The Dense that produces the head, through shape-keeping layers only."""
    layer = model.layer(head.layer)
    while layer is not None and layer.kind in _SHAPE_KEEPING:
        layer = _single_parent(model, layer)
    return layer if layer is not None and layer.kind == "dense" else None


def _first_dense(
    model: ModelFacts, dense: LayerFacts
) -> tuple[LayerFacts, LayerFacts | None, LayerFacts | None]:
    """The first Dense of the chain of Dense/shape-keeping layers that ends at `dense`; the
    layer right before it, where Flatten belongs; and the layer that starts the chain (both
    None when the chain reads the model's input)."""
    first = dense
    layer = _single_parent(model, dense)
    while layer is not None and layer.kind in ("dense", *_SHAPE_KEEPING):
        if layer.kind == "dense":
            first = layer
        layer = _single_parent(model, layer)
    return first, _single_parent(model, first), layer


def _input_shape(ctx: Context, model: ModelFacts, layer: LayerFacts) -> tuple | None:
    parent = _single_parent(model, layer)
    if parent is not None:
        return parent.output_shape
    if not layer.parents:
        if len(model.inputs) == 1 and model.inputs[0].shape:
            return model.inputs[0].shape
        if ctx.data is not None and ctx.data.x is not None and ctx.data.x.shape:
            return (None, *ctx.data.x.shape[1:])
    return None


def _target_shape(ctx: Context, head: HeadFacts, n_heads: int) -> tuple:
    y = ctx.data.y if ctx.data is not None else None
    if n_heads == 1 and y is not None and y.shape:
        return (None, *y.shape[1:])
    if head.loss.kind == "categorical":
        return (None, head.units)
    return (None, 1)


def _targets_match(ctx: Context, head: HeadFacts, n_heads: int) -> bool:
    """Whether the data's y keeps the same spatial axes: per-position targets, on purpose."""
    spatial = head.shape[1:-1]
    if spatial and all(s is None for s in spatial):
        return True  # variable-length axes, declared on purpose: per-position outputs
    y = ctx.data.y if ctx.data is not None else None
    if n_heads != 1 or y is None or not y.shape:
        return False
    given = tuple(y.shape[1 : 1 + len(spatial)])
    return len(given) == len(spatial) and all(
        s is None or s == g for s, g in zip(spatial, given, strict=True)
    )


@rule(
    "KD102",
    "dense-on-unflattened-input",
    summary="Classifier Dense applied to an unflattened tensor",
    severity=Severity.WARNING,
    fix="Insert `Flatten()` (or `GlobalAveragePooling2D()`) before the first Dense layer.",
)
def dense_on_unflattened_input(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a classifier output (a categorical, sparse categorical or binary
    crossentropy loss) whose shape keeps spatial axes, such as `(None, 28, 10)`, because
    its Dense layer was applied to a 3-D or 4-D tensor with no `Flatten` or global
    pooling before it.

    ## Why is this bad?
    `Dense` acts on the last axis only: on a `(None, 28, 28)` image it makes one
    prediction per row, `(None, 28, 10)`, not one per image. Keras builds the model
    without complaint and then fails at the loss, far from the cause, with
    ``target.shape=(None, 1), output.shape=(None, 28, 10)``; or, when the targets happen
    to broadcast, it trains a per-row classifier and reports a meaningless accuracy.

    ## Known problems
    Per-position outputs are legitimate for sequence tagging and segmentation. The rule
    assumes a plain classifier only when every layer from the input to the output is a
    Dense, Conv, pooling, activation, Dropout, Flatten/Reshape, normalization, merge,
    preprocessing, padding or cropping layer; it says nothing when the path holds an
    RNN, Embedding, attention, TimeDistributed, UpSampling, Conv-transpose, Permute,
    Lambda, nested-model or custom layer. It also says nothing when the `y` passed
    alongside has the same spatial axes, when every spatial axis of the output has an unknown
    size (variable-length sequences, declared on purpose), when the output's last weight layer is a Conv
    (a fully-convolutional segmentation head), or when the output shape is unknown (an
    unbuilt model given no data).

    ## References
    - [Keras: Dense layer (input of rank > 2)](https://keras.io/api/layers/core_layers/dense/)
    - [Keras: Flatten layer](https://keras.io/api/layers/reshaping_layers/flatten/)
    - [Keras: GlobalAveragePooling2D layer](https://keras.io/api/layers/pooling_layers/global_average_pooling2d/)
    """
    model = ctx.model
    for head in model.heads:
        if head.loss is None or head.loss.kind not in _CLASSIFICATION:
            continue
        if not head.shape or len(head.shape) < 3:
            continue
        dense = _last_dense(model, head)
        if dense is None or not dense.output_shape or len(dense.output_shape) != len(head.shape):
            continue
        path = _ancestors(model, head.layer)
        if path is None or not all(_is_plain(layer) for layer in path):
            continue
        if _targets_match(ctx, head, len(model.heads)):
            continue
        first, before, source = _first_dense(model, dense)
        if source is not None and source.kind == "reshape" and source.cls != "Flatten":
            continue  # reshaped to rank >= 3 on purpose, right before the Dense
        received = _input_shape(ctx, model, first)
        if received is None or len(received) < 3:
            continue  # unknown, or the spatial axes come after the first Dense
        spatial_rank = len(received) - 2
        pooling = f"GlobalAveragePooling{spatial_rank}D" if spatial_rank in (1, 2, 3) else None
        target = _target_shape(ctx, head, len(model.heads))
        where = (
            f"between {before.name!r} and {first.name!r}" if before else f"before {first.name!r}"
        )
        fix = f"keras.layers.Flatten()  # insert {where}"
        if pooling and len(received) >= 4:
            fix += f", or keras.layers.{pooling}()"
        yield Issue(
            f"Output {head.key!r} of a classifier keeps spatial axes: Dense layer "
            f"{first.name!r} was applied to a tensor of shape {received} with no Flatten or "
            f"global pooling before it, and Dense acts on the last axis only. Keras will "
            f"then fail at the loss with `target.shape={target}, "
            f"output.shape={head.shape}` or train per-row"
            f"{' (one prediction per position)' if len(head.shape) > 3 else ''}. "
            f"Received: output.shape={head.shape}, loss={head.loss.name}.",
            expected=(
                f"A classifier output of shape {(None, head.shape[-1])}: one prediction per sample."
            ),
            fix=fix,
            layer=first.name,
            evidence={
                "output_shape": list(head.shape),
                "dense_input_shape": list(received),
                "first_dense": first.name,
                "output_dense": dense.name,
                "loss": head.loss.name,
            },
        )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Dense(128, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model)


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(128, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model)
