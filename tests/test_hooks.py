"""watch()/unwatch() and `kerasdoctor run`: diagnose without changing what the script does."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kerasdoctor
from kerasdoctor import hooks


@pytest.fixture(autouse=True)
def never_left_watching():
    yield
    hooks.unwatch()


def _train(seed: int = 0):
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0)
    return [w.copy() for w in model.get_weights()], history.history


@pytest.mark.backend
def test_watch_does_not_change_what_training_computes():
    weights, history = _train()
    kerasdoctor.watch(emit=lambda report: None)
    watched_weights, watched_history = _train()
    kerasdoctor.unwatch()
    assert history == watched_history
    for a, b in zip(weights, watched_weights, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.backend
def test_unwatch_restores_keras_exactly():
    import keras

    before = {name: keras.Model.__dict__.get(name) for name in ("compile", "fit", "evaluate", "predict")}
    kerasdoctor.watch(emit=lambda report: None)
    assert keras.Model.fit is not before["fit"] or before["fit"] is None
    kerasdoctor.unwatch()
    after = {name: keras.Model.__dict__.get(name) for name in before}
    assert after == before


@pytest.mark.backend
def test_findings_point_at_the_users_compile_line():
    import keras

    seen = []
    # built before watch(): no construction site (tests/test_layer_sites.py), so the compile line
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="softmax", name="out")])
    kerasdoctor.watch(emit=seen.append)
    model.compile(optimizer="adam", loss="binary_crossentropy"); line = sys._getframe().f_lineno  # noqa: E702
    report = kerasdoctor.unwatch()
    finding = next(f for f in report if f.code == "KD201")
    assert finding.location.file == __file__ and finding.location.line == line
    assert seen and seen[0].findings[0].code == "KD201"


@pytest.mark.backend
def test_generator_still_yields_every_batch_to_fit():
    import keras

    served = []

    def batches():
        for i in range(5):
            served.append(i)
            yield np.full((4, 3), i, "float32"), np.zeros((4, 1), "float32")

    kerasdoctor.watch(emit=lambda report: None)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(batches(), epochs=1, verbose=0)
    kerasdoctor.unwatch()
    assert served == [0, 1, 2, 3, 4]
    assert len(history.history["loss"]) == 1


@pytest.mark.backend
def test_dry_run_skips_training_but_not_evaluate():
    import keras

    kerasdoctor.watch(dry_run=True, emit=lambda report: None)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=100, verbose=0)
    assert history.history == {}
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(model.evaluate(np.ones((8, 3)), np.ones((8, 1)), verbose=0))


@pytest.mark.backend
def test_strict_stops_before_training():
    import keras

    kerasdoctor.watch(strict=True, emit=lambda report: None)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="softmax")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(hooks.StopBeforeTraining):
        model.fit(np.ones((8, 3)), np.ones((8, 1)), verbose=0)


# --------------------------------------------------------------------------------------------
# kerasdoctor run, as a user runs it
# --------------------------------------------------------------------------------------------

SOFTMAX_BCE = """
import numpy as np
import keras
print("script starts", __name__)
model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(2, activation="softmax", name="out")])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(np.random.rand(20, 10), np.random.randint(0, 2, (20, 1)), verbose=0)
"""

CLEAN = """
import sys
import numpy as np
import keras
print("args", sys.argv[1:])
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.rand(30, 4), np.random.randint(0, 3, (30,)), epochs=1, verbose=0)
print("done")
"""


def _script(tmp_path, source: str, name: str = "train.py") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return str(path)


def _run(*args, cwd=None):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def _both(tmp_path, source: str, *script_args: str, options=()):
    path = _script(tmp_path, source)
    plain = _run(sys.executable, path, *script_args, cwd=tmp_path)
    ours = _run(sys.executable, "-m", "kerasdoctor", "run", *options, path, *script_args, cwd=tmp_path)
    return plain, ours


def _kd_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("kerasdoctor")]


@pytest.mark.backend
def test_run_diagnoses_and_keeps_output_and_exit_status(tmp_path):
    plain, ours = _both(tmp_path, SOFTMAX_BCE)
    assert ours.stdout == plain.stdout == "script starts __main__\n"
    assert ours.returncode == plain.returncode == 1
    assert "KD202" in ours.stderr
    assert ours.stderr.rstrip().endswith("problems: 1 error.") or "kerasdoctor: Found" in ours.stderr
    assert "ValueError: Arguments `target` and `output` must have the same shape" in ours.stderr


@pytest.mark.backend
def test_run_clean_script_passes_args_and_exits_zero(tmp_path):
    plain, ours = _both(tmp_path, CLEAN, "--lr", "0.1")
    assert ours.stdout == plain.stdout == "args ['--lr', '0.1']\ndone\n"
    assert ours.returncode == plain.returncode == 0
    assert _kd_lines(ours.stderr) == ["kerasdoctor: No problems found."]


@pytest.mark.backend
def test_run_json_output_file_keeps_stdout_clean(tmp_path):
    report = tmp_path / "report.json"
    plain, ours = _both(tmp_path, SOFTMAX_BCE, options=("--output", str(report)))
    assert ours.stdout == plain.stdout
    data = json.loads(report.read_text())
    assert "KD202" in [f["code"] for f in data["findings"]]
    assert data["findings"][0]["location"]["file"].endswith("train.py")


@pytest.mark.backend
def test_run_dry_run_and_fail_on(tmp_path):
    path = _script(tmp_path, CLEAN.replace("epochs=1", "epochs=10000"))
    done = _run(sys.executable, "-m", "kerasdoctor", "run", "--dry-run", "--fail-on", "warning", path)
    assert done.returncode == 0 and done.stdout.endswith("done\n")


def test_run_missing_script(tmp_path):
    done = _run(sys.executable, "-m", "kerasdoctor", "run", str(tmp_path / "nope.py"))
    assert done.returncode == 2
    assert len(_kd_lines(done.stderr)) == 1 and "can't open file" in done.stderr


@pytest.mark.parametrize(
    "source, status, tail",
    [
        ("x = (\n", 1, "SyntaxError"),
        ("print('before')\n1 / 0\n", 1, "ZeroDivisionError: division by zero"),
        ("import sys\nprint('bye')\nsys.exit(3)\n", 3, None),
        ("raise SystemExit('stopped by the script')\n", 1, "stopped by the script"),
    ],
    ids=["syntax-error", "non-keras-error", "sys-exit-3", "exit-message"],
)
def test_run_behaves_like_python_on_bad_scripts(tmp_path, source, status, tail):
    plain, ours = _both(tmp_path, source)
    assert ours.returncode == plain.returncode == status
    assert ours.stdout == plain.stdout
    if tail:
        assert tail in plain.stderr and tail in ours.stderr
    assert len(_kd_lines(ours.stderr)) <= 1


def test_on_fresh_stack_is_the_call_it_wraps():
    def f(a, /, b, *, c):
        return a, b, c

    assert hooks.on_fresh_stack(f, 1, 2, c=3) == (1, 2, 3)
    error = ValueError("from inside")

    def raises():
        raise error

    with pytest.raises(ValueError) as caught:
        hooks.on_fresh_stack(raises)
    assert caught.value is error

    def depth(n):
        return depth(n - 1) + 1 if n else 0

    assert hooks.on_fresh_stack(depth, sys.getrecursionlimit() // 2) == sys.getrecursionlimit() // 2
    with pytest.raises(RecursionError):
        hooks.on_fresh_stack(depth, sys.getrecursionlimit())


def _mappings() -> set[bytes]:
    with open("/proc/self/maps", "rb") as maps:
        return set(maps.read().splitlines())


def _mapped_at_depth(n: int) -> set[bytes]:
    """The process's memory mappings seen `n` calls deeper than the caller."""
    return _mapped_at_depth(n - 1) if n else _mappings()


@pytest.mark.skipif(
    sys.implementation.name != "cpython" or not os.path.exists("/proc/self/maps"),
    reason="CPython's frame-stack chunks, seen in Linux's /proc/self/maps",
)
def test_calls_on_a_fresh_stack_map_no_frame_chunks():
    # 400 calls need ~5,000 frame slots: more than a 16 KiB chunk, so CPython maps one more.
    before = _mappings()
    assert _mapped_at_depth(400) - before, "CPython no longer maps frame chunks this way"

    def inside():
        before = _mappings()
        return _mapped_at_depth(400) - before

    assert hooks.on_fresh_stack(inside) == set()
