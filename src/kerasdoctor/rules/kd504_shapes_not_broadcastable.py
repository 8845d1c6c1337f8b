from __future__ import annotations

import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._errors import (
    batchless,
    fmt,
    head_for,
    loss_label,
    parse_shape,
    search,
    y_for,
)

# TensorFlow, at run time (kernel error, node e.g. compile_loss/mse/sub).
TF_KERNEL = re.compile(r"Incompatible shapes: \[(?P<a>[^\]]*)\] vs\. \[(?P<b>[^\]]*)\]")
# TensorFlow, while tracing: "Dimensions must be equal, but are 4 and 3 for
# '{{node compile_loss/mae/sub}} = Sub[T=DT_FLOAT](...)' with input shapes: [?,4], [?,3]."
TF_GRAPH = re.compile(
    r"Dimensions must be equal, but are (?P<da>\d+) and (?P<db>\d+) for "
    r"'\{\{node (?P<node>[^}]*)\}\} = (?P<op>\w+)[^']*' "
    r"with input shapes: (?P<a>\[[^\]]*\]), (?P<b>\[[^\]]*\])"
)
# JAX: ValueError from jnp broadcasting, or TypeError from an elementwise primitive.
JAX = re.compile(r"Incompatible shapes for broadcasting: shapes=\[(?P<shapes>[^\]]*)\]")
JAX_OP = re.compile(
    r"(?P<op>\w+) got incompatible shapes for broadcasting: (?P<a>\([^()]*\)), (?P<b>\([^()]*\))"
)
# PyTorch gives only the two sizes and the axis.
TORCH = re.compile(
    r"The size of tensor a \((?P<ta>\d+)\) must match the size of tensor b \((?P<tb>\d+)\) "
    r"at non-singleton dimension (?P<dim>\d+)"
)
# TensorFlow ops whose "Dimensions must be equal" is not a broadcast (a Dense kernel, say).
_NOT_ELEMENTWISE = ("MatMul", "BatchMatMul", "Einsum", "Conv", "Tensordot")


def broadcastable(a: tuple, b: tuple) -> bool:
    """NumPy's rule: aligned from the right, each pair of sizes is equal or one of them is 1."""
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x is not None and y is not None and x != y and 1 not in (x, y):
            return False
    return True


def _shapes(ctx: Context) -> tuple[tuple | None, tuple | None, str | None, str] | None:
    """(first shape, second shape, loss from a TensorFlow node name, sizes text), or None."""
    if m := search(TF_KERNEL, ctx):
        a, b = parse_shape(m.group("a")), parse_shape(m.group("b"))
        return a, b, None, f"shapes {fmt(a)} and {fmt(b)}"
    if (m := search(TF_GRAPH, ctx)) and not m.group("op").startswith(_NOT_ELEMENTWISE):
        a, b = parse_shape(m.group("a")), parse_shape(m.group("b"))
        loss = re.search(r"compile_loss/(\w+)/", m.group("node"))
        return a, b, loss.group(1) if loss else None, f"shapes {fmt(a)} and {fmt(b)}"
    if m := search(JAX, ctx):
        parts = re.findall(r"\([^()]*\)", m.group("shapes"))
        if len(parts) == 2:
            a, b = parse_shape(parts[0]), parse_shape(parts[1])
            return a, b, None, f"shapes {fmt(a)} and {fmt(b)}"
    if m := search(JAX_OP, ctx):
        a, b = parse_shape(m.group("a")), parse_shape(m.group("b"))
        return a, b, None, f"shapes {fmt(a)} and {fmt(b)}"
    if m := search(TORCH, ctx):
        return None, None, None, (
            f"sizes {m.group('ta')} and {m.group('tb')} on axis {m.group('dim')}"
        )
    return None


def _from_shapes(y: tuple, out: tuple, head_layer: str | None) -> tuple[str, str, str]:
    """(what, expected, fix) for targets of shape `y` against outputs of shape `out`."""
    name = f", name={head_layer!r}" if head_layer else ""
    if len(y) == 1 and len(out) == 2 and isinstance(out[-1], int) and out[-1] > 1:
        k = out[-1]
        return (
            f"y holds one value per sample, but the output has {k} values per sample",
            f"Targets of shape {fmt((None, k))}, or an output of shape {fmt((None, 1))}.",
            f"Dense(1{name})  # one target per sample\n"
            f"# or, for {k} targets per sample: y of shape (n, {k})\n"
            "# or, if y holds class ids: Dense("
            f"{k}, activation='softmax'{name}) with loss='sparse_categorical_crossentropy'",
        )
    if len(y) == len(out) == 2 and y[-1] != out[-1]:
        return (
            f"y has {y[-1]} columns but the output has {out[-1]} units",
            f"An output with {y[-1]} units, one per column of y.",
            f"Dense({y[-1]}{name})  # one unit per column of y",
        )
    return (
        "their shapes differ on an axis where neither is 1",
        f"Targets of shape {fmt(out)}.",
        f"# give y the shape {fmt(('n', *out[1:]))}, or make the output match y",
    )


