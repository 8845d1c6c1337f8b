from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._data_model import data_shape, shape_text, targets
from kerasdoctor.rules._output_loss import loss_arg, loss_code, output_units

_DENSE_TWIN = {"sparse_categorical_crossentropy": "categorical_crossentropy"}


def _one_hot_per_position(y, output_shape: tuple, units: int | None) -> bool:
    """Targets shaped like a per-position output, (N, steps, C), one-hot on the last axis:
    only 0 and 1, and as many 1s as positions (from the exact value counts of the labels)."""
    if not units or units < 2 or not y.shape or len(y.shape) != len(output_shape):
        return False
    if y.shape[-1] != units or not y.values or set(y.values) - {0.0, 1.0}:
        return False
    total = sum(y.values.values())
    return total % units == 0 and y.values.get(1.0, 0) == total // units


@rule(
    "KD304",
    "one-hot-labels-with-sparse-loss",
    summary="One-hot labels with a sparse (integer-label) loss",
    severity=Severity.ERROR,
    fix="Turn y into class ids (`y.argmax(axis=-1)`), or use `categorical_crossentropy`.",
)
def one_hot_labels_with_sparse_loss(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for one-hot labels, shape (N, C) with a single 1 per row, given to an output
    trained with `sparse_categorical_crossentropy`, which expects one integer class id per
    sample, shape (N,) or (N, 1).

    ## Why is this bad?
    Keras raises at the first batch, with a message that depends on the backend:
    ``Argument `output` must have rank (ndim) `target.ndim - 1`. Received:
    target.shape=(None, 3), output.shape=(None, 3)`` on TensorFlow, ``Arguments `target`
    and `output` must have the same shape up until the last dimension`` on JAX and
    PyTorch. Neither says that the labels are one-hot.

    ## Known problems
    Only rows of exact zeros and ones summing to one are recognised as one-hot:
    label-smoothed targets are not reported here. For outputs with more than one axis per
    sample (sequence labelling, `(None, steps, classes)`), targets of the output's rank whose
    last axis has one column per unit, holding only 0 and 1 with exactly one 1 per position
    (counted over the whole array), are taken as one-hot.

    ## References
    - [Keras: probabilistic losses (SparseCategoricalCrossentropy)](https://keras.io/api/losses/probabilistic_losses/)
    """
    model = ctx.model
    for head, y, y_name in targets(ctx):
        loss = head.loss
        if loss is None or loss.kind != "sparse_categorical":
            continue
        units = output_units(model, head)
        if head.shape is not None and len(head.shape) > 2:
            squeezed = y.one_hot and y.shape is not None and y.shape[-1] == units  # (N, 1, C) read as (N, C)
            if not (squeezed or _one_hot_per_position(y, head.shape, units)):
                continue
        elif not y.one_hot or (head.shape is not None and len(head.shape) != 2):
            continue
        columns = y.shape[-1]
        output = shape_text(head.shape) if head.shape else f"(None, {units})"
        fix = f"{y_name} = {y_name}.argmax(axis=-1)  # class ids, shape (N,)"
        twin = _DENSE_TWIN.get(loss.name)
        if twin:
            code = loss_code(twin, loss.from_logits)
            fix += f"\n# or keep the one-hot labels: {loss_arg(model, head, code)}"
        yield Issue(
            f"{y_name} holds one-hot labels ({columns} columns, one 1 per row), but output "
            f"{head.key!r} is trained with {loss.name}, which expects one integer class id per "
            f"sample. Received: {y_name}.shape={shape_text(data_shape(ctx, y))}, "
            f"output.shape={output}, loss={loss.given}.",
            expected=(
                f"Integer class ids of shape (N,) for {loss.name}"
                + (f", or one-hot labels with {twin}." if twin else ".")
            ),
            fix=fix,
            layer=head.layer,
            evidence={
                "output": head.key,
                "units": units,
                "loss": loss.name,
                "y_shape": list(y.shape),
            },
        )


def bad() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype("float32")
    y = keras.utils.to_categorical(np.arange(300) % 3, 3)  # one-hot, (300, 3)
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype("float32")
    y = np.arange(300) % 3  # class ids, (300,)
    return Context.of(model, x, y)
