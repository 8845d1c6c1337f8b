from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._output_loss import layer_code, loss_arg
from kerasdoctor.rules._quality import (
    clean_numeric,
    counts_text,
    is_single_column,
    targets,
)


@rule(
    "KD312",
    "few-classes-with-regression-loss",
    summary="A few integer target values with a regression loss",
    severity=Severity.WARNING,
    fix="If the values are classes, use softmax (or sigmoid) and a cross-entropy loss.",
)
def few_classes_with_regression_loss(
    ctx: Context, *, max_classes: int = 10, min_per_value: int = 5
) -> Iterator[Issue]:
    """## What it does
    Checks for targets that take only a few distinct whole values (2 to `max_classes`,
    default 10) on an output with no activation (linear) trained with a regression loss
    (`mean_squared_error`, `mean_absolute_error`, `huber`, ...): it looks like a
    classification problem trained as a regression.

    `max_classes` (default 10): most classification problems people pose this way are
    binary or have a handful of classes; counts and ratings with more distinct values are
    usually meant as numbers. `min_per_value` (default 5): with fewer than 5 samples per
    distinct value, few values may just mean few samples.

    ## Why is this bad?
    A regression loss treats class ids as numbers on a line: it assumes class 2 lies
    between classes 1 and 3 and that predicting 1.5 is half right. For categories (cat=0,
    dog=1, bird=2) that order is made up, the model's outputs are not probabilities, and
    rounding them gives worse accuracy than a softmax classifier trained with
    cross-entropy.

    ## Known problems
    The rule assumes the values are unordered categories. Counts (number of rooms,
    children, defects) and ordinal ratings (1-5 stars) are legitimately regressed: if the
    distance between values means something (3 is closer to 4 than to 1, and 3.5 is a
    meaningful prediction), keep the regression (or use `poisson` for counts) and ignore
    this warning. An output with a non-linear activation is not reported.

    ## References
    - [Keras: probabilistic losses (cross-entropies)](https://keras.io/api/losses/probabilistic_losses/)
    - [Keras: regression losses](https://keras.io/api/losses/regression_losses/)
    - [Keras example: simple MNIST convnet (softmax classifier)](https://keras.io/examples/vision/mnist_convnet/)
    """
    model = ctx.model
    for head, y, name in targets(ctx):
        loss = head.loss
        if loss is None or loss.kind != "regression" or head.activation != "linear":
            continue
        if not clean_numeric(y) or not y.integral or not is_single_column(y):
            continue
        if y.classes is None or y.nan or y.inf:
            continue
        counts = dict(y.classes)
        if not 2 <= len(counts) <= max_classes or y.rows < min_per_value * len(counts):
            continue
        ids = sorted(counts)
        zero_based = ids == list(range(len(ids)))
        k = len(ids)
        if k == 2:
            output = layer_code(model, head, "sigmoid", units=1)
            new_loss = "binary_crossentropy"
            target_fix = (
                ""
                if ids == [0, 1]
                else (f"\n{name} = ({name} == {ids[1]}).astype('float32')  # labels 0 and 1")
            )
        else:
            output = layer_code(model, head, "softmax", units=k)
            new_loss = "sparse_categorical_crossentropy"
            target_fix = (
                ""
                if zero_based
                else (
                    f"\nclass_values, {name} = np.unique({name}, return_inverse=True)  "
                    f"# class ids 0..{k - 1}"
                )
            )
        yield Issue(
            f"The targets of output {head.key!r} take only {k} distinct whole values "
            f"{counts_text(counts)}, and output {head.key!r} is linear with the regression "
            f"loss {loss.name}: this looks like classification trained as regression. "
            "Assumed: the values are unordered classes, not counts or ordered ratings. "
            f"Received: {name}.shape={tuple(y.shape)}, distinct values={ids}, "
            f"loss={loss.given}, activation='linear' (layer {head.activation_layer!r}).",
            expected=(
                f"For {k} classes: {'sigmoid' if k == 2 else 'softmax'} over "
                f"{1 if k == 2 else k} unit{'s' if k > 2 else ''} with {new_loss}. For counts "
                "or ratings (where 3.5 is a meaningful prediction), keep the regression."
            ),
            fix=f"{output}  # with {loss_arg(model, head, repr(new_loss))}{target_fix}",
            layer=head.activation_layer,
            evidence={
                "output": head.key,
                "distinct_values": k,
                "counts": {str(c): n for c, n in sorted(counts.items())},
                "loss": loss.name,
            },
        )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)).astype("float32")
    y = rng.integers(0, 3, size=(300,))  # species 0, 1, 2
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mean_squared_error")
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)).astype("float32")
    y = rng.integers(0, 3, size=(300,))
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x, y)
