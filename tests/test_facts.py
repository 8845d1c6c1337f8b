"""Model facts (`kerasdoctor.facts`): heads, effective activations, losses, optimisers, counts.

Every test builds small live models, so every test depends on the backend: CI runs them on
TensorFlow, JAX and PyTorch, and they must pass unchanged on all three.
"""

import warnings

import numpy as np
import pytest

from kerasdoctor.facts import loss_facts, model_facts, optimizer_facts

keras = pytest.importorskip("keras")
L = keras.layers

pytestmark = pytest.mark.backend


def summary(head):
    """The parts of a head that the rules read, as one comparable tuple."""
    return (head.key, head.layer, head.shape, head.activation, head.activation_layer)


def two_layer(*tail, inputs=True):
    """Sequential: [Input((4,))], Dense(8, relu, name='hidden'), then `tail`."""
    head = [keras.Input((4,))] if inputs else []
    return keras.Sequential([*head, L.Dense(8, activation="relu", name="hidden"), *tail])


# --------------------------------------------------------------------------------------------
# Heads
# --------------------------------------------------------------------------------------------


def test_unbuilt_sequential_has_its_last_layer_as_head():
    model = two_layer(L.Dense(3, activation="softmax", name="out"), inputs=False)
    model.compile(optimizer="adam", loss="categorical_crossentropy")

    facts = model_facts(model)

    assert facts.kind == "sequential" and facts.cls == "Sequential"
    assert not facts.built and facts.compiled
    assert [summary(h) for h in facts.heads] == [("out", "out", None, "softmax", "out")]
    assert facts.heads[0].units is None
    assert facts.trainable_params is None and facts.non_trainable_params is None
    assert [layer.params for layer in facts.layers] == [None, None]
    assert facts.inputs == ()
    assert not model.built


def test_unbuilt_sequential_gets_shapes_from_the_data_shape_without_being_built():
    model = two_layer(L.Dense(3, activation="softmax", name="out"), inputs=False)

    facts = model_facts(model, input_shape=(32, 4))

    assert [layer.output_shape for layer in facts.layers] == [(None, 8), (None, 3)]
    assert facts.heads[0].shape == (None, 3) and facts.heads[0].units == 3
    assert facts.shape_error is None
    assert not model.built
    assert not any(layer.built for layer in model.layers)


def test_unbuilt_sequential_reports_the_first_layer_whose_shape_does_not_fit():
    model = keras.Sequential([L.Conv2D(4, 3, name="conv"), L.Flatten(), L.Dense(2, name="out")])

    facts = model_facts(model, input_shape=(32, 28, 28))

    assert facts.shape_error is not None
    assert facts.shape_error[0] == "conv"
    assert not model.built


def test_custom_layer_without_compute_output_shape_is_not_a_shape_error():
    """A layer that cannot say its output shape leaves shapes unknown; it is not a mismatch."""

    class Twice(L.Layer):
        def call(self, x):
            return x * 2

    model = keras.Sequential([L.Dense(3, name="d"), Twice(name="twice"), L.Dense(2, name="out")])

    facts = model_facts(model, input_shape=(32, 4))

    assert facts.shape_error is None
    assert facts.layer("d").output_shape == (None, 3)
    assert facts.layer("out").output_shape is None
    assert not model.built


def test_built_sequential_head_shape_params_and_parents():
    model = two_layer(L.Dense(3, activation="softmax", name="out"))

    facts = model_facts(model)

    assert facts.built
    assert [summary(h) for h in facts.heads] == [("out", "out", (None, 3), "softmax", "out")]
    assert facts.heads[0].units == 3
    # InputLayer is not one of a Sequential's layers.
    assert [layer.name for layer in facts.layers] == ["hidden", "out"]
    assert facts.layer("out").parents == ("hidden",)
    assert facts.layer("hidden").parents == ()
    assert [c.name for c in facts.children("hidden")] == ["out"]
    assert facts.layer("hidden").params == 4 * 8 + 8
    assert facts.trainable_params == (4 * 8 + 8) + (8 * 3 + 3) == model.count_params()
    assert facts.non_trainable_params == 0
    assert [(i.shape, i.dtype) for i in facts.inputs] == [((None, 4), "float32")]


def test_batch_normalization_statistics_are_non_trainable_params():
    model = two_layer(L.BatchNormalization(name="bn"), L.Dense(1, name="out"))

    facts = model_facts(model)

    assert facts.layer("bn").kind == "norm" and facts.layer("bn").params == 4 * 8
    assert facts.trainable_params == (4 * 8 + 8) + 2 * 8 + (8 + 1)
    assert facts.non_trainable_params == 2 * 8


