"""The whole catalogue: every rule's bad() is reported, its good() is clean, it is documented."""

import re
import subprocess
import sys

import pytest

from kerasdoctor import engine
from kerasdoctor.rule import Category

RULES = engine.all_rules()
by_code = pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)


@pytest.mark.backend
@by_code
def test_bad_example_is_reported(rule, snapshot):
    report = engine.example_report(rule, "bad")
    assert report.findings, f"{rule.code} misses its own bad() example"
    assert set(report.codes) == {rule.code}, report.to_text()
    snapshot(f"{rule.code}.txt", report.to_text())


@pytest.mark.backend
@by_code
def test_good_example_is_clean(rule):
    report = engine.example_report(rule, "good")
    assert not report.findings, report.to_text()


@pytest.mark.backend
@by_code
def test_good_example_is_clean_for_every_rule(rule):
    """The fixed example raises no error or warning from any rule, not only its own."""
    report = engine.run(engine.example_context(rule.good))
    assert not report.at_least("warning"), report.to_text()


@by_code
def test_rule_is_documented(rule):
    doc = rule.doc
    assert doc.startswith("## What it does\nChecks for"), rule.code
    assert "## Why is this bad?" in doc
    assert "## References" in doc
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
    assert len(rule.summary) <= 60 and not rule.summary.endswith("."), rule.summary
    assert rule.check.__name__ == rule.name.replace("-", "_")
    assert rule.category is not Category.INTERNAL


@by_code
def test_rule_file_is_named_after_the_rule(rule):
    module = rule.check.__module__.rsplit(".", 1)[-1]
    assert module == f"{rule.code.lower()}_{rule.name.replace('-', '_')}"


def test_codes_are_read_from_the_file_names():
    assert engine.codes() == tuple(r.code for r in RULES)


def test_a_run_imports_only_the_rule_files_it_may_run():
    """A model's check imports the model and compile rules (KD1, KD2), not the data,
    training or exception ones; `select` narrows it further. In a fresh interpreter."""
    script = """
import sys
from kerasdoctor import engine
from kerasdoctor.rules import kd201_softmax_over_one_unit as kd201

def families():
    return sorted({m.rsplit(".", 1)[-1][:3] for m in sys.modules if ".rules.kd" in m})

ctx = kd201.bad()
engine.run(ctx, select=["KD201"])
print(families())
assert [f.code for f in engine.run(ctx).findings] == ["KD201"]
print(families())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[:2] == ["['kd2']", "['kd1', 'kd2']"]


def test_codes_and_names_are_unique():
    assert len({r.code for r in RULES}) == len({r.name for r in RULES}) == len(RULES)


def test_every_snapshot_belongs_to_a_rule():
    from tests.conftest import SNAPSHOTS

    codes = {r.code for r in RULES}
    assert {p.stem for p in SNAPSHOTS.glob("*.txt")} <= codes
