from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules.kd209_learning_rate_out_of_range import USUAL_RANGES, fmt

_TOLERANCE = 1e-6  # learning rates are float32: 0.001 reads back as 0.0010000000475


@rule(
    "KD213",
    "adadelta-learning-rate-too-small",
    summary="Adadelta with Keras's tiny default learning rate",
    severity=Severity.WARNING,
    fix="Use `keras.optimizers.Adadelta(learning_rate=1.0)`, as the Adadelta paper and Keras 2 did.",
)
def adadelta_learning_rate_too_small(ctx: Context, *, max_rate: float = 0.001) -> Iterator[Issue]:
    """## What it does
    Checks for the `Adadelta` optimiser with a learning rate of `max_rate` (default 0.001,
    Keras 3's default, which `optimizer='adadelta'` gets) or less. Rates below KD209's
    usual range for Adadelta (1e-4) are left to KD209, and schedules are not checked.

    ## Why is this bad?
    Adadelta was designed without a learning rate: its step is the gradient rescaled by
    the ratio of two running RMS values (past updates over past gradients), and the paper
    (Zeiler, 2012) and Keras 2 multiply that step by 1.0. Keras 3 (and tf.keras since
    TensorFlow 2.0) default to 0.001, which makes every step 1000 times smaller; the RMS of
    past updates then grows 1000 times slower too, so the steps stay tiny. Training looks
    stuck: the Keras MNIST CNN example reached about 84% instead of 99.25%
    (keras-team/keras#13815), and the Keras blog autoencoder stopped converging after the
    move to tf.keras (tensorflow/tensorflow#39432). KD209 keeps 0.001 in Adadelta's range
    because it is Keras's own default; this rule says what that default costs.

    ## Known problems
    A small rate may be deliberate (fine-tuning with Adadelta is rare, but possible): it
    is a warning. Momentum-like settings (`rho`, `epsilon`) are not taken into account;
    a larger `epsilon` makes the first steps larger.

    ## References
    - [Keras: Adadelta](https://keras.io/api/optimizers/adadelta/)
    - [Zeiler, ADADELTA: An Adaptive Learning Rate Method (2012)](https://arxiv.org/abs/1212.5701)
    - [keras-team/keras#13815: mnist_cnn example accuracy with Adadelta](https://github.com/keras-team/keras/issues/13815)
    - [tensorflow/tensorflow#39432: Adadelta default learning rate](https://github.com/tensorflow/tensorflow/issues/39432)
    """
    optimizer = ctx.model.optimizer
    if optimizer is None or optimizer.learning_rate is None or optimizer.schedule:
        return
    if optimizer.name != "Adadelta":
        return
    lr = optimizer.learning_rate
    low = USUAL_RANGES["adadelta"][0]
    if not (low * (1 - _TOLERANCE) <= lr <= max_rate * (1 + _TOLERANCE)):
        return
    default = (
        " (Keras's default, which optimizer='adadelta' also gets)"
        if abs(lr - 0.001) <= 1e-9
        else ""
    )
    yield Issue(
        f"The optimizer is Adadelta with learning_rate={fmt(lr)}{default}. Adadelta's step is "
        "already rescaled by its running RMS of past updates; the Adadelta paper and Keras 2 "
        f"multiply it by 1.0, so {fmt(lr)} makes every step about {1 / lr:.0f} times smaller "
        "and the weights barely move: the loss looks stuck for many epochs. "
        f"Received: optimizer=Adadelta, learning_rate={fmt(lr)}.",
        expected="Adadelta with learning_rate=1.0 (Zeiler, 2012; Keras 2's default).",
        fix="optimizer=keras.optimizers.Adadelta(learning_rate=1.0)",
        evidence={
            "optimizer": optimizer.name,
            "learning_rate": lr,
            "paper_learning_rate": 1.0,
            "rho": optimizer.config.get("rho"),
            "epsilon": optimizer.config.get("epsilon"),
        },
    )


def _context(optimizer) -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return Context.of(model)


def bad() -> Context:
    return _context("adadelta")


def good() -> Context:
    import keras

    return _context(keras.optimizers.Adadelta(learning_rate=1.0))
