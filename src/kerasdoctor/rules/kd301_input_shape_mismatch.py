from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.facts import LayerFacts, ModelFacts
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._data_model import data_shape, fits, inputs_with_data, shape_text, size

# Batch sizes people write: a leading input axis of one of these sizes next to data that
# fits the rest of the input shape is read as a batch size written into `Input(shape=...)`.
_BATCH_SIZES = frozenset({8, 16, 32, 64, 128, 256, 512, 1024})
# Layers whose inputs have a time axis.
_SEQUENCE_KINDS = ("rnn", "attention", "embedding")

_AXES = {
    2: "(batch, features)",
    3: "(batch, steps, features)",
    4: "(batch, height, width, channels)",
    5: "(batch, depth, height, width, channels)",
}
_AXES_FIRST = {
    3: "(batch, channels, steps)",
    4: "(batch, channels, height, width)",
    5: "(batch, channels, depth, height, width)",
}


@dataclasses.dataclass(frozen=True)
class _Case:
    what: str
    expected: str
    fix: str
    case: str


@rule(
    "KD301",
    "input-shape-mismatch",
    summary="The input data does not have the shape the model expects",
    severity=Severity.ERROR,
    fix="Reshape x to the model's input shape, or build the model for the shape of x.",
)
def input_shape_mismatch(ctx: Context, *, min_spatial: int = 8) -> Iterator[Issue]:
    """## What it does
    Checks for input data whose shape does not match the model's input shape, and names the
    usual cause with its exact fix:

    - images without a channel axis: `x` (N, 28, 28) into a model expecting
      (None, 28, 28, C). With C == 3 the data is grayscale and the model RGB.
    - channels-first images (N, 3, 28, 28) into a channels-last model (None, 28, 28, 3),
      and the reverse.
    - flattened images (N, 784) into a Conv2D model expecting (None, 28, 28, 1).
    - sequences without a time or feature axis (rank 2 into an RNN or Conv1D).
    - a feature count that does not match: (N, 12) into (None, 10).
    - the batch size written into the input shape: `Input(shape=(32, 10))` for batches of
      32 samples of 10 features, so the model expects (None, 32, 10) and `x` is (N, 10).

    For a built model (with an `Input`, or `input_shape=` on its first layer) the expected
    shape is the model's input shape. For a Sequential model without one, it is the rank
    that the first layer's `input_spec` accepts (Conv2D: 4, LSTM: 3, Dense: at least 2).
    A Sequential model without an `Input` also accepts channels-first images silently
    (Conv2D reads the last axis as channels): that case is reported when `x`'s axis 1 has
    1 or 3 values, its last axis is not 1, 3 or 4, and every spatial axis has at least
    `min_spatial` values (default 8: no real image is 3 pixels high and 28 channels deep).

    ## Why is this bad?
    Keras raises `Invalid input shape for input ...` or `Input 0 ... is incompatible with the
    layer: expected min_ndim=4, found ndim=3` at the first batch of `fit()`, in its own terms,
    and stops there: a label problem behind it (seed case A) shows only after this one is
    fixed. Channels-first images into a Sequential model without an `Input` train silently
    on the wrong axes on every backend.

    ## Known problems
    Where Keras itself adapts the rank silently (one missing trailing axis of size 1, or one
    extra trailing axis of size 1) this rule says nothing: see KD302 for the case where that
    hides a mistake. Subclassed models have no declared input shape and are not checked.
    Which fix is right when the data could be read two ways (an LSTM fed (N, 10): 10 steps
    of one feature, or one step of 10 features) is for the user to decide: both are given.

    ## References
    - [Keras: the Input object](https://keras.io/api/layers/core_layers/input/)
    - [Keras: Conv2D layer (data_format)](https://keras.io/api/layers/convolution_layers/convolution2d/)
    - [Keras: LSTM layer](https://keras.io/api/layers/recurrent_layers/lstm/)
    - [Keras: the Sequential model, specifying the input shape](https://keras.io/guides/sequential_model/)
    """
    model = ctx.model
    if model is None:
        return
    for name, expected, x, x_name in inputs_with_data(ctx):
        shape = data_shape(ctx, x)
        if len(shape) < 1:
            continue
        if expected is not None:
            case = _built_case(model, shape, expected, x_name, ctx.data.batch_size)
            received = f"Received: {x_name}.shape={shape_text(shape)}, input shape={expected}"
            # An Input's name is its InputLayer's; auto-generated names say nothing.
            named = len(model.inputs) > 1 and not name.startswith("keras_tensor")
            where = name if named else None
        else:
            first = model.layers[0] if model.layers else None
            if first is None or first.input_spec is None:
                continue
            case = _unbuilt_case(first, shape, x_name, min_spatial)
            received = (
                f"Received: {x_name}.shape={shape_text(shape)}, "
                f"{first.name}.input_spec={_spec_text(first)}"
            )
            if case is not None and case.case == "channels_first_silent":
                received += (
                    f", {first.name}.data_format={first.data_format!r}, "
                    f"{first.name} output shape={shape_text(first.output_shape)}"
                )
            where = first.name
        if case is None:
            continue
        yield Issue(
            f"{case.what} {received}.",
            expected=case.expected,
            fix=case.fix,
            layer=where,
            evidence={
                "case": case.case,
                "input": name or None,
                "x_shape": list(shape),
                "expected_shape": None if expected is None else list(expected),
            },
        )


