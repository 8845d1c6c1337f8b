"""Findings about a layer point at the line where the user constructed that layer."""

from __future__ import annotations

import sys

import pytest

import kerasdoctor
from kerasdoctor import hooks


@pytest.fixture(autouse=True)
def never_left_watching():
    yield
    hooks.unwatch()


def _line() -> int:
    """The line of the caller."""
    return sys._getframe(1).f_lineno


@pytest.mark.backend
def test_layer_finding_points_at_the_layer_line_others_at_compile():
    import keras

    kerasdoctor.watch(emit=lambda report: None, monitor=False)
    out_line = _line() + 3
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(1, activation="softmax", name="out"),  # KD201 is about this layer
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=50.0), loss="binary_crossentropy"); compile_line = _line()  # noqa: E702,E501
    report = kerasdoctor.unwatch()
    by_code = {f.code: f for f in report}
    assert (by_code["KD201"].location.file, by_code["KD201"].location.line) == (__file__, out_line)
    assert by_code["KD201"].location.layer == "out"
    # the learning rate is not about a layer: it stays at the compile() call
    assert (by_code["KD209"].location.file, by_code["KD209"].location.line) == (__file__, compile_line)


@pytest.mark.backend
def test_layers_built_inside_a_custom_layer_point_at_their_own_lines():
    import keras

    class Block(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = keras.layers.Dense(3, name="inner"); self.inner_line = _line()  # noqa: E702

        def call(self, x):
            return self.inner(x)

    kerasdoctor.watch(emit=lambda report: None, monitor=False)
    block = Block(name="block"); block_line = _line()  # noqa: E702
    model = keras.Sequential([keras.Input((2,)), block])
    sites = hooks._session.layer_sites
    assert sites[block].line == block_line  # not the `super().__init__` line inside Block
    assert sites[block.inner].line == block.inner_line
    assert sites[block].file == sites[block.inner].file == __file__
    assert model.get_layer("block") is block


@pytest.mark.backend
def test_layers_constructed_before_watch_keep_the_call_site():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="softmax")])
    kerasdoctor.watch(emit=lambda report: None, monitor=False)
    model.compile(optimizer="adam", loss="binary_crossentropy"); line = _line()  # noqa: E702
    finding = next(f for f in kerasdoctor.unwatch() if f.code == "KD201")
    assert (finding.location.file, finding.location.line) == (__file__, line)


@pytest.mark.backend
def test_watch_changes_no_layer_and_unwatch_restores_layer_new():
    import keras

    class NoInit(keras.layers.Layer):  # Keras builds its config from the __init__ signature
        def call(self, x):
            return x

    before = keras.layers.Layer.__dict__["__new__"]
    plain = (NoInit(name="a").get_config(), keras.layers.Dense(2, name="d").get_config())
    kerasdoctor.watch(emit=lambda report: None, monitor=False)
    assert keras.layers.Layer.__dict__["__new__"] is not before
    watched = (NoInit(name="a").get_config(), keras.layers.Dense(2, name="d").get_config())
    kerasdoctor.unwatch()
    assert keras.layers.Layer.__dict__["__new__"] is before
    assert watched == plain
