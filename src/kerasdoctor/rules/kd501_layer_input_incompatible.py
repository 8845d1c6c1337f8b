from __future__ import annotations

import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._errors import (
    RECURRENT,
    SHAPE,
    batchless,
    data_x,
    fmt,
    layer_class,
    layout,
    parse_shape,
    reads_model_input,
    search,
    spatial_dims,
    what_it_reads,
)

_INPUT = r"Input (?P<idx>\d+) with name '(?P<name>[^']*)' of layer '(?P<layer>[^']+)' is incompatible with the layer: "
RANK = re.compile(
    _INPUT + r"expected (?P<kind>ndim|min_ndim|max_ndim)=(?P<expected>\d+), found ndim=(?P<found>\d+)"
    rf"(?:\. Full shape received: (?P<shape>{SHAPE}))?"
)
AXIS = re.compile(
    _INPUT + r"expected axis (?P<axis>-?\d+) of input shape to have value (?P<expected>\d+), "
    rf"but received input with shape (?P<shape>{SHAPE})"
)
# TensorFlow's kernel error for a built Dense layer fed another width (no input check ran).
MATMUL = re.compile(r"Matrix size-incompatible: In\[0\]: \[(?P<a>[^\]]*)\], In\[1\]: \[(?P<b>[^\]]*)\]")
# A convolution or pooling window larger than the input's spatial axes (Keras's shape inference,
# raised when the layer is added): no layer name in the message.
WINDOW = re.compile(
    rf"Computed output size would be zero or negative\. Received:? `inputs(?: shape=|\.shape=)(?P<shape>{SHAPE})`, "
    rf"`(?:kernel shape=(?P<kernel>{SHAPE})|pool_size=(?P<pool>{SHAPE}))`"
)


def _named(layer: str, cls: str | None) -> str:
    return f"Layer {layer!r} ({cls})" if cls else f"Layer {layer!r}"


def _wanted(kind: str, expected: int, cls: str | None) -> str:
    shape = layout(cls)
    if shape is not None and shape[0] == expected and kind != "max_ndim":
        return f"{expected}-D input {shape[1]}"
    return {
        "ndim": f"{expected}-D input",
        "min_ndim": f"input of at least {expected} dimensions",
        "max_ndim": f"input of at most {expected} dimensions",
    }[kind]


def _source(ctx: Context, layer: str, received: tuple | None) -> tuple[str, str | None]:
    """Where the received shape comes from: ('data', x shape), ('layer', parent) or ('unknown', None)."""
    x = data_x(ctx)
    if ctx.model is not None and ctx.model.layer(layer) is not None:
        if reads_model_input(ctx, layer):
            if x is not None and received is not None and len(x.shape) == len(received):
                return "data", fmt(x.shape)
            return "input", None
        parents = ctx.model.layer(layer).parents
        return "layer", parents[0] if len(parents) == 1 else None
    return "unknown", None


def _add_axis_fix(ctx: Context, layer: str, received: tuple, new: tuple, comment: str) -> str:
    """Code that adds a trailing axis of size 1, in the model and in the data."""
    source, detail = _source(ctx, layer, received)
    if source == "layer":
        return f"keras.layers.Reshape({new})  # before {layer!r}: {comment}"
    x = data_x(ctx)
    lines = [f"keras.Input({new})  # as the first layer, or input_shape={new}"]
    if source == "data" and x is not None:
        lines.append(f"x = x[..., None]  # {comment} to the data: {fmt(x.shape)} -> {fmt((*x.shape, 1))}")
    else:
        before = ("n", *received[1:])
        after = (*before, 1)
        shown = lambda s: "(" + ", ".join(str(d) for d in s) + ")"  # noqa: E731
        lines.append(f"x = x[..., None]  # {comment} to the data too: {shown(before)} -> {shown(after)}")
    if source == "unknown":
        lines.append(f"# if {layer!r} is not the first layer: keras.layers.Reshape({new}) before it")
    return "\n".join(lines)


