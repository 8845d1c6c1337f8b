from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._data_model import (
    data_shape,
    ids_text,
    is_integer_labels,
    label_counts,
    number,
    shape_text,
    targets,
)
from kerasdoctor.rules._output_loss import loss_arg, loss_code, output_units

# Categorical losses whose sparse twin takes integer labels.
_SPARSE_TWIN = {"categorical_crossentropy": "sparse_categorical_crossentropy"}


@rule(
    "KD303",
    "integer-labels-with-categorical-loss",
    summary="Integer class labels with a one-hot (categorical) loss",
    severity=Severity.ERROR,
    fix="One-hot encode y (`keras.utils.to_categorical`), or use a sparse loss.",
)
def integer_labels_with_categorical_loss(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for integer class labels, shape (N,) or (N, 1), given to an output of two or
    more units trained with `categorical_crossentropy` (or its focal variant), which
    expects one-hot targets of shape (N, units).

    ## Why is this bad?
    Keras raises at the first batch of `fit()`, on every backend and for both shapes:
    ``Arguments `target` and `output` must have the same shape. Received:
    target.shape=(None, 1), output.shape=(None, 10)`` for (N, 1) labels, and for (N,)
    labels the same message on JAX and PyTorch, ``... must have the same rank (ndim)`` on
    TensorFlow. Keras stops at the first problem it meets, so a shape problem in `x` hides
    this one (seed case A), and this one hides classes missing from the labels (seed F).

    ## Known problems
    Labels of (N, 1) ones and zeros with a two-unit output are read as class ids too (they
    are). Integer labels against a one-unit output are left to the loss-versus-output rules.
    The shapes of other targets against the output (floats, one-hot of the wrong width) are
    KD308's: this rule and KD308 never report the same target.

    ## References
    - [Keras: probabilistic losses (CategoricalCrossentropy, SparseCategoricalCrossentropy)](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: to_categorical](https://keras.io/api/utils/python_utils/#tocategorical-function)
    """
    model = ctx.model
    for head, y, y_name in targets(ctx):
        loss = head.loss
        if loss is None or loss.kind != "categorical":
            continue
        units = output_units(model, head)
        if units is None or units < 2 or not is_integer_labels(y):
            continue
        counts = label_counts(y) or {}
        ids = ids_text(list(counts)) if counts else f"{number(y.min)}..{number(y.max)}"
        output = shape_text(head.shape) if head.shape else f"(None, {units})"
        fix = f"{y_name} = keras.utils.to_categorical({y_name}, {units})"
        twin = _SPARSE_TWIN.get(loss.name)
        if twin:
            code = loss_code(twin, loss.from_logits)
            fix += f"\n# or keep the integer labels: {loss_arg(model, head, code)}"
        yield Issue(
            f"{y_name} holds integer class ids ({ids}), but output {head.key!r} is trained with "
            f"{loss.name}, which expects one-hot targets of shape (N, {units}): Keras raises "
            f"'Arguments `target` and `output` must have the same shape' at the first batch. "
            f"Received: {y_name}.shape={shape_text(data_shape(ctx, y))}, "
            f"output.shape={output}, loss={loss.given}.",
            expected=(
                f"One-hot targets of shape (N, {units}) for {loss.name}"
                + (f", or integer labels with {twin}." if twin else ".")
            ),
            fix=fix,
            layer=head.layer,
            evidence={
                "output": head.key,
                "units": units,
                "loss": loss.name,
                "y_shape": list(y.shape),
                "classes": sorted(counts) if counts else None,
            },
        )


def bad() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(4, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((400, 20)).astype("float32")
    y = (np.arange(400) % 4).reshape(-1, 1)  # integer class ids, (400, 1)
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(4, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((400, 20)).astype("float32")
    y = keras.utils.to_categorical(np.arange(400) % 4, 4)  # one-hot, (400, 4)
    return Context.of(model, x, y)
