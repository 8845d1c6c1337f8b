from __future__ import annotations

import math
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule

# The usual learning rates of each optimiser family: (lowest, highest, a typical value).
# Every Keras default lies inside its family's range (Adam, RMSprop, Adagrad, Adadelta,
# Ftrl, Lion 0.001; SGD 0.01), and so does each paper's recommended value.
#
# - adam (Adam, AdamW, Nadam, Adamax, Lamb, Muon): 1e-3 in Kingma & Ba (2015); 1e-5 to 5e-5
#   to fine-tune transformers, 1e-6 for RLHF-style fine-tuning; above 1e-2 updates overshoot.
# - sgd: 0.01 (Keras default) to 0.1 with momentum (ResNet), 0.5 in TensorFlow's first MNIST
#   tutorial; the large-batch linear-scaling rule (Goyal et al., 2017) goes higher only
#   behind a warm-up schedule, which starts low. 1e-4 to 1e-5 to fine-tune.
# - rmsprop: 1e-3 (Hinton's lecture 6e, Keras default), 2.5e-4 in DQN.
# - adagrad: 0.01 to 0.1 is usual (Duchi et al., 2011; PyTorch default 0.01); the
#   per-coordinate step shrinks as gradients accumulate, so it tolerates large values.
# - adadelta: 1.0 in Zeiler (2012) and PyTorch, 0.001 in Keras; the rate only rescales a
#   step that is already unit-corrected.
# - ftrl: 0.05 to 0.2 for click-through models (McMahan et al., 2013; TensorFlow's linear
#   estimators default to 0.2), 0.001 in Keras (see KD210 for deep models).
# - lion: 3 to 10 times smaller than AdamW's (Chen et al., 2023): its update is a sign, so
#   every weight moves by the full learning rate at every step.
USUAL_RANGES: dict[str, tuple[float, float, float]] = {
    "adam": (1e-6, 1e-2, 1e-3),
    "sgd": (1e-5, 0.5, 1e-2),
    "rmsprop": (1e-6, 1e-2, 1e-3),
    "adagrad": (1e-5, 0.5, 1e-2),
    "adadelta": (1e-4, 5.0, 1.0),
    "ftrl": (1e-4, 1.0, 0.1),
    "lion": (1e-6, 3e-3, 1e-4),
}
# Classes of a family whose usual range is wider than the family's.
# Adafactor scales its step by the weights' RMS (T5 uses 1e-2 and more); Lamb scales it by a
# trust ratio (large-batch runs use up to 1e-2 and more); Muon without `rms_rate` uses 0.02.
CLASS_RANGES: dict[str, tuple[float, float, float]] = {
    "Adafactor": (1e-5, 0.1, 1e-3),
    "Lamb": (1e-6, 0.05, 1e-3),
    "Muon": (1e-6, 0.05, 1e-3),
}
_KERAS_OPTIMIZERS = frozenset(
    "Adadelta Adafactor Adagrad Adam AdamW Adamax Ftrl Lamb Lion Muon Nadam RMSprop SGD".split()
)
_TOLERANCE = 1e-6  # learning rates are float32: 0.01 reads back as 0.009999999776


def fmt(value: float) -> str:
    """A learning rate as the user would write it: `10.0`, `0.001`, `1e-07`, `nan`."""
    text = f"{value:.3g}"
    return text if any(c in text for c in ".ein") else text + ".0"


def usual_range(name: str, family: str) -> tuple[float, float, float] | None:
    """The (lowest, highest, typical) learning rate of optimiser class `name`, if known."""
    return CLASS_RANGES.get(name) or USUAL_RANGES.get(family)


