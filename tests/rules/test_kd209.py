"""KD209 learning-rate-out-of-range: seed case N2, defaults, schedules, wrappers, thresholds."""

import math

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
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _findings(model, **params):
    report = kerasdoctor.diagnose(model, select=["KD209"], params={"KD209": params})
    return list(report.findings)


def _severity(optimizer, **params):
    found = _findings(_model(optimizer), **params)
    assert len(found) <= 1
    return str(found[0].severity) if found else None


def test_seed_case_n2_sgd_learning_rate_10_is_an_error():
    import keras
    from keras.layers import Dense

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((20,)), Dense(64, activation="relu"), Dense(10, activation="softmax")]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=10.0),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    report = kerasdoctor.diagnose(model)
    (finding,) = [f for f in report.findings if f.code == "KD209"]
    assert str(finding.severity) == "error"
    assert "learning_rate=10.0" in finding.message and "optimizer=SGD" in finding.message
    assert "(0.5)" in finding.message  # the top of the usual range
    assert "1e-05 and 0.5" in finding.expected
    assert finding.fix == "optimizer=keras.optimizers.SGD(learning_rate=0.01)"
    assert finding.evidence["learning_rate"] == 10.0
    assert finding.evidence["times_above"] == 20.0


@pytest.mark.parametrize(
    "name",
    "Adadelta Adafactor Adagrad Adam AdamW Adamax Ftrl Lamb Lion Muon Nadam RMSprop SGD "
    "ScheduleFreeAdamW".split(),
)
def test_keras_defaults_of_every_optimizer_are_clean(name):
    """KD209 keeps every Keras default in range. One exception among the compile rules:
    Adadelta's default (0.001, 1000x below the paper's 1.0) is reported by KD213 instead."""
    import keras

    cls = getattr(keras.optimizers, name, None)
    if cls is None:
        pytest.skip(f"keras {keras.__version__} has no {name}")
    assert _findings(_model(cls())) == []
    report = kerasdoctor.diagnose(_model(cls()), select=["KD209", "KD213"])
    assert [f.code for f in report.findings] == (["KD213"] if name == "Adadelta" else [])


@pytest.mark.parametrize(
    "name, family",
    [
        *[(name, name) for name in "adam sgd rmsprop adagrad adadelta ftrl lion".split()],
        *[(name, "adam") for name in "adamw nadam adamax".split()],
    ],
)
def test_string_optimizers_get_their_family_and_are_clean(name, family):
    from kerasdoctor.context import Context

    model = _model(name)
    assert Context.of(model).model.optimizer.family == family
    assert _findings(model) == []


def test_torch_backend_adam_subclass_is_still_family_adam():
    """On torch, compile(optimizer='adam') makes keras.src.backend.torch...TorchAdam."""
    import keras

    from kerasdoctor.context import Context

    model = _model("adam")
    facts = Context.of(model).model.optimizer
    assert (facts.name, facts.family) == ("Adam", "adam")
    if keras.backend.backend() == "torch":
        assert "torch" in type(model.optimizer).__module__
    model = _model("sgd")
    model.optimizer.learning_rate = 10.0  # a backend subclass with a bad rate is still judged
    (finding,) = _findings(model)
    assert str(finding.severity) == "error" and "optimizer=SGD" in finding.message


@pytest.mark.parametrize(
    "make, severity",
    [
        ("Adam(learning_rate=0.05)", "warning"),  # unusual but possible
        ("Adam(learning_rate=1e-7)", "warning"),
        ("Adam(learning_rate=0.1)", "warning"),  # 10x: the edge of 'far'
        ("Adam(learning_rate=0.5)", "error"),
        ("Adam(learning_rate=1e-9)", "error"),
        ("Adam(learning_rate=0.01)", None),  # the top of the range, read back as float32
        ("Adam(learning_rate=1e-6)", None),
        ("Adam(learning_rate=2e-5)", None),  # fine-tuning
        ("SGD(learning_rate=0.1, momentum=0.9)", None),
        ("SGD(learning_rate=0.5)", None),
        ("SGD(learning_rate=1.0)", "warning"),
        ("SGD(learning_rate=1e-4, momentum=0.9)", None),  # the classic fine-tuning setting
        ("RMSprop(learning_rate=0.05)", "warning"),
        ("Adagrad(learning_rate=0.1)", None),
        ("Adadelta(learning_rate=1.0)", None),  # the paper's value
        ("Ftrl(learning_rate=0.1)", None),
        ("Lion(learning_rate=1e-4)", None),
        ("Lion(learning_rate=0.01)", "warning"),
        ("Lion(learning_rate=0.1)", "error"),
        ("AdamW(learning_rate=3e-4)", None),
        ("Nadam(learning_rate=0.002)", None),
        ("Adafactor(learning_rate=0.03)", None),
    ],
)
def test_severity_by_distance_from_the_usual_range(make, severity):
    import keras

    assert _severity(eval(make, {}, vars(keras.optimizers))) == severity


