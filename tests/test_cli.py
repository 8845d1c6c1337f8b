"""The command line: catalogue pages without a backend, `check` on saved models, clear input errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from kerasdoctor.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kerasdoctor", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("args", [["rules"], ["rule", "KD201"], ["rules", "--format", "json"]])
def test_catalogue_commands_import_no_backend(args):
    code = (
        f"import sys; from kerasdoctor.cli import main; rc = main({args!r}); "
        "loaded = [m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules]; "
        "print('LOADED', loaded); sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout


def test_rules_lists_every_rule(capsys):
    from kerasdoctor import all_rules

    assert main(["rules", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["code"] for row in rows] == [r.code for r in all_rules()]
    assert all(row["summary"] and row["severity"] in ("error", "warning", "info") for row in rows)


def test_rule_page_has_docs_examples_and_output(capsys):
    assert main(["rule", "KD201", "--format", "markdown"]) == 0
    page = capsys.readouterr().out
    for part in ("# KD201 softmax-over-one-unit", "## Why is this bad?", "## Example",
                 "kerasdoctor.diagnose(model)", "## What kerasdoctor says", "Found 1 problem",
                 "## Use instead", "## References"):
        assert part in page


def test_unknown_rule_is_a_usage_error(capsys):
    assert main(["rule", "KD999"]) == 2
    assert "no rule 'KD999'" in capsys.readouterr().err


def _save(model, tmp_path, name="model.keras"):
    path = tmp_path / name
    model.save(path)
    return str(path)


def _softmax_one_unit_model():
    import keras

    model = keras.Sequential(
        [keras.Input((10,)), keras.layers.Dense(8, activation="relu", name="hidden"),
         keras.layers.Dense(1, activation="softmax", name="out")]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


@pytest.mark.backend
def test_check_reports_a_saved_model_as_json(tmp_path, capsys):
    path = _save(_softmax_one_unit_model(), tmp_path)
    assert main(["check", path, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"findings", "summary"}
    finding = next(f for f in report["findings"] if f["code"] == "KD201")
    assert set(finding) >= {"code", "name", "severity", "category", "message", "expected", "fix",
                            "location", "evidence"}
    assert finding["location"]["layer"] == "out"
    assert report["summary"]["error"] >= 1


@pytest.mark.backend
def test_check_select_and_ignore(tmp_path, capsys):
    path = _save(_softmax_one_unit_model(), tmp_path)
    assert main(["check", path, "--format", "json", "--ignore", "KD2"]) == 0
    assert all(not f["code"].startswith("KD2") for f in json.loads(capsys.readouterr().out)["findings"])
    main(["check", path, "--format", "json", "--select", "KD201"])
    assert {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]} == {"KD201"}


@pytest.mark.backend
def test_check_clean_model_exits_zero(tmp_path, capsys):
    import keras

    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert main(["check", _save(model, tmp_path)]) == 0
    assert "No problems found." in capsys.readouterr().out


@pytest.mark.backend
def test_check_with_data_file(tmp_path, capsys):
    path = _save(_softmax_one_unit_model(), tmp_path)
    data = tmp_path / "data.npz"
    np.savez(data, x=np.random.rand(20, 10).astype("float32"), y=np.random.randint(0, 2, (20, 1)))
    assert main(["check", path, "--data", str(data), "--validation-split", "0.2"]) == 1
    assert "KD201" in capsys.readouterr().out


def _one_line_error(done: subprocess.CompletedProcess, needle: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("kerasdoctor:")]
    assert len(lines) == 1 and needle in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_check_missing_file(tmp_path):
    _one_line_error(run_cli("check", str(tmp_path / "nope.keras")), "no such model file")


@pytest.mark.backend
def test_check_corrupt_file(tmp_path):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"this is not a zip archive")
    _one_line_error(run_cli("check", str(path)), "cannot load model")


@pytest.mark.backend
def test_check_refuses_code_in_model_file(tmp_path):
    import keras

    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(lambda t: t * 2)(inputs)
    path = _save(keras.Model(inputs, outputs), tmp_path)
    _one_line_error(run_cli("check", path), "safe_mode")


@pytest.mark.backend
def test_check_data_without_x(tmp_path):
    path = _save(_softmax_one_unit_model(), tmp_path)
    data = tmp_path / "data.npz"
    np.savez(data, features=np.zeros((3, 10)))
    _one_line_error(run_cli("check", path, "--data", str(data)), "no array named 'x'")


def test_usage_error_exits_two():
    done = run_cli("frobnicate")
    assert done.returncode == 2
