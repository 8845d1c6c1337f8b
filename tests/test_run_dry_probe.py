"""`kerasdoctor run --dry-run` probes; a fit() exception already diagnosed is explained once."""

from __future__ import annotations

import json

import numpy as np
import pytest

import kerasdoctor
from kerasdoctor import cli, hooks, links, render
from kerasdoctor.report import Finding, Location, Report
from kerasdoctor.rule import Category, Severity


@pytest.fixture(autouse=True)
def never_left_watching():
    yield
    hooks.unwatch()


FTRL_SCRIPT = (
    "import numpy as np\n"
    "import keras\n"
    "rng = np.random.default_rng(0)\n"
    "x = rng.standard_normal((256, 20)).astype('float32')\n"
    "y = keras.utils.to_categorical(np.argmax(x @ rng.standard_normal((20, 10)), axis=1), 10)\n"
    "model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(64),\n"
    "                          keras.layers.Dense(10, activation='softmax')])\n"
    "model.compile(optimizer=keras.optimizers.Ftrl(), loss='categorical_crossentropy')\n"
    "history = model.fit(x, y, epochs=5, verbose=0)\n"
    "print('epochs trained:', len(history.epoch))\n"
)


# --------------------------------------------------------------------------------------------
# --dry-run probes, as --probe does
# --------------------------------------------------------------------------------------------


@pytest.mark.backend
def test_dry_run_probes_before_its_no_op(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text(FTRL_SCRIPT)
    assert cli.main(["run", "--dry-run", str(script)]) == 0
    out, err = capsys.readouterr()
    assert out == "epochs trained: 0\n"  # fit() was the no-op: an empty History
    assert "KD413 warning cannot-fit-one-batch" in err and "Ftrl" in err


def test_dry_run_does_not_probe_when_no_probe_rule_is_selected(tmp_path, capsys, monkeypatch):
    import kerasdoctor.probes

    calls = []
    monkeypatch.setattr(kerasdoctor.probes, "probe", lambda *a, **k: calls.append(a) or Report())
    script = tmp_path / "train.py"
    script.write_text(FTRL_SCRIPT)
    assert cli.main(["run", "--dry-run", "--select", "KD3", str(script)]) == 0
    assert cli.main(["run", "--dry-run", "--ignore", "KD4", str(script)]) == 0
    assert calls == []
    assert cli.main(["run", "--dry-run", str(script)]) == 0
    assert len(calls) == 1
    capsys.readouterr()


# --------------------------------------------------------------------------------------------
# links: which KD5 explanation repeats an earlier finding
# --------------------------------------------------------------------------------------------


def _finding(code: str, layer: str | None = None, **evidence) -> Finding:
    return Finding(
        code=code,
        name=f"name-of-{code.lower()}",
        severity=Severity.ERROR,
        category=list(Category)[int(code[2])],
        message=f"message of {code}",
        expected=f"expected of {code}",
        fix=f"fix of {code}",
        location=Location(layer=layer),
        evidence=evidence,
        docs="",
    )


KD303 = _finding(
    "KD303",
    "out",
    output="out",
    units=10,
    loss="categorical_crossentropy",
    y_shape=[40, 1],
    classes=[0, 1],
)
KD301 = _finding(
    "KD301",
    None,
    case="missing_channels",
    input=None,
    x_shape=[40, 8, 8],
    expected_shape=[None, 8, 8, 3],
)


def _kd503(target, output, loss="categorical_crossentropy"):
    return _finding("KD503", "out", target=target, output=output, loss=loss, sparse_check=False)


def test_link_same_fault_by_evidence():
    linked = links.link(Report((_kd503([None, 1], [None, 10]),)), Report((KD303,)))
    (kd503,) = linked.findings
    assert kd503.evidence["same_as"] == [{"code": "KD303", "name": "name-of-kd303", "layer": "out"}]
    kd502 = _finding(
        "KD502", None, expected=[None, 8, 8, 3], received=[None, 8, 8], x_shape=[40, 8, 8]
    )
    assert links.same_as(links.link(Report((kd502,)), [KD301, KD303]).findings[0])[0]["code"] == (
        "KD301"
    )


@pytest.mark.parametrize(
    "kd5",
    [
        _kd503([None, 1], [None, 5]),  # another output width: another head
        _kd503([None, 1], [None, 10], loss="binary_crossentropy"),  # another loss
        _kd503([None, 3], [None, 10]),  # the targets Keras compared are not this y
        _finding("KD502", None, expected=[None, 8, 8, 3], received=[None, 8, 9], x_shape=None),
        _finding("KD505", "out", label=3, n_classes=10),  # in range: not KD305's fault
    ],
)
def test_link_leaves_other_faults_alone(kd5):
    kd305 = _finding("KD305", "out", output="out", units=10, min=0, max=10)
    report = links.link(Report((kd5,)), [KD301, KD303, kd305])
    assert report.findings == (kd5,)


def test_linked_finding_renders_as_one_line_reference():
    kd503 = links.link(Report((_kd503([None, 1], [None, 10]),)), [KD303]).findings[0]
    text = render.to_text(Report((kd503,)))
    assert text.splitlines()[:2] == [
        "KD503 error name-of-kd503",
        "  Keras raised the error that KD303 (name-of-kd303, layer 'out') reported above: its fix "
        "applies.",
    ]
    assert "fix of KD503" not in text and "message of KD503" not in text
    saved = json.loads(Report((kd503,)).to_json())["findings"][0]
    assert saved["fix"] == "fix of KD503" and saved["evidence"]["same_as"][0]["code"] == "KD303"


# --------------------------------------------------------------------------------------------
# under watch(): the exception is explained once, and reaches the user unchanged
# --------------------------------------------------------------------------------------------


@pytest.mark.backend
def test_fit_exception_already_diagnosed_is_explained_once():
    import keras

    emitted: list[Report] = []
    kerasdoctor.watch(emit=emitted.append, monitor=False)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(10, activation="softmax", name="out")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    x = np.random.rand(20, 6).astype("float32")
    y = np.random.randint(0, 10, size=(20, 1))
    with pytest.raises(ValueError) as raised:
        model.fit(x, y, epochs=1, batch_size=20, verbose=0)
    assert "target" in str(raised.value)  # Keras's own exception, unchanged
    assert raised.value.__traceback__ is not None
    report = hooks.unwatch()
    assert {"KD303", "KD503"} <= set(report.codes)
    kd303 = next(f for f in report if f.code == "KD303")
    kd503 = next(f for f in report if f.code == "KD503")
    assert [r["code"] for r in links.same_as(kd503)] == ["KD303"]  # JSON keeps both, linked
    text = "".join(render.to_text(r, width=200) for r in emitted)
    assert text.count(kd303.fix.splitlines()[0]) == 1  # the fix is printed once
    assert "Keras raised the error that KD303" in text
