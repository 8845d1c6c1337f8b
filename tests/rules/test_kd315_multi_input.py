"""KD315 unscaled-inputs on multi-input Functional models: each input is paired with its data.

Dict inputs are keyed by the dict's keys (which Keras allows to differ from the `Input`
names, with a warning), and an unnamed `Input` is found through its `InputLayer`.
"""

import warnings

import numpy as np
import pytest

import kerasdoctor

pytestmark = pytest.mark.backend

RNG = np.random.default_rng(0)
PIXELS = RNG.uniform(0, 255, (64, 100)).astype("float32")
TABLE = RNG.normal(size=(64, 5)).astype("float32")
Y = RNG.integers(0, 2, (64, 1))


def two_inputs(style: str):
    import keras

    L = keras.layers
    pixels = keras.Input((100,), name=None if style == "unnamed" else "img")
    table = keras.Input((5,), name=None if style == "unnamed" else "tab")
    merged = L.Concatenate()(
        [L.Dense(4, name="pix_dense")(pixels), L.Dense(4, name="tab_dense")(table)]
    )
    out = L.Dense(1, activation="sigmoid", name="out")(merged)
    inputs = {"pix": pixels, "feat": table} if style == "dict-keys" else [pixels, table]
    with warnings.catch_warnings():  # Keras asks for dict keys equal to the Input names
        warnings.simplefilter("ignore")
        model = keras.Model(inputs, out)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


@pytest.mark.parametrize(
    "style, x",
    [
        ("unnamed", [PIXELS, TABLE]),
        ("dict-keys", {"pix": PIXELS, "feat": TABLE}),
        ("dict-keys", {"feat": TABLE, "pix": PIXELS}),
    ],
)
def test_the_raw_pixel_input_is_reported_at_its_own_first_layer(style, x):
    report = kerasdoctor.diagnose(two_inputs(style), x, Y, select=["KD315"])

    assert [(f.code, f.location.layer) for f in report.findings] == [("KD315", "pix_dense")]


def test_scaled_inputs_are_clean():
    x = {"pix": PIXELS / 255.0, "feat": TABLE}
    assert not kerasdoctor.diagnose(two_inputs("dict-keys"), x, Y, select=["KD315"]).findings
