"""`Context`: everything a check may read, as plain facts; `Trace`: what the Monitor recorded."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kerasdoctor.facts import DataFacts, ErrorFacts, ModelFacts


@dataclasses.dataclass(frozen=True)
class Site:
    """A place in the user's code: the line that called `compile()` or `fit()`."""

    file: str
    line: int


@dataclasses.dataclass(frozen=True)
class UpdateRatios:
    """Per-layer weight-update ratios `‖W_after − W_before‖ / ‖W_before‖`, per optimizer step.

    Measured between two weight snapshots `steps` optimizer steps apart, divided by `steps`;
    `step` is the global step (1 = after the first batch) of the first snapshot.
    """

    step: int
    epoch: int
    steps: int
    ratios: Mapping[str, float]


@dataclasses.dataclass(frozen=True)
class UnitStats:
    """Activation statistics of one hidden layer on the fixed probe batch.

    `dead` is the fraction of units (last axis) whose output is 0 for every probe sample
    (ReLU family); `saturated` the fraction of units within 1% of their activation's bounds
    for at least 90% of the samples (sigmoid, tanh family). `step` 0 is before training.
    """

    step: int
    epoch: int
    layer: str
    activation: str
    units: int
    dead: float = 0.0
    saturated: float = 0.0


@dataclasses.dataclass(frozen=True)
class ProbeResults:
    """What `kerasdoctor.probe()` measured on a clone of the model, one small batch.

    `expected_loss` is the loss of an uninformed guess (`ln C`, `ln 2`, `mean(y**2)`), described
    by `expected_basis`; `loss_floor` the lowest loss the targets allow (their entropy, for soft
    crossentropy targets; else 0). `fit_losses` are the losses while fitting the batch: before the first
    step, then after each step. `unchanged_layers` are the trainable layers whose weights one
    step left exactly as they were, out of `checked_layers`. `output_spread` is the largest
    difference between the outputs of different samples; `output_scale` their magnitude.
    """

    batch_size: int
    loss_name: str | None = None
    initial_loss: float | None = None
    expected_loss: float | None = None
    expected_basis: str | None = None
    loss_floor: float = 0.0
    fit_losses: tuple[float, ...] = ()
    checked_layers: tuple[str, ...] = ()
    unchanged_layers: tuple[str, ...] = ()
    output_spread: float | None = None
    output_scale: float | None = None
    input_absmax: float | None = None
    skipped: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Trace:
    """What the Monitor recorded during `fit()` (or a probe measured), oldest first.

    `batch_logs` are the logs Keras passed at the end of each recorded batch: running means
    since the start of the epoch. `batch_steps` and `batch_epochs` give the global step
    (1 = after the first batch) and the epoch (0-based, as in Keras callbacks) of each, and
    `losses` the loss of each recorded interval, recovered from the running means (one batch
    each, or `steps_per_execution` batches). `epoch_logs` are the end-of-epoch logs, of epochs
    `epoch_numbers`. `first_nonfinite` is `(step, epoch)` of the first NaN or Inf loss.
    Empty step or epoch tuples mean 1, 2, 3... (synthetic traces).
    """

    batch_logs: tuple[dict[str, float], ...] = ()
    epoch_logs: tuple[dict[str, float], ...] = ()
    batch_steps: tuple[int, ...] = ()
    batch_epochs: tuple[int, ...] = ()
    losses: tuple[float, ...] = ()
    epoch_numbers: tuple[int, ...] = ()
    updates: tuple[UpdateRatios, ...] = ()
    units: tuple[UnitStats, ...] = ()
    probe: ProbeResults | None = None
    first_nonfinite: tuple[int, int] | None = None
    steps_per_epoch: int | None = None

    def step_of(self, index: int) -> int:
        """The global step of `batch_logs[index]` / `losses[index]`."""
        return self.batch_steps[index] if self.batch_steps else index + 1

    def epoch_of(self, index: int) -> int:
        """The epoch (0-based) of `batch_logs[index]` / `losses[index]`."""
        return self.batch_epochs[index] if self.batch_epochs else 0

    def epoch_number(self, index: int) -> int:
        """The epoch (0-based) of `epoch_logs[index]`."""
        return self.epoch_numbers[index] if self.epoch_numbers else index

    def epoch_series(self, key: str) -> list[float | None]:
        """`key` in each epoch's logs (None where absent)."""
        return [logs.get(key) for logs in self.epoch_logs]


@dataclasses.dataclass(frozen=True)
class Context:
    """Everything a check may inspect. Fields a phase lacks stay None.

    Build one from live objects with `Context.of(model, x, y, ...)`; checks only
    read the plain facts it holds, never the live model.
    """

    model: ModelFacts | None = None
    data: DataFacts | None = None
    trace: Trace | None = None
    error: ErrorFacts | None = None
    site: Site | None = None

    @classmethod
    def of(
        cls,
        model: Any = None,
        x: Any = None,
        y: Any = None,
        *,
        error: BaseException | None = None,
        site: Site | None = None,
        **fit_kwargs: Any,
    ) -> Context:
        """The context of a live model, the data passed to `fit()`, and an error.

        Args:
            model: A `keras.Model`, compiled or not.
            x: The inputs as they would be passed to `fit()`.
            y: The targets as they would be passed to `fit()`.
            error: An exception raised by Keras.
            site: Where in the user's code the call happened.
            **fit_kwargs: Other `fit()` arguments (`validation_data`,
                `validation_split`, `class_weight`, `batch_size`, ...).
        """
        from kerasdoctor import facts

        data = None
        if x is not None or y is not None:
            input_names, output_keys = facts.io_names(model) if model is not None else (None, None)
            data = facts.data_facts(
                x, y, input_names=input_names, output_keys=output_keys, **fit_kwargs
            )
        input_shape = data.x.shape if data is not None and data.x is not None else None
        return cls(
            model=None if model is None else facts.model_facts(model, input_shape),
            data=data,
            error=None if error is None else facts.error_facts(error),
            site=site,
        )
