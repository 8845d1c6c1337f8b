from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._quality import (
    clean_numeric,
    fmt,
    head_units,
    is_single_column,
    scaled_class_ids,
    scaled_labels,
    targets,
    values_text,
)


@rule(
    "KD310",
    "labels-scaled-by-mistake",
    summary="Class labels look divided by a constant such as 255",
    severity=Severity.WARNING,
    fix="Undo the scaling: `y = np.rint(y * 255).astype('int64')`.",
)
def labels_scaled_by_mistake(ctx: Context, *, max_divisor: int = 1000) -> Iterator[Issue]:
    """## What it does
    Checks for class labels that look like whole numbers divided by a constant: every
    distinct label value is k/c for whole numbers k and one whole c >= 2 (class ids
    divided by 255 along with the pixels, or by 10), on a classification head:

    - `sparse_categorical_crossentropy` (or `categorical_crossentropy`) with one label per
      sample (shape `(N,)` or `(N, 1)`);
    - `binary_crossentropy` with labels {0, 1/c}: binary labels divided by c >= 10.

    `max_divisor` (default 1000) bounds the constants tried: 255, 256 and 10 are the usual
    culprits, and larger divisors would fit continuous values by chance.

    ## Why is this bad?
    Sparse categorical cross-entropy casts labels to integers by truncation, on every
    backend: labels 0/255 ... 9/255 all become class 0, and the model learns to predict
    class 0 for everything, without an error. With binary cross-entropy, labels {0, 1/255}
    train the output towards 0.004 for the positive class, so no prediction ever crosses
    0.5.

    ## Known problems
    The rule assumes the values are class ids: soft labels with more than two values that
    happen to be multiples of 1/c (e.g. label smoothing by hand with a sparse loss) would be
    reported too. Binary cross-entropy with two soft values such as {0.1, 0.9} is legitimate
    label smoothing and is not reported.

    ## References
    - [Keras: SparseCategoricalCrossentropy](https://keras.io/api/losses/probabilistic_losses/#sparsecategoricalcrossentropy-class)
    - [Keras: BinaryCrossentropy](https://keras.io/api/losses/probabilistic_losses/#binarycrossentropy-class)
    - [Keras: Rescaling layer (scale the inputs, not the labels)](https://keras.io/api/layers/preprocessing_layers/image_preprocessing/rescaling/)
    """
    model = ctx.model
    for head, y, name in targets(ctx):
        loss = head.loss
        if loss is None or loss.kind not in ("sparse_categorical", "categorical", "binary"):
            continue
        if not clean_numeric(y) or y.integral or y.values is None or y.nan or y.inf:
            continue
        units = head_units(model, head)
        if loss.kind == "binary":
            found = scaled_labels(y.values, max_divisor=max_divisor)
        else:
            found = scaled_class_ids(y.values, units, max_divisor=max_divisor)
        if found is None:
            continue
        c, ks = found
        shown = values_text(y.values)
        if loss.kind == "binary":
            if len(ks) != 2 or ks != [0, 1] or c < 10:
                continue
            effect = (
                f"binary_crossentropy then trains the output towards {fmt(1 / c)} for the "
                "positive class, so no prediction ever crosses 0.5"
            )
            expected = f"Binary labels 0 and 1 for {loss.name}."
            fix = f"{name} = np.rint({name} * {c}).astype('float32')  # labels 0 and 1"
        else:
            if not is_single_column(y):
                continue
            merged = sorted({k // c for k in ks})
            if loss.kind == "sparse_categorical":
                if len(merged) == 1:
                    effect = (
                        f"{loss.name} casts labels to integers by truncation, so every label "
                        f"becomes class {merged[0]} and the model learns to predict only that"
                    )
                else:
                    effect = (
                        f"{loss.name} casts labels to integers by truncation, so the "
                        f"{len(ks)} classes collapse into {len(merged)}"
                    )
                fix = f"{name} = np.rint({name} * {c}).astype('int64')  # class ids {_ids(ks)}"
            else:
                effect = "they are neither class ids nor one-hot rows"
                classes = units if units and units > 1 else max(ks) + 1
                fix = (
                    f"{name} = keras.utils.to_categorical(np.rint({name} * {c}).astype('int64'), "
                    f"{classes})"
                )
            expected = f"Integer class ids {_ids(ks)} for {loss.name}" + (
                f" on a {units}-unit output." if units else "."
            )
        yield Issue(
            f"The labels of output {head.key!r} look like whole numbers divided by {c}: "
            f"every distinct value is k/{c} for k in {_ids(ks)}. Assumed: they are class "
            f"ids scaled by mistake (e.g. divided by 255 with the pixels); {effect}. "
            f"Received: {name}.dtype={y.dtype}, {name} values={shown}, "
            f"loss={loss.given}.",
            expected=expected,
            fix=fix,
            layer=head.layer,
            evidence={
                "output": head.key,
                "divisor": c,
                "recovered_ids": ks,
                "distinct_values": len(y.values),
                "loss": loss.name,
                "units": units,
            },
        )


def _ids(ks: list[int]) -> str:
    if len(ks) > 2 and ks == list(range(ks[0], ks[-1] + 1)):
        return f"{ks[0]}..{ks[-1]}"
    return values_text(ks)


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(300, 8, 8, 1)).astype("float32")
    labels = rng.integers(0, 10, size=(300,)).astype("float32")
    x, y = images / 255.0, labels / 255.0  # the labels were scaled with the pixels
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(name="flatten"),
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
    images = rng.integers(0, 256, size=(300, 8, 8, 1)).astype("float32")
    labels = rng.integers(0, 10, size=(300,))
    x, y = images / 255.0, labels
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x, y)
