from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule

# Layers with weights that FTRL has to train jointly (embeddings are what FTRL is made for).
_WEIGHTED = ("dense", "conv", "rnn", "attention")


def _number(value: float) -> str:
    text = f"{value:.3g}"
    return text if any(c in text for c in ".ein") else text + ".0"


@rule(
    "KD210",
    "ftrl-on-deep-network",
    summary="FTRL with a tiny step on a network of several layers",
    severity=Severity.WARNING,
    fix=(
        "Use `optimizer=keras.optimizers.Adam(learning_rate=1e-3)`, or keep FTRL with a "
        "larger step: `keras.optimizers.Ftrl(learning_rate=0.1)`."
    ),
)
def ftrl_on_deep_network(
    ctx: Context, *, min_layers: int = 2, min_initial_step: float = 0.05
) -> Iterator[Issue]:
    """## What it does
    Checks for the FTRL optimiser with a small initial step (Keras's defaults:
    `learning_rate=0.001`, `initial_accumulator_value=0.1`, `learning_rate_power=-0.5`)
    on a model with `min_layers` (2) or more trainable layers with weights (Dense,
    convolution, recurrent, attention).

    The initial per-coordinate step of FTRL is
    `learning_rate * initial_accumulator_value ** learning_rate_power`
    (`learning_rate / sqrt(initial_accumulator_value)` by default: 0.0032) and it only
    shrinks as squared gradients accumulate. Below `min_initial_step` (0.05) it is
    reported. On a small classifier (`Dense(64)`, `Dense(10, softmax)`, 5 epochs) the loss
    ends at 2.26 with a step of 0.032 (`learning_rate=0.01`), 1.77 with 0.095 (0.03),
    0.51 with 0.32 (0.1), and 0.98 with Adam's defaults.

    ## Why is this bad?
    FTRL-Proximal was designed at Google for shallow, sparse, linear models such as
    click-through prediction, where each feature's weight is learnt on its own. Its
    per-coordinate step is `learning_rate / sqrt(accumulated squared gradients)`,
    which is tiny at Keras's defaults and only gets smaller. A network of several
    layers needs its weights to move together, far and fast: with FTRL's defaults the
    loss barely moves (the classifier above: 2.31 to 2.30 in 5 epochs on all three backends,
    against 0.98 with Adam), and Keras gives no warning.

    ## Known problems
    A wide-and-deep model trained entirely with FTRL on purpose is reported too; the
    message states the step it computed. The `beta` and L2 settings of FTRL, which
    make the step smaller still, are not read. Layers inside a nested model are not
    counted.

    ## References
    - [Keras: Ftrl](https://keras.io/api/optimizers/ftrl/)
    - [Keras: Adam](https://keras.io/api/optimizers/adam/)
    - [McMahan et al., Ad Click Prediction: a View from the Trenches (KDD 2013)](https://research.google.com/pubs/archive/41159.pdf)
    - [McMahan, Follow-the-Regularized-Leader and Mirror Descent (AISTATS 2011)](https://proceedings.mlr.press/v15/mcmahan11b.html)
    """
    optimizer = ctx.model.optimizer
    if optimizer is None or optimizer.family != "ftrl" or optimizer.learning_rate is None:
        return
    lr = optimizer.learning_rate
    if not lr > 0:  # zero, negative or NaN: KD209's business
        return
    weighted = [
        layer.name for layer in ctx.model.layers if layer.kind in _WEIGHTED and layer.trainable
    ]
    if len(weighted) < min_layers:
        return  # a linear or logistic model: what FTRL is made for
    accumulator = optimizer.config.get("initial_accumulator_value", 0.1)
    power = optimizer.config.get("learning_rate_power", -0.5)
    step = lr * accumulator**power if accumulator > 0 else lr
    if step >= min_initial_step:
        return
    formula = (
        "learning_rate / sqrt(initial_accumulator_value)"
        if power == -0.5
        else f"learning_rate * initial_accumulator_value ** {_number(power)}"
    )
    names = ", ".join(repr(n) for n in weighted[:3]) + (", ..." if len(weighted) > 3 else "")
    yield Issue(
        f"{optimizer.name} (FTRL-Proximal) trains {len(weighted)} layers with weights ({names}), "
        f"but FTRL is designed for shallow, sparse, linear models such as click-through "
        f"prediction: its per-coordinate step starts at {formula} = {step:.2g} and only shrinks "
        "as squared gradients accumulate, so the loss barely moves (with Keras's defaults, a "
        "2-layer classifier goes from 2.31 to 2.30 in 5 epochs, against 0.98 with Adam). "
        f"Received: optimizer={optimizer.name}, "
        f"learning_rate={_number(lr)}, initial_accumulator_value={_number(accumulator)}, "
        f"learning_rate_power={_number(power)}.",
        expected=(
            f"An optimiser made for deep networks (Adam), or an initial FTRL step of at least "
            f"{_number(min_initial_step)}."
        ),
        fix=(
            "optimizer=keras.optimizers.Adam(learning_rate=1e-3)\n"
            "# or keep FTRL with a larger step: optimizer=keras.optimizers.Ftrl(learning_rate=0.1)"
        ),
        evidence={
            "optimizer": optimizer.name,
            "learning_rate": lr,
            "initial_accumulator_value": accumulator,
            "learning_rate_power": power,
            "initial_step": step,
            "weighted_layers": weighted,
        },
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
    model.compile(
        optimizer=keras.optimizers.Ftrl(),
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
        optimizer=keras.optimizers.Ftrl(learning_rate=0.1),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return Context.of(model)
