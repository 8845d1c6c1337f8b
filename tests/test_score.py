"""The corpus scorer (bench/score.py) keeps working: headers parse, codes map to categories,
one real pair is scored through the `kerasdoctor run` command line, and RESULTS.md sections are
rewritten in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bench import score

PAIR = "output_units/one_softmax_unit_seven_classes"


def test_every_pair_has_a_header_with_a_known_category():
    pairs = score.discover()
    assert len(pairs) >= 32
    for pair in pairs:
        header = score.parse_header(pair.buggy)
        source = header.get("Source", "")
        assert source.startswith("http") or (pair.family == "mutants" and source), pair.key
        assert pair.category in score.CATEGORIES, (pair.key, pair.category)
        assert header.get("Symptom") and header.get("Fix"), pair.key


def test_category_table_names_only_known_categories():
    for code, categories in score.CATEGORY_OF.items():
        assert code.startswith("KD") and len(code) == 5
        assert set(categories) <= set(score.CATEGORIES), code


def test_header_values_continue_on_indented_lines(tmp_path: Path):
    script = tmp_path / "x_buggy.py"
    script.write_text(
        '"""Title line.\n\nSource: https://example.org/q\nSymptom: first\n  second\n'
        'Fault category: loss-task\nNeeds-training: yes\n"""\n'
    )
    header = score.parse_header(script)
    assert header["Symptom"] == "first second"
    assert header["Fault category"] == "loss-task"
    assert header["Needs-training"] == "yes"


def _outcome(found_codes, fixed_codes, raises):
    pair = score.Pair("fam", "slug", Path("a"), Path("b"), "loss-task", "https://x", False)

    def run(codes):
        findings = [{"code": c, "severity": s} for c, s in codes]
        return score.Run(returncode=0, seconds=1.0, findings=findings, report_ok=True)

    base = score.Run(returncode=1 if raises else 0, seconds=1.0)
    return score.Outcome(pair, run(found_codes), run(fixed_codes), base)


def test_recall_false_alarms_and_baseline_are_counted():
    hit = _outcome([("KD212", "warning")], [("KD101", "info")], raises=False)
    info_only = _outcome([("KD212", "info")], [], raises=True)
    wrong_family = _outcome([("KD301", "error")], [("KD315", "warning")], raises=True)
    assert hit.found and not hit.false_alarm and hit.keras_raises is False
    assert not info_only.found
    assert not wrong_family.found and wrong_family.false_alarm
    text = score.table([hit, info_only, wrong_family])
    assert "| loss-task | 3 | 1/3 (33%) | 1/3 (33%) | 2/3 (67%) |" in text
    listing = score.details([hit, info_only, wrong_family], "jax")
    assert "Misses (2)" in listing and "False alarms (1)" in listing


def test_sections_are_rewritten_in_place(tmp_path: Path):
    results = tmp_path / "RESULTS.md"
    score.write_section(results, "score:jax", "## jax\nold\n")
    score.write_section(results, "score:torch", "## torch\n")
    score.write_section(results, "score:jax", "## jax\nnew\n")
    text = results.read_text()
    assert text.count("<!-- score:jax -->") == 1 and "new" in text and "old" not in text
    assert text.index("score:jax") < text.index("score:torch")


@pytest.mark.backend
def test_one_pair_scored_through_the_command_line():
    backend = os.environ.get("KERAS_BACKEND", "jax")
    (pair,) = [p for p in score.discover() if p.key == PAIR]
    (outcome,) = score.score([pair], backend=backend, jobs=2, timeout=240, baseline=False)
    assert outcome.buggy.report_ok and outcome.fixed.report_ok, (
        outcome.buggy.tail,
        outcome.fixed.tail,
    )
    assert outcome.found, outcome.buggy.codes()
    assert not outcome.false_alarm, outcome.fixed.codes()


@pytest.mark.backend
def test_forked_runs_end_as_fresh_processes_do(tmp_path: Path):
    """A program forked from a worker that imported Keras exits, prints and times out as it
    does in a fresh `python` (fork safety: the worker has no thread but its main one)."""
    backend = os.environ.get("KERAS_BACKEND", "jax")
    scripts = {  # name: (program, exit status, first line of its output)
        "exits": (
            "import sys\nprint('out', sys.argv[1:], __name__)\nsys.exit(3)\n",
            3,
            "out [] __main__",
        ),
        "raises": ("raise ValueError('boom')\n", 1, "Traceback (most recent call last):"),
        "hangs": ("import time\ntime.sleep(60)\n", None, None),
        "fits": (
            "import numpy as np, keras\n"
            "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
            "m.compile('sgd', 'mse')\n"
            "m.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=1, verbose=0)\n"
            f"print('fitted in', __import__('os').getcwd() != {str(tmp_path)!r})\n",
            0,
            "fitted in True",
        ),
    }
    env = score._env(backend, 2)  # one BLAS thread: with more, OpenBLAS's pool runs at import
    workers = score.Workers(env, 1)
    try:
        assert workers.fork_safe, workers.imports
        for name, (text, status, first) in scripts.items():
            script = tmp_path / f"{name}.py"
            script.write_text(text)
            timeout = 3 if name == "hangs" else 120
            forked = score.plain_python(script, env=env, timeout=timeout, workers=workers)
            assert forked.returncode == status, (name, forked.tail)
            assert forked.tail.splitlines()[:1] == ([first] if first else []), (name, forked.tail)
            if name != "fits":  # the same in a fresh process (without importing Keras again)
                fresh = score.plain_python(script, env=env, timeout=timeout)
                assert (fresh.returncode, fresh.tail.splitlines()[:1]) == (
                    status,
                    [first] if first else [],
                )
    finally:
        workers.close()