def _rank_issue(ctx: Context, m: re.Match[str]) -> Issue:
    layer, kind = m.group("layer"), m.group("kind")
    expected, found = int(m.group("expected")), int(m.group("found"))
    received = batchless(parse_shape(m.group("shape")))
    cls = layer_class(ctx, layer)
    reads = what_it_reads(cls)
    n = spatial_dims(cls)
    wanted = _wanted(kind, expected, cls)
    source, detail = _source(ctx, layer, received)
    what = "it lacks an axis" if found < expected else "it has an axis too many"
    expected_text = f"{wanted[0].upper()}{wanted[1:]}."
    fix = None

    if kind != "max_ndim" and found == expected - 1 and received and len(received) == found:
        new = (*received[1:], 1)
        if cls in RECURRENT:
            what = (
                f"each sample is a flat vector of {received[-1]} values, but a recurrent layer "
                "reads a sequence: (timesteps, features)"
            )
            fix = _add_axis_fix(ctx, layer, received, new, "one feature per time step") + (
                f"\n# or, if the values are not a sequence, use Dense layers instead of {cls}"
            )
        elif n is not None:
            what = f"the {reads} have no channel axis"
            fix = _add_axis_fix(ctx, layer, received, new, "add the channel axis")
        else:
            what = "it lacks one axis, most often a channel or feature axis of size 1"
            fix = _add_axis_fix(ctx, layer, received, new, "add the missing axis")
        expected_text = f"Input of shape {fmt((None, *new))}, for example."
    elif (
        n is not None and n >= 2 and found == 2 and received and isinstance(received[1], int)
        and expected == n + 2
    ):
        side = round(received[1] ** (1 / n))
        if side**n == received[1]:
            new = (*(side,) * n, 1)
            what = f"the {reads} are flattened: {received[1]} = {'×'.join([str(side)] * n)}"
            where = f"before {layer!r}" if source == "layer" else "as the first layer"
            fix = (
                f"keras.layers.Reshape({new})  # {where}\n"
                f"# or keep the data unflattened: x = x.reshape(-1, {', '.join(map(str, new))})"
            )
            expected_text = f"Input of shape {fmt((None, *new))}, for example."
    elif found > expected and received and len(received) == found:
        if cls in RECURRENT and found == 4 and all(isinstance(d, int) for d in received[1:]):
            steps, width, channels = received[1:]
            new = (steps, width * channels)
            what = "images reach a recurrent layer, which reads (timesteps, features)"
            fix = (
                f"keras.layers.Reshape({new})  # before {layer!r}: rows as time steps\n"
                "# or use Conv2D layers for images"
            )
            expected_text = f"Input of shape {fmt((None, *new))}, for example."
        elif received[-1] == 1 and found == expected + 1:
            new = tuple(received[1:-1])
            what = "it has an extra trailing axis of size 1"
            if source == "data":
                fix = f"x = x.squeeze(-1)  # {detail} -> without the last axis"
            else:
                fix = f"keras.layers.Reshape({new})  # before {layer!r}"
            expected_text = f"Input of shape {fmt((None, *new))}."
        elif n is not None and found == n + 3 and cls is not None:
            bigger = cls.replace(f"{n}D", f"{n + 1}D")
            what = f"{cls} reads {reads}, but receives {found}-D data"
            fix = f"keras.layers.{bigger}(...)  # instead of {cls}, for {what_it_reads(bigger)}"

    rank_word = f"{found}-D input" + (f" of shape {fmt(received)}" if received else "")
    text = f"{_named(layer, cls)} expects {wanted}, but receives {rank_word}: {what}."
    if source == "data":
        text += f" Your x has shape {detail}."
    elif source == "layer" and detail:
        text += f" It comes from layer {detail!r}."
    text += f" Received: expected {kind}={expected}, found ndim={found}"
    text += f", shape={fmt(received)}." if received else "."
    return Issue(
        text,
        expected=expected_text,
        fix=fix,
        layer=layer,
        evidence={
            "layer": layer,
            "layer_class": cls,
            "check": kind,
            "expected": expected,
            "found": found,
            "shape": list(received) if received else None,
        },
    )


