"""The demo's gallery: every broken set-up is diagnosed as promised, every fix is clean."""

import pytest

from kerasdoctor import gallery
from kerasdoctor.cli import main


@pytest.mark.backend
@pytest.mark.parametrize("case", gallery.CASES, ids=lambda c: c.title[:40])
def test_broken_is_diagnosed_and_fix_is_clean(case):
    broken = gallery.diagnose_setup(case.broken)
    assert set(case.expects) <= set(broken.codes), broken.to_text()
    assert broken.at_least("error") or broken.at_least("warning")
    fixed = gallery.diagnose_setup(case.fixed)
    assert not fixed.at_least("warning"), fixed.to_text()


def test_gallery_covers_every_fault_family_of_the_seeds():
    families = {case.family for case in gallery.CASES}
    assert {"shapes", "activation/loss", "labels", "optimiser", "overfitting",
            "compile failure"} <= families


@pytest.mark.backend
def test_demo_runs_and_exits_zero(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.count("After the fix: no errors or warnings.") == len(gallery.CASES)
