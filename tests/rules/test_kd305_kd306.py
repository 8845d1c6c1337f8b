"""KD305 label-out-of-range and KD306 classes-missing-from-labels."""

import numpy as np
import pytest

from tests.rules.kd3_shapes_helpers import codes, findings, model, rand

pytestmark = pytest.mark.backend


def _classifier(units=10, loss="sparse_categorical_crossentropy"):
    from keras import layers

    return model(layers.Dense(units, activation="softmax", name="out"), loss=loss, inputs=(5,))


def test_labels_numbered_from_one():
    y = np.arange(500) % 10 + 1
    (finding,) = findings(_classifier(), rand(500, 5), y)
    assert finding.code == "KD305"  # and not KD306 for class 0
    assert finding.fix == "y = y - 1  # classes 1..10 -> 0..9"
    assert finding.evidence["out_of_range"] == {"10": 50}


def test_more_classes_than_units():
    y = np.arange(600) % 12
    (finding,) = findings(_classifier(), rand(600, 5), y)
    assert finding.code == "KD305"
    assert "Dense(12, activation='softmax', name='out')" in finding.fix
    assert "the ids [10, 11] in 100 of 600 labels" in finding.message


def test_sparse_ids_remapped():
    y = np.array([0, 5, 17] * 100)
    (finding,) = findings(_classifier(), rand(300, 5), y, code="KD305")
    assert "np.unique(y, return_inverse=True)" in finding.fix


def test_negative_labels():
    y = np.arange(500) % 11 - 1  # -1 for "no label"
    (finding,) = findings(_classifier(), rand(500, 5), y, code="KD305")
    assert "the id -1 in" in finding.message
    assert "ignore_class=-1" in finding.fix


def test_categorical_loss_with_integer_labels_out_of_range():
    y = (np.arange(500) % 10 + 1).reshape(-1, 1)
    assert codes(_classifier(loss="categorical_crossentropy"), rand(500, 5), y) == {
        "KD303",
        "KD305",
    }


def test_classes_missing():
    y = np.arange(500) % 8  # 8 and 9 never appear
    (finding,) = findings(_classifier(), rand(500, 5), y)
    assert finding.code == "KD306" and finding.severity == "warning"
    assert finding.evidence["missing"] == [8, 9]
    assert "Dense(8, activation='softmax', name='out')" in finding.fix


def test_a_missing_middle_class_suggests_renumbering():
    y = np.array([c for c in range(10) if c != 3] * 60)
    (finding,) = findings(_classifier(), rand(540, 5), y, code="KD306")
    assert "class 3 never appears" in finding.message
    assert "np.unique" in finding.fix


def test_one_hot_labels_missing_a_column():
    import keras

    y = keras.utils.to_categorical(np.arange(500) % 9, 10)
    (finding,) = findings(_classifier(loss="categorical_crossentropy"), rand(500, 5), y)
    assert finding.code == "KD306" and finding.evidence["missing"] == [9]


@pytest.mark.parametrize(("n", "reported"), [(49, False), (50, True)])
def test_too_few_labels_to_tell(n, reported):
    y = np.arange(n) % 9
    assert bool(findings(_classifier(), rand(n, 5), y, code="KD306")) is reported


def test_threshold_is_a_parameter():
    import kerasdoctor

    y = np.arange(60) % 9
    m = _classifier()
    assert kerasdoctor.diagnose(m, rand(60, 5), y, select=["KD306"]).findings
    strict = kerasdoctor.diagnose(
        m, rand(60, 5), y, select=["KD306"], params={"KD306": {"min_samples_per_class": 10}}
    )
    assert not strict.findings