def _n_shape(*dims) -> str:
    """`(N, 28, 28, 1)`: a data shape with any number of samples."""
    return f"(N, {', '.join(str(d) for d in dims)})"


def _spec_text(layer: LayerFacts) -> str:
    spec = layer.input_spec
    parts = [
        f"{key}={getattr(spec, key)}"
        for key in ("ndim", "min_ndim", "max_ndim")
        if getattr(spec, key) is not None
    ]
    if spec.axes:
        parts.append(f"axes={dict(spec.axes)}")
    return f"InputSpec({', '.join(parts)})"


def _has_sequence_layers(model: ModelFacts) -> bool:
    return any(
        layer.kind in _SEQUENCE_KINDS or layer.cls in ("Conv1D", "SeparableConv1D")
        for layer in model.layers
    )


def _channels_first_model(model: ModelFacts) -> bool:
    return any(
        layer.data_format == "channels_first" and layer.kind in ("conv", "pool")
        for layer in model.layers
    )


def _built_case(
    model: ModelFacts, shape: tuple, expected: tuple, x: str, batch_size: int | None
) -> _Case | None:
    xs, es = tuple(shape[1:]), tuple(expected[1:])
    if fits(xs, es):
        return None
    # What Keras adapts silently (Functional._adjust_input_rank): not a mismatch.
    if len(xs) == len(es) - 1 and es[-1] == 1 and fits(xs, es[:-1]):
        return None
    if len(xs) == len(es) + 1 and xs[-1] == 1 and fits(xs[:-1], es):
        return None
    want = f"{x} of shape {shape_text((shape[0], *es))}"
    if len(xs) == len(es) - 1:
        lead, last = fits(xs, es[1:]), fits(xs, es[:-1])
        if lead and es[0] is not None and es[0] == batch_size:
            return _batch_in_shape(xs, es, x, want, certain=True)
        if last and not (lead and es[0] is None):
            return _missing_last_axis(xs, es, x, want)
        if lead:
            if es[0] in _BATCH_SIZES and not _has_sequence_layers(model):
                return _batch_in_shape(xs, es, x, want, certain=False)
            return _missing_time_axis(xs, es, x, want)
    if len(xs) == len(es) and len(xs) >= 2:
        first_to_last = (*xs[1:], xs[0])
        last_to_first = (xs[-1], *xs[:-1])
        if fits(first_to_last, es) and not _channels_first_model(model):
            return _channels_first(xs, es, x, want)
        if fits(last_to_first, es):
            return _channels_last(xs, es, x, want)
    if len(xs) == len(es) and fits(xs[:-1], es[:-1]) and es[-1] is not None:
        return _last_axis(xs, es, x, want)
    if len(xs) != len(es) and size(xs) is not None and size(xs) == size(es):
        return _flattened(xs, es, x, want)
    if len(xs) == len(es) + 1 and fits(xs[1:], es):
        return _Case(
            f"{x} looks batched already: its first axis after the samples has {xs[0]} values "
            f"and the rest, {shape_text(xs[1:])}, is one sample of the model's input.",
            want,
            f"{x} = {x}.reshape(-1, {', '.join(str(d) for d in es)})  # one row per sample "
            "(reshape y the same way); fit() makes the batches",
            "pre_batched",
        )
    return _Case(
        f"{x} does not have the shape of the model's input: one sample of {x} is "
        f"{shape_text(xs)}, the model expects {shape_text(es)}.",
        want,
        f"keras.Input(shape={shape_text(xs)})  # build the model for the shape of one sample "
        f"of {x}\n# or reshape {x} to (N, {', '.join(str(d) for d in es)})",
        "other",
    )


