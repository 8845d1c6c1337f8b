"""KD501 on a convolution or pooling window larger than its input ("Computed output size would
be zero or negative"): channels-first images given to a channels-last Conv2D (bench corpus
input_shapes/conv2d_channels_first_data), and an input too small for a pooling window."""

from __future__ import annotations

import pytest

import kerasdoctor

CONV = (
    "Computed output size would be zero or negative. Received `inputs shape=(None, 1, 28, 28)`, "
    "`kernel shape=(3, 3, 28, 32)`, `dilation_rate=[1 1]`, `strides=(1, 1)`, `padding=valid`."
)
POOL = (
    "Computed output size would be zero or negative. Received: `inputs.shape=(None, 1, 1, 16)`, "
    "`pool_size=[2 2]`, `strides=[2 2]`, `padding=valid`."
)


def test_channels_first_images_are_named_with_the_transpose():
    report = kerasdoctor.explain(f"ValueError: {CONV}")
    assert [f.code for f in report.findings] == ["KD501"]
    finding = report.findings[0]
    assert "channels-first" in finding.message and "(1, 28, 28)" in finding.message
    assert "x.transpose(0, 2, 3, 1)" in finding.fix and "(28, 28, 1)" in finding.fix


def test_pooling_window_too_large_gets_the_generic_fix():
    report = kerasdoctor.explain(f"ValueError: {POOL}")
    assert [f.code for f in report.findings] == ["KD501"]
    finding = report.findings[0]
    assert "pooling window of size (2, 2)" in finding.message and "channels-first" not in finding.message
    assert "padding='same'" in finding.fix


@pytest.mark.backend
def test_raised_by_keras_when_the_layer_is_added():
    import keras

    with pytest.raises(ValueError) as info:
        keras.Sequential([keras.layers.Conv2D(8, (3, 3), input_shape=(1, 28, 28))])
    report = kerasdoctor.explain(info.value)
    assert [f.code for f in report.findings] == ["KD501"]
    assert "channels-first" in report.findings[0].message
