"""The HTML report: one self-contained page (inline CSS, inline SVG plots, no scripts).

`page(report)` is the file `Report.save_html()` and `kerasdoctor run --html` write;
`fragment(report)` is the same content as a `<div>` with its own scoped `<style>`, for a
notebook cell (`Report._repr_html_`). Nothing here reaches the network when viewed: the
plots are SVG drawn here from the report's `history`, the layer table comes from the
report's `model` facts. Like `render`, this module only formats; it never imports Keras.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from kerasdoctor.links import reference
from kerasdoctor.report import Finding, History, Report
from kerasdoctor.rule import Category, Severity

# Words for the marker of each training finding on the curves; other rules use their name.
ONSET_LABELS = {
    "KD401": "loss not finite",
    "KD402": "divergence",
    "KD403": "plateau",
    "KD404": "stuck at chance",
    "KD405": "oscillation",
    "KD406": "overfitting onset",
    "KD407": "underfitting",
    "KD408": "dead ReLUs",
    "KD409": "saturated units",
    "KD410": "vanishing updates",
    "KD411": "exploding updates",
    "KD414": "layer not updated",
}
_HEADINGS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Advice"}
_COLORS = {Severity.ERROR: "#c62828", Severity.WARNING: "#b45309", Severity.INFO: "#0e7490"}
_TRAIN, _VAL = "#1f5fbf", "#e8590c"  # training (solid) and validation (dashed) curves
_MAX_POINTS = 800  # per curve: longer step series are reduced to per-bucket min and max

CSS = """
.kd-report{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,
  sans-serif;color:#1f2328;background:#fff;max-width:1100px;margin:0 auto;padding:8px 4px}
.kd-report h1{font-size:24px;margin:0 0 4px}
.kd-report h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid #d8dee4}
.kd-report h3{font-size:15px;margin:18px 0 8px}
.kd-report .kd-sub{color:#59636e;margin:0 0 10px}
.kd-report .kd-chips{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0 4px}
.kd-report .kd-chip{border-radius:12px;padding:1px 10px;font-weight:600;font-size:13px;
  border:1px solid currentColor}
.kd-report .kd-error{color:#c62828}.kd-report .kd-warning{color:#b45309}
.kd-report .kd-info{color:#0e7490}.kd-report .kd-clean{color:#1a7f37}
.kd-report .kd-finding{border:1px solid #d8dee4;border-left:5px solid #8c959f;border-radius:6px;
  padding:10px 14px;margin:0 0 12px;background:#fff}
.kd-report .kd-finding.kd-error{border-left-color:#c62828}
.kd-report .kd-finding.kd-warning{border-left-color:#d97706}
.kd-report .kd-finding.kd-info{border-left-color:#0e7490}
.kd-report .kd-finding.kd-error,.kd-report .kd-finding.kd-warning,
.kd-report .kd-finding.kd-info{color:#1f2328}
.kd-report .kd-finding>header{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.kd-report .kd-code{font-weight:700;color:#1f2328;font-family:ui-monospace,SFMono-Regular,Menlo,
  Consolas,monospace}
.kd-report .kd-name{color:#59636e}
.kd-report .kd-sev{font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.03em}
.kd-report .kd-where{margin-left:auto;color:#0b57d0;font-size:13px}
.kd-report .kd-message{margin:6px 0;color:#1f2328}
.kd-report dl{display:grid;grid-template-columns:88px 1fr;gap:4px 10px;margin:6px 0 0}
.kd-report dt{color:#59636e;font-size:13px;padding-top:2px}
.kd-report dd{margin:0;min-width:0}
.kd-report pre{margin:0;padding:8px 10px;background:#f6f8fa;border:1px solid #e1e4e8;
  border-radius:4px;white-space:pre-wrap;word-break:break-word;overflow-x:auto;
  font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#0a3069}
.kd-report code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.kd-report details.kd-evidence summary{cursor:pointer;color:#59636e;font-size:13px}
.kd-report table{border-collapse:collapse;width:100%;font-size:13px}
.kd-report th,.kd-report td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2;
  vertical-align:top}
.kd-report th{background:#f6f8fa;font-weight:600}
.kd-report td.kd-num,.kd-report th.kd-num{text-align:right;font-variant-numeric:tabular-nums}
.kd-report tr.kd-row-warning td{background:#fff4e5}
.kd-report tr.kd-row-error td{background:#fdecea}
.kd-report tr.kd-row-info td{background:#e8f6f8}
.kd-report tr.kd-row-warning td:first-child{box-shadow:inset 4px 0 #d97706}
.kd-report tr.kd-row-error td:first-child{box-shadow:inset 4px 0 #c62828}
.kd-report tr.kd-row-info td:first-child{box-shadow:inset 4px 0 #0e7490}
.kd-report .kd-tag{display:inline-block;font-size:11.5px;font-weight:700;border-radius:8px;
  padding:0 6px;margin-right:4px;color:#fff;text-decoration:none}
.kd-report .kd-plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:14px}
.kd-report figure.kd-plot{margin:0;border:1px solid #d8dee4;border-radius:6px;padding:6px 8px 2px}
.kd-report figure.kd-plot svg{width:100%;height:auto;display:block}
.kd-report figcaption{font-size:12.5px;color:#59636e;padding:2px 4px 6px}
.kd-report .kd-foot{color:#59636e;font-size:12px;margin-top:28px}
"""


# --------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------


def page(report: Report, title: str = "kerasdoctor report") -> str:
    """The report as a complete HTML document (UTF-8, no external resources, no scripts)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>body{{margin:0;background:#fff}}"
        f".kd-report{{padding:24px 28px}}{CSS}</style>\n</head>\n<body>\n"
        f"{_body(report, title)}\n</body>\n</html>\n"
    )


def fragment(report: Report) -> str:
    """The report as one `<div>` with its own scoped styles (a notebook cell's output)."""
    return f"<style>{CSS}</style>\n{_body(report, None)}"


def _body(report: Report, title: str | None) -> str:
    from kerasdoctor.render import summary_line

    parts = ['<div class="kd-report">']
    if title is not None:
        parts.append(f"<h1>{escape(title)}</h1>")
    model = report.model
    if model is not None:
        parts.append(f'<p class="kd-sub">{_model_line(model)}</p>')
    parts.append(_chips(report, summary_line(report)))
    parts.append(_findings(report))
    if report.history is not None and report.history.logs or _has_steps(report.history):
        parts.append(_curves(report))
    if model is not None and model.layers:
        parts.append(_model_table(report))
    if title is not None:
        parts.append(
            '<p class="kd-foot">Made by kerasdoctor. <code>kerasdoctor rule CODE</code> '
            "explains each rule.</p>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def _model_line(model: Any) -> str:
    bits = [f"Model <b>{escape(str(model.name))}</b> ({escape(str(model.cls))})"]
    if model.trainable_params is not None:
        total = model.trainable_params + (model.non_trainable_params or 0)
        bits.append(f"{total:,} parameters")
    optimizer = model.optimizer
    if optimizer is not None:
        rate = optimizer.learning_rate
        rate = f", learning_rate={_num(rate)}" if isinstance(rate, (int, float)) else ""
        bits.append(f"optimizer {escape(str(optimizer.name))}{escape(rate)}")
    losses = [h.loss.name for h in model.heads if h.loss is not None and h.loss.name]
    if losses:
        bits.append("loss " + escape(", ".join(dict.fromkeys(str(x) for x in losses))))
    return " · ".join(bits)


def _chips(report: Report, summary: str) -> str:
    counts = report.summary
    chips = [
        f'<span class="kd-chip kd-{s}">{counts[str(s)]} {s}'
        f"{'s' if counts[str(s)] != 1 and s is not Severity.INFO else ''}</span>"
        for s in Severity
        if counts[str(s)]
    ] or ['<span class="kd-chip kd-clean">no problems</span>']
    return f'<div class="kd-chips">{"".join(chips)}</div><p class="kd-sub">{escape(summary)}</p>'


# --------------------------------------------------------------------------------------------
# findings
# --------------------------------------------------------------------------------------------


def _anchor(index: int, finding: Finding) -> str:
    return f"finding-{index + 1}-{finding.code}"


def _findings(report: Report) -> str:
    if not report.findings:
        return '<h2>Findings</h2><p class="kd-clean">No problems found.</p>'
    parts = ["<h2>Findings</h2>"]
    for severity in Severity:
        group = [(i, f) for i, f in enumerate(report.findings) if f.severity is severity]
        if not group:
            continue
        parts.append(
            f'<section class="kd-group kd-group-{severity}"><h3 class="kd-{severity}">'
            f"{_HEADINGS[severity]} ({len(group)})</h3>"
        )
        parts.extend(_finding(i, f) for i, f in group)
        parts.append("</section>")
    return "\n".join(parts)


def _finding(index: int, finding: Finding) -> str:
    where = str(finding.location)
    linked = reference(finding)  # an exception a finding above named: one line, no second fix
    rows = []
    if finding.expected and not linked:
        rows.append(("Expected", escape(finding.expected)))
    if not linked:
        rows.append(("Fix", f"<pre><code>{escape(finding.fix)}</code></pre>"))
    onset = _onset(finding)
    if onset is not None:
        rows.append(("Began", escape(onset.describe)))
    if finding.docs:
        rows.append(("Docs", f"<code>{escape(finding.docs)}</code>"))
    if finding.evidence:
        items = "".join(
            f"<tr><th>{escape(str(k))}</th><td><code>{escape(_value(v))}</code></td></tr>"
            for k, v in finding.evidence.items()
        )
        rows.append(
            (
                "Evidence",
                f'<details class="kd-evidence"><summary>{len(finding.evidence)} '
                f"values</summary><table>{items}</table></details>",
            )
        )
    body = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    layer = f' data-layer="{escape(finding.location.layer)}"' if finding.location.layer else ""
    return (
        f'<article class="kd-finding kd-{finding.severity}" id="{_anchor(index, finding)}" '
        f'data-code="{escape(finding.code)}"{layer}>'
        f'<header><span class="kd-sev kd-{finding.severity}">{finding.severity}</span>'
        f'<span class="kd-code">{escape(finding.code)}</span>'
        f'<span class="kd-name">{escape(finding.name)}</span>'
        + (f'<span class="kd-where">{escape(where)}</span>' if where else "")
        + f'</header><p class="kd-message">{escape(linked or finding.message)}</p>'
        f"<dl>{body}</dl></article>"
    )


def _value(value: Any) -> str:
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, (list, tuple)) and len(value) > 12:
        shown = ", ".join(_value(v) for v in value[:12])
        return f"[{shown}, ... ({len(value)} values)]"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _num(value: float) -> str:
    if isinstance(value, int) or not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:.4g}"


# --------------------------------------------------------------------------------------------
# onsets: where a training finding began, on the curves
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Onset:
    """Where a training finding began: `epoch` (1-based, as Keras prints it) and/or the
    global `step`; `best_epoch` for overfitting (the epoch that generalised best)."""

    code: str
    label: str
    severity: Severity
    epoch: int | None = None
    step: int | None = None
    best_epoch: int | None = None

    @property
    def before_training(self) -> bool:
        """Found before the first step (a probe, or the initial weights): no point on a curve."""
        return self.step == 0 or (self.step is None and self.epoch == 0)

    @property
    def describe(self) -> str:
        if self.before_training:
            return "before training"
        if self.step is not None and self.epoch is not None:
            return f"step {self.step} in epoch {self.epoch}"
        if self.step is not None:
            return f"step {self.step}"
        return f"epoch {self.epoch}"

    def x_epochs(self, steps_per_epoch: int | None) -> float | None:
        """The onset on an epoch axis (epoch k ends at x = k); None before training."""
        if self.before_training:
            return None
        if self.step is not None and steps_per_epoch:
            return self.step / steps_per_epoch
        if self.epoch is not None:
            return float(self.epoch)
        return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return int(value)
    return None


def _onset(finding: Finding) -> Onset | None:
    """The onset of a training finding, from its evidence (`onset_step`/`onset_epoch`,
    else `step`/`epoch`); None for other findings or when the evidence has neither."""
    if finding.category is not Category.TRAINING:
        return None
    evidence = finding.evidence
    prefix = "onset_" if "onset_step" in evidence or "onset_epoch" in evidence else ""
    step = _int(evidence.get(f"{prefix}step"))
    epoch = _int(evidence.get(f"{prefix}epoch"))
    if step is None and epoch is None:
        return None
    label = ONSET_LABELS.get(finding.code, finding.name.replace("-", " "))
    return Onset(
        finding.code, label, finding.severity, epoch, step, _int(evidence.get("best_epoch"))
    )


def onsets(report: Report) -> list[Onset]:
    """The onset of every training finding of `report` that says where it began, once per
    rule and place (a rule that names several layers at once gets one marker)."""
    found = (_onset(f) for f in report.findings)
    return list(dict.fromkeys(o for o in found if o is not None))


# --------------------------------------------------------------------------------------------
# curves
# --------------------------------------------------------------------------------------------


def _has_steps(history: History | None) -> bool:
    return history is not None and len(history.losses) >= 2


def _groups(keys: Iterable[str]) -> list[tuple[str, list[str]]]:
    """[(title key, [key, val_key])], loss first: each metric with its validation twin."""
    keys = list(keys)
    bases = [k for k in keys if not k.startswith("val_")]
    bases += [k[4:] for k in keys if k.startswith("val_") and k[4:] not in bases]
    bases.sort(key=lambda k: (k != "loss", keys.index(k) if k in keys else len(keys)))
    return [(b, [k for k in (b, f"val_{b}") if k in keys]) for b in bases]


def _curves(report: Report) -> str:
    history = report.history
    marks = onsets(report)
    spe = history.steps_per_epoch
    figures = []
    longest = max((len(v) for v in history.logs.values()), default=0)
    epochs = list(history.epochs) or list(range(1, longest + 1))
    for base, keys in _groups(history.logs):
        series = [
            (key, epochs, list(history.logs[key]), _VAL if key.startswith("val_") else _TRAIN)
            for key in keys
        ]
        lines = [(o, o.x_epochs(spe)) for o in marks]
        lines = [(o, x) for o, x in lines if x is not None]
        best = {}
        if base == "loss":  # overfitting: ring the best epoch on the validation curve
            best = {o.best_epoch: o for o in marks if o.best_epoch is not None}
        svg = _plot(
            series,
            lines,
            xlabel="epoch",
            integer_x=True,
            best=best,
            name=base,
        )
        caption = _caption(base, keys, lines)
        figures.append(
            f'<figure class="kd-plot" data-metric="{escape(base)}">{svg}'
            f"<figcaption>{caption}</figcaption></figure>"
        )
    # per step: when a finding began at a step, or there is too little to see per epoch
    stepwise = any(o.step and not o.before_training for o in marks) and (spe or 0) > 1
    if _has_steps(history) and (stepwise or not history.logs or len(epochs) < 3):
        steps, losses = _decimate(list(history.steps), list(history.losses))
        lines = [(o, float(o.step)) for o in marks if o.step and not o.before_training]
        lines += [(o, float(o.epoch * spe)) for o in marks if o.step is None and o.epoch and spe]
        svg = _plot(
            [("loss per step", steps, losses, _TRAIN)],
            lines,
            xlabel="step",
            integer_x=True,
            name="step_loss",
        )
        figures.append(
            f'<figure class="kd-plot" data-metric="step_loss">{svg}<figcaption>'
            f"{_caption('loss per step', ['loss'], lines)}</figcaption></figure>"
        )
    return '<h2>Training curves</h2><div class="kd-plots">' + "".join(figures) + "</div>"


def _caption(base: str, keys: Sequence[str], lines: Sequence[tuple[Onset, float]]) -> str:
    what = " and ".join(("validation" if k.startswith("val_") else "training") for k in keys)
    text = f"{escape(base)}: {what}"
    if lines:
        text += "; marked: " + ", ".join(
            f"{escape(o.code)} {escape(o.label)} ({escape(o.describe)})" for o, _ in lines
        )
    return text


def _decimate(xs: list, ys: list) -> tuple[list, list]:
    """At most about `_MAX_POINTS` points: each bucket keeps its minimum and its maximum
    (so spikes and NaN gaps survive), in order."""
    if len(xs) <= _MAX_POINTS:
        return xs, ys
    size = math.ceil(len(xs) / (_MAX_POINTS // 2))
    out_x, out_y = [], []
    for start in range(0, len(xs), size):
        chunk = list(range(start, min(start + size, len(xs))))
        bad = [i for i in chunk if not _finite(ys[i])]
        good = [i for i in chunk if _finite(ys[i])]
        keep = set(bad[:1])
        if good:
            keep |= {min(good, key=ys.__getitem__), max(good, key=ys.__getitem__)}
        for i in sorted(keep):
            out_x.append(xs[i])
            out_y.append(ys[i])
    return out_x, out_y


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def _ticks(lo: float, hi: float, count: int = 5, integer: bool = False) -> list[float]:
    step = _nice_step(hi - lo, count)
    if integer:
        step = max(1.0, round(step))
    first = math.ceil(lo / step - 1e-9) * step
    ticks, value = [], first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _tick_label(value: float, log: bool) -> str:
    if log:
        return f"1e{int(round(value))}" if abs(value) >= 3 else _num(10**value)
    if value == int(value) and abs(value) < 1e5:
        return str(int(value))
    return _num(value)


def _plot(
    series: Sequence[tuple[str, Sequence[float], Sequence[float | None], str]],
    lines: Sequence[tuple[Onset, float]],
    *,
    xlabel: str,
    integer_x: bool,
    name: str,
    best: dict | None = None,
) -> str:
    """One line plot as inline SVG: the series (label, xs, ys, colour; validation dashed),
    gaps where values are missing or not finite, and a vertical marker per onset."""
    width, height = 560, 300
    left, right, top, bottom = 58, 18, 34, 42
    pw, ph = width - left - right, height - top - bottom
    values = [y for _, _, ys, _ in series for y in ys if _finite(y)]
    xs_all = [x for _, xs, _, _ in series for x in xs]
    if not values or not xs_all:
        return (
            f'<svg class="kd-svg" viewBox="0 0 {width} 80" role="img">'
            '<text x="10" y="40" fill="#59636e" font-size="13">no finite values to plot</text></svg>'
        )
    log = min(values) > 0 and max(values) / min(values) > 1e3
    tr = math.log10 if log else (lambda v: v)
    ylo, yhi = tr(min(values)), tr(max(values))
    if yhi - ylo < 1e-12:
        ylo, yhi = ylo - 0.5, yhi + 0.5
    pad = (yhi - ylo) * 0.06
    ylo, yhi = ylo - pad, yhi + pad
    if not log and min(values) >= 0 and ylo < 0:
        ylo = 0.0
    xlo, xhi = min(xs_all), max(xs_all)
    marker_xs = [x for _, x in lines]
    if marker_xs:
        xlo, xhi = min(xlo, min(marker_xs)), max(xhi, max(marker_xs))
    if xhi - xlo < 1e-12:
        xlo, xhi = xlo - 1, xhi + 1

    def px(x: float) -> float:
        return left + (x - xlo) / (xhi - xlo) * pw

    def py(y: float) -> float:
        return top + (yhi - tr(y)) / (yhi - ylo) * ph

    out = [
        f'<svg class="kd-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(name)} curve" data-metric="{escape(name)}" '
        'font-family="-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fbfcfd" stroke="#d0d7de"/>',
    ]
    for t in _ticks(ylo, yhi, 5):
        y = top + (yhi - t) / (yhi - ylo) * ph
        out.append(
            f'<line class="kd-grid" x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#eaeef2"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#59636e">{escape(_tick_label(t, log))}</text>'
        )
    for t in _ticks(xlo, xhi, 8, integer=integer_x):
        x = px(t)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="#8c959f"/>'
            f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle" font-size="11" '
            f'fill="#59636e">{escape(_tick_label(t, False))}</text>'
        )
    out.append(
        f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="12" '
        f'fill="#59636e">{escape(xlabel)}</text>'
    )
    if log:
        out.append(f'<text x="{left}" y="{top - 8}" font-size="11" fill="#59636e">log scale</text>')
    # onset markers, under the curves
    for n, (onset, x) in enumerate(lines):
        color = _COLORS[onset.severity]
        xp = px(x)
        label = f"{onset.code} {onset.label}"
        anchor, dx = ("end", -5) if xp > left + pw * 0.62 else ("start", 5)
        ly = top + 14 + 15 * n
        out.append(
            f'<g class="kd-onset" data-code="{escape(onset.code)}" data-x="{x:g}">'
            f"<title>{escape(label)}: {escape(onset.describe)}</title>"
            f'<line x1="{xp:.1f}" x2="{xp:.1f}" y1="{top}" y2="{top + ph}" stroke="{color}" '
            'stroke-width="1.6" stroke-dasharray="5 3"/>'
            f'<text x="{xp + dx:.1f}" y="{ly}" text-anchor="{anchor}" font-size="11.5" '
            f'font-weight="600" fill="{color}" paint-order="stroke" stroke="#fbfcfd" '
            f'stroke-width="3">{escape(label)}</text></g>'
        )
    # the curves
    few = max(len(xs) for _, xs, _, _ in series) <= 120
    for label, xs, ys, color in series:
        dashed = ' stroke-dasharray="6 3"' if label.startswith("val_") else ""
        for run in _runs(xs, ys):
            points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in run)
            out.append(
                f'<polyline class="kd-line" data-key="{escape(label)}" points="{points}" '
                f'fill="none" stroke="{color}" stroke-width="2"{dashed} '
                'stroke-linejoin="round"/>'
            )
        if few:
            for x, y in zip(xs, ys, strict=False):
                if _finite(y):
                    out.append(
                        f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.2" fill="{color}">'
                        f"<title>{escape(xlabel)} {x:g}: {escape(label)} {_num(y)}</title>"
                        "</circle>"
                    )
    for epoch, onset in (best or {}).items():
        ys = dict(zip(series[-1][1], series[-1][2], strict=False))
        if len(series) > 1 and _finite(ys.get(epoch)):
            cx, cy = px(epoch), py(ys[epoch])
            out.append(
                f'<g class="kd-best" data-code="{escape(onset.code)}">'
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="none" stroke="#1a7f37" '
                'stroke-width="2"/>'
                f'<text x="{cx:.1f}" y="{cy - 11:.1f}" text-anchor="middle" font-size="11" '
                'fill="#1a7f37" font-weight="600" paint-order="stroke" stroke="#fbfcfd" '
                f'stroke-width="3">best epoch {epoch}</text></g>'
            )
    # legend, above the plot
    x = left + pw
    for label, _, _, color in reversed(series):
        x -= 7 * len(label) + 40
        dashed = ' stroke-dasharray="6 3"' if label.startswith("val_") else ""
        out.append(
            f'<line x1="{x:.0f}" x2="{x + 24:.0f}" y1="{top - 12}" y2="{top - 12}" '
            f'stroke="{color}" stroke-width="2.5"{dashed}/>'
            f'<text x="{x + 30:.0f}" y="{top - 8}" font-size="12" fill="#1f2328">'
            f"{escape(label)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _runs(xs: Sequence[float], ys: Sequence[float | None]) -> list[list[tuple[float, float]]]:
    """The stretches of finite points (a missing or non-finite value breaks the line)."""
    runs, current = [], []
    for x, y in zip(xs, ys, strict=False):
        if _finite(y):
            current.append((x, y))
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------


def _shape(shape: Any) -> str:
    if shape is None:
        return "?"
    return (
        str(tuple(shape))
        if isinstance(shape, list) and all(isinstance(s, (int, type(None))) for s in shape)
        else str(shape)
    )


def _model_table(report: Report) -> str:
    model = report.model
    flagged: dict[str, list[tuple[int, Finding]]] = {}
    for i, finding in enumerate(report.findings):
        if finding.location.layer:
            flagged.setdefault(finding.location.layer, []).append((i, finding))
    rows = []
    for layer in model.layers:
        named = flagged.get(layer.name, [])
        worst = min((f.severity for _, f in named), key=lambda s: s.rank, default=None)
        classes = f' class="kd-flagged kd-row-{worst}"' if worst is not None else ""
        tags = "".join(
            f'<a class="kd-tag" href="#{_anchor(i, f)}" '
            f'style="background:{_COLORS[f.severity]}">{escape(f.code)}</a>'
            for i, f in named
        )
        params = "" if layer.params is None else f"{layer.params:,}"
        rows.append(
            f'<tr{classes} data-layer="{escape(layer.name)}"><td><b>{escape(layer.name)}</b> '
            f'<span class="kd-name">({escape(layer.cls)})</span></td>'
            f"<td><code>{escape(_shape(layer.output_shape))}</code></td>"
            f'<td class="kd-num">{params}</td><td>{"yes" if layer.trainable else "no"}</td>'
            f"<td>{tags}</td></tr>"
        )
    unknown = sorted(set(flagged) - {layer.name for layer in model.layers})
    foot = []
    if model.trainable_params is not None:
        total = model.trainable_params + (model.non_trainable_params or 0)
        foot.append(
            f"Total params: {total:,} (trainable {model.trainable_params:,}, "
            f"non-trainable {model.non_trainable_params or 0:,})"
        )
    if unknown:
        foot.append("Findings also name: " + ", ".join(escape(n) for n in unknown))
    table = (
        '<table class="kd-layers"><thead><tr><th>Layer (type)</th><th>Output shape</th>'
        '<th class="kd-num">Params</th><th>Trainable</th><th>Findings</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    open_ = " open" if len(model.layers) <= 200 else ""
    named = sum(model.layer(name) is not None for name in flagged)
    summary = f"{len(model.layers)} layers" + (f", {named} named by findings" if named else "")
    return f"<h2>Model</h2><details{open_}><summary>{summary}</summary>{table}</details>" + "".join(
        f'<p class="kd-sub">{f}</p>' for f in foot
    )