def _batch_in_shape(xs: tuple, es: tuple, x: str, want: str, *, certain: bool) -> _Case:
    guess = "is the batch size" if certain else "looks like a batch size"
    return _Case(
        f"The model's input shape has an extra leading axis of {es[0]}, which {guess} "
        f"written into the input shape: `Input(shape=...)` and `input_shape=` exclude the "
        f"batch axis, so the model expects samples of shape {shape_text(es)} while one sample "
        f"of {x} is {shape_text(xs)}.",
        f"An input shape of one sample, {shape_text(xs)}: the batch size goes to fit().",
        f"keras.Input(shape={shape_text(xs)})  # shape excludes the batch axis; "
        f"model.fit(..., batch_size={es[0]})",
        "batch_size_in_shape",
    )


def _missing_time_axis(xs: tuple, es: tuple, x: str, want: str) -> _Case:
    steps = "a variable number of" if es[0] is None else str(es[0])
    also = (
        f" (If {es[0]} is meant as the batch size, write keras.Input(shape={shape_text(xs)}).)"
        if es[0] in _BATCH_SIZES
        else ""
    )
    fix = f"{x} = {x}[:, None, :]  # each sample as one time step: {_n_shape(1, *xs)}"
    if es[0] is not None:
        fix += (
            f"\n# with keras.Input(shape=(None, {', '.join(str(d) for d in xs)})), or cut {x} "
            f"into windows of {es[0]} steps: (N, {es[0]}, {', '.join(str(d) for d in xs)})"
        )
    return _Case(
        f"{x} has no time axis: one sample is {shape_text(xs)}, but the model expects "
        f"sequences of {steps} steps of {_step(es[1:])}.{also}",
        want,
        fix,
        "missing_time_axis",
    )


def _step(dims: tuple) -> str:
    return f"{dims[0]} features" if len(dims) == 1 else shape_text(dims)


def _missing_last_axis(xs: tuple, es: tuple, x: str, want: str) -> _Case:
    channels = es[-1]
    if len(es) == 3 and channels in (3, 4):
        return _Case(
            f"{x} has no channel axis: it holds {shape_text(xs)} images, and the model expects "
            f"{shape_text(es)} images with {channels} channels: the data looks grayscale and "
            "the model RGB.",
            want,
            f"{x} = np.repeat({x}[..., None], {channels}, axis=-1)  # grayscale to "
            f"{channels} equal channels\n# or build the model for grayscale images: "
            f"keras.Input(shape={shape_text((*xs, 1))})",
            "grayscale_into_rgb",
        )
    if len(es) == 2:
        return _Case(
            f"{x} has no feature axis: one sample is {shape_text(xs)}, but the model expects "
            f"{es[0]} time steps of {es[1]} features each.",
            want,
            f"keras.Input(shape=({xs[0]}, 1))  # with {x} = {x}[..., None]: one feature per "
            f"time step\n# or give each time step its {es[1]} features: "
            f"{x}.shape == (N, {xs[0]}, {es[1]})",
            "missing_feature_axis",
        )
    return _Case(
        f"{x} lacks the last axis of the model's input ({channels} values): one sample is "
        f"{shape_text(xs)}, the model expects {shape_text(es)}.",
        want,
        f"keras.Input(shape={shape_text((*xs, 1))})  # with {x} = {x}[..., None]\n"
        f"# or give {x} its last axis of {channels}",
        "missing_last_axis",
    )


def _channels_first(xs: tuple, es: tuple, x: str, want: str) -> _Case:
    moved = _n_shape(*xs[1:], xs[0])
    if len(xs) == 2:
        return _Case(
            f"{x} has its two axes swapped: one sample is {shape_text(xs)}, the model expects "
            f"{shape_text(es)} ({es[0]} steps of {es[1]} features).",
            want,
            f"{x} = np.swapaxes({x}, 1, 2)  # -> {moved}",
            "axes_swapped",
        )
    return _Case(
        f"{x} holds channels-first images {shape_text(xs)} (channels on axis 1), but the model "
        f"is channels-last and expects {shape_text(es)}.",
        want,
        f"{x} = np.moveaxis({x}, 1, -1)  # -> {moved}\n# or build the model channels-first: "
        f"keras.Input(shape={shape_text(xs)}) and data_format='channels_first' in every Conv "
        "and Pooling layer",
        "channels_first_into_channels_last",
    )


