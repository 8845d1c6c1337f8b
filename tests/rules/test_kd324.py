"""KD324 one-hot-targets-with-binary-crossentropy: the corpus case, multi-label data, few rows,
logits, multi-output models, an Activation layer after Dense."""

import numpy as np
import pytest

import kerasdoctor

pytestmark = pytest.mark.backend


def _codes(report):
    return sorted(f.code for f in report.findings if f.severity in ("error", "warning"))


def _one_hot(n=300, classes=10):
    return np.eye(classes, dtype="float32")[np.arange(n) % classes]


def _mlp(units=10, activation="sigmoid", loss="binary_crossentropy", metrics=("accuracy",)):
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(units, activation=activation, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss=loss, metrics=list(metrics))
    return model


def _x(n=300):
    return np.random.default_rng(0).random((n, 8)).astype("float32")


def test_corpus_text_classifier_sigmoid_over_30_one_hot_classes():
    """bench/corpus/activation_loss/sigmoid_binary_crossentropy_single_label (keras#5210)."""
    import keras

    x = np.random.default_rng(0).integers(1, 500, size=(300, 60))
    y = keras.utils.to_categorical(np.arange(300) % 30, 30)
    model = keras.Sequential(
        [
            keras.Input((60,)),
            keras.layers.Embedding(500, 16),
            keras.layers.LSTM(16),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(30, activation="sigmoid", name="out"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    report = kerasdoctor.diagnose(model, x, y)
    assert _codes(report) == ["KD324"]
    (finding,) = report.findings
    assert str(finding.severity) == "warning"
    assert "all 300 rows" in finding.message and "Assumed" in finding.message
    assert "1 - 1/30 = 0.967" in finding.message
    assert finding.fix.startswith("Dense(30, activation='softmax', name='out')")
    assert "loss='categorical_crossentropy'" in finding.fix


def test_multi_label_rows_are_clean():
    y = _one_hot()
    y[::7, 0] = 1  # some samples carry two labels
    assert _codes(kerasdoctor.diagnose(_mlp(), _x(), y)) == []


def test_too_few_rows_are_not_judged():
    assert _codes(kerasdoctor.diagnose(_mlp(), _x(40), _one_hot(40))) == []
    report = kerasdoctor.diagnose(_mlp(), _x(40), _one_hot(40), params={"KD324": {"min_rows": 20}})
    assert _codes(report) == ["KD324"]


def test_no_accuracy_metric_no_accuracy_sentence():
    (finding,) = kerasdoctor.diagnose(_mlp(metrics=()), _x(), _one_hot()).findings
    assert finding.code == "KD324" and "binary accuracy" not in finding.message


def test_linear_output_with_from_logits_binary_loss():
    import keras

    model = _mlp(activation=None, loss=keras.losses.BinaryCrossentropy(from_logits=True))
    (finding,) = kerasdoctor.diagnose(model, _x(), _one_hot()).findings
    assert finding.code == "KD324"
    assert "CategoricalCrossentropy(from_logits=True)" in finding.fix


def test_softmax_with_binary_crossentropy_is_left_to_kd202():
    codes = _codes(kerasdoctor.diagnose(_mlp(activation="softmax"), _x(), _one_hot()))
    assert "KD324" not in codes and "KD202" in codes


def test_softmax_categorical_and_single_sigmoid_unit_are_clean():
    y = _one_hot()
    assert (
        _codes(
            kerasdoctor.diagnose(
                _mlp(activation="softmax", loss="categorical_crossentropy"), _x(), y
            )
        )
        == []
    )
    binary = (np.arange(300) % 2).astype("float32")[:, None]
    assert _codes(kerasdoctor.diagnose(_mlp(units=1), _x(), binary)) == []


def test_activation_layer_after_dense_keeps_the_users_names():
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(10, name="logits"),
            keras.layers.Activation("sigmoid", name="probs"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    (finding,) = kerasdoctor.diagnose(model, _x(), _one_hot()).findings
    assert finding.code == "KD324" and finding.location.layer == "probs"
    assert "Activation('softmax', name='probs')" in finding.fix


def test_multi_output_dict_model_reports_only_the_single_label_head():
    import keras

    inputs = keras.Input((8,), name="features")
    hidden = keras.layers.Dense(16, activation="relu")(inputs)
    outputs = {
        "tags": keras.layers.Dense(5, activation="sigmoid", name="tags")(hidden),
        "kind": keras.layers.Dense(10, activation="sigmoid", name="kind")(hidden),
    }
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer="adam", loss={"tags": "binary_crossentropy", "kind": "binary_crossentropy"}
    )
    tags = (np.random.default_rng(1).random((300, 5)) < 0.3).astype("float32")  # multi-label
    report = kerasdoctor.diagnose(model, _x(), {"tags": tags, "kind": _one_hot()})
    (finding,) = report.findings
    assert finding.code == "KD324" and finding.location.layer == "kind"
    assert "loss={'kind': 'categorical_crossentropy', ...}" in finding.fix
