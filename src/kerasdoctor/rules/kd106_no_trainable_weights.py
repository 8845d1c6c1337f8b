from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.facts import LayerFacts
from kerasdoctor.rule import Issue, Severity, rule

# Kinds whose layers always have weights, and kinds whose layers never do (PReLU aside).
_WEIGHTED_KINDS = ("dense", "conv", "norm", "rnn", "embedding", "attention")
_WEIGHTLESS_KINDS = ("input", "pool", "global_pool", "activation", "dropout", "reshape", "merge")


def _has_weights(layer: LayerFacts) -> bool | None:
    """Whether a layer has weights: counted when built, else guessed from its kind."""
    if layer.params is not None:
        return layer.params > 0
    if layer.kind in _WEIGHTED_KINDS or layer.cls == "PReLU":
        return True
    if layer.kind in _WEIGHTLESS_KINDS:
        return False
    return None  # a custom, Lambda, nested-model or preprocessing layer: unknown


@rule(
    "KD106",
    "no-trainable-weights",
    summary="The compiled model has no trainable weights",
    severity=Severity.ERROR,
    fix="Set `model.trainable = True` (or unfreeze some layers), then call `compile()` again.",
)
def no_trainable_weights(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a compiled model with no trainable weights: `model.trainable = False`,
    every layer that has weights frozen, or no layer with weights at all.

    ## Why is this bad?
    `fit()` runs, prints a loss and an accuracy for every epoch, and changes nothing:
    there is nothing for the optimizer to update. With the JAX backend Keras does not
    even warn; with TensorFlow and PyTorch it only warns
    `The model does not have any trainable weights.` It usually happens when a whole
    model is frozen for transfer learning instead of only its base, or when a layer is
    frozen and never unfrozen.

    ## Known problems
    Transfer learning (a frozen base model with a trainable head) is fine and not
    reported. A model that is not built yet is judged from its layers' `trainable` flags
    and kinds; it is not reported when it holds a custom, Lambda, nested-model or
    preprocessing layer whose weights are unknown. The Keras guide asks to call
    `compile()` again after changing `trainable`; Keras 3.15 was measured to pick up an
    unfreeze at the next `fit()` even without it, and then this rule, run again at `fit()`,
    is clean.

    ## References
    - [Keras: transfer learning and fine-tuning](https://keras.io/guides/transfer_learning/)
    - [Keras: the Layer class (`trainable`)](https://keras.io/api/layers/base_layer/)
    """
    model = ctx.model
    if not model.compiled:
        return
    frozen = [layer.name for layer in model.layers if _has_weights(layer) and not layer.trainable]
    if not model.trainable:
        reason = "model.trainable=False"
    elif model.trainable_params is not None:
        if model.trainable_params > 0:
            return
        reason = "every layer with weights is frozen" if frozen else "no layer has weights"
    else:
        has = [_has_weights(layer) for layer in model.layers]
        if None in has or model.kind == "subclassed":
            return  # a layer whose weights are unknown, or a model with its own weights
        trainable = [
            layer
            for layer, weights in zip(model.layers, has, strict=True)
            if weights and layer.trainable
        ]
        if trainable:
            return
        reason = "every layer with weights is frozen" if frozen else "no layer has weights"
    counts = (
        f"trainable_params={model.trainable_params}, "
        f"non_trainable_params={model.non_trainable_params}"
        if model.trainable_params is not None
        else "trainable_params=unknown (not built)"
    )
    if reason == "no layer has weights":
        fix = "# add a layer with weights, e.g. keras.layers.Dense(units, name='out')"
    elif reason == "model.trainable=False":
        fix = "model.trainable = True\nmodel.compile(...)  # compile again after changing trainable"
    else:
        fix = "\n".join(f"model.get_layer({n!r}).trainable = True" for n in frozen[-3:])
        fix += "\nmodel.compile(...)  # compile again after changing trainable"
    yield Issue(
        f"Model {model.name!r} has no trainable weights ({reason}), so `fit()` will run "
        f"without changing anything. Received: {counts}, "
        f"frozen layers={frozen if len(frozen) <= 5 else [*frozen[:5], '...']}.",
        expected="At least one trainable layer (for transfer learning: a trainable head).",
        fix=fix,
        evidence={
            "reason": reason,
            "model_trainable": model.trainable,
            "trainable_params": model.trainable_params,
            "non_trainable_params": model.non_trainable_params,
            "frozen_layers": frozen,
        },
    )


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ],
        name="classifier",
    )
    model.trainable = False
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return Context.of(model)


def good() -> Context:
    import keras

    base = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
        ],
        name="base",
    )
    base.trainable = False  # transfer learning: freeze the base, train the head
    model = keras.Sequential(
        [base, keras.layers.Dense(10, activation="softmax", name="out")], name="classifier"
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return Context.of(model)