def _channels_last(xs: tuple, es: tuple, x: str, want: str) -> _Case:
    moved = _n_shape(xs[-1], *xs[:-1])
    return _Case(
        f"{x} holds channels-last images {shape_text(xs)} (channels on the last axis), but the "
        f"model is channels-first and expects {shape_text(es)}.",
        want,
        f"{x} = np.moveaxis({x}, -1, 1)  # -> {moved}\n# or build the model channels-last: "
        f"keras.Input(shape={shape_text(xs)}) and data_format='channels_last' (the default)",
        "channels_last_into_channels_first",
    )


def _last_axis(xs: tuple, es: tuple, x: str, want: str) -> _Case:
    got, need = xs[-1], es[-1]
    if len(xs) == 3 and got == 1 and need in (3, 4):
        return _Case(
            f"{x} holds grayscale images {shape_text(xs)} (1 channel), but the model expects "
            f"{need} channels: {shape_text(es)}.",
            want,
            f"{x} = np.repeat({x}, {need}, axis=-1)  # grayscale to {need} equal channels\n"
            f"# or build the model for grayscale images: keras.Input(shape={shape_text(xs)})",
            "grayscale_into_rgb",
        )
    if len(xs) == 3 and got in (3, 4) and need == 1:
        return _Case(
            f"{x} holds color images {shape_text(xs)} ({got} channels), but the model expects "
            f"grayscale images: {shape_text(es)}.",
            want,
            f"keras.Input(shape={shape_text(xs)})  # build the model for {got} channels\n"
            f"# or convert to grayscale: {x} = {x}.mean(axis=-1, keepdims=True)",
            "rgb_into_grayscale",
        )
    unit = "features" if len(xs) <= 2 else "channels"
    per = " per time step" if len(xs) == 2 else ""
    return _Case(
        f"{x} has {got} {unit}{per} (its last axis), but the model expects {need}.",
        want,
        f"keras.Input(shape={shape_text(xs)})  # build the model for {got} {unit}\n"
        f"# or pass the {need} {unit} the model was built for",
        "feature_count",
    )


def _flattened(xs: tuple, es: tuple, x: str, want: str) -> _Case:
    dims = ", ".join(str(d) for d in es)
    if len(xs) == 1 and len(es) == 3:
        return _Case(
            f"{x} holds flattened images: {xs[0]} values per sample, and the model expects "
            f"{shape_text(es)} images.",
            want,
            f"{x} = {x}.reshape(-1, {dims})",
            "flattened_images",
        )
    return _Case(
        f"{x} has the right number of values per sample ({size(xs)}) in the wrong shape: "
        f"one sample is {shape_text(xs)}, the model expects {shape_text(es)}.",
        want,
        f"{x} = {x}.reshape(-1, {dims})",
        "reshape",
    )


def _square_side(values: int) -> int | None:
    side = math.isqrt(values)
    return side if side > 1 and side * side == values else None


