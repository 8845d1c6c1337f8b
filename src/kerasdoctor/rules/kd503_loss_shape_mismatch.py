from __future__ import annotations

import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.facts import HeadFacts
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._errors import (
    SHAPE,
    batchless,
    fmt,
    head_for,
    loss_label,
    parse_shape,
    search,
    y_for,
)

# categorical_crossentropy and binary_crossentropy (and their focal variants). TensorFlow
# says "same rank (ndim)" when the ranks differ, JAX and PyTorch always "same shape".
DENSE = re.compile(
    r"Arguments `target` and `output` must have the same (?:shape|rank \(ndim\))\. "
    rf"Received: target\.shape=(?P<target>{SHAPE}), output\.shape=(?P<output>{SHAPE})"
)
# sparse_categorical_crossentropy: TensorFlow checks the rank, JAX and PyTorch the shape.
SPARSE = re.compile(
    r"(?:Argument `output` must have rank \(ndim\) `target\.ndim - 1`\. Received: "
    r"|Arguments `target` and `output` must have the same shape up until the last dimension:? "
    r"(?:Received: )?)"
    rf"target\.shape=(?P<target>{SHAPE}), output\.shape=(?P<output>{SHAPE})"
)


def _loss_arg(ctx: Context, head: HeadFacts | None, code: str) -> str:
    if ctx.model is not None and len(ctx.model.heads) > 1 and head is not None:
        return f"loss={{{head.key!r}: {code}, ...}}"
    return f"loss={code}"


def _sparse_code(head: HeadFacts | None, sparse: bool) -> str:
    name = "sparse_categorical_crossentropy" if sparse else "categorical_crossentropy"
    if head is not None and head.loss is not None and head.loss.from_logits:
        cls = "SparseCategoricalCrossentropy" if sparse else "CategoricalCrossentropy"
        return f"keras.losses.{cls}(from_logits=True)"
    return repr(name)


def _flatten_fix(ctx: Context, output: tuple) -> str:
    """Where the missing Flatten goes: before the first Dense applied to a 3-D or larger tensor."""
    pooling = f"GlobalAveragePooling{len(output) - 2}D" if len(output) in (3, 4, 5) else None
    alternative = f", or keras.layers.{pooling}()" if pooling and len(output) >= 4 else ""
    model = ctx.model
    if model is not None:
        for layer in model.layers:
            if layer.kind == "dense" and layer.output_shape and len(layer.output_shape) >= 3:
                parent = model.layer(layer.parents[0]) if len(layer.parents) == 1 else None
                where = (
                    f"between {parent.name!r} and {layer.name!r}"
                    if parent is not None and parent.kind != "input"
                    else f"before {layer.name!r}"
                )
                return f"keras.layers.Flatten()  # insert {where}{alternative}"
    return f"keras.layers.Flatten()  # insert before the first Dense layer{alternative}"


