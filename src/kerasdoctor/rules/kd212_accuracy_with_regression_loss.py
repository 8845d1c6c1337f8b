from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule

# Metric names that Keras turns into an accuracy (`compile_utils.get_metric` lower-cases them).
ACCURACY_NAMES = frozenset({"accuracy", "acc"})
# Output activations that are not probabilities: the output of a regression model.
# Softmax and sigmoid outputs trained with a regression loss are KD206's business; tanh and
# unknown activations are left alone.
NON_PROBABILITY = frozenset(
    "linear relu relu6 leaky_relu elu selu gelu silu softplus exponential prelu mish celu "
    "squareplus sparse_plus hard_silu".split()
)


@rule(
    "KD212",
    "accuracy-with-regression-loss",
    summary="Accuracy metric on a regression model",
    severity=Severity.WARNING,
    fix="Use a regression metric: `metrics=['mae', keras.metrics.RootMeanSquaredError()]`.",
)
def accuracy_with_regression_loss(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for `metrics=['accuracy']` (or `'acc'`, or `keras.metrics.Accuracy()`) on a
    model whose every output has a regression loss (`mse`, `mae`, `huber`, `log_cosh`,
    `msle`, `mape`) and a non-probability activation (linear, ReLU and the like).

    ## Why is this bad?
    Accuracy counts exact matches. Keras resolves the string `'accuracy'` from the
    shapes, not from the loss: `BinaryAccuracy` for one output unit (is the target
    equal to `prediction > 0.5`?), `CategoricalAccuracy` otherwise (do the argmaxes
    agree?). With continuous targets those matches almost never happen, so the
    progress bar shows an accuracy near 0 (or a meaningless fraction) while the model
    may be learning well, and people tune against it. Keras gives no warning.

    ## Known problems
    The rule assumes the targets are continuous. A model that regresses 0/1 labels
    with `mse` on a linear output gets a meaningful `BinaryAccuracy`: when the data is
    passed and the targets are integers or booleans, nothing is reported. A model
    whose outputs mix regression and classification is not checked, because the
    metrics of each output are not known.

    ## References
    - [Keras: regression metrics](https://keras.io/api/metrics/regression_metrics/)
    - [Keras: accuracy metrics](https://keras.io/api/metrics/accuracy_metrics/)
    - [Keras: Model.compile](https://keras.io/api/models/model_training_apis/#compile-method)
    """
    model = ctx.model
    accuracy = [m for m in model.metrics if m.strip().lower() in ACCURACY_NAMES]
    if not accuracy or not model.heads:
        return
    heads = [head for head in model.heads if head.loss is not None]
    if not heads or len(heads) != len(model.heads):
        return
    if any(h.loss.kind != "regression" or h.activation not in NON_PROBABILITY for h in heads):
        return
    y = ctx.data.y if ctx.data is not None else None
    if y is not None and y.dtype and (y.dtype.startswith(("int", "uint")) or y.dtype == "bool"):
        return  # discrete targets: an accuracy may mean something
    metrics = ", ".join(repr(m) for m in model.metrics)
    why = (
        "accuracy counts exact matches between targets and thresholded or argmax predictions, "
        "which continuous targets almost never give, so the number it reports says nothing "
        "about the regression (it stays near 0 for a single output unit). "
        "Assumed: the targets are continuous. "
    )
    if len(heads) == 1:
        head = heads[0]
        yield Issue(
            f"The metric {accuracy[0]!r} is compiled with the regression loss {head.loss.given} "
            f"on output {head.key!r} (activation {head.activation!r}, not a probability): "
            + why
            + f"Received: metrics=[{metrics}], loss={head.loss.given}, "
            f"activation={head.activation!r} (layer {head.activation_layer!r}).",
            expected="A regression metric, such as 'mae' or keras.metrics.RootMeanSquaredError().",
            fix="metrics=['mae', keras.metrics.RootMeanSquaredError()]",
            layer=head.activation_layer,
            evidence={
                "metric": accuracy[0],
                "loss": head.loss.name,
                "activation": head.activation,
                "outputs": [head.key],
            },
        )
        return
    received = ", ".join(
        f"{h.key!r}: loss={h.loss.given}, activation={h.activation!r}" for h in heads
    )
    yield Issue(
        f"The metric {accuracy[0]!r} is compiled on a model whose outputs all have a regression "
        "loss and an output that is not a probability: "
        + why
        + f"Received: metrics=[{metrics}], outputs {{{received}}}.",
        expected="A regression metric, such as 'mae' or keras.metrics.RootMeanSquaredError().",
        fix="metrics={" + ", ".join(f"{h.key!r}: ['mae']" for h in heads) + "}",
        evidence={
            "metric": accuracy[0],
            "loss": [h.loss.name for h in heads],
            "activation": [h.activation for h in heads],
            "outputs": [h.key for h in heads],
        },
    )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="price"),
        ]
    )
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    return Context.of(model)


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="price"),
        ]
    )
    model.compile(
        optimizer="adam", loss="mse", metrics=["mae", keras.metrics.RootMeanSquaredError()]
    )
    return Context.of(model)