def test_functional_list_outputs_are_keyed_by_layer_name():
    inputs = keras.Input((5,), name="x")
    hidden = L.Dense(8, activation="relu", name="hidden")(inputs)
    cls = L.Dense(3, activation="softmax", name="cls")(hidden)
    reg = L.Dense(1, name="reg")(hidden)
    model = keras.Model(inputs, [cls, reg])

    facts = model_facts(model)

    assert facts.kind == "functional"
    assert [summary(h) for h in facts.heads] == [
        ("cls", "cls", (None, 3), "softmax", "cls"),
        ("reg", "reg", (None, 1), "linear", "reg"),
    ]
    assert [layer.name for layer in facts.layers] == ["x", "hidden", "cls", "reg"]
    assert facts.layer("x").kind == "input"
    assert facts.layer("cls").parents == ("hidden",)
    assert {c.name for c in facts.children("hidden")} == {"cls", "reg"}
    assert [(i.name, i.shape) for i in facts.inputs] == [("x", (None, 5))]


def test_functional_dict_outputs_are_keyed_by_dict_key():
    inputs = keras.Input((5,))
    hidden = L.Dense(8, activation="relu", name="hidden")(inputs)
    cls = L.Dense(3, activation="softmax", name="cls")(hidden)
    reg = L.Dense(1, name="reg")(hidden)
    model = keras.Model(inputs, {"a": cls, "b": reg})
    model.compile(optimizer="adam", loss={"a": "sparse_categorical_crossentropy", "b": "mse"})

    facts = model_facts(model)

    heads = {h.key: h for h in facts.heads}
    assert set(heads) == {"a", "b"}
    assert summary(heads["a"]) == ("a", "cls", (None, 3), "softmax", "cls")
    assert summary(heads["b"]) == ("b", "reg", (None, 1), "linear", "reg")
    assert heads["a"].loss.name == "sparse_categorical_crossentropy"
    assert heads["a"].loss.kind == "sparse_categorical"
    assert heads["b"].loss.name == "mean_squared_error"
    assert heads["b"].loss.given == "'mse'"


def test_single_output_in_a_list():
    inputs = keras.Input((4,))
    out = L.Dense(2, activation="softmax", name="out")(inputs)
    model = keras.Model(inputs, [out])
    model.compile(optimizer="adam", loss=["categorical_crossentropy"])

    (head,) = model_facts(model).heads

    assert summary(head) == ("out", "out", (None, 2), "softmax", "out")
    assert head.loss.name == "categorical_crossentropy"


def test_multi_input_functional_model():
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    merged = L.Concatenate(name="merge")([a, b])
    out = L.Dense(2, activation="softmax", name="out")(merged)
    model = keras.Model([a, b], out)

    facts = model_facts(model)

    assert [(i.name, i.shape) for i in facts.inputs] == [("a", (None, 4)), ("b", (None, 3))]
    assert facts.layer("merge").kind == "merge"
    assert set(facts.layer("merge").parents) == {"a", "b"}
    assert facts.layer("merge").output_shape == (None, 7)
    assert [summary(h) for h in facts.heads] == [("out", "out", (None, 2), "softmax", "out")]


def test_keras_op_softmax_as_output_is_read():
    """`keras.ops.softmax(x)` as the output is an operation, not a layer; it is read by its class."""
    inputs = keras.Input((4,))
    logits = L.Dense(3, name="logits")(inputs)
    model = keras.Model(inputs, keras.ops.softmax(logits))

    (head,) = model_facts(model).heads

    assert (head.activation, head.activation_layer) == ("softmax", "keras.ops.softmax")
    assert head.shape == (None, 3)


def test_keras_op_softmax_over_another_axis_and_other_ops_are_unknown():
    inputs = keras.Input((2, 3))
    logits = L.Dense(3, name="logits")(inputs)
    across = keras.Model(inputs, keras.ops.softmax(logits, axis=1))
    doubled = keras.Model(inputs, keras.ops.multiply(logits, 2.0))

    assert model_facts(across).heads[0].activation == "unknown"
    assert model_facts(doubled).heads[0].activation == "unknown"


