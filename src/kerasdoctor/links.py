"""Which exception explanation (KD5) repeats a finding reported before the same `fit()`.

Keras stops at the first problem it meets, and kerasdoctor's data rules (KD3) often saw that
problem coming: `x` without its channel axis (KD301) is what makes Keras's model input
check raise (KD502); class ids with categorical crossentropy (KD303) are what makes the
loss's shape check raise (KD503). Printing both explanations gives the user the same fix
twice. `link()` marks such a KD5 finding with `evidence["same_as"]`: the earlier finding's
code, name and layer. The JSON report keeps both findings, linked; the text output shows the
KD5 finding as a one-line reference to the earlier one (see `render`).

A KD5 finding is linked to an earlier one only when both name the same fault: a pair of
codes below, AND the same input or output with the same shapes (or the same layer, the
same label range, the same sample counts), read from both findings' evidence. When in
doubt they are not linked, and the explanation is printed in full as before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kerasdoctor.report import Finding, Report


def _batchless(shape: Any) -> list | None:
    """A shape without its first (batch) axis; KD5 evidence keeps that axis as None."""
    return list(shape[1:]) if isinstance(shape, (list, tuple)) and shape else None


def _as_list(shape: Any) -> list | None:
    return list(shape) if isinstance(shape, (list, tuple)) else None


def _input_shape(kd5: Finding, prior: Finding) -> bool:
    """KD502 (Keras's model input check) and KD301: the same data shape into the same input."""
    x, received = (
        _batchless(prior.evidence.get("x_shape")),
        _batchless(kd5.evidence.get("received")),
    )
    if x is None or received is None or x != received:
        return False
    declared = _batchless(prior.evidence.get("expected_shape"))
    wanted = _batchless(kd5.evidence.get("expected"))
    return declared is None or wanted is None or declared == wanted


def _layer_rank(kd5: Finding, prior: Finding) -> bool:
    """KD501 (a layer's input check) and KD301: the same first layer, fed data of that rank."""
    layer = kd5.location.layer
    if not layer or layer != prior.location.layer:
        return False
    found, x = kd5.evidence.get("found"), prior.evidence.get("x_shape")
    return not isinstance(found, int) or x is None or len(x) == found


def _same_head(kd5: Finding, prior: Finding) -> bool:
    """KD503 and an output/loss finding: the same loss on an output of the same width."""
    output = _as_list(kd5.evidence.get("output"))
    units = prior.evidence.get("units")
    if output is None or not output or not isinstance(units, int) or output[-1] != units:
        return False
    loss, earlier = kd5.evidence.get("loss"), prior.evidence.get("loss")
    return loss is None or earlier is None or loss == earlier


def _same_targets(kd5: Finding, prior: Finding) -> bool:
    """KD503 and KD303/KD304: the same head, and the targets Keras compared are the user's y."""
    y = _batchless(prior.evidence.get("y_shape"))
    return _same_head(kd5, prior) and y is not None and y == _batchless(kd5.evidence.get("target"))


def _target_shape(kd5: Finding, prior: Finding) -> bool:
    """KD503 and KD308: the same targets' shape against the same output shape."""
    y, out = (
        _batchless(prior.evidence.get("y_shape")),
        _batchless(prior.evidence.get("output_shape")),
    )
    return (
        y is not None
        and out is not None
        and y == _batchless(kd5.evidence.get("target"))
        and out == _batchless(kd5.evidence.get("output"))
    )


def _two_unit_binary(kd5: Finding, prior: Finding) -> bool:
    """KD503 and KD202 (a 2-unit softmax with binary crossentropy): one target per sample."""
    target = _batchless(kd5.evidence.get("target"))
    return _same_head(kd5, prior) and target is not None and target in ([], [1])


def _label_range(kd5: Finding, prior: Finding) -> bool:
    """KD505 (a label out of range, raised) and KD305: the same class count, a label outside it."""
    label = kd5.evidence.get("label")
    units = prior.evidence.get("units")
    if not isinstance(label, int) or not isinstance(units, int):
        return False
    n = kd5.evidence.get("n_classes")
    return (n is None or n == units) and not 0 <= label < units


def _sizes(value: Any) -> set[int]:
    if isinstance(value, Mapping):
        return {n for v in value.values() for n in _sizes(v)}
    if isinstance(value, (list, tuple)):
        return {n for v in value for n in _sizes(v)}
    return {value} if isinstance(value, int) and not isinstance(value, bool) else set()


def _sample_counts(kd5: Finding, prior: Finding) -> bool:
    """KD506 (Keras's cardinality check) and KD309: the same sample counts."""
    ours, theirs = _sizes(kd5.evidence.get("sizes")), _sizes(prior.evidence.get("sizes"))
    return len(ours) > 1 and ours == theirs


def _dtype(kd5: Finding, prior: Finding) -> bool:
    """KD507 (an invalid dtype, raised) and KD317 (non-numeric data): the same array's dtype."""
    dtype = kd5.evidence.get("dtype")
    return dtype is not None and dtype == prior.evidence.get("dtype")


#: KD5 code -> {earlier code: does the pair name the same fault?}
SAME_FAULT: dict[str, dict[str, Callable[[Finding, Finding], bool]]] = {
    "KD501": {"KD301": _layer_rank},
    "KD502": {"KD301": _input_shape},
    "KD503": {
        "KD303": _same_targets,
        "KD304": _same_targets,
        "KD308": _target_shape,
        "KD202": _two_unit_binary,
    },
    "KD505": {"KD305": _label_range},
    "KD506": {"KD309": _sample_counts},
    "KD507": {"KD317": _dtype},
}


def same_fault(kd5: Finding, prior: Iterable[Finding]) -> list[Finding]:
    """The earlier findings that name the fault `kd5` explains (none: it is news)."""
    pairs = SAME_FAULT.get(kd5.code, {})
    matched = []
    for earlier in prior:
        test = pairs.get(earlier.code)
        try:
            if test is not None and test(kd5, earlier):
                matched.append(earlier)
        except Exception:  # pragma: no cover - odd evidence: not linked, printed in full
            continue
    return matched


def link(report: Report, prior: Report | Sequence[Finding] | None) -> Report:
    """`report` (KD5 findings) with each finding that repeats one of `prior` marked as such.

    The mark is `evidence["same_as"]`: a list of `{"code", "name", "layer"}` of the earlier
    findings. Nothing else changes.
    """
    earlier = [f for f in (prior or ()) if not f.code.startswith("KD5")]
    if not earlier or not report.findings:
        return report
    findings = []
    for finding in report.findings:
        matched = same_fault(finding, earlier)
        if matched:
            refs = [{"code": f.code, "name": f.name, "layer": f.location.layer} for f in matched]
            refs = [r for i, r in enumerate(refs) if r not in refs[:i]]
            finding = dataclasses.replace(finding, evidence={**finding.evidence, "same_as": refs})
        findings.append(finding)
    return dataclasses.replace(report, findings=tuple(findings))


def same_as(finding: Finding) -> list[dict]:
    """The earlier findings a KD5 finding was linked to by `link()` (empty when none)."""
    refs = finding.evidence.get("same_as") if isinstance(finding.evidence, Mapping) else None
    return [r for r in refs if isinstance(r, Mapping) and r.get("code")] if refs else []


def reference(finding: Finding) -> str | None:
    """The one line that replaces a linked KD5 finding's explanation in text and HTML."""
    refs = same_as(finding)
    if not refs:
        return None
    named = " and ".join(
        f"{r['code']} ({r.get('name')}" + (f", layer {r['layer']!r})" if r.get("layer") else ")")
        for r in refs
    )
    return f"Keras raised the error that {named} reported above: its fix applies."
