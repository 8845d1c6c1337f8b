from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._output_loss import layer_code, loss_arg
from kerasdoctor.rules._quality import (
    clean_numeric,
    fmt,
    head_units,
    is_single_column,
    scaled_class_ids,
    targets,
)


@rule(
    "KD311",
    "continuous-targets-with-classification-head",
    summary="Continuous float targets with a categorical cross-entropy",
    severity=Severity.ERROR,
    fix="Use a regression loss on a linear output, or turn the targets into class ids.",
)
def continuous_targets_with_classification_head(
    ctx: Context, *, min_distinct: int = 20
) -> Iterator[Issue]:
    """## What it does
    Checks for continuous targets (floats that are not whole numbers, with at least
    `min_distinct` distinct values) trained with `sparse_categorical_crossentropy` or
    `categorical_crossentropy`:

    - sparse categorical cross-entropy with non-integer targets;
    - categorical cross-entropy with one target value per sample (shape `(N,)` or `(N, 1)`),
      or with values outside [0, 1] (not probability rows).

    `min_distinct` (default 20): a handful of distinct non-integer values is more likely a
    coding of classes (KD310 looks at those) than a measured quantity; 20 or more distinct
    values that are not k/c for a small c cannot be class ids.

    ## Why is this bad?
    These losses want class ids or one-hot (probability) rows. Sparse categorical
    cross-entropy truncates each target to an integer without a word, so a price or a
    temperature becomes a class id (most in [0, 1) become class 0, large ones fall outside
    the output, which JAX ignores silently). The model trains, but on a problem that is not
    the user's. A continuous target is a regression problem: a linear output and a
    regression loss.

    ## Known problems
    Binary cross-entropy with soft labels in [0, 1] is legitimate (label smoothing,
    distillation) and never reported; values outside [0, 1] with binary cross-entropy are
    KD307's. Categorical cross-entropy with soft label rows in [0, 1] is legitimate too and
    not reported; rows of several values in [0, 1] are taken as probability rows when their
    mean is 1/columns (every row sums to 1), and reported otherwise (e.g. several continuous
    quantities scaled to [0, 1]).

    ## References
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: regression losses](https://keras.io/api/losses/regression_losses/)
    - [Keras example: regression with a linear output](https://keras.io/examples/structured_data/)
    """
    model = ctx.model
    for head, y, name in targets(ctx):
        loss = head.loss
        if loss is None or loss.kind not in ("sparse_categorical", "categorical"):
            continue
        if not clean_numeric(y) or y.integral:
            continue
        units = head_units(model, head)
        distinct = len(y.values) if y.values is not None else None  # None: over 1000
        if distinct is not None and (
            distinct < min_distinct or scaled_class_ids(y.values, units) is not None
        ):
            continue  # few values, or class ids divided by a constant (KD310)
        single = is_single_column(y)
        if loss.kind == "categorical" and not single and 0 <= y.min and y.max <= 1 and (
            y.mean is None or not y.shape or abs(y.mean * y.shape[-1] - 1) <= 0.02
        ):
            continue  # soft label rows (each sums to 1, so the mean is 1/columns): legitimate
        many = f"{distinct}" if distinct is not None else "more than 1000"
        if loss.kind == "sparse_categorical":
            effect = (
                f"{loss.name} truncates each target to an integer class id ({fmt(y.max)} "
                f"becomes class {int(y.max)}), so the model learns made-up classes"
            )
        elif single:
            effect = f"{loss.name} wants one-hot rows, one column per class"
        else:
            effect = f"{loss.name} wants one-hot or probability rows, with values in [0, 1]"
        regression = layer_code(model, head, None, units=1 if single else None)
        yield Issue(
            f"The targets of output {head.key!r} are continuous: {many} distinct non-integer "
            f"values in [{fmt(y.min)}, {fmt(y.max)}] (mean {fmt(y.mean)}), but {effect}. "
            f"Received: {name}.shape={tuple(y.shape)}, {name}.dtype={y.dtype}, "
            f"loss={loss.given}, units={units}.",
            expected=(
                "Integer class ids (sparse) or one-hot rows (categorical) for a "
                "classification loss; a regression loss on a linear output for continuous "
                "targets."
            ),
            fix=(
                f"{regression}  # with {loss_arg(model, head, repr('mean_squared_error'))}\n"
                f"# or, if {name} holds classes, make them class ids: "
                f"{name} = np.digitize({name}, bins)"
            ),
            layer=head.layer,
            evidence={
                "output": head.key,
                "distinct_values": distinct,
                "min": y.min,
                "max": y.max,
                "mean": y.mean,
                "loss": loss.name,
                "units": units,
            },
        )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)).astype("float32")
    y = x @ rng.normal(size=(6,)) + 3.0  # a measured quantity, e.g. a price
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)).astype("float32")
    y = x @ rng.normal(size=(6,)) + 3.0
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mean_squared_error")
    return Context.of(model, x, y)
