"""Shared helpers for the exception rules (KD5xx): read Keras's messages, phrase shapes.

Pure functions over plain facts: they never import keras. The patterns match what
Keras 3 raises on TensorFlow, JAX and PyTorch (see each rule); shapes print as
`(None, 28, 28)` on TensorFlow, `(32, 28, 28)` on JAX and `torch.Size([32, 28, 28])` on
PyTorch, so every shape read from a message goes through `parse_shape` and `batchless`,
and an explanation reads the same on every backend.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kerasdoctor.context import Context
    from kerasdoctor.facts import ArrayFacts, HeadFacts, LayerFacts

#: A shape as the three backends print it: `(None, 28)`, `torch.Size([32, 28])`, `[32,28]`.
SHAPE = r"(?:torch\.Size\(\[[^\]]*\]\)|\([^()]*\)|\[[^\]]*\])"

_WRAPPER = re.compile(r"Exception encountered when calling (?P<cls>[\w.]+)\.call\(\)")
_MODEL_CLASSES = ("Sequential", "Functional", "Model")


def message(ctx: Context) -> str:
    return ctx.error.message if ctx.error is not None else ""


def search(pattern: re.Pattern[str], ctx: Context) -> re.Match[str] | None:
    """`pattern` searched in the error's cleaned message."""
    return pattern.search(message(ctx))


def wrapper_class(ctx: Context) -> str | None:
    """The layer class named by Keras's "Exception encountered when calling X.call()" wrapper,
    unless it is the model itself."""
    found = [m.group("cls").rsplit(".", 1)[-1] for m in _WRAPPER.finditer(message(ctx))]
    found = [cls for cls in found if cls not in _MODEL_CLASSES]
    return found[-1] if found else None


def parse_shape(text: str | None) -> tuple | None:
    """`(None, 28)`, `torch.Size([32, 28])`, `[32,28]`, `[?,4]` or `32, 28` as a tuple."""
    if text is None:
        return None
    text = text.strip()
    inner = re.fullmatch(r"torch\.Size\(\[(.*)\]\)", text, re.S)
    if inner:
        text = inner.group(1)
    elif text[:1] in "([" and text[-1:] in ")]":
        text = text[1:-1]
    dims: list[int | None] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part in ("None", "?", "-1"):
            dims.append(None)
        elif re.fullmatch(r"\d+", part):
            dims.append(int(part))
        else:
            return None
    return tuple(dims)


def batchless(shape: tuple | None) -> tuple | None:
    """The shape with its batch axis written `None`, as TensorFlow prints it."""
    if not shape:
        return shape
    return (None, *shape[1:])


def fmt(shape: tuple | None) -> str:
    """A shape as a Python tuple: `(None, 28, 28)`, `(32,)`."""
    return "unknown" if shape is None else repr(tuple(shape))


def known(shape: tuple | None) -> bool:
    """Whether every axis but the batch axis has a known size."""
    return shape is not None and all(isinstance(d, int) for d in shape[1:])


def size(shape: tuple) -> int | None:
    """The number of values per sample (the product of the non-batch axes), if known."""
    return math.prod(shape[1:]) if known(shape) else None


# --------------------------------------------------------------------------------------------
# Layers: their class and the layout of input they expect
# --------------------------------------------------------------------------------------------

# Keras names a layer after its class in snake case (`conv2d`, `conv2d_1`): the class of a
# layer named by default, when there is no model to look it up in (an error raised inside
# `Sequential([...])` at construction).
_DEFAULT_NAMES = {
    "dense": "Dense",
    "einsum_dense": "EinsumDense",
    "lstm": "LSTM",
    "gru": "GRU",
    "simple_rnn": "SimpleRNN",
    "rnn": "RNN",
    "bidirectional": "Bidirectional",
    "time_distributed": "TimeDistributed",
    "embedding": "Embedding",
    "flatten": "Flatten",
    **{
        f"{prefix}{n}d": f"{cls}{n}D"
        for n in (1, 2, 3)
        for prefix, cls in (
            ("conv", "Conv"),
            ("separable_conv", "SeparableConv"),
            ("depthwise_conv", "DepthwiseConv"),
            ("max_pooling", "MaxPooling"),
            ("average_pooling", "AveragePooling"),
            ("global_max_pooling", "GlobalMaxPooling"),
            ("global_average_pooling", "GlobalAveragePooling"),
            ("up_sampling", "UpSampling"),
            ("zero_padding", "ZeroPadding"),
            ("cropping", "Cropping"),
            ("conv_lstm", "ConvLSTM"),
        )
    },
    **{f"conv{n}d_transpose": f"Conv{n}DTranspose" for n in (1, 2, 3)},
}

