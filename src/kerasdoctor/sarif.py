"""A `Report` as SARIF 2.1.0, the format GitHub code scanning and other CI tools read.

One run; `tool.driver.rules` is the whole catalogue (plus `KD000`, a check that crashed), and
each finding is a result at the user's file and line (the `compile()`/`fit()` call), relative to
the working directory (`%SRCROOT%`) when it lies inside it. Like `render`, this module only
formats: it reads plain findings and the catalogue, and imports no backend.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kerasdoctor.report import Finding, Report, json_safe
from kerasdoctor.rule import Rule, Severity

VERSION = "2.1.0"
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT_ID = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

_CRASHED = {
    "id": "KD000",
    "name": "check-crashed",
    "shortDescription": {"text": "One of kerasdoctor's own checks crashed and was skipped"},
    "fullDescription": {
        "text": "A kerasdoctor check raised an exception; it was skipped so that your run is "
        "not affected. Please report it with the message."
    },
    "defaultConfiguration": {"level": "note"},
    "properties": {"category": "internal", "tags": ["kerasdoctor", "internal"]},
}


def _section(doc: str, title: str) -> str:
    match = re.search(rf"(?ms)^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", doc)
    return " ".join(match.group(1).split()) if match else ""


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    """A `reportingDescriptor` for one rule: its id, name, descriptions, help and level."""
    doc = rule.doc
    what = _section(doc, "What it does") or rule.summary
    help_md = doc.strip() + f"\n\n## Fix\n\n{rule.fix}\n"
    if rule.params:
        help_md += f"\n## Parameters\n\nSet in `[tool.kerasdoctor.params.{rule.code}]`:\n"
        help_md += "".join(f"\n- `{name}` = `{value!r}`" for name, value in rule.params.items())
        help_md += "\n"
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": what},
        "help": {"text": help_md, "markdown": help_md},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "category": str(rule.category),
            "tags": ["kerasdoctor", "keras", str(rule.category)],
            "parameters": json_safe(rule.params),
        },
    }


def artifact_location(file: str, root: Path) -> dict[str, Any] | None:
    """`{"uri": "train.py", "uriBaseId": "%SRCROOT%"}` inside `root`, else an absolute file URI."""
    if not file or file.startswith("<"):
        return None
    path = Path(os.path.abspath(file))
    try:
        relative = path.relative_to(root)
    except ValueError:
        return {"uri": path.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": ROOT_ID}


def _message(finding: Finding) -> str:
    parts = [finding.message.strip()]
    if finding.expected:
        parts.append(f"Expected: {finding.expected.strip()}")
    if finding.fix:
        parts.append(f"Fix: {finding.fix.strip()}")
    return "\n".join(parts)


def _result(finding: Finding, index: int | None, root: Path, artifact: str | None) -> dict:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": LEVELS[finding.severity],
        "message": {"text": _message(finding)},
    }
    if index is not None:
        result["ruleIndex"] = index
    location: dict[str, Any] = {}
    place = artifact_location(finding.location.file or "", root)
    if place is None and artifact:
        place = artifact_location(artifact, root)
    if place is not None:
        physical: dict[str, Any] = {"artifactLocation": place}
        if finding.location.file and finding.location.line:
            physical["region"] = {"startLine": int(finding.location.line)}
        location["physicalLocation"] = physical
    if finding.location.layer:
        location["logicalLocations"] = [{"name": finding.location.layer, "kind": "object"}]
    if location:
        result["locations"] = [location]
    key = "|".join(
        [finding.code, place["uri"] if place else "", finding.location.layer or "",
         str(finding.location.line or "")]
    )
    result["partialFingerprints"] = {
        "kerasdoctorFinding/v1": hashlib.sha256(key.encode()).hexdigest()[:32]
    }
    result["properties"] = {
        "name": finding.name,
        "severity": str(finding.severity),
        "category": str(finding.category),
        "expected": finding.expected,
        "fix": finding.fix,
        "evidence": json_safe(finding.evidence),
    }
    if finding.location.layer:
        result["properties"]["layer"] = finding.location.layer
    return result


def to_dict(
    report: Report, root: str | os.PathLike | None = None, artifact: str | None = None
) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a dict ready for `json.dumps`).

    Args:
        report: The findings.
        root: The directory relative URIs are relative to (`%SRCROOT%`); the working directory
            by default, which is what GitHub code scanning expects when run at the repo root.
        artifact: The file a finding without a source line is about (the script, or the
            `.keras` model file), so that every result has a location.
    """
    from kerasdoctor import __version__, engine

    root_path = Path(os.path.abspath(root or os.getcwd()))
    rules = [rule_descriptor(r) for r in engine.all_rules()]
    rules.append(_CRASHED)
    index = {descriptor["id"]: i for i, descriptor in enumerate(rules)}
    results = [_result(f, index.get(f.code), root_path, artifact) for f in report.findings]
    return {
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kerasdoctor",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {ROOT_ID: {"uri": root_path.as_uri().rstrip("/") + "/"}},
                "results": results,
            }
        ],
    }


def to_json(
    report: Report,
    root: str | os.PathLike | None = None,
    artifact: str | None = None,
    indent: int | None = 2,
) -> str:
    """The SARIF log as JSON text."""
    return json.dumps(to_dict(report, root, artifact), indent=indent, allow_nan=False)
