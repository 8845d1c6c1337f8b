"""The IPython extension: `%load_ext kerasdoctor` watches, `%unload_ext kerasdoctor` stops.

Runs cells in an in-process `InteractiveShell`. In a terminal shell findings are printed as
text; in a notebook kernel they are displayed once, as HTML (`Report._repr_html_`).
"""

from __future__ import annotations

import pytest

from kerasdoctor import hooks

pytest.importorskip("IPython")

from IPython.core.interactiveshell import InteractiveShell  # noqa: E402
from IPython.utils.capture import capture_output  # noqa: E402

KERAS_STATE = ("compile", "fit", "evaluate", "predict")

# A 2-unit softmax with binary_crossentropy (KD202 at compile()), then fit() raises on
# the target shape (KD503 explains the exception).
BAD_CELL = """
import numpy as np
import keras
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax", name="out")])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(np.zeros((8, 4)), np.zeros((8, 1)), verbose=0)
"""


def _keras_state():
    import keras

    methods = {name: keras.Model.__dict__.get(name) for name in KERAS_STATE}
    return methods, keras.layers.Layer.__dict__["__new__"]


@pytest.fixture
def shell():
    InteractiveShell.clear_instance()
    ip = InteractiveShell.instance()
    yield ip
    if "kerasdoctor" in ip.extension_manager.loaded:
        ip.run_line_magic("unload_ext", "kerasdoctor")
    hooks.unwatch()
    InteractiveShell.clear_instance()


def test_load_ext_watches_and_unload_ext_restores_keras(shell):
    before = _keras_state()
    shell.run_line_magic("load_ext", "kerasdoctor")
    assert hooks.watching()
    assert _keras_state() != before
    shell.run_line_magic("unload_ext", "kerasdoctor")
    assert not hooks.watching()
    assert _keras_state() == before
    assert shell.custom_exceptions == ()


def test_terminal_shell_prints_each_finding_once(shell):
    shell.run_line_magic("load_ext", "kerasdoctor")
    with capture_output() as captured:
        result = shell.run_cell(BAD_CELL)
    assert isinstance(result.error_in_exec, ValueError)  # the user's error, unchanged
    text = captured.stdout + captured.stderr
    assert text.count("KD202 error") == 1
    assert text.count("KD503 error") == 1
    assert "must have the same shape" in captured.stdout  # IPython's own traceback
    assert "<ipython-input-" in text  # findings point at the cell and line of the layer


def test_notebook_displays_each_finding_once_as_html(shell):
    from traitlets.config import Config

    shell.config["IPKernelApp"] = Config()  # what hooks._in_notebook() looks for in a kernel
    shell.run_line_magic("load_ext", "kerasdoctor")
    with capture_output() as captured:
        shell.run_cell(BAD_CELL)
    html = [out.data["text/html"] for out in captured.outputs if "text/html" in out.data]
    assert len(html) == 2  # one display at compile(), one when fit() raised
    joined = "".join(html)
    assert joined.count("KD202") >= 1 and joined.count("KD503") >= 1
    assert [h for h in html if 'data-code="KD202"' in h] == [html[0]]
    assert [h for h in html if 'data-code="KD503"' in h] == [html[1]]
    assert "Keras raised the error that KD202" in html[1]  # a reference, not the fix again
    assert "KD202 error" not in captured.stdout + captured.stderr  # not printed as text too
