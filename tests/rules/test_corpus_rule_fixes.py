"""Rule changes made for misses and false alarms of the evaluation corpus (bench/corpus/):
KD102 steps aside for variable-length sequence outputs, KD304 sees one-hot labels of a
per-position output, KD311 tells probability rows from several continuous targets in [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest

import kerasdoctor

pytestmark = pytest.mark.backend


def codes(report, severities=("error", "warning")):
    return sorted(f.code for f in report.findings if f.severity in severities)


def _per_step_classifier():
    import keras

    model = keras.Sequential([
        keras.Input((None, 2)),
        keras.layers.Dense(2, name="tagger"),
        keras.layers.Activation("softmax", name="probs"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="rmsprop")
    return model


def test_kd102_quiet_and_kd304_reports_one_hot_labels_per_time_step():
    """bench/corpus/label_encoding/one_hot_sequence_labels_sparse_loss (keras-team/keras#7749)."""
    rng = np.random.default_rng(0)
    x = rng.random((200, 1, 2)).astype("float32")
    ids = rng.integers(0, 2, size=(200, 1))
    one_hot = np.eye(2, dtype="float32")[ids]  # (200, 1, 2)
    assert codes(kerasdoctor.diagnose(_per_step_classifier(), x, one_hot)) == ["KD304"]
    assert codes(kerasdoctor.diagnose(_per_step_classifier(), x, ids)) == []


def test_kd311_several_continuous_targets_in_unit_range():
    """bench/corpus/loss_task/softmax_crossentropy_price_forecast (ageron/handson-ml#404)."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype("float32")
    prices = rng.random((300, 4)).astype("float32")  # four scaled prices per row
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(4, activation="softmax", name="out")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    assert "KD311" in codes(kerasdoctor.diagnose(model, x, prices))
    soft = rng.dirichlet(np.ones(4), size=300).astype("float32")  # probability rows
    assert "KD311" not in codes(kerasdoctor.diagnose(model, x, soft))
