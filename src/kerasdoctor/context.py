"""`Context`: everything a check may read, as plain facts; `Trace`: what the Monitor recorded."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kerasdoctor.facts import DataFacts, ErrorFacts, ModelFacts


@dataclasses.dataclass(frozen=True)
class Site:
    """A place in the user's code: the line that called `compile()` or `fit()`."""

    file: str
    line: int


@dataclasses.dataclass(frozen=True)
class Trace:
    """Logs recorded by the Monitor during `fit()`, oldest first."""

    batch_logs: tuple[dict[str, float], ...] = ()
    epoch_logs: tuple[dict[str, float], ...] = ()


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
