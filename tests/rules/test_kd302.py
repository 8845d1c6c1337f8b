"""KD302 trailing-axis-added-silently: only the ambiguous (N, T) -> (None, T, 1) case."""

import numpy as np
import pytest

from tests.rules.kd3_shapes_helpers import findings, model, rand

pytestmark = pytest.mark.backend


def _lstm(inputs):
    from keras import layers

    return model(layers.LSTM(4, name="lstm"), layers.Dense(1, name="out"), inputs=inputs)


def test_seed_l2():
    (finding,) = findings(_lstm((10, 1)), rand(100, 10), rand(100, 1), code="KD302")
    assert finding.severity == "warning"
    assert "10 time steps of 1 feature" in finding.message
    assert "x = x[..., None]" in finding.fix and "x.reshape(-1, 1, 10)" in finding.fix


def test_variable_length_input():
    assert findings(_lstm((None, 1)), rand(100, 10), rand(100, 1), code="KD302")


@pytest.mark.parametrize("x_shape", [(100, 10, 1), (100, 12)])
def test_explicit_axis_or_other_mismatch_is_not_reported(x_shape):
    assert not findings(_lstm((10, 1)), rand(*x_shape), rand(100, 1), code="KD302")


def test_images_and_single_features_are_not_reported():
    from keras import layers

    conv = model(layers.Conv2D(2, 3, name="c"), layers.Flatten(), layers.Dense(1), inputs=(8, 8, 1))
    assert not findings(conv, rand(50, 8, 8), np.zeros(50), code="KD302")
    dense = model(layers.Dense(1, name="out"), inputs=(1,))
    assert not findings(dense, rand(50), np.zeros(50), code="KD302")


def test_unbuilt_model_is_kd301s():
    from keras import layers

    m = model(layers.LSTM(4, name="lstm"), layers.Dense(1, name="out"))
    assert not findings(m, rand(100, 10), rand(100, 1), code="KD302")