@rule(
    "KD209",
    "learning-rate-out-of-range",
    summary="Learning rate outside the optimiser's usual range",
    severity=Severity.ERROR,
    fix="Use a learning rate in the optimiser's usual range, e.g. `Adam(learning_rate=1e-3)`.",
)
def learning_rate_out_of_range(
    ctx: Context, *, far_above: float = 10.0, far_below: float = 100.0
) -> Iterator[Issue]:
    """## What it does
    Checks for a learning rate (a schedule's value at the current step) outside the
    usual range of its optimiser family, and for one that is zero, negative or NaN.

    | family | optimisers | usual range | Keras default |
    |---|---|---|---|
    | adam | Adam, AdamW, Nadam, Adamax | 1e-6 to 1e-2 | 1e-3 |
    | adam | Lamb, Muon / Adafactor | 1e-6 to 0.05 / 1e-5 to 0.1 | 1e-3 |
    | sgd | SGD | 1e-5 to 0.5 | 0.01 |
    | rmsprop | RMSprop | 1e-6 to 1e-2 | 1e-3 |
    | adagrad | Adagrad | 1e-5 to 0.5 | 1e-3 |
    | adadelta | Adadelta | 1e-4 to 5.0 | 1e-3 |
    | ftrl | Ftrl | 1e-4 to 1.0 | 1e-3 |
    | lion | Lion | 1e-6 to 3e-3 | 1e-3 |

    Outside the range is a warning. More than `far_above` (10) times above the top, or
    more than `far_below` (100) times below the bottom, is an error:
    `SGD(learning_rate=10.0)` is 20 times above SGD's top and nothing trains. The
    factors are asymmetric because too large a step breaks training at once, while
    too small a step only slows it down until it is smaller than float32 can add to
    a weight (about 1e-8 for Adam's unit-sized steps on weights near 0.05).

    ## Why is this bad?
    Too large a learning rate makes every update overshoot. On TensorFlow the loss
    reaches NaN within a few epochs (`SGD(learning_rate=10.0)` on a small classifier:
    2e13, 5e28, nan); on JAX and PyTorch the softmax saturates, probabilities are
    clipped to 1e-7 and the loss plateaus near 12 with vanishing gradients. Keras raises nothing on any backend. Too small a
    learning rate moves the weights so little that the model looks untrainable. A
    negative learning rate climbs the loss; zero or NaN never trains at all.

    ## Known problems
    The range is per optimiser family, not per model: fine-tuning, very large batches
    and unusual architectures have good reasons to leave it, which is why only the far
    cases are errors. Momentum, batch size and gradient clipping are not taken into
    account. A schedule is judged by its value at the optimiser's current step; a
    schedule at zero or below the range is not reported, because warm-up starts there
    and decay ends there. Optimisers outside the families above (custom ones,
    ScheduleFreeAdamW) are only checked for zero, negative and NaN rates.

    ## References
    - [Keras: optimizers](https://keras.io/api/optimizers/)
    - [Keras: learning rate schedules](https://keras.io/api/optimizers/learning_rate_schedules/)
    - [Kingma & Ba, Adam: A Method for Stochastic Optimization (2015)](https://arxiv.org/abs/1412.6980)
    - [Bengio, Practical recommendations for gradient-based training (2012)](https://arxiv.org/abs/1206.5533)
    - [Goyal et al., Accurate, Large Minibatch SGD (2017)](https://arxiv.org/abs/1706.02677)
    - [Zeiler, ADADELTA: An Adaptive Learning Rate Method (2012)](https://arxiv.org/abs/1212.5701)
    - [Chen et al., Symbolic Discovery of Optimization Algorithms (Lion, 2023)](https://arxiv.org/abs/2302.06675)
    - [McMahan et al., Ad Click Prediction: a View from the Trenches (2013)](https://research.google.com/pubs/archive/41159.pdf)
    """
    optimizer = ctx.model.optimizer
    if optimizer is None or optimizer.learning_rate is None:
        return
    lr, name, schedule = optimizer.learning_rate, optimizer.name, optimizer.schedule
    ranges = usual_range(name, optimizer.family)
    typical = ranges[2] if ranges else 1e-3
    evidence = {
        "learning_rate": lr,
        "optimizer": name,
        "family": optimizer.family,
        "schedule": schedule,
        "usual_range": [ranges[0], ranges[1]] if ranges else None,
    }
    received = f"Received: optimizer={name}, learning_rate={fmt(lr)}"
    if schedule:
        received += f" (schedule={schedule}, at the current step)"
    received += "."
    fix = f"optimizer={_constructor(name)}(learning_rate={fmt(typical)})"
    if schedule:
        fix += f"  # or rescale your {schedule} schedule to start near {fmt(typical)}"
    expected = (
        f"A learning rate between {fmt(ranges[0])} and {fmt(ranges[1])} for {name}."
        if ranges
        else "A finite, positive learning rate."
    )

    if math.isnan(lr) or math.isinf(lr):
        yield Issue(
            f"The learning rate is {fmt(lr)}, so the first update turns every weight into NaN. "
            + received,
            expected=expected,
            fix=fix,
            evidence=evidence,
        )
        return
    if lr < 0:
        yield Issue(
            "The learning rate is negative, so every update climbs the loss instead of "
            "descending it (gradient ascent). " + received,
            expected=expected,
            fix=fix,
            evidence=evidence,
        )
        return
    if lr == 0:
        if not schedule:  # a schedule at 0 is a warm-up that has not started, or a finished decay
            yield Issue(
                "The learning rate is 0, so the weights never change and nothing trains. "
                + received,
                expected=expected,
                fix=fix,
                evidence=evidence,
            )
        return
    if ranges is None:
        return

    low, high, _ = ranges
    where = f"the usual range for {name}" + (
        "" if name in _KERAS_OPTIMIZERS else f" (an optimiser of the {optimizer.family} family)"
    )
    if lr > high * (1 + _TOLERANCE):
        ratio = lr / high
        evidence["times_above"] = round(ratio, 3)
        if ratio > far_above * (1 + _TOLERANCE):
            yield Issue(
                f"The learning rate is {ratio:.0f} times the top of {where} ({fmt(high)}): every "
                "update overshoots, so the loss diverges (NaN on TensorFlow) or the outputs "
                "saturate and the loss plateaus (JAX, PyTorch); nothing trains. " + received,
                expected=expected,
                fix=fix,
                evidence=evidence,
            )
        else:
            yield Issue(
                f"The learning rate is above {where} ({fmt(low)} to {fmt(high)}): training is "
                "likely to be unstable, with a noisy or diverging loss, or to settle on a worse "
                "model. " + received,
                expected=expected,
                fix=fix,
                evidence=evidence,
                severity=Severity.WARNING,
            )
    elif lr < low * (1 - _TOLERANCE) and not schedule:
        ratio = low / lr
        evidence["times_below"] = round(ratio, 3)
        if ratio > far_below * (1 + _TOLERANCE):
            yield Issue(
                f"The learning rate is {ratio:.0f} times below {where} ({fmt(low)} to "
                f"{fmt(high)}): the updates are too small to change the weights, so nothing "
                "trains. " + received,
                expected=expected,
                fix=fix,
                evidence=evidence,
            )
        else:
            yield Issue(
                f"The learning rate is below {where} ({fmt(low)} to {fmt(high)}): training will "
                "be very slow and the loss may look stuck. " + received,
                expected=expected,
                fix=fix,
                evidence=evidence,
                severity=Severity.WARNING,
            )


def _constructor(name: str) -> str:
    return f"keras.optimizers.{name}" if name in _KERAS_OPTIMIZERS else name


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=10.0),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
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
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return Context.of(model)