def _explain(
    ctx: Context, sparse: bool, target: tuple, output: tuple, head: HeadFacts | None
) -> tuple[str, str, str]:
    """(what is wrong, what was expected, fix)."""
    kind = head.loss.kind if head is not None and head.loss is not None else None
    units = output[-1] if output else None
    out_layer = head.activation_layer if head is not None else None
    y = y_for(ctx, head)
    one_hot = bool(y is not None and y.one_hot)
    per_sample = len(target) == 1 or (len(target) == 2 and target[-1] == 1)

    if len(output) >= 3 and len(target) <= 2:
        return (
            f"the output keeps the axes {fmt(tuple(output[1:-1]))} because a Dense layer was "
            "applied to a tensor of rank 3 or more without Flatten (Dense acts on the last axis "
            "only, so it predicts per row instead of per sample)",
            f"One prediction per sample: an output of shape {fmt((None, units))}.",
            _flatten_fix(ctx, output),
        )
    if sparse:
        if len(target) == len(output) and target[-1] == units and isinstance(units, int) and units > 1:
            return (
                f"the labels are one-hot ({units} columns) but sparse_categorical_crossentropy "
                "takes one integer class id per sample",
                f"Class ids of shape {fmt((None,))} for a sparse loss, or a categorical loss "
                "for one-hot labels.",
                f"{_loss_arg(ctx, head, _sparse_code(head, False))}  # for one-hot labels\n"
                "# or keep the sparse loss with class ids: y = np.argmax(y, axis=-1)",
            )
        if len(target) == len(output) and isinstance(target[-1], int) and target[-1] > 1:
            return (
                f"each sample has {target[-1]} target values, but a sparse loss takes one integer "
                "class id per sample",
                f"Class ids of shape {fmt((None,))}.",
                "# one class per sample: y of shape (n,) with ids in [0, "
                f"{units})\n# several labels per sample (multi-label): Dense({target[-1]}, "
                "activation='sigmoid') with loss='binary_crossentropy'",
            )
        return (
            "the sparse loss needs the targets to have the output's shape without its last axis",
            f"Targets of shape {fmt(tuple(output[:-1]))}.",
            f"# give y the shape {fmt(('n', *output[1:-1]))} (one class id per prediction)",
        )
    # dense losses: categorical and binary crossentropy
    if per_sample and isinstance(units, int) and units > 1 and len(output) == 2:
        name = loss_label(head)
        if kind == "binary" and units == 2:
            what = (
                "the labels are one 0/1 value per sample, but the output has 2 units (a 2-unit "
                "softmax?) and binary_crossentropy compares them unit by unit"
            )
            layer = f"name={out_layer!r}" if out_layer else ""
            fix = (
                f"Dense(1, activation='sigmoid'{', ' + layer if layer else ''})  "
                "# one probability, with binary_crossentropy\n"
                f"# or keep 2 units with {_loss_arg(ctx, head, _sparse_code(head, True))}"
            )
            return what, f"An output of shape {fmt((None, 1))}.", fix
        if kind == "binary":
            return (
                f"the labels are one value per sample (class ids?) but the output has {units} "
                "units and binary_crossentropy compares them unit by unit",
                f"Targets of shape {fmt((None, units))}, or a loss for class ids.",
                f"{_loss_arg(ctx, head, _sparse_code(head, True))}  # {units} classes, one id per "
                f"sample, with a softmax output\n# or, for {units} independent 0/1 labels: "
                f"y of shape (n, {units})",
            )
        if kind == "categorical":
            values = ""
            if y is not None and y.classes:
                values = f" (y holds the class ids {min(y.classes)}..{max(y.classes)})"
            return (
                f"the labels are integer class ids{values}, but {name} expects one-hot labels "
                f"with one column per class ({units})",
                f"One-hot targets of shape {fmt((None, units))}, or a loss for class ids.",
                f"{_loss_arg(ctx, head, _sparse_code(head, True))}  # integer labels as they are\n"
                f"# or one-hot the labels: y = keras.utils.to_categorical(y, {units})",
            )
        return (
            f"the targets hold one value per sample (class ids?), but the output has {units} "
            "units and the loss (categorical or binary crossentropy) wants one target per unit",
            f"Targets of shape {fmt((None, units))}, or a loss for class ids.",
            "loss='sparse_categorical_crossentropy'  # integer class ids with a softmax output\n"
            f"# or one-hot the labels: y = keras.utils.to_categorical(y, {units})"
            + (
                "\n# or, with binary_crossentropy: Dense(1, activation='sigmoid') as the output"
                if units == 2
                else ""
            ),
        )
    if (
        len(target) == len(output) == 2 and isinstance(target[-1], int) and isinstance(units, int)
        and target[-1] != units
    ):
        cols = target[-1]
        layer = f", name={out_layer!r}" if out_layer else ""
        activation = (
            f", activation={head.activation!r}"
            if head is not None and head.activation not in ("linear", "unknown")
            else ""
        )
        return (
            f"y has {cols} columns{' (one-hot)' if one_hot else ''} but the output has {units} "
            f"units: the number of classes (or targets) differs",
            f"An output with {cols} units, or targets with {units} columns.",
            f"Dense({cols}{activation}{layer})  # one unit per column of y\n"
            f"# or, if there are {units} classes: y = keras.utils.to_categorical(labels, {units})",
        )
    return (
        "the loss compares targets and outputs value by value, so their shapes must be equal",
        f"Targets of shape {fmt(output)}.",
        f"# give y the shape {fmt(('n', *output[1:]))}, or change the output layer to match y",
    )


