"""A rule's page, from the catalogue: docstring, examples, their output, the fix."""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

from kerasdoctor.rule import Category, Rule

SNAPSHOTS = Path(__file__).parent / "rules" / "snapshots"


def example_source(example: Callable) -> str:
    """The body of a `bad()`/`good()` example, as the user would write it."""
    lines = inspect.getsource(example).splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip().endswith(":")) + 1
    body = textwrap.dedent("\n".join(lines[start:]))
    body = re.sub(
        r"return Context\.of\((.*?),\s*error=(\w+)\)", r"kerasdoctor.explain(\2, \1)", body
    )
    body = re.sub(r"return Context\.of\(", "kerasdoctor.diagnose(", body)
    body = re.sub(r"(?m)^return (.*)$", r"\1", body)
    return body.strip()


def example_output(rule: Rule) -> str:
    """What kerasdoctor prints for the rule's bad() example (kept current by the tests)."""
    path = SNAPSHOTS / f"{rule.code}.txt"
    return path.read_text().strip() if path.exists() else "(no recorded output)"


def _split(doc: str) -> tuple[str, str]:
    """The docstring up to and including "Why is this bad?", and the rest."""
    match = re.search(r"(?m)^## (Known problems|References)", doc)
    return (doc[: match.start()].strip(), doc[match.start() :].strip()) if match else (doc, "")


def rule_markdown(rule: Rule, output: str | None = None) -> str:
    """The rule's page as Markdown, in ruff's order: what, why, example, fix, caveats."""
    head, tail = _split(rule.doc)
    params = "".join(f"\n- `{name}` = `{value!r}`" for name, value in rule.params.items())
    parts = [
        f"# {rule.code} {rule.name}",
        f"**{rule.severity}** · {rule.category} · {rule.summary}",
        head,
        f"## Example\n\n```python\n{example_source(rule.bad)}\n```",
        f"## What kerasdoctor says\n\n```text\n{output or example_output(rule)}\n```",
        f"## Use instead\n\n```python\n{example_source(rule.good)}\n```",
        f"## Fix\n\n{rule.fix}",
    ]
    if params:
        parts.append(f"## Parameters\n\nSet in `[tool.kerasdoctor.params.{rule.code}]`:{params}")
    if tail:
        parts.append(tail)
    return "\n\n".join(parts) + "\n"


def index_markdown(rules: tuple[Rule, ...]) -> str:
    """The catalogue index, grouped by category."""
    parts = ["# kerasdoctor rules"]
    for category in Category:
        members = [r for r in rules if r.category is category]
        if not members:
            continue
        parts.append(f"## {category.value.capitalize()} (KD{list(Category).index(category)}xx)")
        rows = ["| Code | Name | Severity | Summary |", "|---|---|---|---|"]
        rows += [
            f"| [{r.code}]({r.code}.md) | {r.name} | {r.severity} | {r.summary} |"
            for r in members
        ]
        parts.append("\n".join(rows))
    return "\n\n".join(parts) + "\n"


def live_output(rule: Rule) -> str:
    """What kerasdoctor prints for the rule's bad() example, run now on this backend."""
    import warnings

    from kerasdoctor import engine

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return engine.example_report(rule, "bad").to_text().strip()


def write_docs(
    outdir: str | Path,
    *,
    live: bool = False,
    status: Callable[[Rule], object] | None = None,
) -> list[Path]:
    """Write `KDNNN.md` for every rule and `index.md` into `outdir`; return the paths.

    Each page is `rule_markdown(rule)`, the page `kerasdoctor rule KDNNN` shows. Its output
    section is the recorded output of the rule's `bad()` example (the tests check it against
    a live run on every backend); `live=True` runs every example again instead (slow).
    """
    from kerasdoctor import engine

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rules = engine.all_rules()
    written: list[Path] = []
    for rule in rules:
        if status is not None:
            status(rule)
        page = rule_markdown(rule, live_output(rule) if live else None)
        path = outdir / f"{rule.code}.md"
        path.write_text(page, encoding="utf-8")
        written.append(path)
    index = outdir / "index.md"
    index.write_text(index_markdown(rules), encoding="utf-8")
    written.append(index)
    return written
