from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._errors import search

UNKNOWN = re.compile(
    r"Could not interpret (?P<what>loss|optimizer|metric|activation function|activation|"
    r"initializer|regularizer|constraint) identifier: (?P<value>.+)"
)

#: The string names Keras 3.15 accepts for each kind (`ALL_OBJECTS_DICT`, lower-case keys,
#: base classes left out); `tests/rules/test_kd5_backends.py` checks them against Keras.
NAMES: dict[str, tuple[str, ...]] = {
    "loss": (
        "bce", "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
        "categorical_focal_crossentropy", "categorical_hinge", "circle", "cosine_similarity",
        "ctc", "dice", "hinge", "huber", "kl_divergence", "kld", "log_cosh", "mae", "mape",
        "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
        "mean_squared_logarithmic_error", "mse", "msle", "poisson",
        "sparse_categorical_crossentropy", "squared_hinge", "tversky",
    ),
    "optimizer": (
        "adadelta", "adafactor", "adagrad", "adam", "adamax", "adamw", "ftrl", "lion", "muon",
        "nadam", "rmsprop", "schedulefreeadamw", "sgd",
    ),
    "metric": (
        # compile() also reads "acc" and "accuracy", "ce" and "crossentropy" itself.
        "acc", "accuracy", "auc", "bce", "binary_accuracy", "binary_crossentropy", "binary_io_u",
        "categorical_accuracy", "categorical_crossentropy", "categorical_hinge",
        "concordance_correlation", "cosine_similarity", "crossentropy", "f1_score",
        "f_beta_score", "false_negatives", "false_positives", "hinge", "io_u", "kl_divergence",
        "log_cosh_error", "mae", "mape", "mean", "mean_absolute_error",
        "mean_absolute_percentage_error", "mean_io_u", "mean_squared_error",
        "mean_squared_logarithmic_error", "mse", "msle", "one_hot_io_u", "one_hot_mean_io_u",
        "pearson_correlation", "poisson", "precision", "precision_at_recall", "r2_score",
        "recall", "recall_at_precision", "root_mean_squared_error",
        "sensitivity_at_specificity", "sparse_categorical_accuracy",
        "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy",
        "specificity_at_sensitivity", "squared_hinge", "sum", "top_k_categorical_accuracy",
        "true_negatives", "true_positives",
    ),
    "activation": (
        "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
        "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
        "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
        "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh",
        "tanh_shrink", "threshold",
    ),
    "initializer": (
        "constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity",
        "lecun_normal", "lecun_uniform", "normal", "one", "ones", "orthogonal", "random_normal",
        "random_uniform", "stft", "truncated_normal", "uniform", "variance_scaling", "zero",
        "zeros",
    ),
    "regularizer": ("l1", "l1l2", "l2", "orthogonal_regularizer"),
    "constraint": ("max_norm", "min_max_norm", "non_neg", "unit_norm"),
}
_ARGUMENT = {
    "loss": "loss={}",
    "optimizer": "optimizer={}",
    "metric": "metrics=[{}]",
    "activation": "activation={}",
    "initializer": "kernel_initializer={}",
    "regularizer": "kernel_regularizer={}",
    "constraint": "kernel_constraint={}",
}
_MODULE = {
    "loss": "losses", "optimizer": "optimizers", "metric": "metrics",
    "activation": "activations", "initializer": "initializers",
    "regularizer": "regularizers", "constraint": "constraints",
}
_WHEN = {
    "loss": " Keras accepts any string at compile() and looks the loss up at the first fit() step.",
    "metric": " Keras looks metrics up at the first fit() step.",
}


def _normal(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.lower())


def closest(what: str, value: str, n: int = 3) -> list[str]:
    """The valid names nearest to `value`: same letters first, then by spelling."""
    names = NAMES[what]
    same = [name for name in names if _normal(name) == _normal(value)]
    if same:
        return same[:1]
    by_norm = {_normal(name): name for name in names}
    near = difflib.get_close_matches(_normal(value), list(by_norm), n=n, cutoff=0.6)
    return [by_norm[name] for name in near]


@rule(
    "KD509",
    "unknown-identifier",
    summary="A loss, optimizer, metric or activation name Keras lacks",
    severity=Severity.ERROR,
    fix="Use one of Keras's names (`keras.losses`, `keras.optimizers`, ...), spelled exactly.",
)
def unknown_identifier(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for "Could not interpret <kind> identifier: <value>" for a loss, optimizer,
    metric, activation, initializer, regularizer or constraint, and suggests the nearest
    valid name ("categorical_crossentropyy" → 'categorical_crossentropy', "Relu" →
    'relu'), or an instance where a class was passed (`optimizer=keras.optimizers.Adam`).

    ## Why is this bad?
    A misspelt name fails, but not always where it was written: an unknown loss string is
    accepted by `compile()` and raises only at the first `fit()` step, and the message
    lists no valid names.

    ## Known problems
    The valid names are Keras 3.15's built-ins; a custom object registered with
    `keras.saving.register_keras_serializable` is not among the suggestions.

    ## References
    - [Keras: losses](https://keras.io/api/losses/)
    - [Keras: optimizers](https://keras.io/api/optimizers/)
    - [Keras: metrics](https://keras.io/api/metrics/)
    - [Keras: activations](https://keras.io/api/layers/activations/)
    """
    m = search(UNKNOWN, ctx)
    if m is None:
        return
    what = m.group("what").replace(" function", "")
    value = m.group("value").strip()
    arg = _ARGUMENT[what]
    module = _MODULE[what]
    cls = re.fullmatch(r"<class '(?:[\w.]+\.)?(?P<name>\w+)'>", value)
    if cls:
        name = cls.group("name")
        yield Issue(
            f"The {what} {name} was passed as a class, not as an instance, so Keras cannot use "
            f"it. Received: {what}={value}.",
            expected=f"An instance of the {what} class, or one of Keras's {what} names.",
            fix=arg.format(f"keras.{module}.{name}()") + "  # an instance: note the ()",
            evidence={"kind": what, "value": value},
        )
        return
    if value.startswith("<"):
        yield Issue(
            f"Keras cannot use this object as a {what}. Received: {what}={value}.",
            expected=f"One of Keras's {what} names, or a keras.{module} object.",
            fix=arg.format(f"keras.{module}.<Name>(...)"),
            evidence={"kind": what, "value": value},
        )
        return
    suggestions = closest(what, value)
    if suggestions:
        best = suggestions[0]
        others = suggestions[1:]
        hint = f" Did you mean {best!r}?" + (
            f" (or {', '.join(repr(s) for s in others)})" if others else ""
        )
        fix = arg.format(repr(best))
    else:
        hint = f" No built-in {what} has a similar name."
        fix = arg.format(f"keras.{module}.<Name>(...)") + f"  # a class from keras.{module}"
    yield Issue(
        f"Keras has no {what} named {value!r}.{hint}{_WHEN.get(what, '')} "
        f"Received: {what}={value!r}.",
        expected=f"One of Keras's {what} names, spelled exactly (they are case-sensitive).",
        fix=fix,
        evidence={"kind": what, "value": value, "suggestions": suggestions},
    )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = keras.utils.to_categorical(np.arange(64) % 3, 3)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropyy")  # accepted here...
    try:
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)  # ...raises here
    except ValueError as error:
        return Context.of(model, x, y, error=error)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = keras.utils.to_categorical(np.arange(64) % 3, 3)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return Context.of(model, x, y)
