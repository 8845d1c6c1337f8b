"""KD210 ftrl-on-deep-network: seed case G and the edges of 'deep' and 'small step'."""

import pytest

import kerasdoctor

pytestmark = pytest.mark.backend


def _findings(model, **params):
    report = kerasdoctor.diagnose(model, select=["KD210"], params={"KD210": params})
    return list(report.findings)


def _mlp(optimizer, hidden: int = 1, trainable: bool = True):
    import keras

    layers = [keras.Input((20,))]
    layers += [
        keras.layers.Dense(64, activation="relu", name=f"hidden{i}", trainable=trainable)
        for i in range(hidden)
    ]
    model = keras.Sequential([*layers, keras.layers.Dense(10, activation="softmax", name="out")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_seed_case_g_ftrl_defaults():
    import keras
    from keras.layers import Dense
    from keras.models import Sequential

    keras.utils.set_random_seed(0)
    model = Sequential([Dense(64), Dense(10, activation="softmax")])
    model.compile(
        optimizer=keras.optimizers.Ftrl(), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    report = kerasdoctor.diagnose(model)
    assert "KD210" in report.codes
    assert "KD209" not in report.codes  # Keras's default learning rate is not out of range
    (finding,) = [f for f in report.findings if f.code == "KD210"]
    assert str(finding.severity) == "warning"
    assert "learning_rate=0.001, initial_accumulator_value=0.1" in finding.message
    assert "learning_rate_power=-0.5" in finding.message
    assert "= 0.0032" in finding.message
    assert "click-through" in finding.message
    assert "keras.optimizers.Adam(learning_rate=1e-3)" in finding.fix
    assert "keras.optimizers.Ftrl(learning_rate=0.1)" in finding.fix
    assert finding.evidence["weighted_layers"] == [layer.name for layer in model.layers]


@pytest.mark.parametrize(
    "learning_rate, reported",
    [(0.001, True), (0.003, True), (0.01, True), (0.03, False), (0.1, False)],
)
def test_learning_rate_threshold(learning_rate, reported):
    import keras

    model = _mlp(keras.optimizers.Ftrl(learning_rate=learning_rate))
    assert bool(_findings(model)) is reported


def test_step_uses_accumulator_and_power():
    import keras

    # 0.001 / sqrt(1e-4) = 0.1: a large first step
    model = _mlp(keras.optimizers.Ftrl(initial_accumulator_value=1e-4))
    assert _findings(model) == []
    # a fixed learning rate (power 0): the step is the learning rate itself
    (finding,) = _findings(_mlp(keras.optimizers.Ftrl(learning_rate_power=0.0)))
    assert "initial_accumulator_value ** 0.0 = 0.001" in finding.message


def test_string_and_loss_scale_optimizer():
    import keras

    assert len(_findings(_mlp("ftrl"))) == 1
    wrapped = keras.optimizers.LossScaleOptimizer(keras.optimizers.Ftrl())
    assert len(_findings(_mlp(wrapped))) == 1


def test_shallow_linear_model_is_what_ftrl_is_for():
    import keras

    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Ftrl(), loss="binary_crossentropy")
    assert _findings(model) == []


def test_frozen_layers_do_not_count():
    import keras

    assert _findings(_mlp(keras.optimizers.Ftrl(), trainable=False)) == []


def test_other_optimizers_are_not_checked():
    import keras

    assert _findings(_mlp("adam")) == []
    assert _findings(_mlp(keras.optimizers.Adagrad())) == []


def test_min_layers_is_tunable():
    import keras

    assert _findings(_mlp(keras.optimizers.Ftrl()), min_layers=3) == []
    (finding,) = _findings(_mlp(keras.optimizers.Ftrl(), hidden=4), min_layers=3)
    assert "5 layers with weights ('hidden0', 'hidden1', 'hidden2', ...)" in finding.message
