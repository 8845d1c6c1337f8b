from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._data_model import (
    evidence_counts,
    ids_text,
    is_integer_labels,
    label_counts,
    number,
    rows_text,
    targets,
)
from kerasdoctor.rules._output_loss import layer_code, loss_arg, output_units


@rule(
    "KD305",
    "label-out-of-range",
    summary="Class labels outside the range of the output's units",
    severity=Severity.ERROR,
    fix="Make the labels 0..units-1 (e.g. `y = y - 1`), or give the output more units.",
)
def label_out_of_range(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for integer class labels outside `[0, units)` for an output trained with
    `sparse_categorical_crossentropy`, or with `categorical_crossentropy` when the labels
    are integer ids (see KD303): labels numbered from 1 (seed case K: 1..10 for 10 units),
    more classes than units, and negative labels (such as -1 for "no label").

    ## Why is this bad?
    The backends disagree. TensorFlow raises a 9 kB `InvalidArgumentError` ("Received a
    label value of 10 which is outside the valid range of [0, 10)") from inside the traced
    train step, PyTorch raises `IndexError: Target 10 is out of bounds.`, and JAX **trains
    silently**: the out-of-range rows contribute nothing to the loss, so one class is never
    learnt and nothing says so. The check reads the labels, so it says the same on every
    backend, before training.

    ## Known problems
    A `SparseCategoricalCrossentropy(ignore_class=-1)` loss makes -1 labels legitimate;
    the loss facts do not carry `ignore_class`, so such labels are still reported. When
    the labels were sampled (very large label arrays), the counts are of the rows read.

    ## References
    - [Keras: probabilistic losses (SparseCategoricalCrossentropy, ignore_class)](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: Dense layer](https://keras.io/api/layers/core_layers/dense/)
    """
    model = ctx.model
    for head, y, y_name in targets(ctx):
        loss = head.loss
        if loss is None or loss.kind not in ("sparse_categorical", "categorical"):
            continue
        if loss.kind == "categorical" and not is_integer_labels(y):
            continue  # one-hot (or float) targets: no class ids to check
        if y.one_hot or not y.numeric or not y.integral or y.min is None:
            continue
        units = output_units(model, head)
        if units is None or units < 2:
            continue
        low, high = number(y.min), number(y.max)
        if low >= 0 and high < units:
            continue
        counts = label_counts(y)
        bad = {k: c for k, c in (counts or {}).items() if k < 0 or k >= units}
        if len(bad) == 1:
            shown = f"the id {next(iter(bad))} in {sum(bad.values())} of {rows_text(y)}"
        elif bad:
            shown = f"the ids {ids_text(list(bad))} in {sum(bad.values())} of {rows_text(y)}"
        else:
            shown = f"ids from {low} to {high} in {rows_text(y)}"
        yield Issue(
            f"{y_name} holds class ids outside [0, {units}) for output {head.key!r} with "
            f"{units} units: {shown}. TensorFlow raises a kernel error, PyTorch "
            f"an IndexError, and JAX trains silently with those rows adding nothing to the "
            f"loss. Received: {y_name} min={low}, max={high}, units={units}, "
            f"loss={loss.given}.",
            expected=f"Class ids 0..{units - 1}, one per output unit.",
            fix=_fix(model, head, y_name, low, high, units, counts, loss.kind),
            layer=head.layer,
            evidence={
                "output": head.key,
                "units": units,
                "min": low,
                "max": high,
                "out_of_range": evidence_counts(bad) if bad else None,
                "count": sum(bad.values()) if bad else None,
            },
        )


def _fix(model, head, y, low, high, units, counts, kind) -> str:
    if low == 1 and high == units:
        return f"{y} = {y} - 1  # classes 1..{units} -> 0..{units - 1}"
    if low >= 0:
        code = layer_code(model, head, head.activation, units=int(high) + 1)
        fix = f"{code}  # one unit per class id 0..{high}"
        if counts and len(counts) <= units:
            fix += (
                f"\n# or number the {len(counts)} classes 0..{len(counts) - 1}: "
                f"classes, {y} = np.unique({y}, return_inverse=True)"
            )
        return fix
    fix = f"keep = ({y} >= 0).ravel()\nx, {y} = x[keep], {y}[keep]  # drop the rows without a class"
    if kind == "sparse_categorical" and low == -1 and high < units:
        code = "keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)"
        fix += f"\n# or, if -1 means 'no label': {loss_arg(model, head, code)}"
    return fix


def bad() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((500, 20)).astype("float32")
    y = np.arange(500) % 10 + 1  # classes numbered 1..10
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((500, 20)).astype("float32")
    y = np.arange(500) % 10  # classes 0..9
    return Context.of(model, x, y)
