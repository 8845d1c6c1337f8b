"""`Finding` and `Report`: what kerasdoctor found, as plain frozen data.

The JSON form (`Report.to_dict()`) is the stable machine interface.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from kerasdoctor.rule import Category, Issue, Rule, Severity

if TYPE_CHECKING:
    from kerasdoctor.facts import ModelFacts


@dataclasses.dataclass(frozen=True)
class Location:
    """Where a problem is: the user's file and line, and the layer it is about."""

    file: str | None = None
    line: int | None = None
    layer: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.layer:
            parts.append(f"layer {self.layer!r}")
        return ", ".join(parts)


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem found by one rule, with everything a user needs to act on it."""

    code: str
    name: str
    severity: Severity
    category: Category
    message: str
    expected: str
    fix: str
    location: Location
    evidence: Mapping[str, Any]
    docs: str

    @classmethod
    def of(cls, rule: Rule, issue: Issue, file: str | None = None, line: int | None = None):
        severity = issue.severity or rule.severity
        if severity.rank < rule.severity.rank:  # an issue may soften its rule, never harden it
            severity = rule.severity
        return cls(
            code=rule.code,
            name=rule.name,
            severity=severity,
            category=rule.category,
            message=issue.message,
            expected=issue.expected,
            fix=issue.fix or rule.fix,
            location=Location(file, line, issue.layer),
            evidence=dict(issue.evidence),
            docs=rule.docs,
        )

    @classmethod
    def crashed(cls, rule: Rule, error: BaseException) -> Finding:
        """A check that raised: reported as KD000 instead of breaking the user's run."""
        return cls(
            code="KD000",
            name="check-crashed",
            severity=Severity.INFO,
            category=Category.INTERNAL,
            message=(
                f"kerasdoctor's check {rule.code} ({rule.name}) crashed and was skipped. "
                f"Received: {type(error).__name__}: {error}"
            ),
            expected="Every check runs to completion.",
            fix="Please report this at the kerasdoctor issue tracker, with the message above.",
            location=Location(),
            evidence={"rule": rule.code},
            docs="",
        )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["severity"] = str(self.severity)
        data["category"] = str(self.category)
        return data


@dataclasses.dataclass(frozen=True)
class History:
    """A training run's history, as plain data: what the HTML report plots.

    `epochs` are the epoch numbers as Keras prints them (1, 2, 3...); `logs` maps each log
    key (`loss`, `val_loss`, `accuracy`...) to its value at the end of each of those epochs
    (None where absent). `steps` and `losses` are the loss of each recorded optimizer step
    (global step, 1 = after the first batch), when the Monitor recorded them.
    """

    epochs: tuple[int, ...] = ()
    logs: Mapping[str, tuple[float | None, ...]] = dataclasses.field(default_factory=dict)
    steps: tuple[int, ...] = ()
    losses: tuple[float, ...] = ()
    steps_per_epoch: int | None = None

    @classmethod
    def of(cls, source: Any) -> History | None:
        """The history of a `Trace`, a `keras.callbacks.History` (what `fit()` returns), or a
        mapping like `History.history` (`{"loss": [...], "val_loss": [...]}`)."""
        if source is None or isinstance(source, History):
            return source
        if hasattr(source, "epoch_logs"):  # a Trace
            epoch_logs = tuple(source.epoch_logs)
            numbers = tuple(getattr(source, "epoch_numbers", ()) or range(len(epoch_logs)))
            keys = dict.fromkeys(key for logs in epoch_logs for key in logs)
            steps = tuple(getattr(source, "losses", ()) or ())
            return cls(
                epochs=tuple(int(n) + 1 for n in numbers),
                logs={k: tuple(_number(logs.get(k)) for logs in epoch_logs) for k in keys},
                steps=tuple(getattr(source, "batch_steps", ()) or range(1, len(steps) + 1)),
                losses=steps,
                steps_per_epoch=getattr(source, "steps_per_epoch", None),
            )
        logs = getattr(source, "history", source)
        if not isinstance(logs, Mapping):
            raise TypeError(
                "Expected a keras History, a kerasdoctor Trace or a dict of lists. "
                f"Received: {type(source).__name__}"
            )
        logs = {str(k): tuple(_number(v) for v in values) for k, values in logs.items()}
        count = max((len(v) for v in logs.values()), default=0)
        epochs = tuple(int(e) + 1 for e in getattr(source, "epoch", ()) or range(count))
        return cls(epochs=epochs[:count], logs=logs)


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _order(finding: Finding) -> tuple:
    return (finding.severity.rank, finding.code, finding.location.layer or "", finding.message)