def test_shared_layer_giving_two_outputs_gives_two_heads_with_their_own_losses():
    """Keras names both outputs after the layer (['s', 's']); heads need distinct keys."""
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    shared = L.Dense(1, activation="sigmoid", name="s")
    model = keras.Model([a, b], [shared(a), shared(b)])
    model.compile(optimizer="adam", loss=["mse", "binary_crossentropy"])

    heads = model_facts(model).heads

    assert [(h.key, h.layer, h.activation) for h in heads] == [
        ("s", "s", "sigmoid"),
        ("s_1", "s", "sigmoid"),
    ]
    assert [h.loss.name for h in heads] == ["mean_squared_error", "binary_crossentropy"]
    model.compile(optimizer="adam", loss={"s": "mse"})  # Keras gives both outputs loss['s']
    assert [h.loss.name for h in model_facts(model).heads] == ["mean_squared_error"] * 2


def test_inputs_of_a_dict_are_named_by_their_keys_with_their_input_layer():
    pixels, table = keras.Input((8,), name="img"), keras.Input((3,))
    merged = L.Concatenate()([L.Dense(2, name="da")(pixels), L.Dense(2, name="db")(table)])
    with warnings.catch_warnings():  # Keras asks for keys equal to the Input names
        warnings.simplefilter("ignore")
        model = keras.Model({"pix": pixels, "feat": table}, L.Dense(1, name="out")(merged))

    inputs = {i.name: i for i in model_facts(model).inputs}

    assert set(inputs) == {"pix", "feat"}
    assert inputs["pix"].layer == "img" and inputs["pix"].shape == (None, 8)
    assert inputs["feat"].layer.startswith("input_layer")


# --------------------------------------------------------------------------------------------
# Nested models
# --------------------------------------------------------------------------------------------


def test_sequential_used_as_the_output_layer_of_a_functional_model():
    inner = keras.Sequential(
        [
            keras.Input((5,)),
            L.Dense(4, name="inner_hidden"),
            L.Dense(2, activation="sigmoid", name="inner_out"),
        ],
        name="inner",
    )
    inputs = keras.Input((5,))
    model = keras.Model(inputs, inner(inputs))
    model.compile(optimizer="adam", loss="binary_crossentropy")

    facts = model_facts(model)

    assert facts.layer("inner").kind == "model"
    assert facts.layer("inner").params == (5 * 4 + 4) + (4 * 2 + 2)
    (head,) = facts.heads
    # The activation comes from inside the nested model, and names the inner layer.
    assert summary(head) == ("inner", "inner", (None, 2), "sigmoid", "inner_out")
    assert head.path == ("inner",)
    assert head.loss.name == "binary_crossentropy"


def test_sequential_used_as_the_last_layer_of_an_unbuilt_sequential():
    inner = keras.Sequential(
        [L.Dense(4, activation="relu"), L.Dense(3, activation="softmax", name="inner_out")],
        name="inner",
    )
    model = keras.Sequential([L.Dense(5, name="first"), inner])

    facts = model_facts(model, input_shape=(8, 7))

    assert summary(facts.heads[0]) == ("inner", "inner", (None, 3), "softmax", "inner_out")
    assert not model.built and not inner.built


def test_base_model_with_a_head():
    base = keras.Sequential(
        [keras.Input((8, 8, 3)), L.Conv2D(4, 3, activation="relu", name="base_conv")], name="base"
    )
    inputs = keras.Input((8, 8, 3))
    features = L.GlobalAveragePooling2D(name="gap")(base(inputs))
    out = L.Dense(5, activation="softmax", name="head")(L.Dropout(0.2, name="drop")(features))
    model = keras.Model(inputs, out)
    base_params = 3 * 3 * 3 * 4 + 4

    facts = model_facts(model)

    assert [summary(h) for h in facts.heads] == [("head", "head", (None, 5), "softmax", "head")]
    assert [layer.kind for layer in facts.layers] == [
        "input",
        "model",
        "global_pool",
        "dropout",
        "dense",
    ]
    assert facts.layer("drop").rate == 0.2
    assert facts.trainable_params == base_params + 4 * 5 + 5

    base.trainable = False
    frozen = model_facts(model)
    assert not frozen.layer("base").trainable
    assert frozen.trainable_params == 4 * 5 + 5
    assert frozen.non_trainable_params == base_params


# --------------------------------------------------------------------------------------------
# Effective activation
# --------------------------------------------------------------------------------------------


def custom_softmax(x):
    """A user function that happens to be called softmax: it could do anything."""
    return keras.ops.softmax(x)


