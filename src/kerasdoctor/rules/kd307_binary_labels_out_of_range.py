from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._data_model import is_clean, number, rows_text, targets
from kerasdoctor.rules._output_loss import layer_code, loss_arg, output_units


@rule(
    "KD307",
    "binary-labels-out-of-range",
    summary="Binary cross-entropy targets outside [0, 1]",
    severity=Severity.ERROR,
    fix="Map the targets to 0 and 1: `y = (y == positive).astype('float32')`.",
)
def binary_labels_out_of_range(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for targets outside `[0, 1]` for an output trained with `binary_crossentropy`
    (or its focal variant): classes coded 1/2 or -1/1, masks of 0/255, several class ids,
    or unscaled continuous targets.

    ## Why is this bad?
    Binary cross-entropy is `-(y log p + (1 - y) log(1 - p))`: it is a likelihood only for
    `y` in [0, 1]. Outside, it has no minimum inside (0, 1) and can go negative, so the
    model learns to saturate. TensorFlow and JAX train silently on it; PyTorch raises
    `all elements of target should be between 0 and 1` at the first batch.

    ## Known problems
    Hinge losses (which expect -1/1) are not binary cross-entropy and are not checked.
    Targets with more than `MAX_DISTINCT` distinct values are described by their range.

    ## References
    - [Keras: probabilistic losses (BinaryCrossentropy)](https://keras.io/api/losses/probabilistic_losses/)
    """
    model = ctx.model
    for head, y, y_name in targets(ctx):
        loss = head.loss
        if loss is None or loss.kind != "binary" or not is_clean(y):
            continue
        if y.min >= 0 and y.max <= 1:
            continue
        values = sorted(y.values) if y.values is not None else None
        outside = (
            sum(c for v, c in y.values.items() if v < 0 or v > 1) if y.values is not None else None
        )
        low, high = number(y.min), number(y.max)
        if values is not None and len(values) <= 10:
            shown = "values " + ", ".join(str(number(v)) for v in values)
        else:
            shown = f"values from {low} to {high}"
        count = f" ({outside} of {rows_text(y)} outside [0, 1])" if outside is not None else ""
        yield Issue(
            f"{y_name} holds {shown}{count}, but output {head.key!r} is trained with "
            f"{loss.name}, which needs targets in [0, 1]: TensorFlow and JAX train silently on "
            f"a meaningless loss, PyTorch raises at the first batch. "
            f"Received: {y_name} min={low}, max={high}, loss={loss.given}.",
            expected="Targets 0 and 1 (or probabilities in [0, 1]) for binary cross-entropy.",
            fix=_fix(model, head, y, y_name, values),
            layer=head.layer,
            evidence={
                "output": head.key,
                "min": low,
                "max": high,
                "values": [number(v) for v in values] if values and len(values) <= 10 else None,
                "outside": outside,
            },
        )


def _fix(model, head, y, name: str, values) -> str:
    if values is not None and len(values) == 2:
        negative, positive = (number(v) for v in values)
        return (
            f"{name} = ({name} == {positive}).astype('float32')  "
            f"# {positive} -> 1.0, {negative} -> 0.0"
        )
    units = output_units(model, head)
    if y.integral and values is not None and 2 < len(values) <= 1000 and units == 1:
        classes = len(values)
        code = loss_arg(model, head, "'sparse_categorical_crossentropy'")
        return (
            f"classes, {name} = np.unique({name}, return_inverse=True)  # {classes} classes "
            f"-> 0..{classes - 1}\n{layer_code(model, head, 'softmax', units=classes)}  "
            f"# with {code}"
        )
    return (
        f"{name} = ({name} - {name}.min()) / ({name}.max() - {name}.min())  # scale into [0, 1]"
        f"\n# or, for a real-valued target: {loss_arg(model, head, repr('mse'))} with a linear "
        "output"
    )


def bad() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype("float32")
    y = np.arange(300) % 2 + 1  # classes coded 1 and 2
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype("float32")
    y = (np.arange(300) % 2).astype("float32")  # 0 and 1
    return Context.of(model, x, y)
