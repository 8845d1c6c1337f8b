"""Shared helpers for the training rules (KD4): pure functions over a `Trace` and model facts.

They never import keras. They answer what the training rules share: the loss of an
uninformed guess (chance level), which log key holds accuracy, whether the learning rate is
far from its optimiser's usual range, and what most likely caused a loss that went wrong.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from kerasdoctor.rules._output_loss import CATEGORICAL, output_units

if TYPE_CHECKING:
    from kerasdoctor.context import Context, Trace
    from kerasdoctor.facts import ModelFacts, OptimizerFacts

#: -ln(1e-7): the loss of a saturated wrong prediction when Keras clips probabilities to
#: [1e-7, 1 - 1e-7] (JAX and PyTorch compute crossentropy from probabilities).
CLIPPED_LOSS = -math.log(1e-7)

#: Keras 3's default learning rate of each optimiser family.
DEFAULT_LEARNING_RATE = {
    "sgd": 0.01,
    "adam": 0.001,
    "rmsprop": 0.001,
    "adagrad": 0.001,
    "ftrl": 0.001,
    "lion": 0.001,
}
_ACCURACY_KEYS = (
    "accuracy",
    "acc",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "binary_accuracy",
)


def epoch_name(epoch: int) -> str:
    """`epoch 3` for the 0-based epoch 2, as Keras prints it."""
    return f"epoch {epoch + 1}"


def fmt(value: float | None) -> str:
    """A loss or ratio for a message: 4 significant digits, scientific when far from 1."""
    if value is None:
        return "None"
    if not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:.4g}"


def chance_loss(model: ModelFacts | None) -> tuple[float, str, int] | None:
    """(loss, formula, classes) of a uniform guess for a single crossentropy head, else None."""
    if model is None or len(model.heads) != 1:
        return None
    head = model.heads[0]
    if head.loss is None:
        return None
    units = output_units(model, head)
    if head.loss.kind in CATEGORICAL and units and units >= 2:
        return math.log(units), f"ln({units})", units
    if head.loss.kind == "binary" and units is not None:
        return math.log(2), "ln(2)", 2
    return None


def accuracy_key(logs: dict) -> str | None:
    """The training accuracy key of a single-output model's logs, if any."""
    return next((key for key in _ACCURACY_KEYS if key in logs), None)


def all_finite(values) -> bool:
    """Whether every value is finite; one C-speed `sum` in the usual case (all finite)."""
    values = values if isinstance(values, (list, tuple)) else list(values)
    return math.isfinite(sum(values)) or all(math.isfinite(v) for v in values)


def finite_losses(trace: Trace) -> list[tuple[int, float]]:
    """(index, loss) of the finite recorded per-batch losses."""
    return [(i, loss) for i, loss in enumerate(trace.losses) if math.isfinite(loss)]


def learning_rate(model: ModelFacts | None) -> tuple[OptimizerFacts | None, float | None]:
    optimizer = model.optimizer if model is not None else None
    return optimizer, optimizer.learning_rate if optimizer is not None else None


def learning_rate_verdict(model: ModelFacts | None, factor: float = 100.0) -> str | None:
    """'high' when the learning rate is `factor` times its optimiser's default or more, 'low'
    when it is that many times smaller, else None (also when unknown)."""
    optimizer, lr = learning_rate(model)
    if optimizer is None or lr is None or lr <= 0 or optimizer.schedule:
        return None
    default = DEFAULT_LEARNING_RATE.get(optimizer.family)
    if default is None:
        return None
    if lr >= default * factor:
        return "high"
    if lr <= default / factor:
        return "low"
    return None


def optimizer_code(model: ModelFacts | None, learning_rate: float | None = None) -> str:
    """`keras.optimizers.SGD(learning_rate=0.01)`: the user's optimiser at its usual rate."""
    optimizer = model.optimizer if model is not None else None
    name = optimizer.name if optimizer is not None else "Adam"
    if learning_rate is None:
        family = optimizer.family if optimizer is not None else "adam"
        learning_rate = DEFAULT_LEARNING_RATE.get(family, 0.001)
    return f"keras.optimizers.{name}(learning_rate={learning_rate:g})"


def received_optimizer(model: ModelFacts | None) -> str:
    """`optimizer=SGD, learning_rate=10.0` for messages ('' when unknown)."""
    optimizer, lr = learning_rate(model)
    if optimizer is None:
        return ""
    return (
        f"optimizer={optimizer.name}, learning_rate={lr:g}"
        if lr is not None
        else (f"optimizer={optimizer.name}")
    )


def input_absmax(ctx: Context) -> float | None:
    """The largest absolute input value in the probe's batch, else in the data sample."""
    probe = ctx.trace.probe if ctx.trace is not None else None
    if probe is not None and probe.input_absmax is not None:
        return probe.input_absmax
    x = ctx.data.x if ctx.data is not None else None
    if x is None or x.min is None or x.max is None:
        return None
    return max(abs(x.min), abs(x.max))


def unscaled_input(ctx: Context, *, max_abs: float = 10.0) -> float | None:
    """The input's largest absolute value when it exceeds `max_abs` (likely unscaled). None
    for a model with an `Embedding`: its large inputs are token ids, not values to scale."""
    if ctx.model is not None and any(layer.kind == "embedding" for layer in ctx.model.layers):
        return None
    value = input_absmax(ctx)
    return value if value is not None and value > max_abs else None


def scale_fix(ctx: Context) -> str:
    """How to scale the inputs, specific to pixels when the data looks like 0..255 images."""
    x = ctx.data.x if ctx.data is not None else None
    if x is not None and x.max is not None and 100 < x.max <= 255 and (x.min or 0) >= 0:
        return "x = x.astype('float32') / 255.0  # pixels 0..255 -> 0..1"
    return "norm = keras.layers.Normalization(); norm.adapt(x)  # then use norm as the first layer"


def first_loss(trace: Trace) -> float | None:
    """The loss of the first recorded batch: computed with the initial weights."""
    return trace.losses[0] if trace.losses and math.isfinite(trace.losses[0]) else None


def bad_from_the_start(trace: Trace, chance: tuple[float, str, int] | None) -> bool:
    """Whether the very first batch's loss is already far above the chance level (x2)."""
    first = first_loss(trace)
    return first is not None and chance is not None and first > 2 * chance[0]


def grew(trace: Trace, factor: float = 100.0) -> tuple[float, float, int] | None:
    """(first loss, largest finite loss, its index) when the loss grew `factor` times."""
    finite = finite_losses(trace)
    if not finite or finite[0][1] <= 0:
        return None
    start = finite[0][1]
    index, peak = max(finite, key=lambda item: item[1])
    return (start, peak, index) if peak >= factor * start else None
