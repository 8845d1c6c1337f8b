from __future__ import annotations

import math
import statistics
from collections.abc import Iterator

from kerasdoctor.context import Context, Trace
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import epoch_name, fmt, received_optimizer


@rule(
    "KD410",
    "vanishing-updates",
    summary="The weights of a layer have almost stopped changing",
    severity=Severity.WARNING,
    fix="Use ReLU activations, He initialisation and BatchNormalization; check the loss.",
)
def vanishing_updates(
    ctx: Context,
    *,
    min_ratio: float = 1e-6,
    relative: float = 1e-3,
    window: int = 3,
    converged: float = 0.2,
    healthy: float = 1e-4,
    max_named: int = 3,
    falling: float = 0.1,
) -> Iterator[Issue]:
    """## What it does
    Checks for layers whose weights barely change, from the per-layer weight-update ratios
    the Monitor measures every N steps (`‖W_after − W_before‖ / ‖W_before‖` per optimizer
    step). Over the last `window` (3)
    measurements, every layer's median ratio is below `min_ratio` (1e-6) (training has
    stopped), or one layer's is below `relative` (1e-3) times that of the fastest layer
    while the fastest still learns (at least `healthy`, 1e-4). Not reported once the loss has fallen to
    `converged` (20%) of its first value: a fitted model may rightly move slowly. The slow
    layers make one finding: its evidence lists every one with its ratio, its message names
    the first `max_named` (3) and how many more. "Training has stopped" is not reported
    while the epoch loss still falls by more than `falling` (10%) from the epoch before the
    stillness began: then other steps do move the weights (a hinge loss whose sampled
    batches were all beyond the margin has an exactly zero gradient on those steps).

    ## Why is this bad?
    A healthy layer changes by about 1e-3 of its size per step (Adam at its default rate
    gives 1e-3 to 1e-2): a ratio of 1e-6 needs a million steps to change the layer once.
    When every layer is that still, the gradient is zero (saturated outputs, dead units, a
    loss that ignores the model); when only the first layers are, their gradient vanished
    on its way back through saturating activations or many layers. AUTOTRAINER uses a
    1e-3 ratio between the first and the last layer's gradient norms; update ratios need no
    gradient code and cost one weight copy every N steps on every backend.

    ## Known problems
    Layers trained with a tiny learning rate on purpose (fine-tuning) are reported; lower
    `min_ratio` then. Weights that are exactly zero have no ratio and are skipped.

    ## References
    - [Keras: BatchNormalization](https://keras.io/api/layers/normalization_layers/batch_normalization/)
    - [Karpathy, CS231n: ratio of weights to updates](https://cs231n.github.io/neural-networks-3/#ratio)
    - [Zhang et al., AutoTrainer, ICSE 2021](https://arxiv.org/abs/2103.08759)
    """
    trace = ctx.trace
    medians = _medians(trace, window)
    if not medians or _converged(trace, converged):
        return
    fastest = max(medians.values())
    slow = {name: r for name, r in medians.items() if fastest >= healthy and r < relative * fastest}
    step, epoch = trace.updates[-window].step, trace.updates[-window].epoch
    received = received_optimizer(ctx.model)
    if fastest < min_ratio:
        if _still_falling(trace, epoch, falling):
            return  # the loss still falls: the sampled steps had no gradient, others do
        largest = fastest
        change = "at all" if largest == 0 else f"by more than {fmt(largest)} of their size per step"
        yield Issue(
            f"Training has stopped: since step {step} ({epoch_name(epoch)}) no layer's weights "
            f"change {change}, so the gradient is (nearly) zero everywhere: saturated outputs, "
            "dead units, or a loss that does not depend on the weights. Received: update ratios "
            + ", ".join(f"{name}={fmt(r)}" for name, r in list(medians.items())[:max_named])
            + (f" and {len(medians) - max_named} more" if len(medians) > max_named else "")
            + (f", {received}" if received else "")
            + ".",
            expected=f"Update ratios near 1e-3 per step (at least {min_ratio:g}).",
            evidence={
                "onset_step": step,
                "onset_epoch": epoch + 1,
                "step": step,
                "epoch": epoch + 1,
                "ratios": medians,
            },
        )
        return
    if not slow:
        return
    names = list(slow)
    first = names[0]  # the earliest slow layer: where the gradient has vanished the most
    fastest_name = max(medians, key=medians.get)
    layer = ctx.model.layer(first) if ctx.model is not None else None
    fix = None
    if layer is not None and layer.units and layer.kind in ("dense", "conv"):
        fix = (
            f"keras.layers.{layer.cls}({layer.units}, activation='relu', "
            f"kernel_initializer='he_normal', name={first!r})  # then BatchNormalization()"
        )
        if len(names) > 1:
            others = len(names) - 1
            fix += f"; the same for the other slow layer{'s' if others > 1 else ''}"
    evidence = {
        "onset_step": step,
        "onset_epoch": epoch + 1,
        "step": step,
        "epoch": epoch + 1,
        "layers": dict(slow),
        "fastest": fastest,
        "fastest_layer": fastest_name,
    }
    if len(names) == 1:
        ratio = slow[first]
        yield Issue(
            f"The updates of layer {first!r} vanish: since step {step} ({epoch_name(epoch)}) its "
            f"weights change by {fmt(ratio)} of their size per step, against {fmt(fastest)} "
            "for the fastest layer, so it barely learns: its gradient vanishes on the way "
            f"back. Received: update_ratio={fmt(ratio)}, fastest_ratio={fmt(fastest)}.",
            expected=f"Update ratios within {1 / relative:g} times of each other, near 1e-3.",
            fix=fix,
            layer=first,
            evidence={**evidence, "ratio": ratio},
        )
        return
    shown = ", ".join(f"{name!r}" for name in names[:max_named])
    more = f" and {len(names) - max_named} more" if len(names) > max_named else ""
    low, high = min(slow.values()), max(slow.values())
    yield Issue(
        f"The updates of {len(names)} layers vanish ({shown}{more}): since step {step} "
        f"({epoch_name(epoch)}) their weights change by {fmt(low)} to {fmt(high)} of their size "
        f"per step, against {fmt(fastest)} for the fastest layer {fastest_name!r}, so they "
        "barely learn: their gradient vanishes on the way back. Received: slow_layers="
        f"{len(names)}/{len(medians)}, update_ratio={fmt(low)}..{fmt(high)}, "
        f"fastest_ratio={fmt(fastest)}.",
        expected=f"Update ratios within {1 / relative:g} times of each other, near 1e-3.",
        fix=fix,
        layer=first,
        evidence={**evidence, "ratio": slow[first]},
    )