custom_softmax.__name__ = "softmax"


class Identity(L.Layer):
    def call(self, x):
        return x

    def compute_output_shape(self, shape):
        return shape


EFFECTIVE = {
    "dense-softmax": (lambda: [L.Dense(3, activation="softmax", name="out")], "softmax", "out"),
    "dense-default-is-linear": (lambda: [L.Dense(3, name="out")], "linear", "out"),
    "function-object": (
        lambda: [L.Dense(3, activation=keras.activations.sigmoid, name="out")],
        "sigmoid",
        "out",
    ),
    "swish-is-silu": (lambda: [L.Dense(3, activation="swish", name="out")], "silu", "out"),
    "activation-layer": (
        lambda: [L.Dense(3, name="logits"), L.Activation("softmax", name="act")],
        "softmax",
        "act",
    ),
    "softmax-layer": (lambda: [L.Dense(3, name="logits"), L.Softmax(name="sm")], "softmax", "sm"),
    "relu-layer": (lambda: [L.Dense(3, name="d"), L.ReLU(name="r")], "relu", "r"),
    "dropout-after-output": (
        lambda: [L.Dense(3, activation="sigmoid", name="out"), L.Dropout(0.5, name="drop")],
        "sigmoid",
        "out",
    ),
    "linear-activation-is-skipped": (
        lambda: [L.Dense(3, activation="tanh", name="out"), L.Activation("linear", name="lin")],
        "tanh",
        "out",
    ),
    "reshape-and-flatten": (
        lambda: [
            L.Dense(6, activation="sigmoid", name="out"),
            L.Reshape((2, 3), name="r"),
            L.Flatten(name="f"),
        ],
        "sigmoid",
        "out",
    ),
    "softmax-through-reshape-that-keeps-the-last-axis": (
        lambda: [
            L.Dense(3, activation="softmax", name="out"),
            L.Reshape((1, 3), name="r"),
            L.Flatten(name="f"),
        ],
        "softmax",
        "out",
    ),
    "softmax-through-reshape-that-moves-the-last-axis": (
        lambda: [L.Dense(6, activation="softmax", name="out"), L.Reshape((3, 2), name="r")],
        "unknown",
        "out",
    ),
    "softmax-through-permute": (
        lambda: [L.Dense(6, activation="softmax", name="out"), L.Reshape((2, 3), name="r"),
                 L.Permute((2, 1), name="p")],
        "unknown",
        "out",
    ),
    "activation-then-dropout": (
        lambda: [
            L.Dense(3, name="logits"),
            L.Activation("softmax", name="act"),
            L.Dropout(0.1, name="drop"),
        ],
        "softmax",
        "act",
    ),
    "lambda-activation": (
        lambda: [L.Dense(3, activation=lambda x: x, name="out")],
        "unknown",
        "out",
    ),
    "user-function-named-softmax": (
        lambda: [L.Dense(3, activation=custom_softmax, name="out")],
        "unknown",
        "out",
    ),
    "lambda-layer": (
        lambda: [L.Dense(3, name="d"), L.Lambda(lambda x: x, name="lam")],
        "unknown",
        "lam",
    ),
    "custom-layer": (lambda: [L.Dense(3, name="d"), Identity(name="ident")], "unknown", "ident"),
    "custom-layer-under-dropout": (
        lambda: [L.Dense(3, name="d"), Identity(name="ident"), L.Dropout(0.1, name="drop")],
        "unknown",
        "ident",
    ),
}


@pytest.mark.parametrize("case", list(EFFECTIVE))
@pytest.mark.parametrize("style", ["sequential", "functional"])
def test_effective_activation(case, style):
    make_tail, activation, where = EFFECTIVE[case]
    tail = make_tail()
    if style == "sequential":
        model = keras.Sequential([keras.Input((4,)), *tail])
    else:
        inputs = x = keras.Input((4,))
        for layer in tail:
            x = layer(x)
        model = keras.Model(inputs, x)

    (head,) = model_facts(model).heads

    assert (head.activation, head.activation_layer) == (activation, where)
    assert head.layer == tail[-1].name
    assert head.path[0] == tail[-1].name and head.path[-1] == where


def test_effective_activation_of_an_unbuilt_sequential():
    model = keras.Sequential(
        [L.Dense(3, name="logits"), L.Softmax(name="sm"), L.Dropout(0.2, name="drop")]
    )

    (head,) = model_facts(model).heads

    assert (head.key, head.activation, head.activation_layer) == ("drop", "softmax", "sm")
    assert head.path == ("drop", "sm")


