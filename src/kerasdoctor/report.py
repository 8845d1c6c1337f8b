"""`Finding` and `Report`: what kerasdoctor found, as plain frozen data.

The JSON form (`Report.to_dict()`) is the stable machine interface.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any

from kerasdoctor.rule import Category, Issue, Rule, Severity


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


def _order(finding: Finding) -> tuple:
    return (finding.severity.rank, finding.code, finding.location.layer or "", finding.message)


@dataclasses.dataclass(frozen=True)
class Report:
    """The findings of one diagnosis, most severe first."""

    findings: tuple[Finding, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(sorted(self.findings, key=_order)))

    def __iter__(self):
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def __add__(self, other: Report) -> Report:
        return Report(self.findings + other.findings)

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
        return Report(tuple(f for f in self.findings if f.code.startswith(prefixes)))

    def to_dict(self) -> dict[str, Any]:
        return {"findings": [f.to_dict() for f in self.findings], "summary": self.summary}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

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
