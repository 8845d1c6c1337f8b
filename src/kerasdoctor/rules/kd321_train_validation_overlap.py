from __future__ import annotations

import math
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._quality import fmt


@rule(
    "KD321",
    "train-validation-overlap",
    summary="Validation samples that also appear in the training data",
    severity=Severity.WARNING,
    fix="Remove duplicates before splitting; oversample or augment after the split.",
)
def train_validation_overlap(
    ctx: Context, *, min_fraction: float = 0.01, min_values: int = 32
) -> Iterator[Issue]:
    """## What it does
    Checks for validation inputs identical, byte for byte, to training inputs: in the two
    parts of `validation_split`, or between `x` and `validation_data`. Rows are compared by
    hash over bounded samples (`val_duplicates` out of `val_rows_checked`).

    `min_fraction` (default 1%): a few natural duplicates (MNIST has some) do not matter;
    1% of the validation set and more inflates its scores. `min_values` (default 32): rows
    of fewer whole-number values (a few categorical columns) can coincide by chance, so
    they are not checked.

    ## Why is this bad?
    A validation sample that is also a training sample measures memorisation, not
    generalisation: validation loss and accuracy look better than the model is, and
    EarlyStopping or model selection trust them. Common causes: oversampling or
    augmentation before the split, a dataset with repeated records, or `validation_data`
    cut from the training arrays.

    ## Known problems
    Only the rows read are compared (up to 8192 training rows and 2048 validation rows):
    the count is a lower bound on large data, and the message says so. Near-duplicates
    (the same image re-encoded or shifted) are not found. Multi-input data is compared on
    its first input.

    ## References
    - [Keras: Model.fit (validation_split, validation_data)](https://keras.io/api/models/model_training_apis/#fit-method)
    - [Kaufman et al., Leakage in data mining](https://dl.acm.org/doi/10.1145/2382577.2382579)
    - [imbalanced-learn: resample only the training data](https://imbalanced-learn.org/stable/common_pitfalls.html)
    """
    data = ctx.data
    hits, checked, x = data.val_duplicates, data.val_rows_checked, data.x
    if not hits or not checked or x is None or not x.numeric:
        return
    if x.integral and math.prod(d for d in x.shape[1:] if d is not None) < min_values:
        return  # few whole-number values per row: rows coincide by chance
    fraction = hits / checked
    if fraction < min_fraction:
        return
    split = data.validation_split
    where = f"validation_split={fmt(split)}" if split else "validation_data"
    complete = x.complete and (data.val_x is None or data.val_x.complete)
    bound = "" if complete else "at least "  # only samples were compared
    if split:
        fix = (
            "_, first = np.unique(x.reshape(len(x), -1), axis=0, return_index=True)\n"
            "keep = np.sort(first)\n"
            "x, y = x[keep], y[keep]  # drop repeated rows, then split; oversample or "
            "augment the training part only"
        )
    else:
        fix = (
            "seen = {row.tobytes() for row in np.ascontiguousarray(x)}\n"
            "keep = np.array([row.tobytes() not in seen for row in np.ascontiguousarray(x_val)])\n"
            "x_val, y_val = x_val[keep], y_val[keep]"
        )
    message = (
        f"{bound}{hits} of the {checked} validation rows checked "
        f"({fmt(round(100 * fraction, 1))}%) also appear, byte for byte, in the training "
        f"rows ({where}). Validation scores on them measure memorisation, so they look "
        f"better than the model is. Received: val_duplicates={hits}, "
        f"val_rows_checked={checked}."
    )
    yield Issue(
        message[0].upper() + message[1:],
        expected="No validation sample that is also a training sample.",
        fix=fix,
        evidence={
            "val_duplicates": hits,
            "val_rows_checked": checked,
            "fraction": fraction,
            "validation_split": split,
        },
    )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 10)).astype("float32")
    y = rng.integers(0, 2, size=(300, 1))
    x, y = np.concatenate([x, x[:60]]), np.concatenate([y, y[:60]])  # oversampled before the split
    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return Context.of(model, x, y, validation_split=0.2)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 10)).astype("float32")
    y = rng.integers(0, 2, size=(300, 1))
    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return Context.of(model, x, y, validation_split=0.2)
