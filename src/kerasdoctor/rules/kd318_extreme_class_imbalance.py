from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._quality import counts_text, fmt, rows_read, targets


@rule(
    "KD318",
    "extreme-class-imbalance",
    summary="One class holds nearly all the labels, with no class_weight",
    severity=Severity.WARNING,
    fix="Pass `class_weight` (inverse class frequencies) and track recall/precision/AUC.",
)
def extreme_class_imbalance(ctx: Context, *, max_share: float = 0.95) -> Iterator[Issue]:
    """## What it does
    Checks for classification labels where one class holds more than `max_share` (default
    95%) of the samples while `fit()` gets neither `class_weight` nor `sample_weight`, and
    the loss is not a focal loss (which is made for imbalance). The fix gives the
    `class_weight` dict computed from the counts: `n / (n_classes * count)`, the
    "balanced" weights of scikit-learn.

    `max_share` (default 0.95): at 95% a model that always predicts the majority class
    already scores 95% accuracy, so accuracy stops saying anything, and the minority class
    gets 1 gradient in 20 or fewer.

    ## Why is this bad?
    Cross-entropy is an average over samples: with 97% negatives, predicting "negative"
    for everything is a strong minimum, and the model often finds it. Training then reports
    97% accuracy while the minority class, usually the one that matters (fraud, disease,
    defects), is never predicted.

    ## Known problems
    Imbalance is sometimes handled in ways the tool cannot see: resampling inside a
    generator, a custom loss, or a decision threshold tuned after training. Then ignore
    this warning. Labels read from a few batches of a dataset are a sample, and the
    message says so. Multi-label targets (several 1s per row) are not checked.

    ## References
    - [Keras: Model.fit (class_weight)](https://keras.io/api/models/model_training_apis/#fit-method)
    - [Keras example: imbalanced classification, credit card fraud](https://keras.io/examples/structured_data/imbalanced_classification/)
    - [Keras: BinaryFocalCrossentropy](https://keras.io/api/losses/probabilistic_losses/#binaryfocalcrossentropy-class)
    - [scikit-learn: compute_class_weight](https://scikit-learn.org/stable/modules/generated/sklearn.utils.class_weight.compute_class_weight.html)
    """
    data = ctx.data
    if data.class_weight or data.sample_weight:
        return
    heads = targets(ctx)
    for head, y, name in heads:
        loss = head.loss
        if loss is None or loss.kind not in ("binary", "categorical", "sparse_categorical"):
            continue
        if "focal" in loss.name or y.classes is None or y.nan or y.inf:
            continue
        if loss.kind == "binary" and (y.one_hot or (y.rank == 2 and y.shape[1] != 1)):
            continue
        counts = dict(y.classes)
        total = sum(counts.values())
        if len(counts) < 2 or total == 0:
            continue
        top, top_count = max(counts.items(), key=lambda item: (item[1], -item[0]))
        share = top_count / total
        if share <= max_share:
            continue
        weights = {c: total / (len(counts) * n) for c, n in sorted(counts.items())}
        weights_text = "{" + ", ".join(f"{c}: {_weight(w)}" for c, w in weights.items()) + "}"
        if loss.kind == "binary":
            metrics = (
                "metrics=[keras.metrics.Precision(), keras.metrics.Recall(), "
                "keras.metrics.AUC(curve='PR')]"
            )
        else:
            metrics = (
                "report per-class recall: sklearn.metrics.classification_report(y_val, "
                "model.predict(x_val).argmax(-1))"
            )
        if len(heads) == 1:
            fit_call = f"model.fit(x, {name}, class_weight=class_weight, ...)"
        else:  # class_weight is for single-output models only
            fit_call = (
                f"weights = np.vectorize(class_weight.get)({name}).reshape(-1)\n"
                f"model.fit(x, y, sample_weight={{{head.key!r}: weights, ...}}, ...)"
            )
        of = f"{top_count} of {total}" if y.complete else f"{top_count} of {rows_read(y, 'labels')}"
        yield Issue(
            f"Class {top} holds {fmt(round(100 * share, 1))}% of the labels of output "
            f"{head.key!r} ({of}), and fit() "
            f"gets no class_weight: a model that always predicts class {top} already scores "
            f"{fmt(round(100 * share, 1))}% accuracy, and the other classes get few gradients. "
            f"Received: class counts={counts_text(counts)}, class_weight=None, "
            f"loss={loss.given}.",
            expected=(
                f"No class above {fmt(round(100 * max_share))}% of the labels, or a class_weight "
                "(or sample_weight) that balances them."
            ),
            fix=(
                f"class_weight = {weights_text}  # n / (n_classes * count)\n"
                f"{fit_call}\n"
                f"# and look beyond accuracy: {metrics}"
            ),
            layer=head.layer,
            evidence={
                "output": head.key,
                "majority_class": top,
                "share": share,
                "counts": {str(c): n for c, n in sorted(counts.items())},
                "class_weight": {str(c): w for c, w in weights.items()},
            },
        )


def _weight(w: float) -> str:
    """A class weight with 3 significant digits: 0.515, 16.7, 250."""
    text = f"{w:.3g}"
    return str(int(float(text))) if "e" in text else text


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 8)).astype("float32")
    y = np.zeros((1000, 1), dtype="int64")
    y[rng.choice(1000, size=30, replace=False)] = 1  # 3% positives, e.g. fraud
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 8)).astype("float32")
    y = np.zeros((1000, 1), dtype="int64")
    y[rng.choice(1000, size=30, replace=False)] = 1
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=[keras.metrics.Precision(), keras.metrics.Recall()],
    )
    return Context.of(model, x, y, class_weight={0: 0.515, 1: 16.7})
