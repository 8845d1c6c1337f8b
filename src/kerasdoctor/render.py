"""The only module that formats: a `Report` as rich text, plain text, or HTML."""

from __future__ import annotations

import io
from collections.abc import Iterator

from rich.console import Console, RenderableType
from rich.text import Text
from rich.theme import Theme

from kerasdoctor.links import reference
from kerasdoctor.report import Finding, Report
from kerasdoctor.rule import Severity

THEME = Theme(
    {
        "kd.error": "bold red",
        "kd.warning": "bold yellow",
        "kd.info": "bold cyan",
        "kd.code": "bold",
        "kd.label": "dim",
        "kd.fix": "green",
        "kd.where": "blue",
    }
)


def _finding(finding: Finding) -> Text:
    """One finding: a head line, then indented lines (never hard-wrapped: soft_wrap)."""
    text = Text.assemble(
        (finding.code, "kd.code"),
        " ",
        (str(finding.severity), f"kd.{finding.severity}"),
        " ",
        (finding.name, "dim"),
    )

    def line(label: str, value: str, style: str = "") -> None:
        lines = value.splitlines() or [""]
        text.append("\n  ")
        if label:
            text.append(f"{label}: ", "kd.label")
        text.append(lines[0], style)
        pad = " " * (len(label) + 4 if label else 2)
        for more in lines[1:]:
            text.append("\n" + pad + more, style)

    linked = reference(finding)
    if linked:  # an exception explained before it was raised: one line, not the fix again
        line("", linked)
        return text
    line("", finding.message)
    if finding.expected:
        line("expected", finding.expected)
    line("fix", finding.fix, "kd.fix")
    if str(finding.location):
        line("at", str(finding.location), "kd.where")
    if finding.docs:
        line("docs", finding.docs, "dim")
    return text


def summary_line(report: Report) -> str:
    """`Found 3 problems: 1 error, 2 warnings.` or `No problems found.`"""
    if not report.findings:
        return "No problems found."
    counts = report.summary
    parts = [
        f"{counts[str(s)]} {s}{'s' if counts[str(s)] != 1 and s is not Severity.INFO else ''}"
        for s in Severity
        if counts[str(s)]
    ]
    n = len(report.findings)
    return f"Found {n} problem{'s' if n != 1 else ''}: {', '.join(parts)}."


def renderables(report: Report) -> Iterator[RenderableType]:
    """Each finding, a blank line after each, then the summary line."""
    for finding in report.findings:
        yield _finding(finding)
        yield Text("")
    yield Text(summary_line(report), style="bold")


def console(file=None, width: int | None = None, color: bool | None = None) -> Console:
    """A console with kerasdoctor's theme. `color=None` lets rich detect a terminal."""
    return Console(
        file=file,
        width=width,
        theme=THEME,
        color_system=None if color is False else "auto",
        force_terminal=True if color else None,
        soft_wrap=True,
        highlight=False,
        emoji=False,
    )


def print_report(report: Report, file=None, color: bool | None = None) -> None:
    out = console(file=file, color=color)
    for item in renderables(report):
        out.print(item)


def to_text(report: Report, width: int = 100, color: bool = False) -> str:
    """The report as text; plain (no ANSI codes) unless `color`."""
    buffer = io.StringIO()
    out = console(file=buffer, width=width, color=color)
    for item in renderables(report):
        out.print(item)
    return buffer.getvalue()


def to_html(report: Report) -> str:
    """The report as an HTML fragment with scoped styles (a notebook cell): findings, and the
    training curves and layer table when the report carries them (`kerasdoctor.html`)."""
    from kerasdoctor import html

    return html.fragment(report)
