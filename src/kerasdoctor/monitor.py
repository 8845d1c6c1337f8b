"""`Monitor`: a Keras callback that records a `Trace` of training and runs the KD4 rules on it.

The Monitor only reads. It never changes what training computes: it reads the logs Keras
already converted to Python floats, copies the weights to the host every `every` steps (on
JAX, through `self.model`, which syncs the state the trainer keeps outside the model), and
runs a fixed probe batch through the model in inference mode. Everything it records is plain
frozen data (`kerasdoctor.Trace`), checked by the same pure rules as everything else.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import keras
import numpy as np

from kerasdoctor import engine
from kerasdoctor.context import Context, Trace, UnitStats, UpdateRatios
from kerasdoctor.report import Finding, Location, Report
from kerasdoctor.rule import Category, Severity

_DEAD_ACTIVATIONS = frozenset({"relu", "relu6"})
_SATURATING = {  # activation -> (low bound, high bound)
    "sigmoid": (0.0, 1.0),
    "hard_sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "hard_tanh": (-1.0, 1.0),
    "softsign": (-1.0, 1.0),
}
_SATURATED_MARGIN = 0.01  # within 1% of the activation's range from a bound
_SATURATED_SAMPLES = 0.9  # ... for at least 90% of the probe samples
#: Weights sampled per variable for the update ratios: the relative error of a ratio
#: estimated from 4096 random weights is a few percent, and the copy stays small.
_SAMPLE = 4096
#: Layers whose updates are measured, at most: on a model with more trainable layers, a fixed
#: evenly spread subset (first and last included), so one measurement costs a bounded time
#: (a 200-layer model: a sixth of the copies) and fits the overhead budget more often.
_MAX_LAYERS = 32


class Monitor(keras.callbacks.Callback):
    """Watches training and reports what goes wrong: when it began, the evidence, and the fix.

    The Monitor records the loss of every batch (recovered from the running means Keras
    logs), the epoch logs (with validation), per-layer weight-update ratios every `every`
    steps and, given `data`, the activations of the hidden layers on a fixed probe batch.
    It runs the training rules (`KD4`) at the end of each epoch, every `every` steps, and
    as soon as the loss becomes NaN or Inf, and reports each finding once. It never changes
    what training computes: the same seed gives the same weights with or without it.

    Args:
        every: Steps between weight-update measurements and rule checks within an epoch.
            The rules always run at the end of each epoch too, and at once on a NaN or Inf
            loss. The default, 200, keeps the Monitor's periodic work small next to the
            steps (`bench/bench_monitor.py` measures the overhead per backend). A fit of
            fewer than `every` steps in all has its weight updates measured 8 times.
        data: Optional inputs `x`, or `(x, y)`, to take the fixed probe batch from (dead and
            saturated units are measured on it); also tells the rules the input scale.
        probe_size: Number of samples in the probe batch.
        select: Code prefixes of the rules to run; only training rules (`KD4`) apply.
        ignore: Code prefixes of rules not to run.
        params: Threshold overrides per rule code, e.g. `{"KD406": {"patience": 3}}`.
        severity: Severity overrides per code prefix, e.g. `{"KD406": "info"}`.
        config: Where settings come from: `True` (default) reads `[tool.kerasdoctor]` in
            `pyproject.toml` from the working directory upward, a path reads that file,
            `False` none; the arguments above override it.
        stop_on_error: If True, set `model.stop_training = True` when an error is found
            (training then stops at the end of the current batch). Default: only report.
        verbose: 0 to stay silent (findings are still kept on `monitor.report`), 1 to
            print each new finding as it is found.
        emit: Called with a `Report` of the new findings instead of printing them.
        max_overhead: Fraction of training time the periodic measurements (weight copies,
            the probe batch's unit statistics, mid-epoch checks) may take; they are
            postponed while they would take more (the unit statistics are always taken
            before the first step and after the last). None: never postponed.
        max_records: Batch records kept; past it the history is thinned (every other record
            dropped), so memory stays bounded however long training runs.
        tensorboard: Where to write each finding as a TensorBoard text summary (tag
            `kerasdoctor/KD404`, at the optimizer step it was found), in the `kerasdoctor`
            run of the log directory: a `keras.callbacks.TensorBoard` or a log directory.
            None (default): the log directory of a `TensorBoard` passed to the same `fit()`,
            if any; False: never.

    After (or during) training, `monitor.report` holds the findings and `monitor.trace`
    what was recorded, as plain frozen data (`kerasdoctor.Trace`): `trace.epoch_logs[i]`
    are the end-of-epoch logs (loss, metrics, `val_*`) of epoch `trace.epoch_numbers[i]`
    (0-based, as in callbacks), and `trace.losses[j]` the loss of step
    `trace.batch_steps[j]` (1 = the first batch). In each finding's `evidence`,
    `onset_epoch` is the epoch the problem began, 1-based as Keras prints epochs, and
    `onset_step` its optimizer step, when known.

    Example:

    ```python
    monitor = kerasdoctor.Monitor(data=(x_train, y_train))
    model.fit(x_train, y_train, epochs=10, validation_split=0.2, callbacks=[monitor])
    print(monitor.report)
    ```
    """

    # Keras may run batch ends on worker threads (JAX, PyTorch): they only append to a list
    # (atomic) and take `_lock` for anything else; weights are read in batch begins instead.
    async_safe = True

    def __init__(
        self,
        *,
        every: int = 200,
        data: Any = None,
        probe_size: int = 256,
        select: Iterable[str] | None = None,
        ignore: Iterable[str] | None = None,
        params: Mapping[str, Mapping[str, Any]] | None = None,
        severity: Mapping[str, Any] | None = None,
        config: Any = True,
        stop_on_error: bool = False,
        verbose: int = 1,
        emit: Callable[[Report], None] | None = None,
        max_overhead: float | None = 0.01,
        max_records: int = 20_000,
        tensorboard: Any = None,
    ):
        super().__init__()
        if every < 1:
            raise ValueError(f"`every` must be at least 1. Received: every={every}")
        self.every = int(every)
        self.data = data
        self.probe_size = int(probe_size)
        from kerasdoctor import config as _config  # [tool.kerasdoctor]; arguments override it

        settings = _config.resolve(select, ignore, severity, params, config=config)
        self.select = _training_prefixes(settings.select)
        self.ignore = tuple(settings.ignore)
        # `self.params` is Keras's (fit's settings)
        self.rule_params = {code: dict(values) for code, values in settings.params.items()}
        self.rule_severity = dict(settings.severity)
        self.stop_on_error = bool(stop_on_error)
        self.verbose = verbose
        self.emit = emit
        self.max_overhead = max_overhead
        self.max_records = max(int(max_records), 100)
        if tensorboard not in (None, False) and _log_dir_of(tensorboard) is None:
            raise ValueError(
                "`tensorboard` must be a keras.callbacks.TensorBoard, a log directory or False. "
                f"Received: tensorboard={tensorboard!r}"
            )
        self.tensorboard = tensorboard
        self._lock = threading.RLock()  # guards the recorded state (batch ends append freely)
        self._check_lock = threading.Lock()  # one rule check at a time
        self._reset()

    # ----------------------------------------------------------------------------------------
    # state
    # ----------------------------------------------------------------------------------------

    def _reset(self) -> None:
        self._found = Report()
        self._seen: set[tuple] = set()
        self._epoch = 0
        self._offset = 0  # optimizer steps done before the current epoch
        self._pending: list[tuple[int, dict]] = []  # (batch, logs) not digested yet
        self._last: tuple[int, float] = (-1, 0.0)  # last digested (batch, running mean)
        self._steps: list[int] = []
        self._epochs: list[int] = []
        self._losses: list[float] = []
        self._logs: list[dict] = []
        self._stride = 1  # keep one batch record in `_stride` once `max_records` is reached
        self._kept = 0
        self._epoch_logs: list[dict] = []
        self._epoch_numbers: list[int] = []
        self._updates: list[UpdateRatios] = []
        self._units: list[UnitStats] = []
        self._first_nonfinite: tuple[int, int] | None = None
        self._nonfinite_checked = False
        self._check_at = self.every - 1  # the batch end (global index) of the next check
        self._measure_every = self.every  # steps between weight-update measurements
        self._next_snapshot = self.every
        self._snapshot_at = self.every  # the step of the next batch-begin with work to do
        self._snapshot: tuple[int, dict[str, list]] | None = None
        self._unread: list[tuple] = []  # sampled weight pairs not turned into ratios yet
        self._indices: dict[tuple, Any] = {}
        self._facts = None
        self._data_facts = None
        self._probe_x = None
        self._unit_model = None
        self._unit_layers: list[tuple[str, str]] = []
        self._disabled: set[str] = set()
        self._spe = 1  # steps_per_execution: batch ends come every `_spe` steps
        self._t0 = time.perf_counter()
        self._work = 0.0  # seconds spent on periodic measurements
        self._now = 0  # optimizer steps recorded so far: the step a finding is found at
        self._log_dir: str | None = None  # TensorBoard log directory of this fit(), if any
        self._writer = None  # its tf.summary writer, made at the first finding

    def on_train_begin(self, logs=None):
        self._close_writer()  # a previous fit() interrupted before on_train_end
        with self._lock:
            self._reset()
        self._safely("tensorboard", self._find_log_dir, sys._getframe(1))
        self._safely("start", self._start)

    def _start(self) -> None:
        from kerasdoctor import facts

        model = self.model  # synced on JAX; nothing is purged before the first step
        self._chief = facts.is_chief(model)  # distributed: only process 0 reports
        self._layer_subset = None  # chosen at the first measurement (see `_measured_layers`)
        input_shape = None
        if self.data is not None:
            # a dataset (tf.data, tf.distribute, ...): its first batches, through a fresh iterator
            data = facts.sample_batches(self.data, self.probe_size) or self.data
            x, y = (
                data
                if isinstance(data, tuple) and len(data) == 2
                else (
                    data,
                    None,
                )
            )
            self._probe_x = _take_rows(x, self.probe_size)
            probe_y = None if y is None else _take_rows(y, self.probe_size)
            self._data_facts = facts.data_facts(self._probe_x, probe_y)
            if self._data_facts.x is not None:
                input_shape = self._data_facts.x.shape
        self._spe = max(1, int(getattr(model, "steps_per_execution", 1) or 1))
        params = self.params or {}
        total = (params.get("steps") or 0) * (params.get("epochs") or 0)
        if 0 < total < self.every:  # a short fit: measure 8 times rather than never
            self._measure_every = max(1, total // 8)
            self._next_snapshot = self._snapshot_at = self._measure_every
        self._facts = facts.model_facts(model, input_shape)
        engine.rules_of(Category.TRAINING)  # imported now, not in the first (budgeted) check
        self._measure_units(model, step=0)

    # ----------------------------------------------------------------------------------------
    # batches
    # ----------------------------------------------------------------------------------------

    def on_epoch_begin(self, epoch, logs=None):
        with self._lock:
            self._epoch = epoch
            self._last = (-1, 0.0)

    def on_train_batch_begin(self, batch, logs=None):
        # Runs on the main thread, between steps: the only safe place to read weights on JAX.
        step = self._offset + batch
        if step < self._snapshot_at:
            return
        if self._snapshot is not None:
            self._snapshot_at = self._next_snapshot
            self._safely("updates", self._finish_snapshot, step)
        elif "updates" not in self._disabled:
            self._next_snapshot = step + self._measure_every
            self._snapshot_at = self._next_snapshot
            if self._affordable() or self._measure_every < self.every:  # short fit: 8 in all
                self._snapshot_at = step + 1
                self._safely("updates", self._start_snapshot, step)

    def on_train_batch_end(self, batch, logs=None):
        # May run on a worker thread (async dispatch on JAX and PyTorch): it only appends to a
        # list (atomic) and reads numbers, unless a check is due. Kept lean: it runs every step.
        self._pending.append((batch, logs))
        loss = logs.get("loss") if logs else None
        if loss is not None and loss - loss != 0 and not self._nonfinite_checked:  # NaN, Inf
            self._nonfinite_checked = True
            with self._lock:  # known now, even if batch ends before it are still to come:
                if self._first_nonfinite is None:  # KD402 must not call it a divergence
                    self._first_nonfinite = (self._offset + batch + 1, self._epoch)
            self._safely("check", self._check, False)
        elif self._offset + batch >= self._check_at:
            with self._lock:
                if self._offset + batch < self._check_at:
                    return  # another thread took this one
                self._check_at = self._offset + batch + self.every
            if self._affordable():
                self._safely("check", self._check, False)

    def on_epoch_end(self, epoch, logs=None):
        self._safely("epoch", self._end_epoch, epoch, dict(logs or {}))

    def _end_epoch(self, epoch: int, logs: dict) -> None:
        with self._lock:
            self._digest(complete=True)
            last_batch = self._last[0]
            self._offset += last_batch + 1
            self._check_at = max(self._check_at, self._offset)
            self._epoch_logs.append(logs)
            self._epoch_numbers.append(epoch)
        model = self.model
        if self._unread:
            self._harvest()
        if self._affordable():  # many short epochs: not after every one of them
            self._measure_units(model, step=self._offset)
        self._check(True)

    def on_train_end(self, logs=None):
        if self._units and self._units[-1].step < self._offset:  # the final state, always
            self._measure_units(self.model, step=self._offset)
        self._safely("end", self._check, True)
        self._unit_model = None  # it holds the model's layers
        self._close_writer()

    # ----------------------------------------------------------------------------------------
    # recording
    # ----------------------------------------------------------------------------------------

    def _digest(self, complete: bool = False) -> None:
        """Turn the pending running means into per-interval losses (call with `_lock` held).

        Batch ends may arrive out of order from worker threads: mid-epoch, only the batches
        that follow the last digested one without a gap are digested; `complete` (at the end
        of the epoch, when Keras has flushed every batch end) digests them all.
        """
        taken = len(self._pending)
        if not taken:
            return
        pending = sorted(self._pending[:taken], key=lambda item: item[0])
        del self._pending[:taken]  # batch ends appended meanwhile stay, at the end
        last_batch, last_mean = self._last
        if not complete:
            ready = 0
            for batch, _ in pending:
                if batch != last_batch + self._spe * (ready + 1):
                    break
                ready += 1
            self._pending[0:0] = pending[ready:]  # not ready: wait for the batches before them
            pending = pending[:ready]
        for batch, logs in pending:
            if batch <= last_batch:
                continue
            mean = logs.get("loss") if logs else None
            if mean is None:
                continue
            n_prev, n = last_batch + 1, batch + 1
            if math.isfinite(mean) and math.isfinite(last_mean):
                loss = (n * mean - n_prev * last_mean) / (n - n_prev)
            elif math.isfinite(last_mean) or n_prev == 0:
                loss = mean  # the first non-finite interval
            else:
                loss = math.nan
            step = self._offset + n
            if not math.isfinite(mean) and (
                self._first_nonfinite is None or step < self._first_nonfinite[0]
            ):
                self._first_nonfinite = (step, self._epoch)
            self._store(step, loss, logs, keep=not math.isfinite(loss))
            last_batch, last_mean = batch, mean
        self._last = (last_batch, last_mean)

    def _store(self, step: int, loss: float, logs: dict, keep: bool) -> None:
        self._kept += 1
        if self._kept % self._stride and not keep:
            return
        self._steps.append(step)
        self._epochs.append(self._epoch)
        self._losses.append(loss)
        self._logs.append(logs)
        if len(self._steps) > self.max_records:  # thin the history, keep it bounded
            for series in (self._steps, self._epochs, self._losses, self._logs):
                del series[1::2]
            self._stride *= 2

    @property
    def report(self) -> Report:
        """Everything this Monitor found, with the model's facts and the training history so
        far (built here, on read, not at every check: the HTML report plots it)."""
        return self._found.attach(history=self.trace)

    @property
    def trace(self) -> Trace:
        """What has been recorded so far, as plain frozen data (a `kerasdoctor.Trace`): the
        end-of-epoch logs (`epoch_logs`, of epochs `epoch_numbers`), the loss of each recorded
        step (`losses` at `batch_steps`), weight-update ratios and unit statistics."""
        with self._lock:
            self._digest()
            return Trace(
                batch_logs=tuple(self._logs),
                epoch_logs=tuple(self._epoch_logs),
                batch_steps=tuple(self._steps),
                batch_epochs=tuple(self._epochs),
                losses=tuple(self._losses),
                epoch_numbers=tuple(self._epoch_numbers),
                updates=tuple(self._updates),
                units=tuple(self._units),
                first_nonfinite=self._first_nonfinite,
                steps_per_epoch=(self.params or {}).get("steps"),
            )

    def _affordable(self) -> bool:
        """Whether periodic measurements stay within `max_overhead` of the training time."""
        if self.max_overhead is None:
            return True
        return self._work <= self.max_overhead * (time.perf_counter() - self._t0)

    def _timed(self, started: float) -> None:
        with self._lock:
            self._work += time.perf_counter() - started

    def _start_snapshot(self, step: int) -> None:
        started = time.perf_counter()
        model = self.model  # on JAX this syncs the trainer's state into the variables
        self._harvest()  # the previous pair was computed long ago: reading it does not stall
        self._snapshot = (step, self._sample(model))
        if self._affordable():  # a short fit's 8 snapshots are taken whatever they cost
            self._measure_units(model, step=step, timed=False)
        self._timed(started)

    def _finish_snapshot(self, step: int) -> None:
        started = time.perf_counter()
        first, before = self._snapshot
        self._snapshot = None
        self._unread.append((first, self._epoch, step - first, before, self._sample(self.model)))
        self._timed(started)

    def _measured_layers(self, model: Any) -> list:
        """The top-level layers with trainable weights, or at most `_MAX_LAYERS` of them evenly
        spread (first and last included): the same ones at every measurement of this fit."""
        if getattr(self, "_layer_subset", None) is None:
            layers = [layer for layer in model.layers if layer.trainable_weights]
            if len(layers) > _MAX_LAYERS:
                index = np.unique(np.linspace(0, len(layers) - 1, _MAX_LAYERS).round())
                layers = [layers[int(i)] for i in index]
            self._layer_subset = layers
        return self._layer_subset

    def _sample(self, model: Any) -> dict[str, list]:
        """Up to `_SAMPLE` fixed weights of each trainable variable, per top-level layer, as
        new device arrays: dispatched asynchronously, read later by `_harvest()`, so taking
        them never waits for the accelerator (and never holds a buffer JAX will donate)."""
        owners, values, indices = [], [], []
        for layer in self._measured_layers(model):
            for variable in layer.trainable_weights:
                owners.append(layer.name)
                values.append(variable.value)
                indices.append(self._sample_index(variable))
        samples: dict[str, list] = {}
        for name, part in zip(owners, _take_samples(values, indices), strict=True):
            samples.setdefault(name, []).append(part)
        return samples

    def _sample_index(self, variable: Any) -> Any:
        """The flat positions sampled from a variable of more than `_SAMPLE` weights (the
        same at every snapshot of this fit), or None to copy it whole."""
        size = math.prod(variable.shape)
        if size <= _SAMPLE:
            return None
        key = (variable.path, size)
        if key not in self._indices:  # a private generator: no global RNG draw
            chosen = np.random.default_rng(size).choice(size, _SAMPLE, replace=False)
            self._indices[key] = keras.ops.convert_to_tensor(np.sort(chosen).astype("int32"))
        return self._indices[key]

    def _harvest(self) -> None:
        """Turn the sampled weight pairs into update ratios (main thread, between steps)."""
        unread, self._unread = self._unread, []
        for first, epoch, steps, before, after in unread:
            ratios = {}
            for name, old in before.items():
                new = after.get(name)
                if new is None:
                    continue
                old = [keras.ops.convert_to_numpy(w).astype(np.float64) for w in old]
                new = [keras.ops.convert_to_numpy(w).astype(np.float64) for w in new]
                with np.errstate(all="ignore"):  # weights holding Inf or NaN: no ratio, no warning
                    norm = math.sqrt(sum(_square_sum(w) for w in old))
                    delta = math.sqrt(
                        sum(_square_sum(b - a) for a, b in zip(old, new, strict=True))
                    )
                if norm > 0 and math.isfinite(norm) and math.isfinite(delta):
                    ratios[name] = delta / norm / steps
            with self._lock:
                self._updates.append(UpdateRatios(first, epoch, steps, ratios))

    def _measure_units(self, model: Any, step: int, timed: bool = True) -> None:
        if self._probe_x is None or "units" in self._disabled:
            return
        started = time.perf_counter()
        try:
            stats = self._unit_stats(model, step)
        except Exception as error:  # no graph (subclassed model), odd layers...
            self._disabled.add("units")
            self._internal("units", error)
            return
        with self._lock:
            self._units.extend(stats)
        if timed:
            self._timed(started)

    def _unit_stats(self, model: Any, step: int) -> list[UnitStats]:
        if self._unit_model is None:
            self._unit_layers = _hidden_activation_layers(self._facts)
            if (
                not self._unit_layers
                or getattr(self._facts, "kind", None) == "subclassed"  # no graph to tap
                or any(getattr(x, "stateful", False) for x in model.layers)
            ):
                self._disabled.add("units")
                return []
            live = {layer.name: layer for layer in model.layers}
            outputs = [live[name].output for name, _ in self._unit_layers]
            inputs = model.inputs[0] if isinstance(model, keras.Sequential) else model.input
            self._unit_model = _inference(keras.Model(inputs, outputs, name="kerasdoctor_units"))
        outputs = self._unit_model(self._probe_x)
        stats = []
        for (name, activation), out in zip(self._unit_layers, outputs, strict=True):
            values = np.asarray(out, dtype=np.float32)
            values = values.reshape(-1, values.shape[-1]) if values.ndim > 1 else values[:, None]
            units = values.shape[-1]
            dead = saturated = 0.0
            if activation in _DEAD_ACTIVATIONS:
                dead = float(np.mean(np.all(values <= 0.0, axis=0)))
            else:
                low, high = _SATURATING[activation]
                margin = _SATURATED_MARGIN * (high - low)
                near = (values <= low + margin) | (values >= high - margin)
                saturated = float(np.mean(np.mean(near, axis=0) >= _SATURATED_SAMPLES))
            stats.append(UnitStats(step, self._epoch, name, activation, units, dead, saturated))
        return stats

    # ----------------------------------------------------------------------------------------
    # checking and reporting
    # ----------------------------------------------------------------------------------------

    def _check(self, final: bool) -> None:
        """Run the rules on the trace so far; report what is new."""
        if not self._check_lock.acquire(blocking=final):
            return  # another thread is checking right now
        try:
            started = time.perf_counter()
            trace = self.trace
            last = trace.batch_steps[-1] if trace.batch_steps else len(trace.losses)
            self._now = max(self._now, self._offset, last)
            ctx = Context(model=self._facts, data=self._data_facts, trace=trace)
            found = engine.run(
                ctx,
                select=self.select,
                ignore=self.ignore,
                params=self.rule_params,
                severity=self.rule_severity,
            )
            new = []
            with self._lock:
                for finding in found:
                    key = (finding.code, finding.location.layer)
                    if key not in self._seen:
                        self._seen.add(key)
                        new.append(finding)
                self._found = self._found + Report(tuple(new), model=found.model)
                if not final:
                    self._work += time.perf_counter() - started
        finally:
            self._check_lock.release()
        if new:
            self._publish(Report(tuple(new)))

    def _publish(self, report: Report) -> None:
        if self.stop_on_error and report.errors and self._model is not None:
            self._model.stop_training = True  # `_model`: no JAX state sync from a worker
        if not getattr(self, "_chief", True):
            return  # a distributed run: every process finds the same; process 0 reports it
        if self._log_dir is not None:
            self._safely("tensorboard", self._write_tensorboard, report)
        if self.emit is not None:
            self.emit(report)
        elif self.verbose:
            from kerasdoctor import render

            render.print_report(report)

    # ----------------------------------------------------------------------------------------
    # TensorBoard
    # ----------------------------------------------------------------------------------------

    def _find_log_dir(self, frame: Any) -> None:
        """This fit()'s TensorBoard log directory: `tensorboard=`, else that of a
        `keras.callbacks.TensorBoard` in the same `fit()` (the `CallbackList` calling us)."""
        source = self.tensorboard
        if source is False:
            return
        if source is None:
            source = _sibling_tensorboard(self, frame)
        self._log_dir = _log_dir_of(source)

    def _write_tensorboard(self, report: Report) -> None:
        """Each finding as a text summary `kerasdoctor/<code>` at the step it was found."""
        import tensorflow as tf  # only when a TensorBoard is in use; Keras's needs it too

        with self._lock:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(
                    os.path.join(self._log_dir, "kerasdoctor")
                )
            with self._writer.as_default(), tf.summary.record_if(True):
                for finding in report:
                    tf.summary.text(
                        f"kerasdoctor/{finding.code}", _markdown(finding), step=self._now
                    )
            self._writer.flush()

    def _close_writer(self) -> None:
        writer, self._writer = getattr(self, "_writer", None), None
        if writer is not None:
            try:
                writer.close()
            except Exception:  # a closed or broken writer: nothing left to save
                pass

    def _safely(self, what: str, fn: Callable, *args: Any) -> None:
        """Run `fn`; our own failure is reported once and never breaks the user's `fit()`."""
        if what in self._disabled:
            return
        try:
            fn(*args)
        except Exception as error:
            self._disabled.add(what)
            self._internal(what, error)

    def _internal(self, what: str, error: BaseException) -> None:
        finding = Finding(
            code="KD000",
            name="check-crashed",
            severity=Severity.INFO,
            category=Category.INTERNAL,
            message=(
                f"kerasdoctor's Monitor could not {_WHAT.get(what, what)} and skipped it. "
                f"Received: {type(error).__name__}: {error}"
            ),
            expected="The Monitor records every part of the trace.",
            fix="Please report this at the kerasdoctor issue tracker, with the message above.",
            location=Location(),
            evidence={"part": what},
            docs="",
        )
        with self._lock:
            self._found = self._found + Report((finding,))
        self._publish(Report((finding,)))


_WHAT = {
    "start": "read the model",
    "updates": "measure weight updates",
    "units": "measure unit activations on the probe batch",
    "check": "run the training rules mid-epoch",
    "epoch": "record the epoch",
    "end": "run the final check",
    "tensorboard": "write its findings to TensorBoard",
}


def _sibling_tensorboard(monitor: Monitor, frame: Any) -> Any:
    """The `keras.callbacks.TensorBoard` passed to the same `fit()` as `monitor`, if any:
    found in the `CallbackList` whose `on_train_begin` called the Monitor's."""
    for _ in range(4):
        if frame is None:
            break
        owner = frame.f_locals.get("self")
        callbacks = getattr(owner, "callbacks", None)
        if isinstance(callbacks, list) and any(c is monitor for c in callbacks):
            return next((c for c in callbacks if isinstance(c, keras.callbacks.TensorBoard)), None)
        frame = frame.f_back
    return None


def _log_dir_of(source: Any) -> str | None:
    """The log directory of a `TensorBoard` callback, or a path given as is."""
    if source is None or source is False:
        return None
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    log_dir = getattr(source, "log_dir", None)
    return None if log_dir is None else os.fspath(log_dir)


def _markdown(finding: Finding) -> str:
    """A finding as the Markdown that TensorBoard's text dashboard renders."""
    parts = [
        f"**{finding.code} {finding.severity} {finding.name}**",
        finding.message,
        f"*Expected:* {finding.expected}" if finding.expected else "",
        f"*Fix:* `{finding.fix}`" if finding.fix else "",
        f"*Docs:* `{finding.docs}`" if finding.docs else "",
    ]
    return "\n\n".join(part for part in parts if part)


def _training_prefixes(select: Iterable[str]) -> tuple[str, ...]:
    """The part of `select` that picks training rules: `["KD"]` -> `("KD4",)`."""
    chosen: list[str] = []
    for prefix in select or ("KD4",):
        prefix = prefix.strip().upper()
        if prefix.startswith("KD4"):
            chosen.append(prefix)
        elif "KD4".startswith(prefix):
            chosen.append("KD4")
    return tuple(dict.fromkeys(chosen)) or ("KD4-none",)


def _take_rows(value: Any, n: int) -> Any:
    """At most `n` evenly spread rows of an array (or of each array of a dict/list)."""
    if isinstance(value, Mapping):
        return {key: _take_rows(item, n) for key, item in value.items()}
    if isinstance(value, (list, tuple)) and value and hasattr(value[0], "shape"):
        return [_take_rows(item, n) for item in value]
    array = value if hasattr(value, "shape") else np.asarray(value)
    total = int(array.shape[0])
    if total <= n:
        return np.asarray(array)
    index = np.unique(np.linspace(0, total - 1, n).astype(np.int64))
    return np.asarray(array[index])


def _square_sum(array: np.ndarray) -> float:
    """Sum of squares with ufuncs only: a BLAS call (`np.vdot`, `np.dot`) would wake
    OpenBLAS's thread pool, whose threads then spin on every core (measured: 3-10 times the
    CPU time per step on a 16-core GPU machine, for a handful of calls per epoch)."""
    return float(np.sum(np.square(array, dtype=np.float64)))


def _hidden_activation_layers(model_facts: Any) -> list[tuple[str, str]]:
    """(layer, activation) of hidden layers whose units can die (ReLU) or saturate, and of
    ReLU output layers (a dead output unit predicts 0 for every input; a saturated sigmoid
    output is only a confident classifier)."""
    if model_facts is None:
        return []
    heads = {h.layer for h in model_facts.heads} | {h.activation_layer for h in model_facts.heads}
    return [
        (layer.name, layer.activation)
        for layer in model_facts.layers
        if layer.activation in _DEAD_ACTIVATIONS
        or (layer.name not in heads and layer.activation in _SATURATING)
    ]


def _inference(model: Any) -> Callable[[Any], list[np.ndarray]]:
    """A function from inputs to `model`'s outputs in inference mode, as numpy arrays.

    On JAX, one compiled function (each eager op would compile its own XLA program, per op
    and shape: ~190 ms for the first call of a two-layer probe against ~55 ms). On PyTorch,
    with no autograd graph."""
    backend = keras.backend.backend()
    if backend == "jax":
        compiled = _jax_compiled(
            lambda trainable, non_trainable, x: model.stateless_call(
                trainable, non_trainable, x, training=False
            )[0]
        )

        def call(x: Any) -> Any:
            return compiled(
                [v.value for v in model.trainable_variables],
                [v.value for v in model.non_trainable_variables],
                x,
            )
    elif backend == "torch":
        import torch

        def call(x: Any) -> Any:
            with torch.no_grad():
                return model(x, training=False)
    else:

        def call(x: Any) -> Any:
            return model(x, training=False)

    def numpy_outputs(x: Any) -> list[np.ndarray]:
        outputs = call(x)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        return [keras.ops.convert_to_numpy(out) for out in outputs]

    return numpy_outputs


def _take_samples(values: list, indices: list) -> list:
    """New device arrays: each value whole where its index is None, else its flat positions.

    Eager ops are one dispatch each, and on JAX one XLA compile per op and shape (a short
    fit's 16 samples of a CNN: ~0.3 s in a fresh process); so on JAX the whole values are
    device-to-device copies, which compile nothing, and the positions are taken by one
    compiled function (`_jax_take`: compiled once per set of shapes, in any fit)."""
    if keras.backend.backend() != "jax":
        return [
            keras.ops.copy(value) if index is None else keras.ops.take(value, index)
            for value, index in zip(values, indices, strict=True)
        ]
    import jax

    large = [n for n, index in enumerate(indices) if index is not None]
    taken = _jax_take()([values[n] for n in large], [indices[n] for n in large]) if large else []
    samples = dict(zip(large, taken, strict=True))
    return [
        samples[n] if n in samples else jax.device_put(value, may_alias=False)
        for n, value in enumerate(values)
    ]


@functools.cache
def _jax_take() -> Callable:
    import jax.numpy as jnp

    return _jax_compiled(
        lambda values, indices: [jnp.take(v, i) for v, i in zip(values, indices, strict=True)]
    )


def _jax_compiled(fn: Callable) -> Callable:
    """`fn` compiled by XLA; on a CPU without LLVM's optimisations (a two-layer probe compiles
    in ~35 ms instead of ~70): the Monitor's functions run a few times a fit on small
    inputs, so compiling them is most of their cost."""
    import jax

    options = {"xla_backend_optimization_level": 0} if jax.default_backend() == "cpu" else None
    return jax.jit(fn, compiler_options=options)
