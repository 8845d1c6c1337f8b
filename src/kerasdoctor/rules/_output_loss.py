"""Shared helpers for the output-activation-versus-loss rules (KD202-KD208).

Pure functions over plain facts: they never import keras. They answer three
questions the rules share: how many units does this output have, how do I write
the user's loss and output layer as code, and how do I say what was received.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kerasdoctor.facts import HeadFacts, LayerFacts, ModelFacts

# Activations whose outputs are probabilities in [0, 1] (sparsemax and softmax: summing to 1).
PROBABILITY = frozenset({"softmax", "sigmoid", "hard_sigmoid", "sparse_sigmoid", "sparsemax"})
# Activations that squash each unit independently into [0, 1].
SIGMOID_LIKE = frozenset({"sigmoid", "hard_sigmoid", "sparse_sigmoid"})
# Activations whose outputs are never negative.
NON_NEGATIVE = PROBABILITY | set("relu relu6 softplus exponential squareplus sparse_plus".split())
# Activations that can output negative values (a log of them is NaN).
CAN_BE_NEGATIVE = frozenset(
    "linear tanh elu selu gelu silu leaky_relu prelu mish hard_silu celu glu log_sigmoid "
    "log_softmax softsign hard_tanh tanh_shrink soft_shrink hard_shrink".split()
)
CATEGORICAL = frozenset({"categorical", "sparse_categorical"})
CROSSENTROPY = CATEGORICAL | {"binary"}

LOSS_CLASSES = {
    "binary_crossentropy": "BinaryCrossentropy",
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
}


def output_units(model: ModelFacts, head: HeadFacts) -> int | None:
    """The size of the head's last axis: from its shape, else from the Dense layer that makes it.

    A Sequential model without an `Input` has no shapes; walking back through layers that keep
    the last axis (Dropout, Activation, Softmax) to a `Dense` layer still gives its units.
    """
    if head.units is not None:
        return head.units
    name: str | None = head.layer
    seen: set[str] = set()
    while name is not None and name not in seen:
        seen.add(name)
        layer = model.layer(name)
        if layer is None:
            return None
        if layer.cls == "Dense":
            return layer.units
        if layer.kind in ("dropout", "activation") and len(layer.parents) == 1:
            name = layer.parents[0]
            continue
        return None
    return None


def _producer(model: ModelFacts, layer: LayerFacts) -> LayerFacts | None:
    """The Dense layer that feeds an activation layer, through Dropout/Activation layers."""
    seen: set[str] = set()
    while len(layer.parents) == 1 and layer.name not in seen:
        seen.add(layer.name)
        parent = model.layer(layer.parents[0])
        if parent is None:
            return None
        if parent.cls == "Dense":
            return parent
        if parent.kind not in ("dropout", "activation"):
            return None
        layer = parent
    return None


def layer_code(
    model: ModelFacts, head: HeadFacts, activation: str | None, units: int | None = None
) -> str:
    """Code for the layer(s) that end the head, with `activation` (None: no activation).

    `units` changes the number of units (a string such as `'num_classes'` is written as is).
    Uses the user's own layer names. May span two lines when the activation is a layer of
    its own after a `Dense` layer.
    """
    layer = model.layer(head.activation_layer)
    act = None if activation in (None, "linear") else activation
    if layer is None and head.activation_layer.startswith("keras.ops."):  # in call() or a graph
        op = head.activation_layer
        if not act:
            return f"# return the logits: remove {op}(...)"
        if act == head.activation:
            return f"{op}(...)  # as now"
        return f"keras.ops.{act}(...)  # in place of {op}(...)"
    if layer is None:  # inside a nested model
        name = head.activation_layer
        if act:
            return f"# set activation={act!r} on layer {name!r}"
        return f"# remove the activation of layer {name!r}"
    if layer.cls == "Dense":
        args = [str(units if units is not None else layer.units)]
        if act:
            args.append(f"activation={act!r}")
        args.append(f"name={layer.name!r}")
        return f"Dense({', '.join(args)})"
    if layer.kind == "activation":
        dense = _producer(model, layer)
        lines = []
        if dense is not None and units is not None and units != dense.units:
            lines.append(f"Dense({units}, name={dense.name!r})")
        if act:
            lines.append(f"Activation({act!r}, name={layer.name!r})")
        else:
            lines.append(f"# remove the {layer.cls} layer {layer.name!r}")
        return "\n".join(lines)
    if act:
        return f"{layer.cls}(..., activation={act!r}, name={layer.name!r})"
    return f"{layer.cls}(..., activation=None, name={layer.name!r})"


def loss_code(name: str, from_logits: bool = False) -> str:
    """`keras.losses.BinaryCrossentropy(from_logits=True)`, or `'binary_crossentropy'`."""
    if from_logits:
        return f"keras.losses.{LOSS_CLASSES.get(name, name)}(from_logits=True)"
    return repr(name)


def loss_arg(model: ModelFacts, head: HeadFacts, code: str) -> str:
    """`loss=<code>`, or `loss={'key': <code>, ...}` for a model with several outputs."""
    if len(model.heads) > 1:
        return f"loss={{{head.key!r}: {code}, ...}}"
    return f"loss={code}"


def received(head: HeadFacts, units: int | None, *, from_logits: bool = False) -> str:
    """`Received: units=10, activation='sigmoid' (layer 'out'), loss='categorical_crossentropy'`."""
    loss = head.loss
    given = loss.given if loss else "None"
    if loss and given.startswith(("'", '"')) and given.strip("'\"") != loss.name:
        given = f"{given} ({loss.name})"
    text = (
        f"Received: units={units}, activation={head.activation!r} "
        f"(layer {head.activation_layer!r}), loss={given}"
    )
    if from_logits and loss is not None and "from_logits" not in given:
        text += f", from_logits={loss.from_logits}"
    return text + "."


def evidence(head: HeadFacts, units: int | None, **more) -> dict:
    """The numbers behind a finding: units, activation, loss, from_logits, and more."""
    loss = head.loss
    return {
        "output": head.key,
        "units": units,
        "activation": head.activation,
        "activation_layer": head.activation_layer,
        "loss": loss.name if loss else None,
        "from_logits": loss.from_logits if loss else None,
        **more,
    }


def double_softmax_floor(units: int) -> float:
    """The lowest categorical cross-entropy reachable through softmax(softmax(x)) over `units`.

    The inner softmax gives at best (1, 0, ..., 0); the outer one turns that into
    e / (e + units - 1), so the loss never goes below log(1 + (units - 1) / e).
    """
    return math.log1p((units - 1) / math.e)


def inline(code: str) -> str:
    """Code of several lines on one comment line: `Dense(10, name='d'); Activation(...)`."""
    return "; ".join(line.lstrip("# ") for line in code.splitlines())
