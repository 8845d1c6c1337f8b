"""KD213 adadelta-learning-rate-too-small: Keras's default Adadelta step, explicit rates,
schedules, the boundary with KD209, and the other optimisers' defaults."""

import pytest

import kerasdoctor

pytestmark = pytest.mark.backend


def _model(optimizer):
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    return model


def _codes(optimizer):
    report = kerasdoctor.diagnose(_model(optimizer), select=["KD2"])
    return sorted(f.code for f in report.findings)


def test_the_adadelta_string_is_reported_as_keras_default():
    report = kerasdoctor.diagnose(_model("adadelta"), select=["KD2"])
    (finding,) = report.findings
    assert finding.code == "KD213" and str(finding.severity) == "warning"
    assert "learning_rate=0.001 (Keras's default" in finding.message
    assert "1000 times smaller" in finding.message
    assert finding.fix == "optimizer=keras.optimizers.Adadelta(learning_rate=1.0)"


@pytest.mark.parametrize(
    "rate, codes",
    [
        (1.0, []),  # the paper's value
        (0.1, []),
        (0.01, []),
        (0.0005, ["KD213"]),
        (1e-4, ["KD213"]),  # the bottom of KD209's range: still KD213's
        (1e-5, ["KD209"]),  # below KD209's range: KD209 alone says it
    ],
)
def test_explicit_rates(rate, codes):
    import keras

    assert _codes(keras.optimizers.Adadelta(learning_rate=rate)) == codes


def test_an_explicit_rate_is_not_called_the_default():
    import keras

    (finding,) = kerasdoctor.diagnose(
        _model(keras.optimizers.Adadelta(learning_rate=5e-4)), select=["KD213"]
    ).findings
    assert "default" not in finding.message and "learning_rate=0.0005" in finding.message


def test_a_schedule_is_not_judged():
    import keras

    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 100, 0.9)
    assert _codes(keras.optimizers.Adadelta(learning_rate=schedule)) == []


def test_threshold_is_tunable():
    import keras

    report = kerasdoctor.diagnose(
        _model(keras.optimizers.Adadelta(learning_rate=0.01)),
        select=["KD213"],
        params={"KD213": {"max_rate": 0.05}},
    )
    assert [f.code for f in report.findings] == ["KD213"]


@pytest.mark.parametrize(
    "name", "Adafactor Adagrad Adam AdamW Adamax Ftrl Lion Nadam RMSprop SGD".split()
)
def test_other_optimizers_defaults_are_not_reported(name):
    import keras

    cls = getattr(keras.optimizers, name, None)
    if cls is None:
        pytest.skip(f"keras {keras.__version__} has no {name}")
    assert "KD213" not in _codes(cls())
