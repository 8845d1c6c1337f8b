from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._output_loss import layer_code
from kerasdoctor.rules._quality import clean_numeric, fmt, targets

# The range each bounded output activation can produce: (low, high); None is unbounded.
RANGES = {
    "relu": (0.0, None),
    "softplus": (0.0, None),
    "exponential": (0.0, None),
    "squareplus": (0.0, None),
    "sparse_plus": (0.0, None),
    "relu6": (0.0, 6.0),
    "sigmoid": (0.0, 1.0),
    "hard_sigmoid": (0.0, 1.0),
    "sparse_sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "softsign": (-1.0, 1.0),
    "hard_tanh": (-1.0, 1.0),
}
# Outputs whose initial values are of order 1 and that can move anywhere.
UNBOUNDED = frozenset(
    {
        "linear",
        "leaky_relu",
        "elu",
        "selu",
        "gelu",
        "silu",
        "prelu",
        "mish",
        "celu",
        "relu",
        "softplus",
        "hard_silu",
    }
)
# Regression losses: the targets are the values the output must produce.
REGRESSION = frozenset(
    {
        "mean_squared_error",
        "mean_absolute_error",
        "huber",
        "log_cosh",
        "mean_squared_logarithmic_error",
        "mean_absolute_percentage_error",
    }
)


@rule(
    "KD313",
    "target-range-mismatch",
    summary="Targets outside the range the output can produce",
    severity=Severity.ERROR,
    fix="Choose an output activation whose range covers the targets, or rescale the targets.",
)
def target_range_mismatch(ctx: Context, *, max_scale: float = 100.0) -> Iterator[Issue]:
    """## What it does
    Checks for targets that an output trained with a regression loss cannot produce, or
    only after a long way:

    - negative targets with an output that is never negative (`relu`, `softplus`,
      `exponential`, `sigmoid`, ...), targets above 1 with a `sigmoid` output, above 6 with
      `relu6`, outside [-1, 1] with `tanh` (error: impossible);
    - targets far from the scale of a freshly initialised output (|mean| or std above
      `max_scale`, default 100) on an unbounded output such as a linear one (warning).

    `max_scale` (default 100): a Dense output starts with zero bias and outputs of order 1
    for unit-scale inputs. Reaching a mean of 100 means moving the bias by 100, and Adam's
    default step (`learning_rate=0.001`) moves a weight by about 0.001 per step: some
    100,000 steps before the predictions are even in range, with a loss of order 10^4 that
    makes SGD unstable meanwhile.

    ## Why is this bad?
    If the output cannot produce a target, the loss on those samples never reaches zero
    and the gradient keeps pushing the output against its bound: a ReLU output then dies
    (outputs 0, gradient 0), a sigmoid saturates. Keras trains on, silently. Targets in the
    thousands with a linear output train, but slowly and unstably: standardise them and
    invert the scaling at prediction time.

    ## Known problems
    Binary cross-entropy targets outside [0, 1] are KD307's; softmax with a regression loss
    is KD206's. Only the overall minimum and maximum of the targets are checked, not each
    output unit on its own.

    ## References
    - [Keras: layer activation functions](https://keras.io/api/layers/activations/)
    - [Keras: regression losses](https://keras.io/api/losses/regression_losses/)
    - [Keras: Normalization layer (invert=True maps predictions back)](https://keras.io/api/layers/preprocessing_layers/numerical/normalization/)
    """
    model = ctx.model
    for head, y, name in targets(ctx):
        loss = head.loss
        if loss is None or loss.name not in REGRESSION or not clean_numeric(y):
            continue
        activation = head.activation
        received = (
            f"Received: {name} range=[{fmt(y.min)}, {fmt(y.max)}], mean={fmt(y.mean)}, "
            f"std={fmt(y.std)}, activation={activation!r} (layer {head.activation_layer!r}), "
            f"loss={loss.given}."
        )
        evidence = {
            "output": head.key,
            "min": y.min,
            "max": y.max,
            "mean": y.mean,
            "std": y.std,
            "activation": activation,
            "loss": loss.name,
        }
        bounds = RANGES.get(activation)
        if bounds is not None:
            low, high = bounds
            span = max(abs(y.min), abs(y.max), 1.0) * 1e-6  # float noise at a bound
            below = low is not None and y.min < low - span
            above = high is not None and y.max > high + span
            if below or above:
                side = (
                    f"go down to {fmt(y.min)}"
                    if below and not above
                    else f"go up to {fmt(y.max)}"
                    if above and not below
                    else f"span [{fmt(y.min)}, {fmt(y.max)}]"
                )
                can = f"[{fmt(low)}, {'inf)' if high is None else fmt(high) + ']'}"
                stuck = (
                    f"where {activation} has zero gradient"
                    if activation in ("relu", "relu6")
                    else "where its gradient vanishes"
                )
                yield Issue(
                    f"The targets of output {head.key!r} {side}, but its activation "
                    f"{activation!r} only produces values in {can}: those targets can never "
                    "be reached, the loss on them never reaches zero, and the output is pushed "
                    f"against its bound, {stuck}. {received}",
                    expected=f"Targets within {can}, or an output activation that covers them.",
                    fix=f"{layer_code(model, head, None)}  # no activation: any real value",
                    layer=head.activation_layer,
                    evidence=evidence,
                )
                continue
        if activation in UNBOUNDED and (abs(y.mean) > max_scale or y.std > max_scale):
            yield Issue(
                f"The targets of output {head.key!r} have mean {fmt(y.mean)} and std "
                f"{fmt(y.std)}, far from the scale of a freshly initialised output (about "
                f"0 +/- 1): the first losses are of order {fmt(_order(y.mean, y.std))}, and "
                "the output layer needs many thousands of steps just to reach the targets' "
                f"scale. {received}",
                expected=f"Targets with |mean| and std below {fmt(max_scale)}, ideally about 0 "
                "and 1.",
                fix=(
                    f"{name}_mean, {name}_std = {name}.mean(), {name}.std()\n"
                    f"model.fit(x, ({name} - {name}_mean) / {name}_std, ...)\n"
                    f"predictions = model.predict(x_new) * {name}_std + {name}_mean"
                ),
                layer=head.activation_layer,
                evidence=evidence,
                severity=Severity.WARNING,
            )


def _order(mean: float, std: float) -> float:
    """The order of magnitude of the first mean squared error: mean^2 + std^2, rounded."""
    import math

    value = mean * mean + std * std
    return 10.0 ** round(math.log10(value)) if value > 0 else 0.0


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5)).astype("float32")
    y = x @ rng.normal(size=(5,))  # standardised targets: about half are negative
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="relu", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mean_squared_error")
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5)).astype("float32")
    y = x @ rng.normal(size=(5,))
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mean_squared_error")
    return Context.of(model, x, y)
