"""KD202 softmax-with-binary-crossentropy: edge cases beyond bad()/good()."""

import pytest

from tests.rules.kd2_helpers import codes, compiled, findings, sequential

pytestmark = pytest.mark.backend


def test_seed_case_c_softmax2_with_bce():
    import keras
    from keras.layers import Dense
    from keras.models import Sequential

    model = Sequential(
        [Dense(64, activation="relu", input_shape=(10,)), Dense(2, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    assert codes(model) == {"KD202"}
    (finding,) = findings(model)
    assert "units=2" in finding.message
    assert "Dense(1, activation='sigmoid'" in finding.fix
    assert "sparse_categorical_crossentropy" in finding.fix
    assert "(N, 1)" in finding.fix and "(N,)" in finding.fix
    assert keras.backend.backend() in ("tensorflow", "jax", "torch")


@pytest.mark.parametrize(
    "loss",
    [
        "bce",
        "binary_crossentropy",
        "binary_focal_crossentropy",
        "BinaryCrossentropy",
        "keras.losses.binary_crossentropy",
        "keras.losses.BinaryFocalCrossentropy()",
    ],
)
def test_every_spelling_of_a_binary_loss(loss):
    import keras

    if loss.startswith("keras."):
        loss = eval(loss, {"keras": keras})
    model = compiled(sequential(keras.layers.Dense(2, activation="softmax", name="out")), loss)
    assert codes(model) == {"KD202"}


def test_many_classes_suggests_categorical_or_multilabel():
    import keras

    model = compiled(sequential(keras.layers.Dense(5, activation="softmax", name="out")), "bce")
    (finding,) = findings(model)
    assert "Dense(5, activation='softmax', name='out')" in finding.fix
    assert "Dense(5, activation='sigmoid', name='out')" in finding.fix
    assert "several labels" in finding.fix


def test_from_logits_true_is_kd202_alone_with_logits_fix():
    import keras

    model = compiled(
        sequential(keras.layers.Dense(2, activation="softmax", name="out")),
        keras.losses.BinaryCrossentropy(from_logits=True),
    )
    assert codes(model) == {"KD202"}
    (finding,) = findings(model)
    assert "Dense(1, name='out')" in finding.fix
    assert "BinaryCrossentropy(from_logits=True)" in finding.fix
    assert "SparseCategoricalCrossentropy(from_logits=True)" in finding.fix


def test_softmax_layer_after_dense_and_dropout():
    import keras

    model = compiled(
        sequential(
            keras.layers.Dense(2, name="logits"),
            keras.layers.Dropout(0.2, name="drop"),
            keras.layers.Softmax(name="probs"),
        ),
        "binary_crossentropy",
    )
    (finding,) = findings(model, "KD202")
    assert finding.location.layer == "probs"
    assert "Dense(1, name='logits')" in finding.fix
    assert "Activation('sigmoid', name='probs')" in finding.fix


def test_unbuilt_sequential_without_input_uses_dense_units():
    import keras

    model = compiled(
        sequential(
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(2, activation="softmax", name="out"),
            inputs=None,
        ),
        "binary_crossentropy",
    )
    assert codes(model) == {"KD202"}


def test_multi_output_dict_reports_only_the_bad_head():
    import keras

    inputs = keras.Input((10,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    model = keras.Model(
        inputs,
        {
            "cls": keras.layers.Dense(2, activation="softmax", name="cls_out")(hidden),
            "reg": keras.layers.Dense(1, name="reg_out")(hidden),
        },
    )
    model.compile(optimizer="adam", loss={"cls": "bce", "reg": "mse"})
    (finding,) = findings(model)
    assert finding.code == "KD202"
    assert "Output 'cls'" in finding.message
    assert finding.location.layer == "cls_out"
    assert "loss={'cls': 'binary_crossentropy', ...}" in finding.fix


def test_one_unit_softmax_is_left_to_kd201():
    import keras

    model = compiled(sequential(keras.layers.Dense(1, activation="softmax")), "bce")
    assert codes(model) == {"KD201"}


@pytest.mark.parametrize(
    ("units", "activation", "loss"),
    [
        (1, "sigmoid", "binary_crossentropy"),
        (2, "softmax", "sparse_categorical_crossentropy"),
        (2, "softmax", "categorical_crossentropy"),
        (4, "sigmoid", "binary_crossentropy"),
    ],
)
def test_right_pairs_are_clean(units, activation, loss):
    import keras

    model = compiled(sequential(keras.layers.Dense(units, activation=activation)), loss)
    assert codes(model) == set()


def _subclassed(kind: str):
    """A subclassed classifier ending in Dense(2, softmax), in keras.ops.softmax or a Lambda."""
    import keras

    class Classifier(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = keras.layers.Dense(16, activation="relu", name="hidden")
            self.out = keras.layers.Dense(
                2, activation="softmax" if kind == "dense" else None, name="out"
            )
            self.lam = keras.layers.Lambda(lambda t: t, name="lam")

        def call(self, x):
            return self.out(self.hidden(x))

    class OpsClassifier(Classifier):
        def call(self, x):
            return keras.ops.softmax(self.out(self.hidden(x)))

    class LambdaClassifier(Classifier):
        def call(self, x):
            return self.lam(keras.ops.softmax(self.out(self.hidden(x))))

    return {"dense": Classifier, "ops": OpsClassifier, "lambda": LambdaClassifier}[kind]()


@pytest.mark.parametrize("kind", ["dense", "ops"])
@pytest.mark.parametrize("build", [False, True])
def test_subclassed_softmax_with_bce_is_reported(kind, build):
    import numpy as np

    import kerasdoctor

    model = _subclassed(kind)
    if build:
        model(np.zeros((2, 10), dtype="float32"))
    compiled(model, "binary_crossentropy")
    reported = codes(model)
    if kind == "ops" and not build:  # neither traced nor `return self.layer(x)`: unknown
        assert reported == set()
        return
    assert reported == {"KD202"}
    (finding,) = findings(model)
    assert "units=2" in finding.message
    where = "out" if kind == "dense" else "keras.ops.softmax"
    assert finding.location.layer == where
    good = compiled(_subclassed(kind), "sparse_categorical_crossentropy")
    if build:
        good(np.zeros((2, 10), dtype="float32"))
    assert not kerasdoctor.diagnose(good).at_least("warning")


def test_subclassed_softmax_behind_a_lambda_is_not_reported():
    import numpy as np

    model = _subclassed("lambda")
    model(np.zeros((2, 10), dtype="float32"))
    assert codes(compiled(model, "binary_crossentropy")) == set()
