"""Real models: every `keras.applications` architecture is diagnosed clean.

Each architecture is built untrained (`weights=None`) with its default softmax head, compiled
with `Adam(1e-3)` and `categorical_crossentropy`: a correct model, so any error or warning is
a false alarm and any KD000 a crashed check. The architectures are enumerated from
`keras.applications` itself (`bench.bench_diagnose.applications`), so new ones are covered.

Building all 40 takes far more than 3 minutes on a 2-core machine (measured: ~3 min on
TensorFlow and on torch, ~21 min on JAX, where the first build of each weight shape compiles an
XLA kernel for its random initialiser), so the test is `slow`, and builds with 96x96x3 inputs
(every architecture accepts it) and 10 classes, which keeps VGG's dense layers small.
"""

import pytest
from bench.bench_diagnose import applications, build

import kerasdoctor

APPLICATIONS = list(applications())


def test_applications_are_enumerated_from_keras():
    # Keras 3.15 has 40; fewer means the enumeration broke, not that Keras dropped models.
    assert len(APPLICATIONS) >= 40, APPLICATIONS
    assert {"ResNet50", "MobileNetV2", "EfficientNetV2B0", "ConvNeXtTiny", "NASNetMobile"} <= set(
        APPLICATIONS
    )
    assert "preprocess_input" not in APPLICATIONS and "decode_predictions" not in APPLICATIONS


@pytest.mark.slow
@pytest.mark.backend
@pytest.mark.parametrize("name", APPLICATIONS)
def test_application_is_diagnosed_clean(name):
    try:
        model = build(name, small=True)
    except ValueError as error:  # Keras 3.15: NASNetMobile raises on torch
        if "is not available with the" in str(error):
            pytest.skip(f"Keras refuses to build it on this backend: {error}")
        raise

    report = kerasdoctor.diagnose(model)

    assert "KD000" not in report.codes, report.to_text()
    assert not report.at_least("warning"), report.to_text()
    facts = kerasdoctor.Context.of(model).model
    (head,) = facts.heads
    assert (head.activation, head.units) == ("softmax", 10), head
    assert head.loss.name == "categorical_crossentropy" and not head.loss.from_logits
    assert facts.optimizer.family == "adam"
    assert facts.optimizer.learning_rate == pytest.approx(1e-3)
    assert facts.trainable_params + facts.non_trainable_params == model.count_params()


@pytest.mark.slow
@pytest.mark.backend
@pytest.mark.parametrize("name", ["MobileNetV2", "ResNet50"])
def test_frozen_base_with_a_new_head_is_diagnosed_clean(name):
    """Transfer learning as the Keras guide writes it: a frozen base and a small softmax head."""
    import keras

    base = applications()[name](weights=None, include_top=False, input_shape=(96, 96, 3))
    base.trainable = False
    inputs = keras.Input((96, 96, 3))
    x = base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(0.2, name="dropout")(x)
    outputs = keras.layers.Dense(5, activation="softmax", name="classes")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )

    report = kerasdoctor.diagnose(model)

    assert "KD000" not in report.codes, report.to_text()
    assert not report.at_least("warning"), report.to_text()
    (head,) = kerasdoctor.Context.of(model).model.heads
    assert (head.key, head.activation, head.units) == ("classes", "softmax", 5)
