from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._data_model import (
    evidence_counts,
    ids_text,
    is_integer_labels,
    label_counts,
    targets,
)
from kerasdoctor.rules._output_loss import layer_code, output_units


@rule(
    "KD306",
    "classes-missing-from-labels",
    summary="Some classes of the output never appear in the labels",
    severity=Severity.WARNING,
    fix="Add training examples of the missing classes, or give the output fewer units.",
)
def classes_missing_from_labels(
    ctx: Context, *, min_samples_per_class: float = 5.0
) -> Iterator[Issue]:
    """## What it does
    Checks for class ids in `[0, units)` that never occur in the training labels of a
    classification output (sparse or categorical cross-entropy, with integer or one-hot
    labels): seed case F, where labels drawn from 0..8 meet a 10-unit softmax.

    The labels must have been read whole (`ArrayFacts.complete`), and there must be at
    least `min_samples_per_class` labels per unit on average (default 5). With uniformly
    drawn labels, a given class is then absent by chance with probability about
    exp(-5) = 0.7 % (under 7 % that any of 10 is): below that, a missing class says
    little about the data.

    ## Why is this bad?
    An output unit whose class never appears is only ever pushed down: the model learns
    never to predict it. Keras says nothing (the loss trains normally), and the accuracy
    looks fine on validation data drawn the same way. Usually the labels were drawn or
    filtered wrongly (`randint(0, 9)` excludes 9), or the output has more units than the
    task has classes.

    ## Known problems
    Labels outside `[0, units)` are KD305's: this rule stays silent on them, so that
    labels numbered 1..10 are reported once (class 0 "missing" is the same mistake).
    Classes that `validation_split` leaves out of the training part are the validation
    rules' concern: this rule looks at all the labels passed to `fit()`.

    ## References
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: Dense layer](https://keras.io/api/layers/core_layers/dense/)
    """
    model = ctx.model
    for head, y, y_name in targets(ctx):
        loss = head.loss
        if loss is None or loss.kind not in ("sparse_categorical", "categorical"):
            continue
        units = output_units(model, head)
        if units is None or units < 2 or not y.complete:
            continue
        if y.one_hot:
            if y.shape[-1] != units:
                continue
        elif loss.kind == "categorical" and not is_integer_labels(y):
            continue
        counts = label_counts(y)
        if not counts or y.nan or y.inf:
            continue
        if any(k < 0 or k >= units for k in counts):
            continue  # KD305
        total = sum(counts.values())
        if total < min_samples_per_class * units:
            continue
        missing = [k for k in range(units) if k not in counts]
        if not missing:
            continue
        present = len(counts)
        fix = f"# collect training examples of class {ids_text(missing)[1:-1]}"
        if missing == list(range(present, units)):
            act = head.activation if head.activation != "unknown" else None
            fix += (
                f"\n# or, if the task has only {present} classes: "
                f"{layer_code(model, head, act, units=present)}"
            )
        else:
            fix += (
                f"\n# or, if the task has only {present} classes, number them 0..{present - 1}: "
                f"classes, {y_name} = np.unique({y_name}, return_inverse=True)"
            )
        if len(missing) == 1:
            never = f"class {missing[0]} never appears"
        else:
            never = f"classes {ids_text(missing)} never appear"
        yield Issue(
            f"Output {head.key!r} has {units} units, but {never} in {y_name}: "
            f"only {present} of {units} "
            f"classes occur in its {total} labels, so the model learns never to predict "
            f"{'it' if len(missing) == 1 else 'them'}. "
            f"Received: classes present={ids_text(list(counts))}, units={units}.",
            expected=f"Training labels for every class 0..{units - 1}.",
            fix=fix,
            layer=head.layer,
            evidence={
                "output": head.key,
                "units": units,
                "missing": missing,
                "counts": evidence_counts(counts),
                "labels": total,
            },
        )


def bad() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((500, 20)).astype("float32")
    y = rng.integers(0, 9, size=500)  # 0..8: class 9 never appears
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((500, 20)).astype("float32")
    y = rng.integers(0, 10, size=500)  # every class 0..9
    return Context.of(model, x, y)