def test_merge_layer_output_is_unknown():
    inputs = keras.Input((4,))
    a = L.Dense(3, activation="softmax", name="a")(inputs)
    b = L.Dense(3, activation="softmax", name="b")(inputs)
    model = keras.Model(inputs, L.Average(name="avg")([a, b]))

    (head,) = model_facts(model).heads

    assert (head.activation, head.activation_layer) == ("unknown", "avg")


def test_layer_facts():
    inputs = keras.Input((10,), dtype="int32")
    x = L.Embedding(50, 8, name="emb")(inputs)
    x = L.LSTM(6, name="lstm")(x)
    x = L.Dense(4, activation="relu", kernel_regularizer="l2", name="reg")(x)
    x = L.Dropout(0.3, name="drop")(x)
    model = keras.Model(inputs, L.Dense(1, activation="sigmoid", name="out")(x))

    facts = model_facts(model)

    kinds = {layer.name: layer.kind for layer in facts.layers}
    assert kinds["emb"] == "embedding" and kinds["lstm"] == "rnn" and kinds["drop"] == "dropout"
    assert facts.layer("reg").regularized and not facts.layer("out").regularized
    assert facts.layer("reg").units == 4 and facts.layer("reg").activation == "relu"
    assert facts.layer("drop").rate == 0.3 and facts.layer("drop").activation is None
    assert facts.layer("lstm").output_shape == (None, 6)
    assert facts.inputs[0].dtype == "int32"


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------


def my_loss(y_true, y_pred):
    return keras.ops.mean((y_true - y_pred) ** 2)