def _axis_issue(ctx: Context, m: re.Match[str]) -> Issue:
    layer, axis, want = m.group("layer"), int(m.group("axis")), int(m.group("expected"))
    received = batchless(parse_shape(m.group("shape")))
    cls = layer_class(ctx, layer)
    source, detail = _source(ctx, layer, received)
    got = received[axis] if received and -len(received) <= axis < len(received) else None
    evidence = {"layer": layer, "layer_class": cls, "axis": axis, "expected": want, "got": got,
                "shape": list(received) if received else None}
    if (
        received and axis == -1 and len(received) >= 3 and received[1] == want
        and received[-1] != want
    ):
        to_last = (None, *received[2:], received[1])
        return Issue(
            f"{_named(layer, cls)} expects {want} channels on the last axis, but receives "
            f"shape {fmt(received)}: the data is channels-first, while Keras layers default to "
            f"channels-last. Received: expected axis -1 = {want}, shape={fmt(received)}.",
            expected=f"Channels-last input of shape {fmt(to_last)}.",
            fix="x = np.moveaxis(x, 1, -1)  # channels-first -> channels-last",
            layer=layer,
            evidence=evidence,
        )
    if source == "layer":
        origin = f" Layer {detail!r} before it outputs {got} values." if detail else ""
        fix = (
            f"# make the layer before {layer!r} output {want} values, or rebuild {layer!r} for {got}"
        )
    elif source == "data":
        origin = f" Your x has shape {detail}."
        fix = (
            f"keras.Input(({got},))  # if {got} features is right: rebuild the model for them\n"
            f"# otherwise give x the {want} features the model was built for"
        )
    else:
        origin = ""
        fix = (
            f"# give the layer inputs with {want} values on axis {axis}, as it was built for;\n"
            f"# or, if {got} is right, rebuild the model for it (keras.Input with {got} on that axis)"
        )
    return Issue(
        f"{_named(layer, cls)} was built for inputs with {want} values on axis {axis}, but "
        f"receives {got}: the data (or the layer before it) changed width since the model was "
        f"built, for example a column added or dropped in preprocessing.{origin} "
        f"Received: expected axis {axis} = {want}, shape={fmt(received)}.",
        expected=f"Inputs with {want} values on axis {axis}.",
        fix=fix,
        layer=layer,
        evidence=evidence,
    )


def _matmul_issue(ctx: Context, m: re.Match[str]) -> Issue | None:
    a, b = parse_shape(m.group("a")), parse_shape(m.group("b"))
    if not a or not b or len(b) != 2 or a[-1] == b[0]:
        return None
    fan_in, units = b
    layer = None
    if ctx.model is not None:
        candidates = [
            lay for lay in ctx.model.layers
            if lay.cls == "Dense" and lay.units == units
            and (lay.params is None or lay.params in (fan_in * units, (fan_in + 1) * units))
        ]
        layer = candidates[0].name if len(candidates) == 1 else None
    who = f"Dense layer {layer!r}" if layer else f"A Dense layer with {units} units"
    return Issue(
        f"{who} was built for inputs with {fan_in} features, but receives {a[-1]}: the data "
        "(or the layer before it) changed width since the model was built. Received: "
        f"inputs {fmt(batchless(a))}, kernel {fmt(b)} (TensorFlow: Matrix size-incompatible).",
        expected=f"Inputs with {fan_in} features.",
        fix=(
            f"keras.Input(({a[-1]},))  # if {a[-1]} features is right: rebuild the model for them\n"
            f"# otherwise give the layer the {fan_in} features it was built for"
        ),
        layer=layer,
        evidence={"inputs": list(batchless(a)), "kernel": list(b), "layer": layer},
    )


