from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._quality import rows_read


@rule(
    "KD316",
    "constant-features",
    summary="Input columns that never change",
    severity=Severity.INFO,
    fix="Drop the constant columns: `x = x[:, x.std(axis=0) > 0]`.",
)
def constant_features(ctx: Context, *, min_rows: int = 500) -> Iterator[Issue]:
    """## What it does
    Checks for columns of tabular (2-D) inputs that hold the same value in every sampled
    row, when at least `min_rows` rows (default 500) were read, and names them.

    `min_rows` (default 500): a column that is non-zero in 1% of the rows is constant in a
    random sample of 500 rows with probability 0.99^500 < 1%; in a sample of 100 rows it
    would be constant 37% of the time.

    ## Why is this bad?
    A constant column carries no information: its weights only act as a second bias,
    cost parameters and memory, and a `Normalization` layer divides it by a standard
    deviation of 0 (Keras guards it with an epsilon). Often it is a sign of a bug upstream:
    a join that failed, a feature filled with its default, or the wrong column selected.

    ## Known problems
    Only 2-D inputs are checked (per-pixel constancy in images, e.g. MNIST's borders, is
    normal). For a large array the columns are constant in the rows read: a column that
    changes only in rows that were not read is reported too, and the message says how
    many rows were read.

    ## References
    - [scikit-learn: VarianceThreshold](https://scikit-learn.org/stable/modules/generated/sklearn.feature_selection.VarianceThreshold.html)
    - [Keras: Normalization layer](https://keras.io/api/layers/preprocessing_layers/numerical/normalization/)
    """
    data = ctx.data
    single = len(data.xs) == 1
    for key, x in data.xs.items():
        if x is None or not x.numeric or x.rank != 2 or x.feature_std is None:
            continue
        if x.rows < min_rows or x.nan or x.inf:
            continue
        constant = [i for i, s in enumerate(x.feature_std) if s == 0.0]
        if not constant:
            continue
        name = "x" if single else f"x[{key!r}]"
        names = x.feature_names
        labels = [repr(names[i]) if names else str(i) for i in constant]
        shown = ", ".join(labels[:10]) + (
            f" and {len(labels) - 10} more" if len(labels) > 10 else ""
        )
        listed = "[" + ", ".join(labels[:10]) + (", ..." if len(labels) > 10 else "") + "]"
        if names:
            fix = f"{name} = {name}.loc[:, {name}.nunique() > 1]  # drops {shown}"
        else:
            fix = f"{name} = {name}[:, {name}.std(axis=0) > 0]  # drops columns {shown}"
        yield Issue(
            f"{len(constant)} of {len(x.feature_std)} columns of {name} hold the same value in "
            f"{rows_read(x)}: column{'s' if len(constant) > 1 else ''} {shown}. They carry no "
            f"information. Received: {name}.shape={tuple(x.shape)}, constant_columns={listed}.",
            expected="Columns that vary across samples.",
            fix=fix,
            evidence={
                "input": name,
                "constant_columns": [names[i] if names else i for i in constant],
                "rows_checked": x.rows,
                "complete": x.complete,
            },
        )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(800, 6)).astype("float32")
    x[:, 2] = 1.0  # a feature filled with its default value
    x[:, 5] = 0.0
    y = rng.integers(0, 2, size=(800, 1))
    model = keras.Sequential(
        [
            keras.Input((6,)),
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
    x = rng.normal(size=(800, 6)).astype("float32")
    y = rng.integers(0, 2, size=(800, 1))
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return Context.of(model, x, y)
