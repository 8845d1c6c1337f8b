from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._data_model import data_shape, shape_text, targets
from kerasdoctor.rules._output_loss import (
    SIGMOID_LIKE,
    evidence,
    layer_code,
    loss_arg,
    loss_code,
    output_units,
    received,
)
from kerasdoctor.rules._quality import rows_read

_ACCURACY = frozenset({"accuracy", "acc"})


@rule(
    "KD324",
    "one-hot-targets-with-binary-crossentropy",
    summary="Single-label one-hot targets trained as independent labels",
    severity=Severity.WARNING,
    fix="Use `activation='softmax'` with `loss='categorical_crossentropy'` for one class per sample.",
)
def one_hot_targets_with_binary_crossentropy(
    ctx: Context, *, min_rows: int = 50
) -> Iterator[Issue]:
    """## What it does
    Checks for an output of two or more units that scores each class on its own
    (sigmoid with `binary_crossentropy` or `binary_focal_crossentropy`, or a linear output
    with `from_logits=True`), trained on targets where every row read is one-hot: exactly
    one 1, the rest 0. That is a single-label multi-class problem, set up as a multi-label
    one. At least `min_rows` (default 50) target rows must have been read.

    ## Why is this bad?
    Sigmoid + binary cross-entropy treats the classes as independent yes/no questions,
    the right setup when a sample can carry several labels. When every sample has exactly
    one class, the model is never told that the classes exclude each other: `predict()`
    returns scores that do not sum to 1 (often all near 0), and the 'accuracy' metric
    becomes binary accuracy, averaged over the columns, so a model that predicts all zeros
    over 30 classes already scores 1 - 1/30 = 0.967 (keras-team/keras#5210, "Wrong keras
    acc?"). Softmax with categorical cross-entropy models one class per sample, and its
    accuracy is the fraction of samples whose class is predicted.

    ## Known problems
    The rule assumes from the targets that the classes are exclusive. Multi-label data in
    which every sampled row happens to carry exactly one label would be reported wrongly;
    with 50 rows or more that is unlikely unless the labels really are single-label, which
    is why fewer rows are not checked, and why this is a warning whose message says what
    it assumed. Targets of rank 3 or more (per-position labels) are not checked.

    ## References
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: accuracy metrics (BinaryAccuracy, CategoricalAccuracy)](https://keras.io/api/metrics/accuracy_metrics/)
    - [keras-team/keras#5210: Wrong keras acc?](https://github.com/keras-team/keras/issues/5210)
    """
    model = ctx.model
    if model is None:
        return
    for head, y, y_name in targets(ctx):
        loss = head.loss
        if loss is None or loss.kind != "binary":
            continue
        independent = (head.activation in SIGMOID_LIKE and not loss.from_logits) or (
            head.activation == "linear" and loss.from_logits
        )
        if not independent:
            continue
        units = output_units(model, head)
        if units is None or units < 2 or (head.shape is not None and len(head.shape) != 2):
            continue
        if not y.one_hot or y.rank != 2 or y.shape[-1] != units or y.rows < min_rows:
            continue
        if loss.from_logits:
            fix = (
                f"{loss_arg(model, head, loss_code('categorical_crossentropy', True))}"
                f"  # keep the linear output {head.activation_layer!r}"
            )
            expected = (
                "Categorical cross-entropy (softmax over the classes) for one class per sample."
            )
        else:
            fix = (
                f"{layer_code(model, head, 'softmax')}"
                f"  # with {loss_arg(model, head, repr('categorical_crossentropy'))}"
            )
            expected = "Softmax with categorical cross-entropy for one class per sample."
        metric = ""
        if _ACCURACY & set(model.metrics):
            metric = (
                " And metrics=['accuracy'] becomes binary accuracy averaged over the "
                f"{units} columns: predicting all zeros already scores "
                f"1 - 1/{units} = {1 - 1 / units:.3f}."
            )
        yield Issue(
            f"{y_name} holds one-hot targets ({rows_read(y)}: each has exactly one 1 among its "
            f"{units} columns), so every sample belongs to one class, but output {head.key!r} "
            f"scores the {units} classes independently ({head.activation} with "
            f"{loss.name}), as for multi-label data: the model is not told that the classes "
            "exclude each other, and its predictions need not sum to 1." + metric + " Assumed: "
            "the classes are mutually exclusive, as every row read suggests; if a sample can "
            "carry several labels, keep this setup. "
            f"Received: {y_name}.shape={shape_text(data_shape(ctx, y))}, "
            + received(head, units, from_logits=loss.from_logits)[len("Received: ") :],
            expected=expected,
            fix=fix,
            layer=head.activation_layer,
            evidence=evidence(head, units, rows=y.rows, assumed="exclusive classes"),
        )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype("float32")
    y = keras.utils.to_categorical(np.arange(300) % 10, 10)  # one class per sample
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype("float32")
    y = keras.utils.to_categorical(np.arange(300) % 10, 10)
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return Context.of(model, x, y)
