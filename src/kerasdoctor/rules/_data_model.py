"""Shared helpers for the data-versus-model rules (KD301-KD309).

Pure functions over plain facts: they never import keras. They pair each model input with
the data fed to it and each output head with its target, and format shapes and label values
the way the messages show them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kerasdoctor.context import Context
    from kerasdoctor.facts import ArrayFacts, HeadFacts

# Containers whose sample counts are exact (not a sample of batches).
ARRAY_SOURCES = frozenset({"numpy", "memmap", "list", "pandas", "dict", "tensor"})


def shape_text(shape: tuple | None) -> str:
    """`(100, 28, 28)`, as Python prints a tuple."""
    return repr(tuple(shape)) if shape is not None else "None"


def data_shape(ctx: Context, facts: ArrayFacts) -> tuple:
    """The shape of the data as fed; from a dataset or generator, the sample count is unknown
    (the facts hold the rows of a few batches), so it shows as None."""
    shape = tuple(facts.shape)
    if ctx.data is not None and ctx.data.source not in ARRAY_SOURCES and shape:
        return (None, *shape[1:])
    return shape


def inputs_with_data(ctx: Context) -> list[tuple[str, tuple | None, ArrayFacts, str]]:
    """(input name, expected shape or None, data facts, the name of the data in code).

    The expected shape is known for built models (they have `inputs`); it is None for an
    unbuilt Sequential model, whose first layer's `input_spec` says what it accepts.
    Multi-input data is paired by input name, or by position when the data is a list.
    """
    model, data = ctx.model, ctx.data
    if model is None or data is None or data.x is None:
        return []
    inputs = model.inputs
    if not inputs:
        if model.kind == "sequential" and not model.built and len(data.xs) == 1:
            return [("", None, data.x, "x")]
        return []
    if len(inputs) == 1 and len(data.xs) == 1:
        return [(inputs[0].name, inputs[0].shape, data.x, "x")]
    keys = list(data.xs)
    listed = data.source == "list"
    pairs = []
    for position, spec in enumerate(inputs):
        code = f"x[{position}]" if listed else f"x[{spec.name!r}]"
        if spec.name in data.xs:
            pairs.append((spec.name, spec.shape, data.xs[spec.name], code))
        elif keys == [str(i) for i in range(len(inputs))]:
            pairs.append((spec.name, spec.shape, data.xs[str(position)], f"x[{position}]"))
    return pairs


def targets(ctx: Context) -> list[tuple[HeadFacts, ArrayFacts, str]]:
    """(head, target facts, the name of the target in code) for each head that has a target."""
    model, data = ctx.model, ctx.data
    if model is None or data is None or not model.heads or data.y is None:
        return []
    if len(model.heads) == 1:
        return [(model.heads[0], data.y, "y")] if len(data.ys) == 1 else []
    keys = list(data.ys)
    listed = data.source == "list"  # x given as a list: y most likely too
    found = []
    for position, head in enumerate(model.heads):
        if head.key in data.ys:
            code = f"y[{position}]" if listed else f"y[{head.key!r}]"
            found.append((head, data.ys[head.key], code))
        elif keys == [str(i) for i in range(len(model.heads))]:
            found.append((head, data.ys[str(position)], f"y[{position}]"))
    return found


def is_clean(y: ArrayFacts) -> bool:
    """Numeric, with at least one finite value."""
    return y.numeric and y.min is not None and y.max is not None


def is_integer_labels(y: ArrayFacts) -> bool:
    """Integer class ids, one per sample: shape (N,) or (N, 1), whole numbers, no NaN."""
    return (
        is_clean(y)
        and y.integral
        and y.nan == 0
        and y.inf == 0
        and (y.rank == 1 or (y.rank == 2 and y.shape[1] == 1))
    )


def label_counts(y: ArrayFacts) -> dict[int, int] | None:
    """Class id -> count for integer labels (any rank), or for one-hot rows (argmax)."""
    if y.classes is not None:
        return dict(y.classes)
    if y.values is not None and y.integral:
        return {int(v): int(c) for v, c in y.values.items()}
    return None


def ids_text(ids: list[int], limit: int = 10) -> str:
    """`[0, 1, 2]`, or `[0, 1, ..., 9] (12 values)` for long lists."""
    ids = sorted(ids)
    if len(ids) <= limit:
        return repr(ids)
    head = ", ".join(str(i) for i in ids[: limit - 1])
    return f"[{head}, ..., {ids[-1]}] ({len(ids)} values)"


def number(value: float) -> int | float:
    """A whole float as an int (3.0 -> 3), for messages."""
    return int(value) if float(value).is_integer() else value


def known(shape: tuple | None) -> bool:
    return shape is not None and all(d is not None for d in shape)


def fits(data: tuple, expected: tuple) -> bool:
    """Whether data dims (no batch axis) match expected dims, None being any size."""
    return len(data) == len(expected) and all(
        e is None or d == e for d, e in zip(data, expected, strict=False)
    )


def size(dims: tuple) -> int | None:
    return math.prod(dims) if known(dims) else None


def rows_text(y: ArrayFacts) -> str:
    """`100 labels`, or `2048 labels read of 60000` when the labels were sampled."""
    if y.complete or y.n is None:
        return f"{y.rows} labels"
    return f"{y.rows} labels read of {y.n}"


def evidence_counts(counts: Mapping[int, int]) -> dict[str, int]:
    """Class counts as a JSON-friendly dict (string keys)."""
    return {str(k): int(v) for k, v in sorted(counts.items())}