class MyLoss(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return keras.ops.mean((y_true - y_pred) ** 2)


LOSSES = {
    "string": ("categorical_crossentropy", ("categorical_crossentropy", "categorical", False)),
    "alias-bce": ("bce", ("binary_crossentropy", "binary", False)),
    "alias-mse": ("mse", ("mean_squared_error", "regression", False)),
    "class-name": ("CategoricalCrossentropy", ("categorical_crossentropy", "categorical", False)),
    "object": (
        lambda: keras.losses.SparseCategoricalCrossentropy(),
        ("sparse_categorical_crossentropy", "sparse_categorical", False),
    ),
    "object-from-logits": (
        lambda: keras.losses.CategoricalCrossentropy(from_logits=True),
        ("categorical_crossentropy", "categorical", True),
    ),
    "bce-object-from-logits": (
        lambda: keras.losses.BinaryCrossentropy(from_logits=True),
        ("binary_crossentropy", "binary", True),
    ),
    "keras-function": (
        lambda: keras.losses.categorical_crossentropy,
        ("categorical_crossentropy", "categorical", False),
    ),
    "user-function": (lambda: my_loss, ("my_loss", "custom", False)),
    "user-lambda": (lambda: lambda y, p: y - p, ("<lambda>", "custom", False)),
    "user-loss-class": (lambda: MyLoss(), ("MyLoss", "custom", False)),
    "unknown-string": ("nope", ("nope", "invalid", False)),
    "keras-loss-of-no-kind": ("dice", ("dice", "other", False)),
    "keras-function-of-no-kind": (lambda: keras.losses.dice, ("dice", "other", False)),
    "wrapper-of-a-user-function": (
        lambda: _wrapper(my_loss),
        ("my_loss", "custom", False),
    ),
    "wrapper-of-a-keras-function": (
        lambda: _wrapper(keras.losses.binary_crossentropy, from_logits=True),
        ("binary_crossentropy", "binary", True),
    ),
}


def _wrapper(fn, **kwargs):
    from keras.src.losses.losses import LossFunctionWrapper

    return LossFunctionWrapper(fn, **kwargs)


@pytest.mark.parametrize("case", list(LOSSES))
def test_loss_of_the_head(case):
    given, expected = LOSSES[case]
    loss = given if isinstance(given, str) else given()
    model = two_layer(L.Dense(3, activation="softmax", name="out"))
    model.compile(optimizer="adam", loss=loss)

    (head,) = model_facts(model).heads

    assert (head.loss.name, head.loss.kind, head.loss.from_logits) == expected
    assert head.loss == loss_facts(loss)


def test_alias_keeps_what_the_user_wrote():
    facts = loss_facts("bce")
    assert facts.name == "binary_crossentropy" and facts.given == "'bce'"
    assert loss_facts(keras.losses.CategoricalCrossentropy(from_logits=True)).given == (
        "CategoricalCrossentropy(from_logits=True)"
    )
    assert loss_facts(None) is None


def multi_output_model():
    inputs = keras.Input((5,))
    hidden = L.Dense(8, activation="relu", name="hidden")(inputs)
    cls = L.Dense(3, name="cls")(hidden)
    reg = L.Dense(1, name="reg")(hidden)
    return keras.Model(inputs, [cls, reg])


def test_losses_as_a_list_follow_the_outputs():
    model = multi_output_model()
    model.compile(
        optimizer="adam",
        loss=[keras.losses.CategoricalCrossentropy(from_logits=True), "mae"],
    )

    heads = {h.key: h.loss for h in model_facts(model).heads}

    assert (heads["cls"].name, heads["cls"].from_logits) == ("categorical_crossentropy", True)
    assert (heads["reg"].name, heads["reg"].from_logits) == ("mean_absolute_error", False)


def test_losses_as_a_dict_by_output_name():
    model = multi_output_model()
    model.compile(optimizer="adam", loss={"cls": "sparse_categorical_crossentropy", "reg": my_loss})

    heads = {h.key: h.loss for h in model_facts(model).heads}

    assert heads["cls"].kind == "sparse_categorical"
    assert (heads["reg"].name, heads["reg"].kind) == ("my_loss", "custom")


def test_a_dict_that_leaves_out_an_output_gives_it_no_loss():
    model = multi_output_model()
    model.compile(optimizer="adam", loss={"cls": "categorical_crossentropy"})

    heads = {h.key: h.loss for h in model_facts(model).heads}

    assert heads["cls"].name == "categorical_crossentropy"
    assert heads["reg"] is None


def test_one_loss_for_every_output():
    model = multi_output_model()
    model.compile(optimizer="adam", loss="mse")

    losses = [h.loss.name for h in model_facts(model).heads]

    assert losses == ["mean_squared_error", "mean_squared_error"]


def test_uncompiled_model_has_no_losses_and_no_optimizer():
    facts = model_facts(two_layer(L.Dense(3, activation="softmax", name="out")))

    assert not facts.compiled
    assert facts.optimizer is None and facts.metrics == ()
    assert facts.heads[0].loss is None


# --------------------------------------------------------------------------------------------
# Optimisers
# --------------------------------------------------------------------------------------------


OPTIMIZERS = {
    "string-adam": (lambda: "adam", ("Adam", "adam", 1e-3, None)),
    "string-sgd": (lambda: "sgd", ("SGD", "sgd", 0.01, None)),
    "sgd-0.1": (lambda: keras.optimizers.SGD(0.1), ("SGD", "sgd", 0.1, None)),
    "adamw": (lambda: keras.optimizers.AdamW(2e-3), ("AdamW", "adam", 2e-3, None)),
    "rmsprop": (lambda: keras.optimizers.RMSprop(), ("RMSprop", "rmsprop", 1e-3, None)),
    "ftrl": (lambda: keras.optimizers.Ftrl(), ("Ftrl", "ftrl", 1e-3, None)),
    "schedule": (
        lambda: keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(0.1, 1000, 0.9)),
        ("SGD", "sgd", 0.1, "ExponentialDecay"),
    ),
    "cosine-schedule": (
        lambda: keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(0.01, 100)),
        ("Adam", "adam", 0.01, "CosineDecay"),
    ),
    "loss-scale": (
        lambda: keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1)),
        ("SGD", "sgd", 0.1, None),
    ),
}


@pytest.mark.parametrize("case", list(OPTIMIZERS))
def test_optimizer_facts(case):
    make, (name, family, learning_rate, schedule) = OPTIMIZERS[case]
    model = two_layer(L.Dense(3, activation="softmax", name="out"))
    model.compile(optimizer=make(), loss="categorical_crossentropy")

    opt = model_facts(model).optimizer

    assert (opt.name, opt.family, opt.schedule) == (name, family, schedule)
    assert opt.learning_rate == pytest.approx(learning_rate, rel=1e-6)


def test_optimizer_scalar_settings():
    opt = optimizer_facts(keras.optimizers.SGD(0.1, momentum=0.9, clipnorm=1.0))

    assert opt.config["momentum"] == pytest.approx(0.9)
    assert opt.config["clipnorm"] == pytest.approx(1.0)
    assert "beta_1" not in opt.config
    assert optimizer_facts(keras.optimizers.Adam()).config["beta_1"] == pytest.approx(0.9)
    assert optimizer_facts(None) is None