RECURRENT = frozenset({"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional"})
_SPATIAL = {1: "steps", 2: "height, width", 3: "depth, height, width"}
_WHAT = {1: "sequences", 2: "images", 3: "volumes"}


def layer_class(ctx: Context, name: str) -> str | None:
    """The class of layer `name`: from the model facts, else from Keras's default naming."""
    if ctx.model is not None:
        layer = ctx.model.layer(name)
        if layer is not None:
            return layer.cls
    return _DEFAULT_NAMES.get(re.sub(r"_\d+$", "", name))


def spatial_dims(cls: str | None) -> int | None:
    """1, 2 or 3 for a Conv/pooling/padding layer of that many spatial axes, else None."""
    if cls is None or cls.startswith("ConvLSTM"):
        return None
    match = re.search(r"([123])D(?:Transpose)?$", cls)
    return int(match.group(1)) if match else None


def layout(cls: str | None) -> tuple[int, str] | None:
    """(rank, axes) of the input a layer class expects, batch axis included."""
    if cls is None:
        return None
    if cls in RECURRENT:
        return 3, "(batch, timesteps, features)"
    if cls.startswith("ConvLSTM") and cls[8:9] in ("1", "2", "3"):
        n = int(cls[8])
        return n + 3, f"(batch, time, {_SPATIAL[n]}, channels)"
    n = spatial_dims(cls)
    if n is not None:
        return n + 2, f"(batch, {_SPATIAL[n]}, channels)"
    if cls in ("Dense", "EinsumDense"):
        return 2, "(batch, features)"
    return None


def what_it_reads(cls: str | None) -> str | None:
    """`images` for a 2-D layer, `sequences` for a 1-D or recurrent one."""
    if cls in RECURRENT:
        return "sequences"
    n = spatial_dims(cls)
    return _WHAT.get(n) if n else None


# --------------------------------------------------------------------------------------------
# Data and heads
# --------------------------------------------------------------------------------------------


def data_x(ctx: Context) -> ArrayFacts | None:
    return ctx.data.x if ctx.data is not None else None


def data_y(ctx: Context) -> ArrayFacts | None:
    return ctx.data.y if ctx.data is not None else None


def single_y(ctx: Context) -> ArrayFacts | None:
    """The targets, when there is exactly one array of them."""
    if ctx.data is None or len(ctx.data.ys) != 1:
        return None
    return ctx.data.y


def head_for(ctx: Context, output: tuple | None = None) -> HeadFacts | None:
    """The output head an error is about: the only one, or the one whose shape is `output`."""
    if ctx.model is None or not ctx.model.heads:
        return None
    heads = ctx.model.heads
    if len(heads) == 1:
        return heads[0]
    if output is not None:
        matching = [h for h in heads if h.shape is not None and batchless(h.shape) == output]
        if len(matching) == 1:
            return matching[0]
    return None


def y_for(ctx: Context, head: HeadFacts | None) -> ArrayFacts | None:
    """The targets of `head` (by output key), or the only targets."""
    if ctx.data is None:
        return None
    if head is not None and head.key in ctx.data.ys:
        return ctx.data.ys[head.key]
    return single_y(ctx)


def first_layer(ctx: Context) -> LayerFacts | None:
    """The model's first non-input layer."""
    if ctx.model is None:
        return None
    return next((layer for layer in ctx.model.layers if layer.kind != "input"), None)


def reads_model_input(ctx: Context, name: str) -> bool:
    """Whether layer `name` reads the model's input directly (no layer before it)."""
    if ctx.model is None:
        return False
    layer = ctx.model.layer(name)
    if layer is None:
        return False
    parents = [ctx.model.layer(p) for p in layer.parents]
    return all(p is None or p.kind == "input" for p in parents)


def loss_label(head: HeadFacts | None) -> str | None:
    """`'categorical_crossentropy'` as the user wrote it (with the canonical name if an alias)."""
    if head is None or head.loss is None:
        return None
    loss = head.loss
    given = loss.given
    if given.startswith(("'", '"')) and given.strip("'\"") != loss.name:
        return f"{given} ({loss.name})"
    return given if given.startswith(("'", '"')) else loss.name


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
