from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._quality import classifies, counts_text


@rule(
    "KD320",
    "validation-classes-unseen-in-training",
    summary="Validation labels hold classes the training labels lack",
    severity=Severity.WARNING,
    fix="Split train and validation data stratified by class.",
)
def validation_classes_unseen_in_training(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for class labels in `validation_data=(x_val, y_val)` that never appear in the
    training labels. Needs every training label read (labels under 64 MB are read whole);
    with sampled training labels the rule stays silent. `validation_split` is KD319's.

    ## Why is this bad?
    The model cannot predict a class it never saw in training: every validation sample of
    that class counts as an error, so validation accuracy is capped below 100% and
    validation loss is high, whatever the model. Usually the split was made by hand
    (by date, by file, by the first rows) instead of stratified, or the class ids were
    encoded separately for each part (`np.unique` on each part gives different ids).

    ## Known problems
    Only single-output classifiers (a cross-entropy loss) with integer or one-hot labels
    are checked. A class that is
    rare on purpose (a held-out class, open-set recognition) is reported too.

    ## References
    - [Keras: Model.fit (validation_data)](https://keras.io/api/models/model_training_apis/#fit-method)
    - [scikit-learn: train_test_split (stratify)](https://scikit-learn.org/stable/modules/generated/sklearn.model_selection.train_test_split.html)
    """
    data = ctx.data
    train, val = data.y, data.val_y
    if data.validation_split or train is None or val is None or len(data.ys) != 1:
        return
    if not classifies(ctx):
        return  # integer regression targets (counts) are not classes
    if not train.complete or train.classes is None or val.classes is None:
        return
    train_counts, val_counts = dict(train.classes), dict(val.classes)
    unseen = sorted(c for c in val_counts if c not in train_counts)
    if not unseen:
        return
    samples = sum(val_counts[c] for c in unseen)
    n_val = sum(val_counts.values())
    shown = ", ".join(str(c) for c in unseen[:10]) + (" ..." if len(unseen) > 10 else "")
    yield Issue(
        f"The validation labels hold {len(unseen)} class{'es' if len(unseen) > 1 else ''} "
        f"({shown}: {samples} of {n_val} validation samples) that never "
        f"{'appear' if len(unseen) > 1 else 'appears'} in the {train.rows} training labels. "
        "The model cannot learn a class it never saw, so those samples always count as "
        f"errors. Received: training classes {counts_text(train_counts)}, validation "
        f"classes {counts_text(val_counts)}.",
        expected="Every validation class present in the training labels.",
        fix=(
            "from sklearn.model_selection import train_test_split\n"
            "x_train, x_val, y_train, y_val = train_test_split(\n"
            "    x_all, y_all, test_size=0.2, stratify=y_all, random_state=0)"
        ),
        evidence={
            "unseen_classes": unseen,
            "unseen_samples": samples,
            "val_samples": n_val,
            "train_counts": {str(c): n for c, n in sorted(train_counts.items())},
            "val_counts": {str(c): n for c, n in sorted(val_counts.items())},
        },
    )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    y_all = rng.integers(0, 5, size=600)
    x_all = rng.normal(size=(600, 8)).astype("float32") + y_all[:, None]
    by_class = np.argsort(y_all, kind="stable")  # split by hand, after sorting by class
    train, val = by_class[:450], by_class[450:]
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(5, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x_all[train], y_all[train], validation_data=(x_all[val], y_all[val]))


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    y_all = rng.integers(0, 5, size=600)
    x_all = rng.normal(size=(600, 8)).astype("float32") + y_all[:, None]
    idx = rng.permutation(600)
    train, val = idx[:480], idx[480:]
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(5, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x_all[train], y_all[train], validation_data=(x_all[val], y_all[val]))