@dataclasses.dataclass(frozen=True)
class Report:
    """The findings of one diagnosis, most severe first.

    `model` (the model's facts: its layer table) and `history` (the training curves) are
    what the HTML report shows beside the findings; None when unknown. They do not take
    part in comparing reports.
    """

    findings: tuple[Finding, ...] = ()
    model: ModelFacts | None = dataclasses.field(default=None, compare=False, repr=False)
    history: History | None = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(sorted(self.findings, key=_order)))

    def __iter__(self):
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def __add__(self, other: Report) -> Report:
        """Both reports' findings; the model and history of `other` where it has them."""
        return Report(
            self.findings + other.findings,
            model=other.model if other.model is not None else self.model,
            history=other.history if other.history is not None else self.history,
        )

    def attach(self, model: Any = None, history: Any = None) -> Report:
        """This report with a model (a `keras.Model` or its facts) and a training history (what
        `fit()` returns, a `Trace`, or a dict of lists) for the HTML report to show.

        Example:

        ```python
        report = kerasdoctor.diagnose(model, x, y)
        history = model.fit(x, y, validation_split=0.2, epochs=20)
        report.attach(history=history).save_html("report.html")
        ```
        """
        if model is not None and not hasattr(model, "heads"):
            from kerasdoctor import facts

            model = facts.model_facts(model)
        return dataclasses.replace(
            self,
            model=model if model is not None else self.model,
            history=History.of(history) if history is not None else self.history,
        )

    @property
    def summary(self) -> dict[str, int]:
        """How many findings of each severity."""
        return {str(s): sum(f.severity is s for f in self.findings) for s in Severity}

    @property
    def codes(self) -> list[str]:
        """The codes found, in report order (with repeats)."""
        return [f.code for f in self.findings]

    def at_least(self, severity: Severity | str) -> list[Finding]:
        """The findings at `severity` or worse."""
        rank = Severity(severity).rank
        return [f for f in self.findings if f.severity.rank <= rank]

    @property
    def errors(self) -> list[Finding]:
        return self.at_least(Severity.ERROR)

    def filter(self, codes: Iterable[str]) -> Report:
        """Only the findings whose code starts with one of `codes`."""
        prefixes = tuple(codes)
        return dataclasses.replace(
            self, findings=tuple(f for f in self.findings if f.code.startswith(prefixes))
        )

    def to_dict(self) -> dict[str, Any]:
        return {"findings": [f.to_dict() for f in self.findings], "summary": self.summary}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(json_safe(self.to_dict()), indent=indent, allow_nan=False)

    def to_sarif(self, root: str | None = None, artifact: str | None = None) -> str:
        """The report as SARIF 2.1.0 JSON, for GitHub code scanning and other CI tools.

        Args:
            root: Directory that file URIs are relative to; the working directory by default.
            artifact: The file that findings without a source line are about (a script, a
                `.keras` model file).
        """
        from kerasdoctor import sarif

        return sarif.to_json(self, root=root, artifact=artifact)

    def to_text(self, width: int = 100, color: bool = False) -> str:
        from kerasdoctor import render

        return render.to_text(self, width=width, color=color)

    def __str__(self) -> str:
        return self.to_text()

    def __rich_console__(self, console, options):
        from kerasdoctor import render

        yield from render.renderables(self)

    def _repr_html_(self) -> str:
        from kerasdoctor import render

        return render.to_html(self)

    def to_html(self, title: str = "kerasdoctor report") -> str:
        """The report as one self-contained HTML page: findings, training curves, model."""
        from kerasdoctor import html

        return html.page(self, title=title)

    def save_html(self, path: Any, title: str = "kerasdoctor report") -> Any:
        """Write `to_html()` to `path` (UTF-8); returns `path`. Needs no network to view."""
        from pathlib import Path

        Path(path).write_text(self.to_html(title=title), encoding="utf-8")
        return path


def json_safe(value: Any) -> Any:
    """JSON-safe: NaN and infinities as strings, tuples as lists, unknown objects as text."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    try:  # numpy scalars
        return json_safe(value.item())
    except Exception:
        return str(value)