def _unbuilt_case(first: LayerFacts, shape: tuple, x: str, min_spatial: int) -> _Case | None:
    spec = first.input_spec
    rank = len(shape)
    xs = tuple(shape[1:])
    too_low = (spec.ndim is not None and rank < spec.ndim) or (
        spec.min_ndim is not None and rank < spec.min_ndim
    )
    too_high = (spec.ndim is not None and rank > spec.ndim) or (
        spec.max_ndim is not None and rank > spec.max_ndim
    )
    channels_first = first.data_format == "channels_first"
    if not too_low and not too_high:
        return _silent_channels_first(first, shape, x, min_spatial)
    need = spec.ndim or (spec.min_ndim if too_low else spec.max_ndim)
    axes = (_AXES_FIRST if channels_first else _AXES).get(need, "")
    layer = f"{first.cls} {first.name!r}"
    kind = {2: "features", 3: "sequence", 4: "image", 5: "volume"}.get(need)
    if spec.ndim is not None:
        bound = f"{need}-D"
    else:
        bound = f"at least {need}-D" if too_low else f"at most {need}-D"
    want = f"{x} of rank {need}: {axes}" if axes else f"{x} of rank {need}"
    spatial = first.kind in ("conv", "pool")
    if too_low and need == 4 and spatial and rank == 3:
        new = "[:, None]" if channels_first else "[..., None]"
        return _Case(
            f"{x} has no channel axis: the first layer {layer} expects {bound} input {axes}, "
            f"and {x} holds {shape_text(xs)} images.",
            want,
            f"{x} = {x}{new}  # one (grayscale) channel: "
            + (_n_shape(1, *xs) if channels_first else _n_shape(*xs, 1)),
            "missing_channel_axis",
        )
    if too_low and need == 4 and spatial and rank == 2:
        side = _square_side(xs[0])
        rgb = _square_side(xs[0] // 3) if xs[0] % 3 == 0 else None
        target = None
        if side is not None:
            target = (1, side, side) if channels_first else (side, side, 1)
        elif rgb is not None:
            target = (3, rgb, rgb) if channels_first else (rgb, rgb, 3)
        if target is not None:
            return _Case(
                f"{x} holds flattened images: {xs[0]} values per sample, and the first layer "
                f"{layer} expects {bound} input {axes}.",
                want,
                f"{x} = {x}.reshape(-1, {', '.join(str(d) for d in target)})",
                "flattened_images",
            )
    if too_low and need == 3 and rank == 2:
        return _Case(
            f"{x} has no feature axis: the first layer {layer} expects {bound} input {axes}, "
            f"and one sample of {x} is {shape_text(xs)}.",
            want,
            f"{x} = {x}[..., None]  # {xs[0]} time steps of 1 feature: (N, {xs[0]}, 1)\n"
            f"# or {x} = {x}[:, None, :] for 1 time step of {xs[0]} features: (N, 1, {xs[0]})",
            "missing_feature_axis",
        )
    if too_low and rank == need - 1:
        return _Case(
            f"{x} lacks an axis: the first layer {layer} expects {bound} input {axes}, and "
            f"{x} has rank {rank}.",
            want,
            f"{x} = {x}[..., None]  # " + _n_shape(*xs, 1),
            "missing_last_axis",
        )
    if too_high and shape[need:] and all(d == 1 for d in shape[need:]):
        return _Case(
            f"{x} has extra axes of size 1: the first layer {layer} expects {bound} input "
            f"{axes}, and {x} has rank {rank}.",
            want,
            f"{x} = {x}.reshape({x}.shape[:{need}])",
            "extra_axes",
        )
    return _Case(
        f"The first layer {layer} expects {bound} input {axes}, but {x} has rank {rank}"
        + (f" ({kind} data has rank {need})." if kind else "."),
        want,
        f"keras.Input(shape={shape_text(xs)})  # as the first layer, to fix what one sample "
        f"is; then make the layers fit it\n# or reshape {x} to rank {need}",
        "rank",
    )


def _silent_channels_first(
    first: LayerFacts, shape: tuple, x: str, min_spatial: int
) -> _Case | None:
    """Channels-first images into a channels-last Conv layer: Keras trains on the wrong axes."""
    if first.kind not in ("conv", "pool") or first.data_format != "channels_last":
        return None
    if len(shape) not in (4, 5):
        return None
    xs = tuple(shape[1:])
    if xs[0] not in (1, 3) or xs[-1] in (1, 3, 4) or min(xs[1:]) < min_spatial:
        return None
    moved = _n_shape(*xs[1:], xs[0])
    return _Case(
        f"{x} looks like channels-first images {shape_text(xs)} ({xs[0]} channels on axis 1), "
        f"but {first.cls} {first.name!r} is channels-last: it reads the last axis ({xs[-1]}) as "
        f"the channels and trains silently on {shape_text(xs[:-1])} images of {xs[-1]} "
        "channels.",
        f"{x} of shape {moved} (channels last), or data_format='channels_first'.",
        f"{x} = np.moveaxis({x}, 1, -1)  # -> {moved}\n# or data_format='channels_first' in "
        "every Conv and Pooling layer",
        "channels_first_silent",
    )


def bad() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((28, 28, 3)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
            keras.layers.GlobalAveragePooling2D(name="pool"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((200, 28, 28)).astype("float32")  # no channel axis
    y = np.arange(200) % 10
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((28, 28, 3)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
            keras.layers.GlobalAveragePooling2D(name="pool"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((200, 28, 28, 3)).astype("float32")
    y = np.arange(200) % 10
    return Context.of(model, x, y)