def _window_issue(m: re.Match[str]) -> Issue | None:
    shape = parse_shape(m.group("shape"))
    received = tuple(shape[1:]) if shape else None  # without the batch axis
    kernel = parse_shape(m.group("kernel")) if m.group("kernel") else None
    # pool_size is printed as a numpy array: "[2 2]"
    pool = tuple(int(d) for d in re.findall(r"\d+", m.group("pool"))) if m.group("pool") else None
    window = tuple(kernel[:-2]) if kernel else pool
    if not received or not window or len(received) != len(window) + 1:
        return None
    what = "convolution kernel" if kernel else "pooling window"
    spatial = received[:-1]
    first, *rest = received
    text = (
        f"A {what} of size {fmt(window)} does not fit in the input's spatial axes "
        f"{fmt(spatial)}, so the layer's output would have no rows or columns."
    )
    if (
        isinstance(first, int) and first in (1, 3, 4) and len(received) >= 3
        and all(isinstance(d, int) and d > 4 for d in rest)
    ):
        new = (*rest, first)
        perm = ", ".join(["0", *(str(i) for i in range(2, len(received) + 1)), "1"])
        text += (
            f" The input {fmt(received)} looks channels-first ({first} channel"
            f"{'s' if first > 1 else ''} before {fmt(tuple(rest))}), while Keras layers read "
            "channels-last data by default, so the channel axis is taken as a spatial one."
        )
        expected = f"Channels-last input {fmt((None, *new))}."
        fix = (
            f"x = x.transpose({perm})  # channels first -> last: {fmt(received)} -> {fmt(new)}\n"
            f"# and declare input_shape={fmt(new)}"
        )
    else:
        text += " The input is smaller than the window, or earlier layers shrank it too much."
        expected = f"Spatial axes of at least {fmt(window)} at this layer."
        fix = "padding='same'  # on this layer (and earlier ones), or a smaller kernel/pool, or fewer pooling layers"
    text += f" Received: inputs shape={fmt(received)}, {'kernel' if kernel else 'pool_size'}={fmt(kernel or pool)}."
    return Issue(
        text,
        expected=expected,
        fix=fix,
        evidence={"shape": list(received), "window": list(window), "kind": what},
    )


@rule(
    "KD501",
    "layer-input-incompatible",
    summary="A layer received input of the wrong rank or width",
    severity=Severity.ERROR,
    fix=(
        "Give the layer the input shape it expects: add or remove an axis (`x[..., None]`, "
        "`Reshape`, `Flatten`), or declare the right `Input` shape."
    ),
)
def layer_input_incompatible(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for Keras's layer input checks failing: a layer received input of the wrong
    rank (`expected min_ndim=4, found ndim=3`, `expected ndim=3, found ndim=2`) or with
    the wrong size on an axis (`expected axis -1 of input shape to have value 10, but
    received input with shape (None, 12)`; TensorFlow's `Matrix size-incompatible` for a
    Dense layer fed another width), and a convolution or pooling window larger than its input
    (`Computed output size would be zero or negative`, most often channels-first images given
    to a channels-last layer), and says which axis is missing or extra and how to add
    or remove it, in the model and in the data.

    ## Why is this bad?
    Keras raises, at construction when the first layer declares `input_shape`, or at the
    first `fit()` step. The message names the rank but not the reason: a missing channel
    axis on grayscale images (`(28, 28)` for a `Conv2D`), a flat feature vector given to an
    LSTM (which reads `(timesteps, features)`), channels-first images, or data whose
    number of features changed since the model was built.

    ## Known problems
    Without the model, the layer's class is guessed from its default name (`conv2d_1` is a
    `Conv2D`); a layer with a custom name is explained from the ranks alone. Whether the
    shape comes from the data or from the layer before is known only with the model.

    ## References
    - [Keras: the Sequential model, specifying the input shape](https://keras.io/guides/sequential_model/)
    - [Keras: Conv2D layer](https://keras.io/api/layers/convolution_layers/convolution2d/)
    - [Keras: LSTM layer](https://keras.io/api/layers/recurrent_layers/lstm/)
    """
    if m := search(RANK, ctx):
        yield _rank_issue(ctx, m)
    elif m := search(AXIS, ctx):
        yield _axis_issue(ctx, m)
    elif (m := search(MATMUL, ctx)) and (issue := _matmul_issue(ctx, m)) is not None:
        yield issue
    elif (m := search(WINDOW, ctx)) and (issue := _window_issue(m)) is not None:
        yield issue


def bad() -> Context:
    import keras

    # Grayscale 28x28 images declared without their channel axis: Sequential raises at once.
    keras.Sequential(
        [
            keras.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28)).astype("float32")
    y = np.arange(64) % 10
    x = x[..., None]  # (64, 28, 28) -> (64, 28, 28, 1)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3, activation="relu", name="conv"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x, y)