@pytest.mark.parametrize("value", [0.0, -0.01, float("nan")])
def test_zero_negative_or_nan_is_an_error(value):
    import keras

    (finding,) = _findings(_model(keras.optimizers.Adam(learning_rate=value)))
    assert str(finding.severity) == "error"
    if math.isnan(value):
        assert "learning_rate=nan" in finding.message
    elif value < 0:
        assert "gradient ascent" in finding.message
    else:
        assert "never change" in finding.message


def test_zero_negative_nan_checked_for_unknown_optimizers_too():
    import keras

    class MyOptimizer(keras.optimizers.Optimizer):
        def update_step(self, gradient, variable, learning_rate):
            variable.assign(variable - learning_rate * gradient)

    assert _findings(_model(MyOptimizer(learning_rate=5.0))) == []  # family 'other': no range
    (finding,) = _findings(_model(MyOptimizer(learning_rate=0.0)))
    assert str(finding.severity) == "error"
    assert "A finite, positive learning rate." == finding.expected


def test_exponential_decay_is_judged_at_the_current_step():
    import keras

    schedules = keras.optimizers.schedules
    clean = schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.9)
    assert _findings(_model(keras.optimizers.SGD(learning_rate=clean))) == []
    bad = schedules.ExponentialDecay(10.0, decay_steps=1000, decay_rate=0.9)
    (finding,) = _findings(_model(keras.optimizers.SGD(learning_rate=bad)))
    assert str(finding.severity) == "error"
    assert "schedule=ExponentialDecay" in finding.message
    assert finding.evidence["schedule"] == "ExponentialDecay"
    assert "rescale your ExponentialDecay schedule" in finding.fix


def test_cosine_decay_high_is_reported_and_warmup_from_zero_is_not():
    import keras

    schedules = keras.optimizers.schedules
    (finding,) = _findings(_model(keras.optimizers.Adam(schedules.CosineDecay(1.0, 1000))))
    assert str(finding.severity) == "error" and "schedule=CosineDecay" in finding.message
    assert _findings(_model(keras.optimizers.Adam(schedules.CosineDecay(1e-3, 1000)))) == []
    warmup = schedules.CosineDecay(0.0, 1000, warmup_target=1e-3, warmup_steps=100)
    assert _findings(_model(keras.optimizers.Adam(warmup))) == []  # 0.0 at step 0: warm-up
    low = schedules.CosineDecay(1e-9, 1000)  # below the range: decay ends there, not reported
    assert _findings(_model(keras.optimizers.Adam(low))) == []


def test_callable_learning_rate():
    import keras

    (finding,) = _findings(_model(keras.optimizers.Adam(learning_rate=lambda: 0.05)))
    assert str(finding.severity) == "warning" and "schedule=<lambda>" in finding.message


def test_loss_scale_optimizer_is_judged_by_its_inner_optimizer():
    import keras

    wrapped = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(learning_rate=10.0))
    (finding,) = _findings(_model(wrapped))
    assert str(finding.severity) == "error" and "optimizer=SGD" in finding.message
    fine = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())
    assert _findings(_model(fine)) == []


def test_custom_subclass_keeps_its_family_and_its_name_in_the_fix():
    import keras

    class MyAdam(keras.optimizers.Adam):
        pass

    (finding,) = _findings(_model(MyAdam(learning_rate=0.05)))
    assert "(an optimiser of the adam family)" in finding.message
    assert finding.fix == "optimizer=MyAdam(learning_rate=0.001)"


def test_factors_are_tunable():
    import keras

    assert _severity(keras.optimizers.SGD(learning_rate=10.0), far_above=100) == "warning"
    assert _severity(keras.optimizers.Adam(learning_rate=0.05), far_above=2) == "error"
    assert _severity(keras.optimizers.Adam(learning_rate=1e-7), far_below=5) == "error"
