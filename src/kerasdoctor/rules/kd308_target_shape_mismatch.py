from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.facts import HeadFacts
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._data_model import data_shape, fits, is_integer_labels, shape_text, targets
from kerasdoctor.rules._output_loss import layer_code, loss_arg, loss_code, output_units

# Losses that compare target and output element by element, with numpy broadcasting:
# a (N, 1) against a (N, 3) trains silently.
_ELEMENTWISE = frozenset({"regression", "hinge", "poisson", "distribution", "similarity"})
# Losses that require the target and output shapes to be equal (Keras raises otherwise).
_SAME_SHAPE = frozenset({"binary", "categorical"})


@rule(
    "KD308",
    "target-shape-mismatch",
    summary="The target's shape does not match the output's shape",
    severity=Severity.ERROR,
    fix="Give y the output's shape, or give the output as many units as y has columns.",
)
def target_shape_mismatch(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a target `y` whose shape does not match its output's shape, for losses that
    compare them element by element (binary and categorical cross-entropy, MSE, MAE, hinge,
    Poisson, KL divergence, cosine similarity): seed case C, `y` (100, 1) against
    `Dense(2, softmax)` with `binary_crossentropy`; MSE on `Dense(1)` with `y` (N, 3); and
    `Dense(3)` with `y` (N,). Shapes are compared as Keras does: a trailing axis of size 1
    on one side only is squeezed first, so (N,) against (None, 1) matches.

    ## Why is this bad?
    Cross-entropy losses raise at the first batch (``Arguments `target` and `output` must
    have the same shape``). Element-wise losses raise when the shapes cannot broadcast
    (TensorFlow ``Incompatible shapes: [32] vs. [32,3]``, JAX ``Incompatible shapes for
    broadcasting``, PyTorch ``The size of tensor a (32) must match...``) and, worse, **train
    silently** when they can: MSE of a (None, 1) output against (N, 3) targets broadcasts to
    a (N, 3) loss on every backend, so the one unit learns the mean of three targets.

    ## Known problems
    The rules partition the target problems so each is reported once: integer class ids
    with `categorical_crossentropy` are KD303's, one-hot labels with a sparse loss KD304's,
    and sparse losses are not checked here (they take one id per sample, not the output's
    shape). A classifier whose output keeps spatial axes because a `Flatten` is missing is
    KD102's, and is not reported again here. A softmax output over several units with
    `binary_crossentropy` (seed case C) is KD202's: its fix settles the shapes too. Custom losses may reshape their inputs, so
    they are not checked. Outputs of unknown shape are not checked.

    ## References
    - [Keras: losses](https://keras.io/api/losses/)
    - [Keras: regression losses (MeanSquaredError)](https://keras.io/api/losses/regression_losses/)
    - [Keras: probabilistic losses](https://keras.io/api/losses/probabilistic_losses/)
    """
    model = ctx.model
    if model is None or model.shape_error is not None:
        return
    for head, y, y_name in targets(ctx):
        loss = head.loss
        if loss is None or loss.kind not in _ELEMENTWISE | _SAME_SHAPE:
            continue
        out = head.shape
        if not out or out[0] is not None or not y.shape:
            continue
        units = output_units(model, head)
        if loss.kind == "categorical" and units and units > 1 and is_integer_labels(y):
            continue  # KD303
        if loss.kind == "binary" and head.activation == "softmax" and units and units > 1:
            continue  # KD202: the output activation is the root cause
        ys, os = _as_keras_compares(tuple(y.shape[1:]), tuple(out[1:]))
        if fits(ys, os):
            continue
        if len(out) > 2 and _explained_by_kd102(ctx, head):
            continue
        broadcasts = len(ys) == len(os) and all(
            o is None or t == o or t == 1 or o == 1 for t, o in zip(ys, os, strict=False)
        )
        silent = loss.kind in _ELEMENTWISE and broadcasts
        shown_y = shape_text(data_shape(ctx, y))
        n = "N" if data_shape(ctx, y)[0] is None else y.shape[0]
        if silent:
            wide = tuple(t if o == 1 else o for t, o in zip(ys, os, strict=False))
            what = (
                f"{loss.name} broadcasts them silently, on every backend, to a "
                f"{shape_text((n, *wide))} loss: {_broadcast_meaning(ys, os)}"
            )
        elif loss.kind in _SAME_SHAPE:
            what = (
                "Keras raises at the first batch: 'Arguments `target` and `output` must have "
                "the same shape'."
            )
        else:
            what = "Keras raises at the first batch: the shapes do not broadcast."
        yield Issue(
            f"{y_name} does not have the shape of output {head.key!r}: {what} "
            f"Received: {y_name}.shape={shown_y}, output.shape={shape_text(out)}, "
            f"loss={loss.given}.",
            expected=f"{y_name} of shape {shape_text((n, *out[1:]))}, the output's shape.",
            fix=_fix(model, head, y, y_name, ys, os),
            layer=head.layer,
            evidence={
                "output": head.key,
                "y_shape": list(y.shape),
                "output_shape": list(out),
                "loss": loss.name,
                "silent": silent,
            },
        )


def _as_keras_compares(ys: tuple, os: tuple) -> tuple[tuple, tuple]:
    """Squeeze a trailing axis of size 1 when the ranks differ by one, as Keras's losses do
    (`squeeze_or_expand_to_same_rank`)."""
    if len(ys) == len(os) + 1 and ys and ys[-1] == 1:
        return ys[:-1], os
    if len(os) == len(ys) + 1 and os and os[-1] == 1:
        return ys, os[:-1]
    return ys, os


def _broadcast_meaning(ys: tuple, os: tuple) -> str:
    if ys and os and os[-1] == 1 and ys[-1] != 1:
        return (
            f"the single output unit is trained toward all {ys[-1]} targets at once (their mean)."
        )
    if ys and os and ys[-1] == 1 and os[-1] not in (1, None):
        return f"each of the {os[-1]} output units is trained toward the same single target."
    return "every output value is compared with targets of other positions."


def _fix(model, head: HeadFacts, y, name: str, ys: tuple, os: tuple) -> str:
    loss = head.loss
    columns = ys[-1] if ys else 1
    units = os[-1] if os else 1
    binary_ids = is_integer_labels(y) and y.min >= 0 and y.max <= 1
    if loss.kind == "binary" and columns == 1 and units == 2 and binary_ids:
        code = loss_code("sparse_categorical_crossentropy", loss.from_logits)
        return (
            f"{layer_code(model, head, 'sigmoid', units=1)}  # one probability for a binary "
            f"target\n# or keep {units} units, with {loss_arg(model, head, code)}"
        )
    if len(ys) == len(os) or (len(ys) <= 1 and len(os) <= 1):
        activation = head.activation if head.activation != "unknown" else None
        if columns == 1 and activation == "softmax":
            activation = "sigmoid" if loss.kind == "binary" else None
        fix = f"{layer_code(model, head, activation, units=columns)}  # one unit per target column"
        if columns < units or columns == 1:
            return fix + f"\n# or give {name} {units} columns per sample, like the output"
        return fix
    return f"{name} = {name}.reshape(-1, {', '.join(str(d) for d in os)})  # the output's shape"


def _explained_by_kd102(ctx: Context, head: HeadFacts) -> bool:
    """Whether KD102 (a Dense on unflattened input) already explains this head's shape."""
    try:
        from kerasdoctor import engine

        kd102 = engine.get_rule("KD102")
        if kd102 is None:
            return False
        return any(issue.evidence.get("output_shape") == list(head.shape) for issue in kd102(ctx))
    except Exception:
        return False


def bad() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype("float32")
    y = rng.random((300, 3)).astype("float32")  # 3 targets per sample, 1 output unit
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(3, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype("float32")
    y = rng.random((300, 3)).astype("float32")
    return Context.of(model, x, y)