@rule(
    "KD503",
    "loss-shape-mismatch",
    summary="The targets' shape does not fit the output for the loss",
    severity=Severity.ERROR,
    fix=(
        "Match the labels to the loss: class ids with sparse_categorical_crossentropy, "
        "one-hot labels with categorical_crossentropy; Flatten before the classifier."
    ),
)
def loss_shape_mismatch(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for the crossentropy losses' shape checks failing at `fit()`:
    "Arguments `target` and `output` must have the same shape/rank" (categorical and
    binary crossentropy) and "Argument `output` must have rank (ndim) `target.ndim - 1`" /
    "... must have the same shape up until the last dimension" (sparse categorical
    crossentropy), and names the cause from the two shapes and the loss: integer labels
    with a one-hot loss (target `(None, 1)`, output `(None, 10)`), one-hot labels with a
    sparse loss, a 2-unit softmax with binary crossentropy, another number of classes,
    or a Dense layer applied without Flatten (output `(None, 28, 10)`).

    ## Why is this bad?
    The message gives two shapes and no reason. The commonest causes are a loss that does
    not match how the labels are encoded, and a missing `Flatten`, which surfaces only
    here, at the loss, far from the layer where it belongs.

    ## Known problems
    Without the model the loss is not known, so both fixes (change the loss, or re-encode
    the labels) are given. For a model with several outputs, the output is found by its
    shape; when two outputs have the same shape the loss cannot be told.

    ## References
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: to_categorical](https://keras.io/api/utils/python_utils/#tocategorical-function)
    - [Keras: Flatten layer](https://keras.io/api/layers/reshaping_layers/flatten/)
    """
    m, sparse = search(DENSE, ctx), False
    if m is None:
        m, sparse = search(SPARSE, ctx), True
    if m is None:
        return
    target = batchless(parse_shape(m.group("target")))
    output = batchless(parse_shape(m.group("output")))
    if not target or not output:
        return
    head = head_for(ctx, output)
    what, expected, fix = _explain(ctx, sparse, target, output, head)
    loss = loss_label(head)
    y = y_for(ctx, head)
    text = f"The loss {loss} compares" if loss else "The loss compares"
    text += f" targets of shape {fmt(target)} with outputs of shape {fmt(output)}: {what}."
    if y is not None and y.shape and len(y.shape) == len(target):
        text += f" Your y has shape {fmt(y.shape)}."
    text += f" Received: target.shape={fmt(target)}, output.shape={fmt(output)}"
    text += f", loss={loss}." if loss else "."
    yield Issue(
        text,
        expected=expected,
        fix=fix,
        layer=head.activation_layer if head is not None else None,
        evidence={
            "target": list(target),
            "output": list(output),
            "loss": head.loss.name if head is not None and head.loss else None,
            "sparse_check": sparse,
        },
    )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 20)).astype("float32")
    y = (np.arange(64) % 10).reshape(-1, 1)  # integer class ids, shape (64, 1)
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")  # expects one-hot labels
    try:
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    except ValueError as error:
        return Context.of(model, x, y, error=error)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 20)).astype("float32")
    y = (np.arange(64) % 10).reshape(-1, 1)
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return Context.of(model, x, y)
