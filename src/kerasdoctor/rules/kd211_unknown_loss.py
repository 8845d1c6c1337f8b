from __future__ import annotations

import difflib
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule

# Every loss name `keras.losses.get()` resolves in Keras 3 (`keras.src.losses.ALL_OBJECTS_DICT`,
# less the base classes 'Loss' and 'LossFunctionWrapper'): function names, class names and
# aliases. tests/rules/test_kd211.py checks it against Keras so it cannot drift.
KERAS_LOSS_NAMES = tuple(
    """
    binary_crossentropy binary_focal_crossentropy categorical_crossentropy
    categorical_focal_crossentropy categorical_hinge circle cosine_similarity ctc dice hinge
    huber kl_divergence log_cosh mean_absolute_error mean_absolute_percentage_error
    mean_squared_error mean_squared_logarithmic_error poisson sparse_categorical_crossentropy
    squared_hinge tversky bce BCE kld KLD mae MAE mape MAPE mse MSE msle MSLE
    BinaryCrossentropy BinaryFocalCrossentropy CTC CategoricalCrossentropy
    CategoricalFocalCrossentropy CategoricalHinge Circle CosineSimilarity Dice Hinge Huber
    KLDivergence LogCosh MeanAbsoluteError MeanAbsolutePercentageError MeanSquaredError
    MeanSquaredLogarithmicError Poisson SparseCategoricalCrossentropy SquaredHinge Tversky
    """.split()
)
# compile() also accepts these, in any case, and picks binary, categorical or sparse
# categorical crossentropy from the shapes (`keras.src.trainers.compile_utils.get_loss`).
SHAPE_RESOLVED = ("crossentropy", "ce")
# Names of Keras 2 (and common guesses) that Keras 3 no longer accepts, and their new names.
RENAMED = {
    "logcosh": "log_cosh",
    "kullback_leibler_divergence": "kl_divergence",
    "cosine_proximity": "cosine_similarity",
    "sparse_categorical_cross_entropy": "sparse_categorical_crossentropy",
    "categorical_cross_entropy": "categorical_crossentropy",
    "binary_cross_entropy": "binary_crossentropy",
}


def closest_loss(name: str) -> str | None:
    """The Keras loss name closest to `name` (case-insensitive), or None if none is close."""
    key = name.strip().lower()
    if key in RENAMED:
        return RENAMED[key]
    by_lower: dict[str, str] = {}
    for known in KERAS_LOSS_NAMES:
        by_lower.setdefault(known.lower(), known)
    for known in KERAS_LOSS_NAMES:  # snake-case names win over class names and upper aliases
        if known.islower():
            by_lower[known.lower()] = known
    match = difflib.get_close_matches(key, list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


@rule(
    "KD211",
    "unknown-loss",
    summary="Loss identifier that Keras cannot interpret",
    severity=Severity.ERROR,
    fix="Use a loss name from `keras.losses`, e.g. `loss='sparse_categorical_crossentropy'`.",
)
def unknown_loss(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a loss that Keras cannot resolve: a misspelt name such as
    `'categorical_crossentropyy'`, a Keras 2 name that Keras 3 dropped (`'logcosh'`),
    or a value that is neither a name, a `keras.losses.Loss` nor a function. It
    suggests the closest name that Keras accepts.

    ## Why is this bad?
    `compile()` stores the loss without checking it. The error comes only when `fit()`
    (or `evaluate()`) starts: `ValueError: Could not interpret loss identifier:
    categorical_crossentropyy`, after the data pipeline has been built, and in a
    script perhaps after an hour of preprocessing. The message does not say what the
    valid names are.

    ## Known problems
    A subclassed model without known outputs is not checked (its losses cannot be
    matched to outputs without running it). The suggestion is the closest spelling,
    not necessarily the loss you meant: check that it fits your labels.

    ## References
    - [Keras: losses](https://keras.io/api/losses/)
    - [Keras: Model.compile](https://keras.io/api/models/model_training_apis/#compile-method)
    """
    model = ctx.model
    seen: dict[str, list[str]] = {}
    for head in model.heads:
        loss = head.loss
        if loss is None or loss.kind != "invalid":
            continue
        if loss.name.strip().lower() in SHAPE_RESOLVED and loss.given[:1] in "'\"":
            continue  # compile() resolves 'crossentropy' and 'ce' from the shapes
        seen.setdefault(loss.given, []).append(head.key)

    for given, keys in seen.items():
        loss = next(h.loss for h in model.heads if h.key == keys[0])
        is_name = given[:1] in "'\""
        suggestion = closest_loss(loss.name) if is_name else None
        per_output = len(model.heads) > 1 and len(keys) < len(model.heads)
        outputs = f" for output{'s' if len(keys) > 1 else ''} {', '.join(map(repr, keys))}"
        what = "name" if is_name else "value"
        message = (
            f"The loss {given}{outputs if per_output else ''} is not a loss {what} Keras knows: "
            "compile() accepts it, but fit() will raise `ValueError: Could not interpret loss "
            f"identifier: {loss.name}`."
        )
        if suggestion:
            message += f" Did you mean {suggestion!r}?"
        message += f" Received: loss={given}."
        if suggestion:
            fix = (
                f"loss={{{keys[0]!r}: {suggestion!r}, ...}}"
                if per_output
                else f"loss={suggestion!r}"
            )
        else:
            fix = None
        yield Issue(
            message,
            expected=(
                "A Keras loss name (such as 'categorical_crossentropy', 'mse'), a "
                "keras.losses.Loss object, or a loss function."
            ),
            fix=fix,
            evidence={"loss": loss.name, "outputs": keys, "suggestion": suggestion},
        )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropyy", metrics=["accuracy"])
    return Context.of(model)


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return Context.of(model)