def test_metrics_as_given():
    model = two_layer(L.Dense(3, activation="softmax", name="out"))
    model.compile(
        optimizer="adam",
        loss="categorical_crossentropy",
        metrics=["accuracy", keras.metrics.AUC(name="auc")],
    )

    assert model_facts(model).metrics == ("accuracy", "auc")


# --------------------------------------------------------------------------------------------
# Reading never changes the model
# --------------------------------------------------------------------------------------------


def test_model_facts_does_not_build_an_unbuilt_model():
    model = two_layer(L.Dense(3, activation="softmax", name="out"), inputs=False)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy")

    for input_shape in (None, (16, 4), (16, 4, 4)):
        model_facts(model, input_shape)

    assert not model.built
    assert not any(layer.built for layer in model.layers)
    assert model.weights == []
    assert not model.optimizer.built


def test_model_facts_does_not_change_weights_or_optimizer_state():
    model = two_layer(L.BatchNormalization(name="bn"), L.Dense(3, activation="softmax", name="out"))
    model.compile(
        optimizer=keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)),
        loss="categorical_crossentropy",
    )
    before = [np.array(w) for w in model.get_weights()]
    names = [w.path for w in model.weights]
    iterations = int(keras.ops.convert_to_numpy(model.optimizer.iterations))

    for _ in range(2):
        model_facts(model, (16, 4))

    after = model.get_weights()
    assert [w.path for w in model.weights] == names
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == iterations
    assert not model.optimizer.built
    assert model.compiled and model.built


# --------------------------------------------------------------------------------------------
# Subclassed models
# --------------------------------------------------------------------------------------------


