"""`kerasdoctor run` on our own re-expression of every seed case (tests/seed_scripts/case_*.py).

Each script is a small, ordinary training script with one of the seed faults. Under
`kerasdoctor run` it must get the right diagnosis on every backend, while its own stdout and
its exit status stay what plain Python gives. To keep CI fast the scripts run in-process
(`kerasdoctor.cli.main(["run", ...])` against `hooks.run_script` unwatched); one test runs the
real commands in subprocesses, end to end.

Seeds G, H, N2 and O are training faults that the Monitor (KD4) diagnoses as training goes;
here only their compile and data findings, which are stable, are asserted: KD4 codes are
left out of every comparison below.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kerasdoctor import cli, hooks

SCRIPTS = Path(__file__).parent / "seed_scripts"
BACKEND = os.environ.get("KERAS_BACKEND", "jax")

# case: (the error/warning codes expected from compile, data and exception rules, exit status)
# KD4 (training) codes are not compared; info findings are not compared either (seed cases
# A, B, G have a Conv2D/Dense without activation feeding another layer: KD101 advice).
EXPECTED: dict[str, tuple[set[str], int]] = {
    "a": ({"KD301", "KD303", "KD502"}, 1),  # x lacks the channel axis; class ids with CCE
    "a2": ({"KD303", "KD503"}, 1),  # class ids with CCE; Keras's shape error explained
    "b": (set(), 0),  # the correct set-up
    "c": ({"KD202", "KD503"}, 1),  # softmax(2) with binary_crossentropy
    "d1": ({"KD203"}, 0),  # sigmoid(10) with categorical_crossentropy: silent in Keras
    "d2": ({"KD203", "KD303", "KD503"}, 1),  # ... and class ids
    "e": ({"KD501"}, 1),  # Conv2D given 2-D input_shape: Sequential(...) raises
    "f": ({"KD303", "KD306", "KD503"}, 1),  # class ids with CCE; class 9 never occurs
    "g": ({"KD210"}, 0),  # FTRL defaults on a 2-layer network (Monitor: slow loss)
    "h": ({"KD322"}, 0),  # overfitting set-up (Monitor: KD406 overfitting)
    "i": ({"KD204"}, 0),  # logits with from_logits=False
    "j": ({"KD205"}, 0),  # softmax with from_logits=True
    # label 10 for 10 classes: TensorFlow and PyTorch raise (explained: KD505), JAX is silent
    "k": ({"KD305"}, 0) if BACKEND == "jax" else ({"KD305", "KD505"}, 1),
    "l1": ({"KD501"}, 1),  # LSTM given 2-D input_shape: Sequential(...) raises
    "l2": ({"KD302"}, 0),  # trailing axis added silently
    "m": ({"KD206"}, 0),  # mse on a softmax classifier
    "n1": ({"KD510"}, 1),  # SGD(learning_rate=10): an int; the optimizer raises
    "n2": ({"KD209"}, 0),  # learning rate 10.0 (Monitor: NaN on TF, plateau elsewhere)
    "o": ({"KD315"}, 0),  # raw uint8 pixels (Monitor: KD403 saturated output)
}

# The exception Keras raises in fit() is the fault a pre-fit finding already reported: the KD5
# explanation is linked to it (evidence["same_as"] in JSON) and printed as a one-line reference,
# not a second fix (see kerasdoctor/links.py). case: {KD5 code: the earlier code}.
LINKED: dict[str, dict[str, str]] = {
    "a": {"KD502": "KD301"},
    "a2": {"KD503": "KD303"},
    "c": {"KD503": "KD202"},
    "d2": {"KD503": "KD303"},
    "f": {"KD503": "KD303"},
    "k": {"KD505": "KD305"},  # TensorFlow and PyTorch raise; JAX is silent
}

# Findings about a layer carry the line where the script constructed it (see hooks.py).
LAYER_LINES = {"e": ("conv2d", "Conv2D(4, (3, 3)"), "l1": ("lstm", "LSTM(8, input_shape")}


def test_every_seed_script_is_covered():
    assert sorted(p.stem.removeprefix("case_") for p in SCRIPTS.glob("case_*.py")) == sorted(
        EXPECTED
    )


def _in_process(path: Path, capfd, *, watched: bool, report: Path | None = None):
    """Run a script in this process, as `python` (unwatched) or `kerasdoctor run` would."""
    import keras

    keras.backend.clear_session()
    saved_cwd, saved_argv = os.getcwd(), sys.argv[:]
    capfd.readouterr()
    os.chdir(path.parent)
    try:
        if watched:
            status = cli.main(["run", "--output", str(report), path.name])
        else:
            status = hooks.run_script(path.name, [])
    finally:
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        hooks.unwatch()
    out, err = capfd.readouterr()
    return status, out, err


def _diagnosis(report: Path) -> tuple[set[str], list[dict]]:
    findings = json.loads(report.read_text())["findings"]
    codes = {
        f["code"]
        for f in findings
        if f["severity"] in ("error", "warning") and not f["code"].startswith("KD4")
    }
    return codes, findings


@pytest.mark.backend
@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_run_diagnoses_seed_script(case, tmp_path, capfd):
    path = SCRIPTS / f"case_{case}.py"
    expected_codes, expected_status = EXPECTED[case]

    plain_status, plain_out, plain_err = _in_process(path, capfd, watched=False)
    report = tmp_path / "report.json"
    status, out, err = _in_process(path, capfd, watched=True, report=report)

    assert (status, plain_status) == (expected_status, expected_status), err[-3000:]
    assert out == plain_out, "kerasdoctor run changed the script's own stdout"
    assert out.strip(), "every seed script prints something"
    codes, findings = _diagnosis(report)
    assert codes == expected_codes, [(f["code"], f["message"][:200]) for f in findings]
    for code in expected_codes:
        assert code in err, f"{code} is in the report but was not printed"
    for code, earlier in LINKED.get(case, {}).items():
        if code in expected_codes:  # explained once: a reference, not the fix again
            finding = next(f for f in findings if f["code"] == code)
            assert [r["code"] for r in finding["evidence"].get("same_as", [])] == [earlier]
            assert f"Keras raised the error that {earlier} (" in err
            assert finding["message"][:80] not in err  # its explanation is in the JSON only
    if expected_status:  # the user's exception reaches them unchanged, after our explanation
        # the same last line (TensorFlow numbers its traced functions: 'Op:..._17132')
        last = re.sub(r"\d+", "N", plain_err.strip().splitlines()[-1])
        assert re.sub(r"\d+", "N", err.strip().splitlines()[-2]) == last  # then our summary
        first = min(err.index(code) for code in expected_codes)
        assert first < err.index("Traceback (most recent call last)")
    if case in LAYER_LINES:
        layer, source = LAYER_LINES[case]
        finding = next(f for f in findings if f["location"]["layer"] == layer)
        lines = path.read_text().splitlines()
        assert finding["location"]["file"].endswith(path.name)
        assert source in lines[finding["location"]["line"] - 1]


@pytest.mark.backend
def test_run_end_to_end_in_subprocesses(tmp_path):
    """The real commands: `python case_e.py` against `kerasdoctor run case_e.py`."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}

    def run(*command):
        return subprocess.run(
            command, capture_output=True, text=True, cwd=SCRIPTS, env=env, timeout=300
        )

    plain = run(sys.executable, "case_e.py")
    ours = run(sys.executable, "-m", "kerasdoctor", "run", "case_e.py")
    assert ours.returncode == plain.returncode == 1
    assert ours.stdout == plain.stdout == "building the model\n"
    assert "KD501" in ours.stderr and "KD501" not in plain.stderr
    assert "case_e.py:8" in ours.stderr  # the line that constructs the Conv2D
    assert plain.stderr.strip().splitlines()[-1] == ours.stderr.strip().splitlines()[-2]
    assert ours.stderr.strip().splitlines()[-1].startswith("kerasdoctor: Found 1 problem")
