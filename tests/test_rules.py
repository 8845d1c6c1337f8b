"""The whole catalogue: every rule's bad() is reported, its good() is clean, it is documented."""

import re

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


def test_codes_and_names_are_unique():
    assert len({r.code for r in RULES}) == len({r.name for r in RULES}) == len(RULES)


def test_every_snapshot_belongs_to_a_rule():
    from tests.conftest import SNAPSHOTS

    codes = {r.code for r in RULES}
    assert {p.stem for p in SNAPSHOTS.glob("*.txt")} <= codes