def _medians(trace: Trace, window: int) -> dict[str, float]:
    """Each layer's median update ratio over the last `window` measurements."""
    recent = trace.updates[-window:]
    if len(recent) < window:
        return {}
    names = set.intersection(*(set(u.ratios) for u in recent))
    medians = {}
    for name in sorted(names, key=list(recent[-1].ratios).index):
        values = [u.ratios[name] for u in recent]
        if all(math.isfinite(v) for v in values):
            medians[name] = statistics.median(values)
    return medians


def _still_falling(trace: Trace, epoch: int, fraction: float) -> bool:
    """Whether the epoch loss fell by more than `fraction` since epoch `epoch` (0-based)."""
    losses = [
        logs.get("loss")
        for i, logs in enumerate(trace.epoch_logs)
        if trace.epoch_number(i) >= epoch - 1
    ]
    losses = [v for v in losses if v is not None and math.isfinite(v)]
    return len(losses) >= 2 and losses[-1] < (1 - fraction) * losses[0]


def _converged(trace: Trace, fraction: float) -> bool:
    losses = trace.losses
    if len(losses) < 2 or not math.isfinite(losses[0]) or losses[0] <= 0:
        return False
    recent = [v for v in losses[-5:] if math.isfinite(v)]
    return bool(recent) and statistics.median(recent) < fraction * losses[0]


def _context(ratios: tuple[dict[str, float], ...], losses: tuple[float, ...]) -> Context:
    import keras

    from kerasdoctor.context import Trace, UpdateRatios

    model = keras.Sequential(
        [keras.Input((20,))]
        + [keras.layers.Dense(32, activation="sigmoid", name=f"dense_{i}") for i in range(4)]
        + [keras.layers.Dense(10, activation="softmax", name="out")]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    updates = tuple(
        UpdateRatios(step=100 * (i + 1), epoch=i, steps=1, ratios=r) for i, r in enumerate(ratios)
    )
    trace = Trace(updates=updates, losses=losses)
    return Context(model=Context.of(model).model, trace=trace)


def bad() -> Context:
    ratios = {"dense_0": 2e-8, "dense_1": 3e-7, "dense_2": 8e-6, "dense_3": 2e-4, "out": 3e-3}
    return _context((ratios, ratios, ratios), (2.31, 2.30, 2.29, 2.29))


def good() -> Context:
    ratios = {"dense_0": 8e-4, "dense_1": 1e-3, "dense_2": 1.2e-3, "dense_3": 2e-3, "out": 3e-3}
    return _context((ratios, ratios, ratios), (2.31, 2.1, 1.7, 1.4))
