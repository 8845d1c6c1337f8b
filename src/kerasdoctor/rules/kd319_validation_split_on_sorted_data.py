from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._quality import classifies, counts_text, fmt


@rule(
    "KD319",
    "validation-split-on-sorted-data",
    summary="validation_split takes the last rows of data sorted by label",
    severity=Severity.ERROR,
    fix="Shuffle x and y together before fit(): `idx = np.random.permutation(len(x))`.",
)
def validation_split_on_sorted_data(
    ctx: Context, *, min_unseen: int = 5, max_distance: float = 0.5
) -> Iterator[Issue]:
    """## What it does
    Checks for `validation_split` on labels sorted or grouped by class: Keras takes the
    last fraction of the arrays as validation data, before any shuffling, so with sorted
    labels the validation set holds other classes than the training set.

    - error: the validation part holds a class that the training part never has, with at
      least `min_unseen` validation samples (default 5; a class of 5 or more samples that
      all fall in the last 20% by chance has probability 0.2^5 = 0.03%);
    - warning: no class is missing, but the two class distributions differ by a total
      variation distance of `max_distance` (default 0.5) or more, with at least 10
      validation samples per class (chance alone then stays far below 0.5).

    ## Why is this bad?
    `fit(x, y, validation_split=0.2)` validates on `x[-20%:]`; `shuffle=True` only shuffles
    the training part, after the split. Data saved class by class (all cats, then all
    dogs) puts whole classes in validation that training never sees: validation accuracy
    is near 0 whatever the model, and the training set lacks those classes too.

    ## Known problems
    Only single-output classifiers (a cross-entropy loss) with integer or one-hot labels
    are checked: integer regression targets (counts) sorted by value are not detected. Time series validated on their last part on purpose are fine: their
    classes are usually not grouped.

    ## References
    - [Keras: Model.fit (validation_split)](https://keras.io/api/models/model_training_apis/#fit-method)
    - [Keras source: train_validation_split](https://github.com/keras-team/keras/blob/master/keras/src/trainers/data_adapters/array_slicing.py)
    - [scikit-learn: train_test_split (stratify)](https://scikit-learn.org/stable/modules/generated/sklearn.model_selection.train_test_split.html)
    """
    data = ctx.data
    split = data.validation_split
    train, val = data.train_y, data.val_y
    if not split or train is None or val is None or len(data.ys) != 1:
        return
    if not classifies(ctx):
        return  # integer regression targets (counts) are not classes
    if train.classes is None or val.classes is None:
        return
    train_counts, val_counts = dict(train.classes), dict(val.classes)
    n_train, n_val = sum(train_counts.values()), sum(val_counts.values())
    if not n_train or not n_val:
        return
    unseen = sorted(c for c in val_counts if c not in train_counts)
    unseen_samples = sum(val_counts[c] for c in unseen)
    classes = sorted(set(train_counts) | set(val_counts))
    distance = 0.5 * sum(
        abs(train_counts.get(c, 0) / n_train - val_counts.get(c, 0) / n_val) for c in classes
    )
    fix = (
        "idx = np.random.default_rng(0).permutation(len(x))\n"
        "x, y = x[idx], y[idx]  # shuffle before fit(): validation_split takes the last rows\n"
        f"model.fit(x, y, validation_split={fmt(split)}, ...)"
    )
    received = (
        f"Received: validation_split={fmt(split)}, training classes "
        f"{counts_text(train_counts)}, validation classes {counts_text(val_counts)}."
    )
    evidence = {
        "validation_split": split,
        "train_counts": {str(c): n for c, n in sorted(train_counts.items())},
        "val_counts": {str(c): n for c, n in sorted(val_counts.items())},
        "unseen_classes": unseen,
        "distance": distance,
    }
    if unseen and max(val_counts[c] for c in unseen) >= min_unseen:
        yield Issue(
            f"The labels look sorted by class: validation_split={fmt(split)} takes the last "
            f"{n_val} samples, and {len(unseen)} class{'es' if len(unseen) > 1 else ''} "
            f"there ({_list(unseen)}: {unseen_samples} samples) never appear in the "
            f"{n_train} training samples. The model cannot learn them and validation "
            f"scores them as errors. {received}",
            expected="Training and validation parts with the same classes.",
            fix=fix,
            evidence=evidence,
        )
    elif not unseen and distance >= max_distance and n_val >= 10 * len(classes):
        yield Issue(
            f"The labels look sorted or grouped by class: the last {n_val} samples that "
            f"validation_split={fmt(split)} takes have a very different class mix from the "
            f"{n_train} training samples (total variation distance {fmt(round(distance, 2))}), "
            f"so validation scores do not measure the training task. {received}",
            expected="Training and validation parts with similar class proportions.",
            fix=fix,
            evidence=evidence,
            severity=Severity.WARNING,
        )


def _list(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:10])
    return f"class{'es' if len(ids) > 1 else ''} {shown}" + (" ..." if len(ids) > 10 else "")


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 50)  # saved class by class: 50 zeros, then 50 ones, ...
    x = rng.normal(size=(500, 16)).astype("float32") + y[:, None]
    model = keras.Sequential(
        [
            keras.Input((16,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x, y, validation_split=0.2)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 50)
    x = rng.normal(size=(500, 16)).astype("float32") + y[:, None]
    idx = rng.permutation(len(x))
    x, y = x[idx], y[idx]
    model = keras.Sequential(
        [
            keras.Input((16,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x, y, validation_split=0.2)
