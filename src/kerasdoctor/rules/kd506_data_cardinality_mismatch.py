from __future__ import annotations

import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._errors import search

CARDINALITY = re.compile(r"Data cardinality is ambiguous")
SIZES = re.compile(r"'(?P<name>\w+)' sizes: (?P<sizes>\d+(?:, \d+)*)")


def _validation(ctx: Context) -> bool:
    """Whether the mismatch is in `validation_data` rather than in x and y."""
    data = ctx.data
    if data is None or data.val_x is None or data.val_y is None:
        return False
    return data.val_x.n != data.val_y.n and (
        data.x is None or data.y is None or data.x.n == data.y.n
    )


@rule(
    "KD506",
    "data-cardinality-mismatch",
    summary="x and y do not have the same number of samples",
    severity=Severity.ERROR,
    fix="Pass x and y with one row per sample each: take them from the same split and filter them together.",
)
def data_cardinality_mismatch(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for Keras's "Data cardinality is ambiguous. Make sure all arrays contain the
    same number of samples. 'x' sizes: 100 'y' sizes: 90" and says which arrays disagree
    (the inputs, the targets, or `validation_data`) and by how much.

    ## Why is this bad?
    Every array given to `fit()` must have one row per sample on its first axis. A
    mismatch means x and y were taken from different splits (`x_train` with `y_test`), were
    filtered separately (`dropna()` on the features only), or one was sliced and not the
    other. Pairing them anyway would train on wrong labels, so Keras stops.

    ## Known problems
    The message does not say whether it came from the training data or from
    `validation_data`; with the data the rule tells them apart.

    ## References
    - [Keras: Model.fit](https://keras.io/api/models/model_training_apis/#fit-method)
    """
    if search(CARDINALITY, ctx) is None:
        return
    sizes = {
        m.group("name"): [int(s) for s in m.group("sizes").split(", ")]
        for m in SIZES.finditer(ctx.error.message)
    }
    parts = [
        f"{name} has {' and '.join(map(str, values))} samples"
        if len(values) > 1
        else f"{name} has {values[0]}"
        for name, values in sizes.items()
    ]
    counted = "; ".join(parts)
    which = "validation_data" if _validation(ctx) else "the arrays passed to fit()"
    xs = sizes.get("x", [])
    what = (
        "the inputs themselves disagree" if len(set(xs)) > 1 else "x and y disagree"
    ) if sizes else "the arrays disagree"
    received = ", ".join(f"{name} sizes={values}" for name, values in sizes.items())
    yield Issue(
        f"The samples of {which} do not line up: {counted or 'sizes unknown'} ({what}). "
        "Each array needs one row per sample on its first axis. Received: "
        f"{received or 'Data cardinality is ambiguous'}.",
        expected="The same number of samples (first axis) in every input and target array.",
        fix=(
            "print(len(x), len(y))  # must be equal: take x and y from the same split\n"
            "x, y = x[keep], y[keep]  # and filter them together (one mask for both)"
        ),
        evidence={"sizes": sizes, "validation": _validation(ctx)},
    )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 8)).astype("float32")
    y = (rng.random(100) > 0.5).astype("float32")
    y = y[:90]  # y was cut (or filtered) without x
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    try:
        model.fit(x, y, epochs=1, batch_size=50, verbose=0)
    except ValueError as error:
        return Context.of(model, x, y, error=error)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 8)).astype("float32")
    y = (rng.random(100) > 0.5).astype("float32")
    x, y = x[:90], y[:90]  # cut both together
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=1, batch_size=45, verbose=0)
    return Context.of(model, x, y)
