"""What a rule author imports: `Severity`, `Category`, `Issue`, `Rule` and `@rule`.

A rule is a pure generator over a `Context`: it reads facts, yields `Issue`s,
and never prints, trains or changes anything.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kerasdoctor.context import Context

DOCS = "kerasdoctor rule {code}"  # the command that shows the rule's page


class Severity(enum.StrEnum):
    """How bad a finding is."""

    ERROR = "error"  # it will crash, or it silently trains a wrong model
    WARNING = "warning"  # it very likely hurts training
    INFO = "info"  # advice; often intentional

    @property
    def rank(self) -> int:
        """0 for errors, 1 for warnings, 2 for info: the order reports use."""
        return list(Severity).index(self)


class Category(enum.StrEnum):
    """What a rule inspects. The code's first digit names it: KD2xx is COMPILE."""

    INTERNAL = "internal"  # KD0xx: kerasdoctor itself
    MODEL = "model"  # KD1xx
    COMPILE = "compile"  # KD2xx
    DATA = "data"  # KD3xx
    TRAINING = "training"  # KD4xx
    EXCEPTION = "exception"  # KD5xx


@dataclasses.dataclass(frozen=True)
class Issue:
    """One problem a check found.

    Args:
        message: What happened, with the received values (names, shapes, numbers).
        expected: What was expected instead.
        fix: Code the user can paste; overrides the rule's generic fix.
        layer: The name of the layer the problem is about, if any.
        evidence: The numbers behind the finding, JSON-serialisable.
        severity: Overrides the rule's severity, for rules whose strength depends
            on how far a value is off (never above the rule's own severity).
    """

    message: str
    expected: str = ""
    fix: str | None = None
    layer: str | None = None
    evidence: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    severity: Severity | None = None


@dataclasses.dataclass(frozen=True)
class Rule:
    """A rule of the catalogue. Made by the `@rule` decorator, never by hand."""

    code: str
    name: str
    summary: str
    severity: Severity
    fix: str
    check: Callable[..., Iterator[Issue]]

    @property
    def category(self) -> Category:
        return list(Category)[int(self.code[2])]

    @property
    def doc(self) -> str:
        """The check's docstring: What it does / Why is this bad? / Known problems / References."""
        return inspect.getdoc(self.check) or ""

    @property
    def params(self) -> dict[str, Any]:
        """The check's tunable thresholds: its keyword-only arguments and their defaults."""
        signature = inspect.signature(self.check)
        return {
            name: p.default
            for name, p in signature.parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }

    @property
    def docs(self) -> str:
        """How to read the rule's page."""
        return DOCS.format(code=self.code)

    @property
    def module(self):
        return sys.modules[self.check.__module__]

    @property
    def bad(self) -> Callable[[], Context]:
        """The rule's example of the fault: returns a `Context` the rule reports."""
        return self.module.bad

    @property
    def good(self) -> Callable[[], Context]:
        """The fixed example: returns a `Context` the rule leaves clean."""
        return self.module.good

    def __call__(self, ctx: Context, **params: Any) -> Iterator[Issue]:
        return self.check(ctx, **params)


def rule(code: str, name: str, *, summary: str, severity: Severity, fix: str):
    """Declare a rule; the decorated check's docstring is its documentation.

    Args:
        code: `KD` + category digit + two digits, e.g. `"KD201"`. Never reused.
        name: kebab-case name of the problem (not the fix).
        summary: One line, 60 characters or fewer, no full stop.
        severity: The severity of what the rule finds.
        fix: The generic fix, imperative; an `Issue` may give a specific one.
    """

    def decorate(check: Callable[..., Iterator[Issue]]) -> Rule:
        return Rule(code, name, summary, severity, fix, check)

    return decorate
