"""The HTML report (`Report.save_html`, `kerasdoctor run --html`) and notebook display.

The browser tests open the report in headless Chromium (Debian's `chromium` package) and read
the DOM it rendered. Without Chromium they are skipped, except in CI (`CI=true`), where a
missing browser is a failure: `.ci/run` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import types
from html.parser import HTMLParser
from pathlib import Path

import pytest

import kerasdoctor
from kerasdoctor import hooks
from kerasdoctor.context import Trace
from kerasdoctor.report import Finding, History, Location, Report
from kerasdoctor.rule import Category, Severity

DOCS = Path(__file__).parent.parent / "docs"

# Seed case H, in small: a Dense net memorising random labels. Validation loss turns up
# after a few epochs while training loss keeps falling (measured with `kerasdoctor run` on
# all three backends: KD406, onset at epoch 11 on JAX, 8 on TensorFlow, 6 on PyTorch).
# Batches of 20 split 60/20 evenly: one compiled train step and one eval step, no more.
CASE_H = """\
import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.random((80, 32)).astype("float32")
y = rng.integers(0, 2, size=(80, 1))
model = keras.Sequential([
    keras.Input((32,)),
    keras.layers.Dense(64, activation="relu", name="hidden"),
    keras.layers.Dense(1, activation="sigmoid", name="out"),
])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
              metrics=["accuracy"])