@rule(
    "KD504",
    "shapes-not-broadcastable",
    summary="Two tensors (usually y and the output) cannot broadcast",
    severity=Severity.ERROR,
    fix="Make the targets' shape match the model's output (or the output match the targets).",
)
def shapes_not_broadcastable(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a broadcasting failure: TensorFlow's "Incompatible shapes: [32] vs. [32,3]"
    and "Dimensions must be equal, but are 4 and 3 for '{{node compile_loss/mae/sub}} ...'",
    JAX's "Incompatible shapes for broadcasting: shapes=[(32,), (32, 3)]", PyTorch's "The
    size of tensor a (32) must match the size of tensor b (3) at non-singleton dimension 1".
    With the model and data it says whether the targets `y` and the model's output are the
    two tensors, and how to make them agree.

    ## Why is this bad?
    In `fit()` this error comes almost always from an elementwise loss (`mse`, `mae`,
    `huber`) that subtracts the output from `y`: `y` of shape `(n,)` against a `Dense(3)`
    output, or `y` with 4 columns against 3 units. The three backends word it three ways,
    and none names the loss or `y`. (When the shapes do broadcast, for example a `Dense(1)`
    output against `y` with 3 columns, no error is raised and the loss is silently wrong.)

    ## Known problems
    Without the model and data, the rule can only say which sizes clash and that `y`
    against the output is the usual cause. PyTorch's message gives two sizes, not shapes.

    ## References
    - [Keras: regression losses](https://keras.io/api/losses/regression_losses/)
    - [NumPy: broadcasting rules](https://numpy.org/doc/stable/user/basics.broadcasting.html)
    """
    found = _shapes(ctx)
    if found is None:
        return
    a, b, node_loss, sizes = found
    head = head_for(ctx)
    y = y_for(ctx, head)
    loss = loss_label(head) or (repr(node_loss) if node_loss else None)
    evidence = {"shapes": [list(s) for s in (a, b) if s is not None] or None, "sizes": sizes,
                "loss": head.loss.name if head is not None and head.loss else node_loss}
    out = batchless(head.shape) if head is not None and head.shape else None
    target = tuple(y.shape) if y is not None and y.shape else None
    # Compare as a batch would: the output with y's number of rows on its batch axis.
    if out is not None and target and not broadcastable(target, (target[0], *out[1:])):
        what, expected, fix = _from_shapes(batchless(target), out, head.activation_layer)
        yield Issue(
            f"The loss{' ' + loss if loss else ''} cannot compare y of shape {fmt(y.shape)} with "
            f"the output {head.key!r} of shape {fmt(out)}: {what}. Received: "
            f"y.shape={fmt(y.shape)}, output.shape={fmt(out)}"
            + (f", loss={loss}." if loss else "."),
            expected=expected,
            fix=fix,
            layer=head.activation_layer,
            evidence={**evidence, "y": list(y.shape), "output": list(out)},
        )
        return
    if a is not None and b is not None and len(a) in (1, 2) and len(b) == 2:
        what, expected, fix = _from_shapes(batchless(a), batchless(b), None)
        what = f"if these are y and the output, {what}"
    else:
        what, expected, fix = (
            "in fit() these are most often the targets y and the model's output, compared by "
            "an elementwise loss (mse, mae)",
            "Targets with the output's shape.",
            None,
        )
    where = f" in the loss {loss}" if loss else ""
    clash = (
        f"{sizes} differ on an axis where neither is 1"
        if a is not None
        else f"their {sizes} differ, and neither is 1"
    )
    yield Issue(
        f"Two tensors{where} cannot be broadcast together: {clash}; {what}. Received: {sizes}.",
        expected=expected,
        fix=fix,
        evidence=evidence,
    )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.normal(size=(64,)).astype("float32")  # one target per sample
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(3, name="out"),  # three outputs per sample
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    try:
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    except Exception as error:  # each backend raises its own type
        return Context.of(model, x, y, error=error)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.normal(size=(64,)).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return Context.of(model, x, y)
