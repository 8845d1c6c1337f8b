from __future__ import annotations

import math
from collections.abc import Iterator

from kerasdoctor.context import Context, Trace
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._training import accuracy_key, epoch_name, fmt

_FIX = (
    "keras.callbacks.EarlyStopping(monitor='val_loss', patience=3, restore_best_weights=True)"
    "  # in fit(callbacks=[...]); also Dropout(0.3), kernel_regularizer=keras.regularizers.L2"
    "(1e-4), more data or augmentation"
)


@rule(
    "KD406",
    "overfitting",
    summary="Validation gets worse while training improves",
    severity=Severity.WARNING,
    fix="Use EarlyStopping(restore_best_weights=True), Dropout, weight penalties, more data.",
)
def overfitting(
    ctx: Context,
    *,
    patience: int = 2,
    min_rise: float = 0.05,
    min_gain: float = 0.05,
    max_metric_gap: float = 0.25,
) -> Iterator[Issue]:
    """## What it does
    Checks for overfitting in the epoch logs, by trends and metric gaps rather than by
    comparing the two losses (weight penalties add the same term to both, so their absolute
    values say little). It reports either:

    - the validation loss rose at least `min_rise` (5%) above its minimum, at least
      `patience` (2) epochs ago, while the training loss fell at least `min_gain` (5%) since
      that epoch, and the gap between the two losses widened (the penalty cancels out of
      the gap); or
    - for models with weight penalties (or without a validation loss), the training
      accuracy exceeds the validation accuracy by at least `max_metric_gap` (25 points) for
      `patience` + 1 epochs, while the training loss keeps falling: their validation loss
      can keep falling as the penalty shrinks while the model memorises.

    It names the best epoch (lowest validation loss; highest validation accuracy for the
    second test) and the epoch overfitting began, the one after it.

    ## Why is this bad?
    From the onset on, each epoch fits the training set's noise better and new data worse:
    the weights after the last epoch are worse than those of the best epoch. A rise of 5%
    sustained over two epochs while the training loss falls is beyond the epoch-to-epoch
    noise of a validation set of a few hundred samples. UMLAUT flags a validation loss that
    rises while the training loss falls, without thresholds.

    ## Known problems
    A tiny validation set (20 samples) is noisy: a local minimum early in training can be
    reported as the best epoch when the validation loss later falls lower still. Needs
    `validation_data` or `validation_split`.

    ## References
    - [Keras: EarlyStopping](https://keras.io/api/callbacks/early_stopping/)
    - [Keras: Dropout layer](https://keras.io/api/layers/regularization_layers/dropout/)
    - [Keras: layer weight regularizers](https://keras.io/api/layers/regularizers/)
    """
    trace = ctx.trace
    logs = trace.epoch_logs
    if len(logs) < patience + 2:
        return
    train = trace.epoch_series("loss")
    val = trace.epoch_series("val_loss")
    if _complete(train) and _complete(val):
        issue = _by_loss(trace, train, val, patience, min_rise, min_gain)
        if issue is not None:
            yield issue
            return
    penalised = ctx.model is None or any(layer.regularized for layer in ctx.model.layers)
    if _complete(val) and not penalised:
        return  # the validation loss trend is the better test; the accuracy is noisier
    key = accuracy_key(logs[-1])
    if key is not None and _complete(train):
        metric = trace.epoch_series(key)
        val_metric = trace.epoch_series(f"val_{key}")
        if _complete(metric) and _complete(val_metric):
            issue = _by_metric(
                trace, key, train, metric, val_metric, patience, max_metric_gap, min_gain
            )
            if issue is not None:
                yield issue


def _complete(series: list[float | None]) -> bool:
    return all(v is not None and math.isfinite(v) for v in series)


def _by_loss(trace: Trace, train, val, patience, min_rise, min_gain) -> Issue | None:
    last = len(val) - 1
    best = min(range(len(val)), key=val.__getitem__)
    if last - best < patience or val[best] <= 0:
        return None
    rise = (val[last] - val[best]) / val[best]
    recent = val[-patience:]
    if rise < min_rise or sum(recent) / len(recent) < val[best] * (1 + min_rise / 2):
        return None
    if train[last] > train[best] * (1 - min_gain):
        return None
    if val[last] - train[last] <= val[best] - train[best]:
        return None
    best_epoch = trace.epoch_number(best)
    return Issue(
        f"The model overfits since {epoch_name(best_epoch + 1)}: the validation loss was lowest "
        f"in {epoch_name(best_epoch)} ({fmt(val[best])}) and has risen {rise:.0%} since, to "
        f"{fmt(val[last])}, while the training loss kept falling, from {fmt(train[best])} to "
        f"{fmt(train[last])}. The weights of {epoch_name(best_epoch)} generalise best. "
        f"Received: best_epoch={best_epoch + 1}, val_loss={fmt(val[last])}, "
        f"loss={fmt(train[last])}.",
        expected="A validation loss that falls, or levels off, with the training loss.",
        fix=_FIX,
        evidence={
            "best_epoch": best_epoch + 1,
            "onset_epoch": best_epoch + 2,
            "best_val_loss": val[best],
            "val_loss": val[last],
            "loss": train[last],
            "rise": rise,
        },
    )


def _by_metric(
    trace: Trace, key, train, metric, val_metric, patience, max_gap, min_gain
) -> Issue | None:
    last = len(metric) - 1
    gaps = [m - v for m, v in zip(metric, val_metric, strict=True)]
    if not all(g >= max_gap for g in gaps[-patience - 1 :]) or gaps[0] >= max_gap:
        return None
    onset = last
    while onset > 0 and gaps[onset - 1] >= max_gap:
        onset -= 1
    if train[last] > train[onset] * (1 - min_gain) and train[last] > train[0] * (1 - 2 * min_gain):
        return None
    best = max(range(len(val_metric)), key=val_metric.__getitem__)
    best_epoch = trace.epoch_number(best)
    onset_epoch = trace.epoch_number(onset)
    return Issue(
        f"The model overfits since {epoch_name(onset_epoch)}: the training {key} is "
        f"{fmt(metric[last])} but the validation {key} only {fmt(val_metric[last])} (a gap of "
        f"{gaps[last]:.0%}), and the training loss keeps falling. The validation {key} was "
        f"best in {epoch_name(best_epoch)} ({fmt(val_metric[best])}). Received: "
        f"{key}={fmt(metric[last])}, val_{key}={fmt(val_metric[last])}.",
        expected=f"Training and validation {key} within {max_gap:.0%} of each other.",
        fix=_FIX,
        evidence={
            "best_epoch": best_epoch + 1,
            "onset_epoch": onset_epoch + 1,
            "metric": key,
            "gap": gaps[last],
        },
    )


def _context(val: tuple[float, ...]) -> Context:
    import keras

    from kerasdoctor.context import Trace

    model = keras.Sequential(
        [
            keras.Input((100,)),
            keras.layers.Dense(128, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    train = (0.74, 0.69, 0.66, 0.62, 0.57, 0.52, 0.45, 0.39, 0.33, 0.28)
    trace = Trace(
        epoch_logs=tuple({"loss": t, "val_loss": v} for t, v in zip(train, val, strict=True)),
        steps_per_epoch=3,
    )
    return Context(model=Context.of(model).model, trace=trace)


def bad() -> Context:
    return _context((0.71, 0.69, 0.67, 0.651, 0.648, 0.66, 0.69, 0.73, 0.79, 0.86))


def good() -> Context:
    return _context((0.71, 0.68, 0.65, 0.61, 0.57, 0.53, 0.47, 0.42, 0.37, 0.33))
