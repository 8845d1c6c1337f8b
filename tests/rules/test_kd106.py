"""KD106 no-trainable-weights: edge cases beyond bad()/good()."""

import pytest

from tests.rules.kd1_helpers import compiled, findings, sequential

pytestmark = pytest.mark.backend


def _mlp(inputs=(20,), **dense_kwargs):
    from keras import layers

    return sequential(
        layers.Dense(16, activation="relu", name="hidden", **dense_kwargs),
        layers.Dense(3, activation="softmax", name="out", **dense_kwargs),
        inputs=inputs,
    )


def test_every_layer_frozen_one_by_one():
    model = compiled(_mlp(trainable=False))
    (finding,) = findings(model, "KD106")
    assert "every layer with weights is frozen" in finding.message
    assert "trainable_params=0, non_trainable_params=" in finding.message
    assert "model.get_layer('out').trainable = True" in finding.fix
    assert "compile" in finding.fix


def test_unbuilt_frozen_model_is_judged_from_its_layers():
    model = compiled(_mlp(inputs=None, trainable=False))
    (finding,) = findings(model, "KD106")
    assert "not built" in finding.message

    model = compiled(_mlp(inputs=None))
    model.trainable = False
    assert len(findings(model, "KD106")) == 1


def test_no_layer_with_weights():
    from keras import layers

    model = compiled(sequential(layers.Flatten(), layers.Softmax()))
    (finding,) = findings(model, "KD106")
    assert "no layer has weights" in finding.message


def test_uncompiled_model_is_not_judged():
    model = _mlp()
    model.trainable = False
    assert findings(model, "KD106") == []


def test_unfrozen_again_is_clean():
    model = compiled(_mlp())
    model.trainable = False
    model.trainable = True
    assert findings(model, "KD106") == []


def test_frozen_functional_base_with_trainable_head_is_clean():
    import keras
    from keras import layers

    inputs = keras.Input((32, 32, 3))
    base = keras.Sequential(
        [keras.Input((32, 32, 3)), layers.Conv2D(8, 3), layers.BatchNormalization()],
        name="base",
    )
    base.trainable = False
    x = base(inputs, training=False)
    outputs = layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling2D()(x))
    assert findings(compiled(keras.Model(inputs, outputs)), "KD106") == []


def test_only_normalisation_frozen_is_clean():
    from keras import layers

    model = sequential(
        layers.Dense(16, activation="relu"),
        layers.BatchNormalization(trainable=False),
        layers.Dense(3, activation="softmax"),
    )
    assert findings(compiled(model), "KD106") == []


def test_unbuilt_model_with_unknown_layer_is_not_judged():
    from keras import layers

    model = compiled(
        sequential(layers.Lambda(lambda t: t), layers.Dense(3, trainable=False), inputs=None)
    )
    assert findings(model, "KD106") == []
