"""The only module that knows Keras internals: live objects in, plain frozen facts out.

Rules read these facts; they never touch a live model. Everything here reads
and never mutates: the user's model is not built, called, or compiled.
Keras is imported lazily, inside the functions, so `import kerasdoctor` stays light.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Mapping
from typing import Any

Shape = tuple  # a shape as a Python tuple; None for an unknown (batch) dimension


# --------------------------------------------------------------------------------------------
# Model facts
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LayerFacts:
    """One layer, as rules see it.

    `kind` is one of: input, dense, conv, pool, global_pool, activation, dropout, reshape,
    norm, rnn, embedding, attention, merge, model, lambda, preprocessing, other.
    `activation` is the layer's own activation ('linear' for none), 'unknown' for a
    lambda or custom function, and None for layers that have no activation.
    """

    name: str
    cls: str
    kind: str
    activation: str | None = None
    units: int | None = None
    parents: tuple[str, ...] = ()
    output_shape: Shape | None = None
    trainable: bool = True
    params: int | None = None
    regularized: bool = False
    rate: float | None = None


@dataclasses.dataclass(frozen=True)
class LossFacts:
    """The loss of one output head.

    `name` is the canonical Keras name (`'categorical_crossentropy'`), the class or
    function name for custom losses. `kind` is one of: categorical, sparse_categorical,
    binary, regression, hinge, poisson, distribution, similarity, other, custom, invalid.
    `given` is how the user wrote it, for messages.
    """

    name: str
    kind: str
    given: str
    from_logits: bool = False


@dataclasses.dataclass(frozen=True)
class HeadFacts:
    """One output of the model, with its effective activation and its loss.

    `activation` is the effective activation of the output, found by walking back from
    the output through layers that do not change it (Dropout, Reshape, Flatten,
    `Activation('linear')`); 'unknown' when a Lambda, custom or merge layer decides it.
    `activation_layer` is the layer that applies it; `path` lists the layers walked,
    from the output back to `activation_layer`.
    """

    key: str
    layer: str
    shape: Shape | None
    activation: str
    activation_layer: str
    path: tuple[str, ...] = ()
    loss: LossFacts | None = None

    @property
    def units(self) -> int | None:
        """The size of the last axis of the output, if known."""
        return self.shape[-1] if self.shape else None


@dataclasses.dataclass(frozen=True)
class OptimizerFacts:
    """The optimiser: class, family, current learning rate and scalar hyper-parameters.

    `family` is one of: adam, sgd, rmsprop, adagrad, adadelta, ftrl, lion, other.
    """

    name: str
    family: str
    learning_rate: float | None
    schedule: str | None = None
    config: Mapping[str, float] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class InputFacts:
    name: str
    shape: Shape | None
    dtype: str | None = None


@dataclasses.dataclass(frozen=True)
class ModelFacts:
    """A model, as plain data.

    `kind` is sequential, functional or subclassed. Parameter counts are None when
    the model is not built. `shape_error` holds the first layer whose output shape
    could not be computed from the data's input shape, and Keras's reason.
    """

    name: str
    cls: str
    kind: str
    built: bool
    compiled: bool
    trainable: bool
    layers: tuple[LayerFacts, ...]
    heads: tuple[HeadFacts, ...]
    inputs: tuple[InputFacts, ...] = ()
    optimizer: OptimizerFacts | None = None
    metrics: tuple[str, ...] = ()
    trainable_params: int | None = None
    non_trainable_params: int | None = None
    shape_error: tuple[str, str] | None = None

    def layer(self, name: str) -> LayerFacts | None:
        """The layer called `name`, if the model has one."""
        return next((layer for layer in self.layers if layer.name == name), None)

    def children(self, name: str) -> tuple[LayerFacts, ...]:
        """The layers that take the output of layer `name` as input."""
        return tuple(layer for layer in self.layers if name in layer.parents)


_ACTIVATION_LAYERS = {
    "Softmax": "softmax",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
    "PReLU": "prelu",
}
_KNOWN_ACTIVATIONS = {
    "linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "softmax", "log_softmax", "tanh",
    "elu", "selu", "gelu", "silu", "swish", "softplus", "softsign", "exponential",
    "leaky_relu", "mish", "hard_silu", "hard_swish", "celu", "glu", "log_sigmoid",
    "sparse_plus", "sparsemax", "squareplus", "tanh_shrink", "hard_tanh", "soft_shrink",
    "hard_shrink", "threshold", "sparse_sigmoid", "prelu",
}
_BACKEND_MODULES = ("keras", "tensorflow", "tf_keras", "jax", "torch")


def _activation_name(fn: Any) -> str:
    if fn is None:
        return "linear"
    if isinstance(fn, str):
        return fn if fn in _KNOWN_ACTIVATIONS else "unknown"
    name = getattr(fn, "__name__", type(fn).__name__)
    module = getattr(fn, "__module__", "") or ""
    if name in _KNOWN_ACTIVATIONS and module.split(".")[0] in _BACKEND_MODULES:
        return "silu" if name == "swish" else name
    return "unknown"


@functools.cache
def _kind_table() -> tuple[tuple[tuple[type, ...], str], ...]:
    """(classes, kind) pairs, most specific first; classes a Keras version lacks are left out."""
    import importlib

    import keras

    def classes(*paths: str) -> tuple[type, ...]:
        found = []
        for path in paths:
            module, _, name = path.rpartition(".")
            try:
                found.append(getattr(importlib.import_module(module or "keras.layers"), name))
            except (ImportError, AttributeError):
                continue
        return tuple(found)

    base = "keras.src.layers."
    return (
        (classes("InputLayer"), "input"),
        ((keras.Model,), "model"),
        (classes("Dense", "EinsumDense"), "dense"),
        (
            classes(
                base + "convolutional.base_conv.BaseConv",
                base + "convolutional.base_conv_transpose.BaseConvTranspose",
                base + "convolutional.base_depthwise_conv.BaseDepthwiseConv",
                base + "convolutional.base_separable_conv.BaseSeparableConv",
            ),
            "conv",
        ),
        (classes(base + "pooling.base_global_pooling.BaseGlobalPooling"), "global_pool"),
        (classes(base + "pooling.base_pooling.BasePooling"), "pool"),
        (classes("Activation", "Softmax", "ReLU", "LeakyReLU", "ELU", "PReLU"), "activation"),
        (
            classes(
                "Dropout", "GaussianDropout", "GaussianNoise", "AlphaDropout",
                "ActivityRegularization",
            ),
            "dropout",
        ),
        (classes("Flatten", "Reshape", "Permute", "Identity"), "reshape"),
        (
            classes(
                "BatchNormalization", "LayerNormalization", "GroupNormalization",
                "UnitNormalization",
            ),
            "norm",
        ),
        (classes("RNN", "Bidirectional", "LSTM", "GRU", "SimpleRNN"), "rnn"),
        (classes("Embedding"), "embedding"),
        (classes("MultiHeadAttention", "Attention", "AdditiveAttention"), "attention"),
        (classes(base + "merging.base_merge.Merge"), "merge"),
        (classes("Lambda"), "lambda"),
        (
            classes(
                base + "preprocessing.data_layer.DataLayer",
                base + "preprocessing.tf_data_layer.TFDataLayer",
            ),
            "preprocessing",
        ),
    )


def _kind(layer: Any) -> str:
    for classes, kind in _kind_table():
        if classes and isinstance(layer, classes):
            return kind
    return "other"


def _layer_activation(layer: Any, kind: str) -> str | None:
    cls = type(layer).__name__
    if cls in _ACTIVATION_LAYERS and kind == "activation":
        return _ACTIVATION_LAYERS[cls]
    if kind in ("dense", "conv", "activation"):
        return _activation_name(getattr(layer, "activation", None))
    return None


def _units(layer: Any) -> int | None:
    for attr in ("units", "filters", "output_dim"):
        value = getattr(layer, attr, None)
        if isinstance(value, int):
            return value
    return None


def _count(weights: Any) -> int:
    return int(sum(math.prod(w.shape) for w in weights))


def _is_regularized(layer: Any) -> bool:
    return any(
        getattr(layer, attr, None) is not None
        for attr in ("kernel_regularizer", "bias_regularizer", "activity_regularizer")
    )


def _shape(value: Any) -> Shape | None:
    try:
        return tuple(None if d is None else int(d) for d in value)
    except (TypeError, ValueError):
        return None


def _graph(model: Any) -> tuple[dict[str, tuple[str, ...]], dict[str, Shape]]:
    """Parents and output shapes of every layer of a Functional model, from its graph."""
    parents: dict[str, list[str]] = {}
    shapes: dict[str, Shape] = {}
    seen: set[int] = set()
    stack = list(model.outputs)
    while stack:
        tensor = stack.pop()
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            continue
        op, node_index = history.operation, history.node_index
        node = op._inbound_nodes[node_index]
        if id(node) in seen:
            continue
        seen.add(id(node))
        shapes.setdefault(op.name, _shape(tensor.shape))
        names = parents.setdefault(op.name, [])
        for parent in node.input_tensors:
            parent_history = getattr(parent, "_keras_history", None)
            if parent_history is not None and parent_history.operation.name not in names:
                names.append(parent_history.operation.name)
            stack.append(parent)
    return {name: tuple(p) for name, p in parents.items()}, shapes


def _sequential_shapes(layers: list, input_shape: Shape) -> tuple[dict[str, Shape], tuple | None]:
    """Output shape of each layer of a Sequential stack fed `input_shape`, without building."""
    shapes: dict[str, Shape] = {}
    shape = input_shape
    for layer in layers:
        try:
            shape = _shape(layer.compute_output_shape(shape))
        except Exception as error:  # Keras says why the shape does not fit
            return shapes, (layer.name, clean_message(str(error)))
        if shape is None:
            break
        shapes[layer.name] = shape
    return shapes, None


def _model_kind(model: Any) -> str:
    import keras

    if isinstance(model, keras.Sequential):
        return "sequential"
    from keras.src.models.functional import Functional

    return "functional" if isinstance(model, Functional) else "subclassed"


def model_facts(model: Any, input_shape: Shape | None = None) -> ModelFacts:
    """The facts of a live `keras.Model`, without building or changing it.

    Args:
        model: A Sequential, Functional or subclassed `keras.Model`.
        input_shape: The shape of the data (batch axis first) that will be fed to the
            model; used to compute layer output shapes of a model that is not built yet.
    """
    kind = _model_kind(model)
    layers = [layer for layer in model.layers]
    shapes: dict[str, Shape] = {}
    parents: dict[str, tuple[str, ...]] = {}
    shape_error = None
    if kind == "functional":
        parents, shapes = _graph(model)
    elif kind == "sequential":
        layers = [layer for layer in layers if _kind(layer) != "input"]
        parents = {b.name: (a.name,) for a, b in zip(layers, layers[1:])}
        if model.built:
            shapes = {layer.name: _shape(layer.output.shape) for layer in layers}
        elif input_shape is not None:
            shapes, shape_error = _sequential_shapes(layers, (None, *input_shape[1:]))

    layer_facts = []
    for layer in layers:
        layer_kind = _kind(layer)
        layer_facts.append(
            LayerFacts(
                name=layer.name,
                cls=type(layer).__name__,
                kind=layer_kind,
                activation=_layer_activation(layer, layer_kind),
                units=_units(layer),
                parents=parents.get(layer.name, ()),
                output_shape=shapes.get(layer.name),
                trainable=bool(layer.trainable),
                params=_count(layer.weights) if layer.built else None,
                regularized=_is_regularized(layer),
                rate=getattr(layer, "rate", None) if layer_kind == "dropout" else None,
            )
        )
    by_name = {layer.name: layer for layer in layers}
    facts = {f.name: f for f in layer_facts}

    compiled = bool(getattr(model, "compiled", False))
    outputs = _output_layers(model, kind, layers)
    losses = _losses_by_head(model, [key for key, _ in outputs]) if compiled else {}
    heads = []
    for key, layer in outputs:
        activation, where, path = _effective_activation(layer, facts, by_name)
        heads.append(
            HeadFacts(
                key=key,
                layer=layer.name,
                shape=shapes.get(layer.name),
                activation=activation,
                activation_layer=where,
                path=path,
                loss=losses.get(key),
            )
        )

    built = bool(model.built)
    return ModelFacts(
        name=model.name,
        cls=type(model).__name__,
        kind=kind,
        built=built,
        compiled=compiled,
        trainable=bool(model.trainable),
        layers=tuple(layer_facts),
        heads=tuple(heads),
        inputs=_inputs(model, kind, input_shape),
        optimizer=optimizer_facts(model.optimizer) if compiled else None,
        metrics=_metrics(model) if compiled else (),
        trainable_params=_count(model.trainable_weights) if built else None,
        non_trainable_params=_count(model.non_trainable_weights) if built else None,
        shape_error=shape_error,
    )


def _output_layers(model: Any, kind: str, layers: list) -> list[tuple[str, Any]]:
    """(key, producing layer) for each output: keys are what a loss dict must use."""
    if kind == "functional":
        struct = model._outputs_struct
        producers = [t._keras_history.operation for t in model.outputs]
        if isinstance(struct, Mapping):
            keys = [str(k) for k in struct.keys()]
        else:
            keys = list(model.output_names)
        return list(zip(keys, producers))
    if kind == "sequential" and layers:
        return [(layers[-1].name, layers[-1])]
    return []


def _effective_activation(
    layer: Any, facts: dict[str, LayerFacts], by_name: dict[str, Any]
) -> tuple[str, str, tuple[str, ...]]:
    path: list[str] = []
    while True:
        fact = facts.get(layer.name)
        path.append(layer.name)
        if fact is None:
            return "unknown", layer.name, tuple(path)
        if fact.kind == "model":
            heads = model_facts(layer).heads
            if len(heads) == 1:
                return heads[0].activation, heads[0].activation_layer, tuple(path)
            return "unknown", layer.name, tuple(path)
        if fact.kind in ("dropout", "reshape") or (
            fact.kind == "activation" and fact.activation == "linear"
        ):
            if len(fact.parents) != 1 or fact.parents[0] not in by_name:
                return "unknown", layer.name, tuple(path)
            layer = by_name[fact.parents[0]]
            continue
        if fact.activation is not None:
            return fact.activation, layer.name, tuple(path)
        return "unknown", layer.name, tuple(path)


def _inputs(model: Any, kind: str, input_shape: Shape | None) -> tuple[InputFacts, ...]:
    if kind != "subclassed" and model.built:
        try:
            return tuple(
                InputFacts(
                    name=getattr(t, "name", "input"),
                    shape=_shape(t.shape),
                    dtype=str(getattr(t, "dtype", None)),
                )
                for t in model.inputs
            )
        except (AttributeError, ValueError):
            pass
    return ()


def _metrics(model: Any) -> tuple[str, ...]:
    config = model._compile_config.config if getattr(model, "_compile_config", None) else {}
    metrics = config.get("metrics") or []
    if isinstance(metrics, Mapping):
        metrics = [m for value in metrics.values() for m in _as_list(value)]
    return tuple(_identifier_name(m) for m in _as_list(metrics))


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _identifier_name(value: Any) -> str:
    if isinstance(value, str):
        return value
    return getattr(value, "name", None) or getattr(value, "__name__", type(value).__name__)


# --------------------------------------------------------------------------------------------
# Losses and optimisers
# --------------------------------------------------------------------------------------------

_LOSS_KINDS = {
    "categorical_crossentropy": "categorical",
    "categorical_focal_crossentropy": "categorical",
    "sparse_categorical_crossentropy": "sparse_categorical",
    "binary_crossentropy": "binary",
    "binary_focal_crossentropy": "binary",
    "mean_squared_error": "regression",
    "mean_absolute_error": "regression",
    "mean_absolute_percentage_error": "regression",
    "mean_squared_logarithmic_error": "regression",
    "huber": "regression",
    "log_cosh": "regression",
    "hinge": "hinge",
    "squared_hinge": "hinge",
    "categorical_hinge": "hinge",
    "poisson": "poisson",
    "kl_divergence": "distribution",
    "cosine_similarity": "similarity",
}


def loss_facts(loss: Any) -> LossFacts | None:
    """The facts of one loss as passed to `compile()`: a string, `Loss` object or function."""
    import keras

    if loss is None:
        return None
    if isinstance(loss, str):
        try:
            resolved = keras.losses.get(loss)
        except (ValueError, TypeError):
            return LossFacts(name=loss, kind="invalid", given=repr(loss))
        if resolved is None:
            return LossFacts(name=loss, kind="invalid", given=repr(loss))
        facts = loss_facts(resolved)
        return dataclasses.replace(facts, given=repr(loss))
    if isinstance(loss, keras.losses.Loss):
        fn = getattr(loss, "fn", None)
        module = getattr(type(loss), "__module__", "") or ""
        if fn is not None and module.startswith("keras"):
            name = fn.__name__
            kwargs = getattr(loss, "_fn_kwargs", {}) or {}
            from_logits = bool(kwargs.get("from_logits", False))
            given = f"{type(loss).__name__}({'from_logits=True' if from_logits else ''})"
            return LossFacts(name, _LOSS_KINDS.get(name, "other"), given, from_logits)
        config_logits = bool(getattr(loss, "from_logits", False))
        return LossFacts(type(loss).__name__, "custom", f"{type(loss).__name__}()", config_logits)
    if callable(loss):
        name = getattr(loss, "__name__", type(loss).__name__)
        module = getattr(loss, "__module__", "") or ""
        if module.split(".")[0] in _BACKEND_MODULES and name in _LOSS_KINDS:
            return LossFacts(name, _LOSS_KINDS[name], f"keras.losses.{name}")
        return LossFacts(name, "custom", name)
    return LossFacts(type(loss).__name__, "invalid", repr(loss))


def _losses_by_head(model: Any, keys: list[str]) -> dict[str, LossFacts]:
    loss = model.loss
    if isinstance(loss, Mapping):
        names = dict(zip(keys, _output_names(model, keys)))
        result = {}
        for key in keys:
            given = loss.get(key, loss.get(names[key]))
            if given is not None:
                result[key] = loss_facts(given)
        return result
    if isinstance(loss, (list, tuple)):
        if len(loss) == len(keys):
            return {key: loss_facts(item) for key, item in zip(keys, loss) if item is not None}
        if len(loss) == 1:
            loss = loss[0]
        else:
            return {}
    facts = loss_facts(loss)
    return {key: facts for key in keys} if facts is not None else {}


def _output_names(model: Any, keys: list[str]) -> list[str]:
    try:
        return list(model.output_names)
    except AttributeError:
        return keys


_OPTIMIZER_FAMILIES = {
    "Adam": "adam", "AdamW": "adam", "Adamax": "adam", "Nadam": "adam", "Lamb": "adam",
    "Adafactor": "adam", "Muon": "adam", "Lion": "lion", "SGD": "sgd", "RMSprop": "rmsprop",
    "Adagrad": "adagrad", "Adadelta": "adadelta", "Ftrl": "ftrl",
}


def optimizer_facts(optimizer: Any) -> OptimizerFacts | None:
    """Class, family, current learning rate (schedules evaluated) and scalar settings."""
    import keras

    if optimizer is None:
        return None
    inner = getattr(optimizer, "inner_optimizer", None)  # LossScaleOptimizer
    if inner is not None:
        optimizer = inner
    name = type(optimizer).__name__
    family = next(
        (
            _OPTIMIZER_FAMILIES[cls.__name__]
            for cls in type(optimizer).__mro__
            if cls.__name__ in _OPTIMIZER_FAMILIES
        ),
        "other",
    )
    raw = getattr(optimizer, "_learning_rate", None)
    schedule = None
    if isinstance(raw, keras.optimizers.schedules.LearningRateSchedule):
        schedule = type(raw).__name__
    elif callable(raw) and not hasattr(raw, "numpy") and not hasattr(raw, "value"):
        schedule = getattr(raw, "__name__", "callable")
    try:
        learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except Exception:
        learning_rate = None
    config = {}
    for key in (
        "momentum", "beta_1", "beta_2", "rho", "epsilon", "initial_accumulator_value",
        "learning_rate_power", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm",
    ):
        value = getattr(optimizer, key, None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            config[key] = float(value)
    return OptimizerFacts(name, family, learning_rate, schedule, config)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def clean_message(message: str) -> str:
    """A Keras error message without ANSI codes and TensorFlow's kernel-trace padding."""
    message = _ANSI.sub("", message)
    if "Graph execution error" in message and "\t [[" in message:
        before = message.split("\t [[", 1)[0]
        lines = [line for line in before.splitlines() if line.strip()]
        message = lines[-1].strip() if lines else message
    return message.strip()


@dataclasses.dataclass(frozen=True)
class ErrorFacts:
    """An exception as plain data: its class name and cleaned message."""

    type: str
    message: str


def error_facts(error: BaseException) -> ErrorFacts:
    return ErrorFacts(type=type(error).__name__, message=clean_message(str(error)))


# --------------------------------------------------------------------------------------------
# Data facts
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ArrayFacts:
    """A bounded sample of one array-like and its summary."""

    shape: Shape | None
    dtype: str | None


@dataclasses.dataclass(frozen=True)
class DataFacts:
    """What was passed to `fit()`: x, y and the validation set, summarised."""

    x: ArrayFacts | None = None
    y: ArrayFacts | None = None


def _array_facts(value: Any) -> ArrayFacts | None:
    if value is None:
        return None
    shape = _shape(getattr(value, "shape", None) or ())
    dtype = getattr(value, "dtype", None)
    return ArrayFacts(shape=shape or None, dtype=None if dtype is None else str(dtype))


def data_facts(x: Any = None, y: Any = None, **fit_kwargs: Any) -> DataFacts:
    """The facts of the data passed to `fit()`."""
    return DataFacts(x=_array_facts(x), y=_array_facts(y))
