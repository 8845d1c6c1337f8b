import os
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")

SNAPSHOTS = Path(__file__).parent.parent / "src" / "kerasdoctor" / "rules" / "snapshots"


def pytest_addoption(parser):
    parser.addoption(
        "--update-snapshots", action="store_true", help="rewrite the golden text outputs"
    )


@pytest.fixture(autouse=True)
def fresh_keras_session():
    """Layer names like `dense_1` stay stable from test to test."""
    import sys

    if "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session()
    yield


@pytest.fixture
def snapshot(request):
    """Compare text with a golden file; `pytest --update-snapshots` rewrites it."""

    def check(name: str, actual: str) -> None:
        path = SNAPSHOTS / name
        if request.config.getoption("--update-snapshots"):
            path.write_text(actual)
        assert path.exists(), f"no snapshot {name}: run `pytest --update-snapshots`, then review it"
        assert actual == path.read_text(), f"{name} differs from its snapshot"

    return check
