from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._data_model import ARRAY_SOURCES


@rule(
    "KD309",
    "sample-count-mismatch",
    summary="x and y hold different numbers of samples",
    severity=Severity.ERROR,
    fix="Build x and y from the same rows, in the same order.",
)
def sample_count_mismatch(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for inputs and targets passed to `fit()` as arrays (numpy, pandas, lists, dicts
    of them) whose numbers of samples differ: `x` against `y`, the parts of multi-input or
    multi-output data against each other, and the two halves of `validation_data`.

    ## Why is this bad?
    Keras raises ``Data cardinality is ambiguous. Make sure all arrays contain the same
    number of samples. 'x' sizes: 100 'y' sizes: 90`` before the first batch. The cause is
    upstream: a filter, a `dropna()`, a header row or a shift applied to one array and not
    the other. Truncating the longer one would silently pair samples with the wrong labels.

    ## Known problems
    Datasets, generators and `PyDataset`s yield x and y together, batch by batch, and are
    not checked.

    ## References
    - [Keras: Model.fit (x and y)](https://keras.io/api/models/model_training_apis/#fit-method)
    """
    data = ctx.data
    if data is None or data.source not in ARRAY_SOURCES:
        return
    parts = {_label("x", key, len(data.xs)): facts for key, facts in data.xs.items()}
    parts.update({_label("y", key, len(data.ys)): facts for key, facts in data.ys.items()})
    yield from _compare(parts, "")
    if data.val_x is not None and data.val_y is not None and not data.validation_split:
        yield from _compare({"x": data.val_x, "y": data.val_y}, "validation_data: ")


def _label(name: str, key: str, count: int) -> str:
    if count == 1:
        return name
    return f"{name}[{key}]" if key.isdigit() else f"{name}[{key!r}]"


def _compare(parts: dict, prefix: str) -> Iterator[Issue]:
    sizes = {name: facts.n for name, facts in parts.items() if facts is not None and facts.n}
    if len(set(sizes.values())) <= 1:
        return
    listed = ", ".join(f"{name} has {n}" for name, n in sizes.items())
    received = ", ".join(f"{name}.shape[0]={n}" for name, n in sizes.items())
    smallest = min(sizes.values())
    yield Issue(
        f"{prefix}The arrays passed to fit() hold different numbers of samples: {listed}. "
        f"Keras raises 'Data cardinality is ambiguous' before the first batch. "
        f"Received: {received}.",
        expected="The same number of samples in every input and target array, row i of each "
        "describing the same sample.",
        fix=(
            "# build x and y from the same rows, e.g. filter the table before splitting it:\n"
            "df = df.dropna(); x, y = df[features].to_numpy(), df[target].to_numpy()\n"
            f"assert len(x) == len(y)  # do not cut the longer one to {smallest}: "
            "the rows would no longer match"
        ),
        evidence={"sizes": dict(sizes)},
    )


def bad() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype("float32")
    y = rng.random((290, 1)).astype("float32")  # 10 labels short
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype("float32")
    y = rng.random((300, 1)).astype("float32")
    return Context.of(model, x, y)
