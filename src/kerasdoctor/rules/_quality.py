"""Shared helpers for the data-quality, label-semantics and validation rules (KD310-KD323).

Pure functions over plain facts: they never import keras. Pairing heads with targets and
inputs with data lives in `_data_model` (shared with KD301-KD309); this module adds what
these rules need on top: every array passed to `fit()` with the name it has in the user's
code, number formatting, the "labels divided by a constant" test, and the layers an input
goes through before the first layer with weights.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from kerasdoctor.rules._data_model import ARRAY_SOURCES, targets

if TYPE_CHECKING:
    from kerasdoctor.context import Context
    from kerasdoctor.facts import ArrayFacts, HeadFacts, LayerFacts, ModelFacts

__all__ = ["ARRAY_SOURCES", "targets"]

# Loss kinds of a classification head.
CLASSIFICATION = frozenset({"categorical", "sparse_categorical", "binary"})
# Layer kinds that carry the weights an input first meets.
WEIGHTED = frozenset({"dense", "conv", "rnn", "embedding", "attention"})
# Layer kinds that pass an input through unchanged in scale.
PASSTHROUGH = frozenset({"input", "reshape", "dropout", "pool", "global_pool", "activation"})
# Layers that rescale or standardise their input.
SCALING_CLASSES = frozenset(
    {
        "Rescaling",
        "Normalization",
        "BatchNormalization",
        "LayerNormalization",
        "GroupNormalization",
        "UnitNormalization",
        "Discretization",
        "CategoryEncoding",
        "StringLookup",
        "IntegerLookup",
        "Hashing",
        "HashedCrossing",
        "TextVectorization",
    }
)


def fmt(value: float | int | None) -> str:
    """A number as a short, stable string: 3, 0.5, 0.003922, 2.1e+05."""
    if value is None:
        return "None"
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


def values_text(values: Iterable[float], limit: int = 6) -> str:
    """`[0, 0.003922, 0.007843]`, or `[0, 0.003922, ..., 0.03529] (10 values)` when long."""
    items = sorted(values)
    if len(items) <= limit:
        return "[" + ", ".join(fmt(v) for v in items) + "]"
    head = ", ".join(fmt(v) for v in items[: limit - 1])
    return f"[{head}, ..., {fmt(items[-1])}] ({len(items)} values)"


def counts_text(counts: Mapping[int, int], limit: int = 10) -> str:
    """`{0: 970, 1: 30}`, shortened when there are many classes."""
    items = sorted(counts.items())
    text = ", ".join(f"{k}: {v}" for k, v in items[:limit])
    if len(items) > limit:
        text += f", ... ({len(items)} classes)"
    return "{" + text + "}"


def rows_read(facts: ArrayFacts, what: str = "rows") -> str:
    """`all 100 rows`, or `2048 rows read of 1000000` when the array was sampled."""
    if facts.complete:
        return f"all {facts.rows} {what}"
    if facts.n is None:
        return f"{facts.rows} {what} read"
    return f"{facts.rows} {what} read of {facts.n}"


def data_arrays(ctx: Context) -> list[tuple[str, ArrayFacts]]:
    """Every array passed to `fit()`, with its name in code: x, y, x['a'], validation x..."""
    data = ctx.data
    found: list[tuple[str, ArrayFacts]] = []
    for prefix, parts in (("x", data.xs), ("y", data.ys)):
        single = len(parts) == 1
        for key, facts in parts.items():
            if facts is not None:
                found.append((prefix if single else f"{prefix}[{_key(key)}]", facts))
    if data.validation_split:
        return found  # the split parts are the same arrays as x and y
    for name, facts in (("x_val", data.val_x), ("y_val", data.val_y)):
        if facts is not None:
            found.append((name, facts))
    return found


def _key(key: str) -> str:
    return key if key.isdigit() else repr(key)


def scaled_labels(
    values: Iterable[float], *, max_divisor: int = 1000, tol: float = 1e-4
) -> tuple[int, list[int]] | None:
    """`(c, ks)` when every value is k/c for whole numbers k >= 0 and a whole c >= 2.

    The smallest such c is returned, with the recovered whole numbers. None when the values
    are already whole, or no c up to `max_divisor` fits them all (continuous values).
    """
    items = sorted(float(v) for v in values)
    if not items or any(v < 0 for v in items) or all(v.is_integer() for v in items):
        return None
    for c in range(2, max_divisor + 1):
        scaled = [v * c for v in items]
        if all(abs(s - round(s)) <= tol * max(1.0, abs(s)) for s in scaled):
            return c, sorted({int(round(s)) for s in scaled})
    return None


def scaled_class_ids(
    values: Iterable[float], units: int | None, *, max_divisor: int = 1000
) -> tuple[int, list[int]] | None:
    """`scaled_labels`, kept only when the recovered ids fit an output of `units` classes.

    Values with one decimal (21.3, 21.7) are k/10 too; as ids they would mostly fall
    outside the output, which says they are measurements, not scaled class ids.
    """
    found = scaled_labels(values, max_divisor=max_divisor)
    if found is None or len(found[1]) < 2:
        return None
    if units is not None and units > 1 and max(found[1]) >= units:
        return None
    return found


def input_path(model: ModelFacts, input_name: str) -> list[LayerFacts] | None:
    """The layers an input goes through before its first layer with weights, that layer last.

    None when that is unknown: a subclassed model, a Lambda or custom layer on the way, a
    branch, or an input the facts do not name.
    """
    if model.kind == "subclassed":
        return None
    layers = [layer for layer in model.layers]
    if model.kind == "sequential":
        path = []
        for layer in layers:
            path.append(layer)
            if layer.kind in WEIGHTED or layer.kind not in PASSTHROUGH | {"preprocessing", "norm"}:
                break
        return path or None
    spec = next((i for i in model.inputs if i.name == input_name), None)
    start = model.layer(getattr(spec, "layer", None) or input_name)  # dict key -> InputLayer
    if start is None:
        inputs = [layer for layer in layers if layer.kind == "input"]
        if len(inputs) != 1:
            return None
        start = inputs[0]
    path = [start]
    current = start
    while True:
        children = model.children(current.name)
        if len(children) != 1:
            return path if children else None
        current = children[0]
        path.append(current)
        if current.kind in WEIGHTED or current.kind not in PASSTHROUGH | {"preprocessing", "norm"}:
            return path


def scaled_in_model(path: list[LayerFacts]) -> bool | None:
    """Whether a layer on `path` rescales the input; None when a layer might and we cannot tell.

    Normalization layers and scaling preprocessing layers (Rescaling, Normalization,
    lookups and encodings) count; augmentation (`Random*`), `Resizing` and `CenterCrop` keep
    the scale; a Lambda, custom layer, nested model or other preprocessing layer might do
    anything.
    """
    for layer in path:
        if layer.cls in SCALING_CLASSES or layer.kind == "norm":
            return True
        if layer.kind == "preprocessing":
            if layer.cls.startswith("Random") or layer.cls in ("Resizing", "CenterCrop"):
                continue
            return None
        if layer.kind in ("lambda", "other", "model", "merge"):
            return None
    return False


def head_units(model: ModelFacts, head: HeadFacts) -> int | None:
    from kerasdoctor.rules._output_loss import output_units

    return output_units(model, head)


def classifies(ctx: Context) -> bool:
    """Whether the model has one output head, trained with a classification loss."""
    model = ctx.model
    if model is None or len(model.heads) != 1 or model.heads[0].loss is None:
        return False
    return model.heads[0].loss.kind in CLASSIFICATION


def is_single_column(facts: ArrayFacts) -> bool:
    """Shape (N,) or (N, 1): one value per sample."""
    return facts.rank == 1 or (facts.rank == 2 and facts.shape[1] == 1)


def clean_numeric(facts: ArrayFacts | None) -> bool:
    """Numeric, with finite values read."""
    return facts is not None and facts.numeric and facts.min is not None