class Subclassed(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = L.Dense(8, activation="relu", name="hidden")
        self.out = L.Dense(3, activation="softmax", name="out")

    def call(self, x):
        return self.out(self.hidden(x))


class Assigned(keras.Model):
    """`x = self.out(x); return x`: the other common way to end call()."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = L.Dense(8, activation="relu", name="hidden")
        self.out = L.Dense(3, activation="softmax", name="out")

    def call(self, inputs, training=None):
        x = self.hidden(inputs)
        x = self.out(x)
        return x


class OpsSoftmax(keras.Model):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.hidden = L.Dense(8, activation="relu", name="hidden")
        self.logits = L.Dense(3, name="logits")

    def call(self, x):
        return keras.ops.softmax(self.logits(self.hidden(x)), axis=self.axis)


class LambdaLast(Subclassed):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lam = L.Lambda(lambda t: t * 2.0, name="lam")

    def call(self, x):
        return self.lam(self.out(self.hidden(x)))


class Branches(Subclassed):
    def call(self, x, training=None):
        if training:
            return self.hidden(x)
        return self.out(self.hidden(x))


class NumpyInCall(Subclassed):
    """A call() that needs values: it cannot be traced, but it plainly returns `self.out`."""

    def call(self, x):
        x = self.hidden(x)
        if float(keras.ops.convert_to_numpy(keras.ops.max(x))) > 1e9:  # a value, not a shape
            x = x / 1e9
        return self.out(x)


class TwoHeads(keras.Model):
    def __init__(self, as_dict=False, **kwargs):
        super().__init__(**kwargs)
        self.as_dict = as_dict
        self.hidden = L.Dense(8, activation="relu", name="hidden")
        self.cls = L.Dense(3, activation="softmax", name="cls")
        self.reg = L.Dense(1, name="reg")

    def call(self, x):
        h = self.hidden(x)
        if self.as_dict:
            return {"label": self.cls(h), "value": self.reg(h)}
        return self.cls(h), self.reg(h)


def graph_state(model):
    """What a trace could leave behind: nodes, built flags, weights, Keras's name counters."""
    from keras.src.backend.common import global_state

    layers = list(model._flatten_layers())
    return (
        [(len(x._inbound_nodes), len(x._outbound_nodes), x.built) for x in layers],
        [v.path for v in model.weights],
        dict(global_state.get_global_attribute("object_name_uids")),  # the next auto names
    )


def called(model):
    model(np.zeros((2, 4), dtype="float32"))
    return model


def test_subclassed_model_not_built_gets_its_head_from_the_layer_call_returns():
    """Not built: no trace (it would build the layers); `return self.out(...)` is read."""
    for model in (Subclassed(), Assigned()):
        model.compile(optimizer="adam", loss="categorical_crossentropy")

        facts = model_facts(model, input_shape=(32, 4))

        assert facts.kind == "subclassed" and not facts.built and facts.compiled
        assert [summary(h) for h in facts.heads] == [("out", "out", None, "softmax", "out")]
        assert facts.heads[0].loss.name == "categorical_crossentropy"
        assert facts.inputs == ()
        assert [layer.output_shape for layer in facts.layers] == [None, None]
        assert facts.trainable_params is None
        assert not model.built and not any(layer.built for layer in model.layers)


def test_subclassed_model_built_is_traced_without_changing_it():
    model = called(Assigned())
    before = graph_state(model)

    facts = model_facts(model)

    assert graph_state(model) == before
    assert facts.built and facts.trainable_params == (4 * 8 + 8) + (8 * 3 + 3)
    assert [summary(h) for h in facts.heads] == [("out", "out", (None, 3), "softmax", "out")]
    assert facts.layer("out").parents == ("hidden",)
    assert facts.layer("out").output_shape == (None, 3)
    assert facts.inputs == ()  # built on one batch shape; call() may take others


def test_subclassed_model_with_keras_ops_softmax():
    model = called(OpsSoftmax())
    before = graph_state(model)

    (head,) = model_facts(model).heads

    assert graph_state(model) == before
    assert summary(head) == (
        "keras.ops.softmax", "keras.ops.softmax", (None, 3), "softmax", "keras.ops.softmax"
    )
    assert model_facts(OpsSoftmax()).heads == ()  # not built, and not `return self.layer(...)`


def test_subclassed_model_softmax_over_another_axis_is_unknown():
    model = OpsSoftmax(axis=1)
    model(np.zeros((2, 5, 4), dtype="float32"))

    (head,) = model_facts(model).heads

    assert head.activation == "unknown"
    assert head.shape == (None, None, 3)  # middle axes: as built, but call() may take others


@pytest.mark.parametrize("build", [False, True])
def test_subclassed_model_ending_in_a_lambda_is_unknown(build):
    model = LambdaLast()
    if build:
        called(model)

    (head,) = model_facts(model).heads

    assert (head.layer, head.activation) == ("lam", "unknown")


def test_subclassed_model_with_several_returns_is_not_read_from_source():
    assert model_facts(Branches()).heads == ()
    (head,) = model_facts(called(Branches())).heads  # the trace follows training=None
    assert (head.key, head.activation) == ("out", "softmax")


def test_subclassed_model_that_cannot_be_traced_falls_back_to_the_source():
    model = called(NumpyInCall())
    before = graph_state(model)

    facts = model_facts(model)

    assert graph_state(model) == before
    assert [summary(h) for h in facts.heads] == [("out", "out", None, "softmax", "out")]
    assert facts.layer("out").parents == ()


@pytest.mark.parametrize("as_dict", [False, True])
def test_subclassed_model_with_two_outputs(as_dict):
    model = called(TwoHeads(as_dict=as_dict))
    keys = ["label", "value"] if as_dict else ["cls", "reg"]
    model.compile(optimizer="adam", loss=dict(zip(keys, ["categorical_crossentropy", "mse"],
                                                  strict=True)))

    heads = model_facts(model).heads

    assert [(h.key, h.layer, h.activation, h.loss.name) for h in heads] == [
        (keys[0], "cls", "softmax", "categorical_crossentropy"),
        (keys[1], "reg", "linear", "mean_squared_error"),
    ]


class UnusedLayer(Subclassed):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.spare = L.Dense(5, name="spare")  # never called: stays unbuilt


def test_subclassed_model_with_a_layer_never_called_is_traced_and_the_layer_stays_unbuilt():
    model = called(UnusedLayer())
    before = graph_state(model)

    facts = model_facts(model)

    assert graph_state(model) == before and not model.spare.built
    assert [summary(h) for h in facts.heads] == [("out", "out", (None, 3), "softmax", "out")]
    assert facts.layer("out").parents == ("hidden",)


def test_mixed_precision_optimizer_is_read_through_its_loss_scale_wrapper():
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = two_layer(L.Dense(3, activation="softmax", name="out"))
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="categorical_crossentropy")
    finally:
        keras.config.set_dtype_policy(policy)

    opt = model_facts(model).optimizer

    assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    assert (opt.name, opt.family) == ("SGD", "sgd")
    assert opt.learning_rate == pytest.approx(0.05, rel=1e-6)
