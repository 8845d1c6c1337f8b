"""SARIF output, `[tool.kerasdoctor]` configuration, the status line and the generated docs.

The seed case is our own small script, run in-process by `kerasdoctor run --dry-run` (the checks
run, training is skipped) so that these tests stay fast.
"""

import io
import json
import math
import re
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

from kerasdoctor import config, engine, progress
from kerasdoctor.cli import main
from kerasdoctor.report import Finding, Location, Report
from kerasdoctor.rule import Category, Severity

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

# A learning rate far too high (KD209) and a softmax over one unit (KD201): compile rules, in a
# script that compiles and fits.
SEED = textwrap.dedent(
    """\
    import numpy as np
    import keras

    x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(4, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=10.0), loss="binary_crossentropy")
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    """
)
LINES = SEED.splitlines()
COMPILE_LINE = 1 + next(i for i, text in enumerate(LINES) if text.startswith("model.compile("))
LAYER_LINE = 1 + next(i for i, text in enumerate(LINES) if 'name="out"' in text)


def validate(log: dict) -> None:
    jsonschema.validators.validator_for(SCHEMA)(SCHEMA).validate(log)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A working directory holding the seed script, as `kerasdoctor run` would be used."""
    (tmp_path / "train.py").write_text(SEED)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_json(*flags: str) -> dict:
    assert main(["run", "--dry-run", "--format", "json", "--output", "out.json", *flags,
                 "train.py"]) == 0
    return json.loads(Path("out.json").read_text())


# --------------------------------------------------------------------------------------------
# SARIF
# --------------------------------------------------------------------------------------------


def test_sarif_of_a_run_validates_and_points_at_the_compile_line(project):
    assert main(["run", "--dry-run", "--format", "sarif", "--output", "out.sarif",
                 "train.py"]) == 0
    log = json.loads((project / "out.sarif").read_text())
    validate(log)
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kerasdoctor"
    assert [r["id"] for r in driver["rules"]][:-1] == [r.code for r in engine.all_rules()]
    result = next(r for r in run["results"] if r["ruleId"] == "KD209")
    assert result["level"] == "error"
    assert driver["rules"][result["ruleIndex"]]["id"] == "KD209"
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "train.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"]["startLine"] == COMPILE_LINE
    # A finding about a layer points at the compile() call, or at the line building the layer.
    layer = next(r for r in run["results"] if r["ruleId"] == "KD201")["locations"][0]
    assert layer["physicalLocation"]["region"]["startLine"] in (COMPILE_LINE, LAYER_LINE)
    assert layer["logicalLocations"] == [{"name": "out", "kind": "object"}]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.absolute().as_uri() + "/"
    text = result["message"]["text"]
    assert "Received:" in text and "\nExpected: " in text and "\nFix: " in text


def test_sarif_rule_catalogue():
    log = json.loads(Report().to_sarif())
    validate(log)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {r.code for r in engine.all_rules()} | {"KD000"}
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for rule in engine.all_rules():
        descriptor = rules[rule.code]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"].startswith("Checks for")
        assert "## Why is this bad?" in descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["level"] == levels[str(rule.severity)]


def _finding(**changes) -> Finding:
    base = dict(code="KD401", name="loss-not-finite", severity=Severity.ERROR,
                category=Category.TRAINING, message="Loss is nan. Received: loss=nan",
                expected="A finite loss.", fix="Lower the learning rate.",
                location=Location(), evidence={"loss": math.nan, "lr": 1.0}, docs="")
    return Finding(**{**base, **changes})


def test_sarif_locations_and_odd_values(tmp_path):
    inside = tmp_path / "my dir" / "train.py"
    outside = Path("/elsewhere/train.py")
    report = Report((
        _finding(location=Location(str(inside), 7, "out")),
        _finding(code="KD402", location=Location(str(outside), 3)),
        _finding(code="KD403", location=Location(None, None, "dense")),
        _finding(code="KD000", name="check-crashed", severity=Severity.INFO),
    ))
    log = json.loads(report.to_sarif(root=str(tmp_path), artifact=str(tmp_path / "m.keras")))
    validate(log)
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    first = results["KD401"]["locations"][0]
    assert first["physicalLocation"]["artifactLocation"]["uri"] == "my%20dir/train.py"
    assert first["physicalLocation"]["region"] == {"startLine": 7}
    assert first["logicalLocations"] == [{"name": "out", "kind": "object"}]
    assert results["KD401"]["properties"]["evidence"]["loss"] == "nan"  # valid JSON, no NaN
    assert (results["KD402"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "file:///elsewhere/train.py")
    # No source line: the finding points at the artifact (the model file), without a region.
    third = results["KD403"]["locations"][0]["physicalLocation"]
    assert third == {"artifactLocation": {"uri": "m.keras", "uriBaseId": "%SRCROOT%"}}
    assert results["KD000"]["level"] == "note"


def test_check_writes_sarif(tmp_path, capsys, monkeypatch):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="softmax",
                                                                     name="out")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.save(tmp_path / "model.keras")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "model.keras", "--format", "sarif", "--no-config"]) == 1
    log = json.loads(capsys.readouterr().out)
    validate(log)
    result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "KD201")
    assert (result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "model.keras")


# --------------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------------


def test_pyproject_ignore_silences_the_compile_rules_for_run(project):
    assert "KD201" in [f["code"] for f in run_json()["findings"]]
    (project / "pyproject.toml").write_text('[tool.kerasdoctor]\nignore = ["KD2"]\n')
    codes = [f["code"] for f in run_json()["findings"]]
    assert not [c for c in codes if c.startswith("KD2")], codes
    # A flag overrides the file: `--ignore` replaces its `ignore`.
    assert "KD201" in [f["code"] for f in run_json("--ignore", "KD3")["findings"]]
    assert "KD201" in [f["code"] for f in run_json("--no-config")["findings"]]


def test_pyproject_severity_for_run_and_flag_override(project):
    (project / "pyproject.toml").write_text(
        '[tool.kerasdoctor.severity]\nKD201 = "warning"\n'
    )
    severities = {f["code"]: f["severity"] for f in run_json()["findings"]}
    assert severities["KD201"] == "warning" and severities["KD209"] == "error"
    severities = {f["code"]: f["severity"] for f in run_json("--severity", "KD2=info")["findings"]}
    assert severities["KD201"] == severities["KD209"] == "info"


@pytest.mark.parametrize(
    "toml, needle",
    [
        ('selct = ["KD2"]', "unknown key 'selct'"),
        ('ignore = ["KD299"]', "unknown rule code 'KD299'"),
        ('[tool.kerasdoctor.severity]\nKD406 = "fatal"', "unknown severity 'fatal'"),
        ('[tool.kerasdoctor.severity]\nKD999 = "info"', "unknown rule code 'KD999'"),
        ('[tool.kerasdoctor.params.KD209]\nmax_lr = 1.0', "unknown parameter 'max_lr' for KD209"),
        ('[tool.kerasdoctor.params.KD299]\nx = 1', "unknown rule code 'KD299'"),
        ('[tool.kerasdoctor.params.KD406]\npatience = "two"', "parameter 'patience' of KD406"),
        ("ignore = [", "cannot read"),
    ],
)
def test_bad_configuration_is_a_one_line_error(project, capsys, toml, needle):
    head = "" if toml.startswith("[tool") else "[tool.kerasdoctor]\n"
    (project / "pyproject.toml").write_text(head + toml + "\n")
    assert main(["run", "--dry-run", "train.py"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kerasdoctor: error: ") and needle in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "pyproject.toml" in err


def test_bad_flags_are_one_line_errors(project, capsys):
    for flags, needle in [
        (["--select", "KD9"], "unknown rule code 'KD9' in select (the command line)"),
        (["--param", "KD209.far_above"], "--param takes CODE.NAME=VALUE"),
        (["--param", "KD209.nope=1"], "unknown parameter 'nope' for KD209"),
        (["--severity", "KD209"], "--severity takes CODE=LEVEL"),
        (["--config", "missing.toml"], "no such configuration file"),
    ]:
        assert main(["run", "--dry-run", *flags, "train.py"]) == 2, flags
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1, err


def test_config_found_upward_first_file_with_the_section_wins(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.kerasdoctor]\nselect = ["KD2", "KD3"]\nignore = ["kd305"]\n'
        "[tool.kerasdoctor.params.KD209]\nfar_above = 20\n"
    )
    sub = tmp_path / "pkg" / "sub"
    sub.mkdir(parents=True)
    (tmp_path / "pkg" / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    assert config.find(sub) == tmp_path / "pyproject.toml"  # a file without the section: skipped
    settings = config.from_file(sub)
    assert settings.select == ("KD2", "KD3") and settings.ignore == ("KD305",)
    assert settings.params == {"KD209": {"far_above": 20}}
    assert settings.selects("KD201") and not settings.selects("KD305")
    (sub / "pyproject.toml").write_text('[tool.kerasdoctor]\nignore = ["KD4"]\n')
    assert config.from_file(sub).ignore == ("KD4",) and config.from_file(sub).select == ("KD",)


def test_arguments_override_the_file(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.kerasdoctor]\nignore = ["KD2"]\n[tool.kerasdoctor.severity]\nKD4 = "info"\n'
        "[tool.kerasdoctor.params.KD406]\npatience = 4\nmin_rise = 0.1\n"
    )
    monkeypatch.chdir(tmp_path)
    settings = config.resolve(
        ignore=["KD3"], severity={"KD406": "error"}, params={"KD406": {"patience": 6}}
    )
    assert settings.ignore == ("KD3",) and settings.select == ("KD",)
    assert settings.severity_of("KD406") is Severity.ERROR  # the longest prefix wins
    assert settings.severity_of("KD401") is Severity.INFO
    assert settings.params == {"KD406": {"patience": 6, "min_rise": 0.1}}
    assert config.resolve(config=False) == config.Config()
    with pytest.raises(config.ConfigError, match="unknown rule code 'KD7'"):
        config.resolve(select=["KD7"])


def test_diagnose_reads_pyproject(tmp_path, monkeypatch):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="softmax",
                                                                     name="out")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    monkeypatch.chdir(tmp_path)
    assert "KD201" in engine.diagnose(model).codes
    (tmp_path / "pyproject.toml").write_text('[tool.kerasdoctor.severity]\nKD201 = "info"\n')
    assert [str(f.severity) for f in engine.diagnose(model) if f.code == "KD201"] == ["info"]
    (tmp_path / "pyproject.toml").write_text('[tool.kerasdoctor]\nignore = ["KD201"]\n')
    assert "KD201" not in engine.diagnose(model).codes
    assert "KD201" in engine.diagnose(model, ignore=[]).codes
    assert "KD201" in engine.diagnose(model, config=False).codes


# --------------------------------------------------------------------------------------------
# the status line
# --------------------------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_line_only_on_a_terminal():
    tty, pipe = FakeTerminal(), io.StringIO()
    for stream in (tty, pipe):
        line = progress.StatusLine(stream)
        with line.during("kerasdoctor: working…"):
            pass
    assert tty.getvalue() == "\r\x1b[2Kkerasdoctor: working…\r\x1b[2K"
    assert pipe.getvalue() == ""


def test_run_shows_status_on_a_terminal_only_in_text_format(project, monkeypatch):
    tty = FakeTerminal()
    monkeypatch.setattr("sys.stderr", tty)
    assert main(["run", "--dry-run", "--no-config", "train.py"]) == 0
    shown = tty.getvalue()
    assert "\x1b[2Kkerasdoctor: importing Keras to run train.py…" in shown
    assert f"\x1b[2Kkerasdoctor: checking the model and compile() at train.py:{COMPILE_LINE}…" in (
        shown
    )
    # Each status is erased before anything else is written.
    assert not re.search(r"…[^\r]", shown), shown

    for stream, flags in [(FakeTerminal(), ["--format", "json", "--output", "o.json"]),
                          (io.StringIO(), [])]:
        monkeypatch.setattr("sys.stderr", stream)
        assert main(["run", "--dry-run", "--no-config", *flags, "train.py"]) == 0
        assert "\x1b[2K" not in stream.getvalue()


def _one_unit_softmax(activation: str):
    def make():
        import keras

        from kerasdoctor.gallery import Setup

        model = keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(1, activation=activation, name="out")]
        )
        model.compile(optimizer="adam", loss="binary_crossentropy")
        return Setup(model)

    return make


def test_demo_shows_status_on_a_terminal(monkeypatch, capsys):
    from kerasdoctor import gallery

    case = gallery.Case("Compile", "Softmax over one unit", "nothing", _one_unit_softmax("softmax"),
                        _one_unit_softmax("sigmoid"), ("KD201",))
    monkeypatch.setattr(gallery, "CASES", (case,))
    tty = FakeTerminal()
    monkeypatch.setattr("sys.stderr", tty)
    assert main(["demo", "--no-config"]) == 0
    assert "\x1b[2Kkerasdoctor demo: diagnosing 1/1: Softmax over one unit…" in tty.getvalue()
    assert "\x1b[2K" not in capsys.readouterr().out
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert main(["demo", "--no-config"]) == 0
    assert sys.stderr.getvalue() == ""


# --------------------------------------------------------------------------------------------
# docs
# --------------------------------------------------------------------------------------------


def test_docs_writes_a_page_per_rule_and_an_index(tmp_path, capsys):
    out = tmp_path / "rules"
    assert main(["docs", str(out)]) == 0
    rules = engine.all_rules()
    assert {p.name for p in out.iterdir()} == {f"{r.code}.md" for r in rules} | {"index.md"}
    index = (out / "index.md").read_text()
    for rule in rules:
        assert f"| [{rule.code}]({rule.code}.md) | {rule.name} |" in index
        page = (out / f"{rule.code}.md").read_text()
        assert page.startswith(f"# {rule.code} {rule.name}\n")
        for part in ("## What it does", "## Example", "## What kerasdoctor says", "## Use instead"):
            assert part in page, (rule.code, part)
        assert "(no recorded output)" not in page
    for category in ("## Model (KD1xx)", "## Compile (KD2xx)", "## Training (KD4xx)"):
        assert category in index
    capsys.readouterr()
    assert main(["rule", "KD209", "--format", "markdown"]) == 0
    assert capsys.readouterr().out == (out / "KD209.md").read_text() + "\n"
