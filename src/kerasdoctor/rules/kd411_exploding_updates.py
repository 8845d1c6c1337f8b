from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import (
    epoch_name,
    fmt,
    learning_rate,
    optimizer_code,
    received_optimizer,
)


@rule(
    "KD411",
    "exploding-updates",
    summary="Each step changes a layer's weights by more than their size",
    severity=Severity.WARNING,
    fix="Lower the learning rate, or clip gradients with `clipnorm=1.0`.",
)
def exploding_updates(ctx: Context, *, max_ratio: float = 1.0, window: int = 2) -> Iterator[Issue]:
    """## What it does
    Checks for layers whose weights change by more than their size at each step, from the
    per-layer weight-update ratios the Monitor measures every N steps
    (`‖W_after − W_before‖ / ‖W_before‖` per optimizer step): in each of the last `window`
    (2) measurements, a layer's ratio is above `max_ratio` (1.0), i.e. one step changes the
    layer by more than its whole size.

    ## Why is this bad?
    A healthy layer changes by about 1e-3 of its size per step; wide layers under Adam at
    its default rate reach 0.1 (Adam moves every weight by about the learning rate, and the
    Glorot weights of a layer with 20 000 inputs are only 0.01). A layer that is replaced
    by a new one at every step cannot converge: the updates explode, and the loss follows
    (KD402, KD401). The cause is a learning rate too high for the scale of the gradients,
    or gradients that explode through many layers. AUTOTRAINER flags a gradient-norm ratio
    of 70 between layers; the update ratio needs no gradient code.

    ## Known problems
    Layers that start at zero (biases alone, zero-initialised kernels) have no ratio and are
    skipped; a layer that starts near zero can show a large ratio for its first steps.

    ## References
    - [Keras: gradient clipping (`clipnorm`)](https://keras.io/api/optimizers/#base-optimizer-class)
    - [Karpathy, CS231n: ratio of weights to updates](https://cs231n.github.io/neural-networks-3/#ratio)
    - [Pascanu et al., On the difficulty of training recurrent neural networks (2013)](https://arxiv.org/abs/1211.5063)
    """
    trace = ctx.trace
    recent = trace.updates[-window:]
    if len(recent) < window:
        return
    names = set.intersection(*(set(u.ratios) for u in recent))
    big = {
        name: min(u.ratios[name] for u in recent)
        for name in sorted(names, key=list(recent[-1].ratios).index)
        if all(u.ratios[name] > max_ratio for u in recent)
    }
    if not big:
        return
    first = trace.updates[-window]
    _, lr = learning_rate(ctx.model)
    received = received_optimizer(ctx.model)
    for name, ratio in big.items():
        yield Issue(
            f"The updates of layer {name!r} explode: since step {first.step} "
            f"({epoch_name(first.epoch)}) each step changes its weights by {fmt(ratio)} times "
            "their size, so the layer is replaced at every step and cannot converge. "
            f"Received: update_ratio={fmt(ratio)}" + (f", {received}" if received else "") + ".",
            expected=f"Update ratios near 1e-3 per step (at most {max_ratio:g}).",
            fix=(
                f"optimizer={optimizer_code(ctx.model, lr / 10)}  # or add clipnorm=1.0"
                if lr is not None
                else None
            ),
            layer=name,
            evidence={
                "onset_step": first.step,
                "onset_epoch": first.epoch + 1,
                "step": first.step,
                "epoch": first.epoch + 1,
                "ratio": ratio,
                "learning_rate": lr,
            },
        )


def _context(ratios: tuple[dict[str, float], ...], lr: float) -> Context:
    import keras

    from kerasdoctor.context import Trace, UpdateRatios

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="categorical_crossentropy")
    updates = tuple(
        UpdateRatios(step=20 * (i + 1), epoch=0, steps=1, ratios=r) for i, r in enumerate(ratios)
    )
    return Context(model=Context.of(model).model, trace=Trace(updates=updates))


def bad() -> Context:
    return _context(({"hidden": 3.2, "out": 41.0}, {"hidden": 5.8, "out": 77.0}), lr=3.0)


def good() -> Context:
    return _context(({"hidden": 2e-3, "out": 4e-3}, {"hidden": 1.8e-3, "out": 3.1e-3}), lr=0.01)