model.fit(x, y, epochs=30, batch_size=20, validation_split=0.25, verbose=0)
"""


@pytest.fixture(autouse=True)
def never_left_watching():
    yield
    hooks.unwatch()


# --------------------------------------------------------------------------------------------
# a report built by hand: the overfitting of seed case H, with its history
# --------------------------------------------------------------------------------------------

VAL = (
    0.706,
    0.679,
    0.674,
    0.686,
    0.673,
    0.665,
    0.686,
    0.691,
    0.704,
    0.734,
    0.74,
    0.764,
    0.787,
    0.804,
    0.825,
    0.846,
    0.854,
    0.876,
    0.896,
    0.921,
)
TRAIN = (
    0.716,
    0.651,
    0.632,
    0.587,
    0.557,
    0.525,
    0.487,
    0.45,
    0.422,
    0.389,
    0.364,
    0.34,
    0.318,
    0.301,
    0.282,
    0.268,
    0.252,
    0.235,
    0.224,
    0.21,
)


def _finding(code, name, severity, category, message, layer=None, evidence=None, fix="x = 1"):
    return Finding(
        code=code,
        name=name,
        severity=severity,
        category=category,
        message=message,
        expected="Something else.",
        fix=fix,
        location=Location("train.py", 12, layer),
        evidence=evidence or {},
        docs=f"kerasdoctor rule {code}",
    )


def _overfitting() -> Finding:
    return _finding(
        "KD406",
        "overfitting",
        Severity.WARNING,
        Category.TRAINING,
        "The model overfits since epoch 7: the validation loss was lowest in epoch 6 (0.665).",
        evidence={"best_epoch": 6, "onset_epoch": 7, "val_loss": 0.921},
        fix="keras.callbacks.EarlyStopping(monitor='val_loss', patience=3, "
        "restore_best_weights=True)",
    )


def _history() -> History:
    return History(
        epochs=tuple(range(1, 21)),
        logs={"loss": TRAIN, "val_loss": VAL, "accuracy": tuple(0.5 + i / 40 for i in range(20))},
    )


def _model_facts():
    import keras

    from kerasdoctor import facts

    model = keras.Sequential(
        [
            keras.Input((32,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return facts.model_facts(model)


def _report() -> Report:
    findings = (
        _overfitting(),
        _finding(
            "KD201",
            "softmax-over-one-unit",
            Severity.ERROR,
            Category.COMPILE,
            "Softmax over 1 unit <always> outputs 1.0. Received: units=1",
            layer="out",
            fix="Dense(1, activation='sigmoid', name='out')",
        ),
        _finding("KD999", "advice", Severity.INFO, Category.MODEL, "Just advice."),
    )
    return Report(findings, model=_model_facts(), history=_history())


# --------------------------------------------------------------------------------------------
# the page, as text
# --------------------------------------------------------------------------------------------


def test_page_is_self_contained():
    page = _report().to_html()
    assert page.startswith("<!DOCTYPE html>")
    for needle in ("<script", "<link", "<img", "src=", "@import", "url("):
        assert needle not in page, needle
    assert "https://" not in page
    # the only http URL is the SVG namespace, which is never fetched
    assert set(re.findall(r"http://[^\"' )]+", page)) == {"http://www.w3.org/2000/svg"}


def test_findings_grouped_by_severity_with_fix_as_code_and_escaped():
    page = _report().to_html()
    errors, warnings, info = (page.index(f"{h} (1)") for h in ("Errors", "Warnings", "Advice"))
    assert errors < warnings < info
    assert (
        "<pre><code>Dense(1, activation=&#x27;sigmoid&#x27;, name=&#x27;out&#x27;)</code></pre>"
        in page
    )
    assert "&lt;always&gt;" in page and "<always>" not in page
    assert "train.py:12, layer &#x27;out&#x27;" in page


def test_layers_named_by_findings_are_highlighted():
    page = _report().to_html()
    rows = re.findall(r'<tr( class="[^"]*")? data-layer="(\w+)">', page)
    assert dict((name, cls) for cls, name in rows) == {
        "hidden": "",
        "out": ' class="kd-flagged kd-row-error"',
    }
    assert "(None, 64)" in page and "2,112" in page


def test_onset_marked_on_every_epoch_plot_and_best_epoch_ringed():
    page = _report().to_html()
    plots = re.findall(r'<figure class="kd-plot" data-metric="(\w+)">(.*?)</figure>', page, re.S)
    assert [name for name, _ in plots] == ["loss", "accuracy"]
    for _, svg in plots:
        assert '<g class="kd-onset" data-code="KD406" data-x="7">' in svg
        assert "KD406 overfitting onset" in svg
    assert "best epoch 6" in plots[0][1]
    assert 'data-key="val_loss"' in plots[0][1]


def test_step_onsets_and_nonfinite_losses():
    """A divergence at a step: marked on the per-step plot at its step and on the epoch plot
    at step / steps_per_epoch; NaN losses break the line instead of breaking the plot."""
    losses = tuple([0.7] * 30 + [0.7 * 1.8**i for i in range(15)] + [float("nan")] * 5)
    history = History(
        epochs=tuple(range(1, 6)),
        logs={"loss": (0.7, 0.7, 0.7, 9.0, float("nan"))},
        steps=tuple(range(1, 51)),
        losses=losses,
        steps_per_epoch=10,
    )
    finding = _finding(
        "KD402",
        "loss-diverging",
        Severity.ERROR,
        Category.TRAINING,
        "Diverges.",
        evidence={"step": 31, "epoch": 4},
    )
    page = Report((finding,), history=history).to_html()
    assert '<figure class="kd-plot" data-metric="step_loss">' in page
    assert '<g class="kd-onset" data-code="KD402" data-x="31">' in page
    assert '<g class="kd-onset" data-code="KD402" data-x="3.1">' in page
    assert "log scale" in page
    assert not re.search(r"\bnan\b", page, re.I)


def test_no_history_no_model_still_a_page():
    page = Report().to_html()
    assert "No problems found." in page and "<svg" not in page and "<table" not in page


def test_repr_html_is_a_fragment_and_text_is_unchanged():
    report = _report()
    fragment = report._repr_html_()
    assert "<html" not in fragment and fragment.startswith("<style>")
    assert 'data-code="KD406"' in fragment and "<svg" in fragment
    assert "KD406 warning overfitting" in str(report)  # the text form is as before


def test_report_carries_model_and_history_through_add_filter_attach():
    report = _report()
    assert (Report() + report).history is report.history
    assert (report + Report((_overfitting(),))).model is report.model
    assert report.filter(["KD4"]).history is report.history
    assert report.filter(["KD4"]) == Report((_overfitting(),))  # equality is about findings
    attached = Report().attach(history={"loss": [1.0, 0.5], "val_loss": [1.1, None]})
    assert attached.history.epochs == (1, 2)
    assert attached.history.logs["val_loss"] == (1.1, None)


def test_history_of_a_trace():
    trace = Trace(
        epoch_logs=({"loss": 1.0, "val_loss": 1.2}, {"loss": 0.5}),
        epoch_numbers=(0, 1),
        losses=(1.2, 0.8, 0.6, 0.4),
        batch_steps=(1, 2, 3, 4),
        steps_per_epoch=2,
    )
    history = History.of(trace)
    assert history.epochs == (1, 2)
    assert history.logs == {"loss": (1.0, 0.5), "val_loss": (1.2, None)}
    assert history.steps == (1, 2, 3, 4) and history.steps_per_epoch == 2


def test_save_html_writes_utf8(tmp_path):
    path = _report().save_html(tmp_path / "r.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --------------------------------------------------------------------------------------------
# notebooks: findings appear in the cell that caused them, once
# --------------------------------------------------------------------------------------------


def test_watch_in_a_notebook_displays_each_finding_once_where_it_happens(monkeypatch, capsys):
    import keras
    import numpy as np

    shown: list[Report] = []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace(config={"IPKernelApp": {}})
    display = types.ModuleType("IPython.display")
    display.display = shown.append
    ipython.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)

    kerasdoctor.watch()
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(1, activation="softmax", name="out")]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")  # "cell 1"
    at_compile = [f.code for r in shown for f in r]
    assert "KD201" in at_compile  # shown by the compile() call itself
    x = np.zeros((8, 4), "float32")
    y = np.zeros((8, 1), "float32")
    model.fit(x, y, epochs=1, verbose=0)  # "cell 2": the same model problems are not repeated
    codes = [f.code for r in shown for f in r]
    assert codes.count("KD201") == 1
    assert len(codes) == len(set(codes))
    out = capsys.readouterr()
    assert "KD201" not in out.out + out.err  # displayed as HTML, not also printed
    html = shown[0]._repr_html_()
    assert 'data-code="KD201"' in html and "<svg" not in html  # findings only, no curves


# --------------------------------------------------------------------------------------------
# in the browser
# --------------------------------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("chromium is not installed; CI must install it (.ci/run does)")
    pytest.skip("chromium is not installed (Debian: apt-get install chromium)")


def _browse(page: Path, tmp_path: Path, *extra: str) -> str:
    """What headless Chromium renders for `page`: the DOM, or with `extra` a screenshot."""
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *(extra or ("--dump-dom",)),
        page.absolute().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _Node:
    def __init__(self, tag: str, attrs: dict, parent: _Node | None):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, attrs, parent, [], ""

    def all(self, tag: str | None = None, **attrs) -> list[_Node]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                child.attrs.get(k.rstrip("_")) == v for k, v in attrs.items()
            ):
                found.append(child)
            found += child.all(tag, **attrs)
        return found

    def content(self) -> str:
        return self.text + "".join(child.content() for child in self.children)


class _DOM(HTMLParser):
    """The DOM Chromium dumped, as a tree (the standard library has no DOM for HTML)."""

    VOID = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base", "wbr", "source"}

    def __init__(self, text: str):
        super().__init__()
        self.root = self.node = _Node("#document", {}, None)
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, dict(attrs), self.node)
        self.node.children.append(node)
        if tag not in self.VOID:
            self.node = node

    def handle_startendtag(self, tag, attrs):
        self.node.children.append(_Node(tag, dict(attrs), self.node))

    def handle_endtag(self, tag):
        node = self.node
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.node = node.parent

    def handle_data(self, data):
        self.node.text += data


def _check_rendered(dom: _DOM, onset_epoch: int) -> None:
    """The DOM shows the KD406 finding and a loss plot with its onset marked."""
    articles = dom.root.all("article", **{"data-code": "KD406"})
    assert len(articles) == 1
    assert "overfits" in articles[0].content()
    assert "EarlyStopping" in articles[0].all("pre")[0].content()
    [loss_plot] = dom.root.all("svg", **{"data-metric": "loss"})
    [onset] = loss_plot.all("g", class_="kd-onset")
    assert onset.attrs["data-code"] == "KD406"
    assert float(onset.attrs["data-x"]) == onset_epoch
    assert onset.all("line") and "KD406 overfitting onset" in onset.content()
    keys = {line.attrs["data-key"] for line in loss_plot.all("polyline")}
    assert keys == {"loss", "val_loss"}


def test_browser_renders_a_constructed_overfitting_report(tmp_path):
    page = _report().save_html(tmp_path / "report.html")
    dom = _DOM(_browse(page, tmp_path))
    _check_rendered(dom, onset_epoch=7)
    [title] = dom.root.all("head")[0].all("title")
    assert title.content() == "kerasdoctor report"
    [row] = dom.root.all("tr", class_="kd-flagged kd-row-error")
    assert row.attrs["data-layer"] == "out"


def test_browser_renders_seed_case_h_from_kerasdoctor_run(tmp_path, monkeypatch, request):
    """End to end: `kerasdoctor run --html` on seed case H (in small); the Monitor finds the
    overfitting, and the page Chromium renders shows it and marks its onset on the loss plot.
    With `--update-snapshots` it also refreshes the screenshot in docs/."""
    from kerasdoctor import cli

    _chromium()
    script = tmp_path / "case_h.py"
    script.write_text(CASE_H)
    page = tmp_path / "report.html"
    monkeypatch.chdir(tmp_path)  # no pyproject.toml settings from the project itself
    status = cli.main(["run", "--html", str(page), "--format", "json", str(script)])
    assert status == 0
    report_text = page.read_text(encoding="utf-8")
    onset = re.search(r'data-code="KD406" data-x="(\d+)"', report_text)
    assert onset, "no KD406 onset marker in the report"
    dom = _DOM(_browse(page, tmp_path))
    _check_rendered(dom, onset_epoch=int(onset.group(1)))
    assert dom.root.all("tr", **{"data-layer": "hidden"})
    if request.config.getoption("--update-snapshots"):
        DOCS.mkdir(exist_ok=True)
        shot = DOCS / "report-seed-h.png"
        _browse(
            page, tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", "--hide-scrollbars"
        )
        assert shot.stat().st_size > 10_000


def test_cli_html_to_a_missing_folder_is_a_one_line_error(tmp_path, capsys):
    from kerasdoctor import cli

    script = tmp_path / "s.py"
    script.write_text("print('never run')\n")
    status = cli.main(["run", "--html", str(tmp_path / "no" / "r.html"), str(script)])
    assert status == 2
    out = capsys.readouterr()
    assert "never run" not in out.out
    assert out.err.strip().count("\n") == 0 and "no such folder" in out.err


def test_cli_check_html_shows_the_saved_model_with_its_flagged_layer(tmp_path, capsys):
    import keras

    from kerasdoctor import cli

    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.save(tmp_path / "m.keras")
    page = tmp_path / "r.html"
    status = cli.main(["check", str(tmp_path / "m.keras"), "--html", str(page)])
    assert status == 1  # KD201 is an error
    text = page.read_text(encoding="utf-8")
    assert "<title>kerasdoctor report: m.keras</title>" in text
    assert '<tr class="kd-flagged kd-row-error" data-layer="out">' in text
    assert '<tr data-layer="hidden">' in text
    assert f"HTML report written to {page}" in capsys.readouterr().err


def test_findings_before_training_are_not_drawn_on_the_curves():
    probe = _finding(
        "KD413",
        "cannot-fit-one-batch",
        Severity.WARNING,
        Category.TRAINING,
        "Cannot fit.",
        evidence={"onset_step": 0, "onset_epoch": 0},
    )
    page = Report((probe, _overfitting()), history=_history()).to_html()
    assert 'data-code="KD413" data-x' not in page
    assert "<dt>Began</dt><dd>before training</dd>" in page
    assert '<g class="kd-onset" data-code="KD406" data-x="7">' in page


def test_every_training_rule_example_is_marked_where_it_began():
    """The KD4 rules' own bad() examples, run through the engine: the report carries their
    trace as its history, and each finding that began during training is marked on a curve
    at the onset its evidence gives."""
    from kerasdoctor import engine, html

    checked = 0
    # KD401-KD407: their examples have curves (KD408-KD411 record unit and update statistics)
    for rule in engine.selected(["KD40"], ["KD408", "KD409"]):
        report = engine.example_report(rule, "bad")
        for onset in html.onsets(report):
            history = report.history
            assert history is not None, rule.code
            if onset.before_training or not (history.logs or len(history.losses) > 1):
                continue  # nothing to mark, or no curve to mark it on (only unit statistics)
            page = report.to_html()
            assert f'<g class="kd-onset" data-code="{rule.code}"' in page, rule.code
            checked += 1
    assert checked >= 7
