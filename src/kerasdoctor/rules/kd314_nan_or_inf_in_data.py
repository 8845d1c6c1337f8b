from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._quality import data_arrays, rows_read


@rule(
    "KD314",
    "nan-or-inf-in-data",
    summary="NaN or Inf values in the training or validation data",
    severity=Severity.ERROR,
    fix="Remove or impute the rows with NaN or Inf before calling `fit()`.",
)
def nan_or_inf_in_data(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for NaN or infinite values in the inputs or targets passed to `fit()`, and in
    the validation data: one finding per array, with the number of NaN and Inf values and
    the index of the first sample that holds one (`first_bad`).

    ## Why is this bad?
    Keras does not look at the values it trains on. One NaN in one input or target makes
    the loss of its batch NaN, the gradients NaN, and then every weight NaN: from that step
    on the loss is `nan` on TensorFlow, JAX and PyTorch alike, without an error. In
    validation data, a NaN makes `val_loss` NaN, and callbacks that watch it (EarlyStopping,
    ModelCheckpoint, ReduceLROnPlateau) stop working.

    ## Known problems
    Large arrays are sampled (see `ArrayFacts.complete`): the counts then cover the rows
    read, the message says so, and NaN in rows that were not read are not found. NaN in a
    generator that was not peeked are not seen (KD323 says what was skipped).

    ## References
    - [Keras: TerminateOnNaN callback](https://keras.io/api/callbacks/terminate_on_nan/)
    - [NumPy: numpy.nan_to_num](https://numpy.org/doc/stable/reference/generated/numpy.nan_to_num.html)
    - [scikit-learn: imputation of missing values](https://scikit-learn.org/stable/modules/impute.html)
    """
    for name, facts in data_arrays(ctx):
        if not facts.numeric or not (facts.nan or facts.inf):
            continue
        what = " and ".join(
            part
            for part in (
                f"{facts.nan} NaN" if facts.nan else "",
                f"{facts.inf} Inf" if facts.inf else "",
            )
            if part
        )
        checked = rows_read(facts)
        sampled = "" if facts.complete else ", counted in a sample"
        is_x = name.startswith("x")
        pair = ("x_val", "y_val") if name.endswith("_val") else ("x", "y")
        mask = f"keep = np.isfinite({name}).reshape(len({name}), -1).all(axis=1)"
        fix = (
            f"{mask}\n{pair[0]}, {pair[1]} = {pair[0]}[keep], {pair[1]}[keep]  # drop those samples"
        )
        if is_x or name == "x_val":
            fix += f"\n# or impute: {name} = np.nan_to_num({name}, nan=0.0, posinf=0.0, neginf=0.0)"
        yield Issue(
            f"{name} contains {what} value{'s' if facts.nan + facts.inf > 1 else ''}"
            f"{sampled}; the first is in sample {facts.first_bad}. Keras trains on them "
            "without an error and the loss becomes nan on every backend. "
            f"Received: {name}.shape={tuple(facts.shape)}, nan={facts.nan}, inf={facts.inf}, "
            f"first_bad={facts.first_bad} ({checked} checked).",
            expected=f"Only finite values in {name}.",
            fix=fix,
            evidence={
                "array": name,
                "nan": facts.nan,
                "inf": facts.inf,
                "first_bad": facts.first_bad,
                "rows_checked": facts.rows,
                "rows": facts.n,
                "complete": facts.complete,
            },
        )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype("float32")
    x[17, 3] = np.nan  # a missing measurement
    x[120, 0] = np.inf
    y = rng.integers(0, 2, size=(200, 1))
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype("float32")
    x[17, 3] = np.nan
    x[120, 0] = np.inf
    keep = np.isfinite(x).all(axis=1)
    y = rng.integers(0, 2, size=(200, 1))
    x, y = x[keep], y[keep]
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return Context.of(model, x, y)
