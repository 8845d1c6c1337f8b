"""The only module that knows Keras internals: live objects in, plain frozen facts out.

Rules read these facts; they never touch a live model. Everything here reads
and never mutates: the user's model is not built, called, or compiled.
Keras is imported lazily, inside the functions, so `import kerasdoctor` stays light.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import math
import re
import warnings
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
    input_spec: InputSpecFacts | None = None  # what the layer accepts (its first input)
    data_format: str | None = None  # 'channels_last' / 'channels_first', for layers that have one


@dataclasses.dataclass(frozen=True)
class InputSpecFacts:
    """A layer's `input_spec`: the rank it accepts and the axes it fixes (None: free).

    Unbuilt layers already know their rank (Conv2D `min_ndim=4`, LSTM `ndim=3`, Dense
    `min_ndim=2`); `axes` (axis -> size, e.g. `((-1, 3),)`) appears once the layer is built.
    """

    ndim: int | None = None
    min_ndim: int | None = None
    max_ndim: int | None = None
    axes: tuple[tuple[int, int], ...] = ()


def _input_spec(layer: Any) -> InputSpecFacts | None:
    spec = getattr(layer, "input_spec", None)
    if isinstance(spec, (list, tuple)):
        spec = spec[0] if spec else None
    if spec is None:
        return None

    def number(value: Any) -> int | None:
        return value if isinstance(value, int) else None

    axes = getattr(spec, "axes", None) or {}
    return InputSpecFacts(
        ndim=number(getattr(spec, "ndim", None)),
        min_ndim=number(getattr(spec, "min_ndim", None)),
        max_ndim=number(getattr(spec, "max_ndim", None)),
        axes=tuple(
            (int(k), int(v)) for k, v in sorted(axes.items()) if isinstance(v, int)
        ),
    )


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
    """One input of the model. `name` is what data is keyed by: the key of a dict of inputs
    (`keras.Model({'pixels': inputs}, ...)`), else the `Input`'s name; `layer` is the name of
    its `InputLayer` (an unnamed `Input` is 'keras_tensor_3', its layer 'input_layer_2')."""

    name: str
    shape: Shape | None
    dtype: str | None = None
    layer: str | None = None


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
        return self._by_name.get(name)

    def children(self, name: str) -> tuple[LayerFacts, ...]:
        """The layers that take the output of layer `name` as input."""
        return self._children.get(name, ())

    # Indexes built on first use: rules call layer()/children() once per layer, and a scan
    # each time made KD101 quadratic (NASNetLarge, 1041 layers: 58 ms of 69 ms of rules).
    @functools.cached_property
    def _by_name(self) -> dict[str, LayerFacts]:
        index: dict[str, LayerFacts] = {}
        for layer in self.layers:
            index.setdefault(layer.name, layer)
        return index

    @functools.cached_property
    def _children(self) -> dict[str, tuple[LayerFacts, ...]]:
        index: dict[str, list[LayerFacts]] = {}
        for layer in self.layers:
            for parent in dict.fromkeys(layer.parents):
                index.setdefault(parent, []).append(layer)
        return {name: tuple(found) for name, found in index.items()}


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
    parents, shapes, _, _ = _walk(model.outputs)
    return parents, shapes


def _walk(outputs: list) -> tuple[dict[str, tuple[str, ...]], dict[str, Shape], dict, list]:
    """Parents, output shapes and operations (by name) of the graph that makes `outputs`.

    Also returns the `Node`s walked, so that a trace (`_trace`) can take them away again.
    """
    parents: dict[str, list[str]] = {}
    shapes: dict[str, Shape] = {}
    operations: dict[str, Any] = {}
    nodes: list = []
    seen: set[int] = set()
    stack = list(outputs)
    while stack:
        tensor = stack.pop()
        history = getattr(tensor, "_keras_history", None)
        if history is None or history.operation is None:  # an input of a trace
            continue
        op, node_index = history.operation, history.node_index
        node = op._inbound_nodes[node_index]
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        operations.setdefault(op.name, op)
        shapes.setdefault(op.name, _shape(tensor.shape))
        names = parents.setdefault(op.name, [])
        for parent in node.input_tensors:
            parent_history = getattr(parent, "_keras_history", None)
            parent_op = getattr(parent_history, "operation", None)
            if parent_op is not None and parent_op.name not in names:
                names.append(parent_op.name)
            stack.append(parent)
    return {name: tuple(p) for name, p in parents.items()}, shapes, operations, nodes


def _sequential_shapes(layers: list, input_shape: Shape) -> tuple[dict[str, Shape], tuple | None]:
    """Output shape of each layer of a Sequential stack fed `input_shape`, without building."""
    shapes: dict[str, Shape] = {}
    shape = input_shape
    for layer in layers:
        try:
            shape = _shape(layer.compute_output_shape(shape))
        except NotImplementedError:  # a custom layer that cannot say: unknown, not a mismatch
            break
        except Exception as error:  # Keras says why the shape does not fit
            return shapes, (layer.name, clean_message(str(error)))
        if shape is None:
            break
        shapes[layer.name] = shape
    return shapes, None


def _trace(model: Any) -> tuple[list[tuple[str, str]], dict, dict, dict] | None:
    """The graph of a built subclassed model: its `call()` run once on symbolic tensors.

    Returns (outputs as (key, producing operation), parents, output shapes, operations), or
    None when the model is not built (tracing would build its layers), or `call()` does
    something symbolic tensors cannot (TensorFlow/torch ops, Python on values, a layer left
    unbuilt that needs its weights to say its output shape): the caller then knows less,
    never something wrong. Nothing is left behind: the trace runs in a `StatelessScope` (no
    variable is created or assigned), a layer not built yet (one `call()` does not always
    use) is marked built for the trace so that it is not built, and the graph nodes the
    trace adds to the layers, their flags and Keras's name counters are put back as they were.
    """
    import keras
    from keras.src.backend import StatelessScope
    from keras.src.backend.common import global_state

    if not model.built:
        return None
    built_on = getattr(model, "_build_shapes_dict", None)
    if not isinstance(built_on, Mapping) or len(built_on) != 1:
        return None
    layers = list(model._flatten_layers(include_self=False))
    unbuilt = [layer for layer in layers if not layer.built]
    counts = [(layer, len(layer._inbound_nodes), len(layer._outbound_nodes)) for layer in layers]
    called = [(layer, layer._called) for layer in layers if hasattr(layer, "_called")]
    uids = global_state.get_global_attribute("object_name_uids")
    saved_uids = dict(uids) if uids is not None else None
    nodes: list = []
    try:
        for layer in unbuilt:
            layer.built = True
        inputs = keras.tree.map_shape_structure(
            lambda shape: keras.KerasTensor((None, *tuple(shape)[1:])),
            next(iter(built_on.values())),
        )
        quiet = io.StringIO()  # a print() in the user's call() must not reach their output
        with StatelessScope(), warnings.catch_warnings(), contextlib.redirect_stdout(quiet):
            warnings.simplefilter("ignore")
            result = model.call(inputs)
        if isinstance(result, keras.KerasTensor):
            tensors, keys = [result], None
        elif isinstance(result, Mapping):
            tensors, keys = list(result.values()), [str(k) for k in result]
        elif isinstance(result, (list, tuple)):
            tensors, keys = list(result), None
        else:
            return None
        if not tensors or not all(
            isinstance(t, keras.KerasTensor) and hasattr(t, "_keras_history") for t in tensors
        ):
            return None
        parents, shapes, operations, nodes = _walk(tensors)
        names = [t._keras_history.operation.name for t in tensors]
        if keys is None:
            keys = _unique([_shown(t._keras_history.operation) for t in tensors])
        return list(zip(keys, names, strict=True)), parents, shapes, operations
    except Exception:
        return None
    finally:
        created = {id(node) for node in nodes}
        for node in nodes:
            ops = [node.operation] + [
                getattr(getattr(t, "_keras_history", None), "operation", None)
                for t in node.input_tensors
            ]
            for op in ops:
                for attr in ("_inbound_nodes", "_outbound_nodes"):
                    kept = [n for n in getattr(op, attr, []) if id(n) not in created]
                    if len(kept) != len(getattr(op, attr, [])):
                        getattr(op, attr)[:] = kept
        for layer, inbound, outbound in counts:  # also nodes of branches that were not outputs
            del layer._inbound_nodes[inbound:]
            del layer._outbound_nodes[outbound:]
        for layer, was_called in called:
            if layer._called != was_called:
                layer._called = was_called
        for layer in unbuilt:
            layer.built = False
        if uids is not None and saved_uids is not None:
            uids.clear()
            uids.update(saved_uids)


def _returned_layer(model: Any, by_name: dict[str, Any]) -> list[tuple[str, str]]:
    """The output of a subclassed model not traced, when its `call()` says it plainly.

    The common pattern `return self.out(x)`, or `x = self.out(x)` then `return x` at the end
    of `call()`, with one `return` in all: the output is the layer `self.out`'s. Anything else
    (several returns, `keras.ops` on the result, no source) gives no head.
    """
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(type(model).call)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return []
    fn = tree.body[0] if tree.body else None
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not fn.args.args:
        return []
    me = fn.args.args[0].arg
    returns = [node for node in ast.walk(fn) if isinstance(node, ast.Return)]
    if len(returns) != 1 or fn.body[-1] is not returns[0] or returns[0].value is None:
        return []
    value = returns[0].value
    if isinstance(value, ast.Name):  # x = self.out(x) ... return x
        target = value.id
        for i in range(len(fn.body) - 2, -1, -1):
            stmt = fn.body[i]
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and stmt.targets[0].id == target
            ):
                rebound = any(
                    isinstance(node, ast.Name) and node.id == target
                    and isinstance(node.ctx, (ast.Store, ast.Del))
                    for later in fn.body[i + 1 : -1]
                    for node in ast.walk(later)
                )
                if rebound:
                    return []
                value = stmt.value
                break
        else:
            return []
    if not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == me
    ):
        return []
    if isinstance(inspect.getattr_static(type(model), value.func.attr, None), property):
        return []
    try:
        layer = getattr(model, value.func.attr, None)
    except Exception:
        return []
    if layer is None or by_name.get(getattr(layer, "name", None)) is not layer:
        return []
    return [(layer.name, layer.name)]


def _model_kind(model: Any) -> str:
    import keras

    if isinstance(model, keras.Sequential):
        return "sequential"
    from keras.src.models.functional import Functional

    return "functional" if isinstance(model, Functional) else "subclassed"


def io_names(model: Any) -> tuple[list[str] | None, list[str] | None]:
    """The model's input names and output keys, to name the parts of multi-part data."""
    kind = _model_kind(model)
    if kind != "functional":
        return None, None
    inputs = model._inputs_struct
    input_names = [str(k) for k in inputs] if isinstance(inputs, Mapping) else [
        t.name for t in model.inputs
    ]
    layers = [layer for layer in model.layers if _kind(layer) != "input"]
    return input_names, [key for key, _ in _output_layers(model, kind, layers)]


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
    operations: dict[str, Any] = {}
    traced: list[tuple[str, str]] | None = None
    if kind == "functional":
        parents, shapes, operations, _ = _walk(model.outputs)
    elif kind == "sequential":
        layers = [layer for layer in layers if _kind(layer) != "input"]
        parents = {b.name: (a.name,) for a, b in zip(layers, layers[1:], strict=False)}
        if model.built:
            shapes = {layer.name: _shape(layer.output.shape) for layer in layers}
        elif input_shape is not None:
            shapes, shape_error = _sequential_shapes(layers, (None, *input_shape[1:]))
    else:
        found = _trace(model)
        if found is not None:
            traced, parents, shapes, operations = found
    # Shapes as traced: a subclassed model's are those of the batch it was built on.
    walk_shapes = dict(shapes)
    if kind == "subclassed":
        shapes = {name: _loose(shape) for name, shape in shapes.items()}

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
                input_spec=_input_spec(layer),
                data_format=getattr(layer, "data_format", None)
                if isinstance(getattr(layer, "data_format", None), str) else None,
            )
        )
    by_name = {layer.name: layer for layer in layers}
    facts = {f.name: f for f in layer_facts}

    compiled = bool(getattr(model, "compiled", False))
    if kind == "subclassed":
        outputs = traced if traced is not None else _returned_layer(model, by_name)
    else:
        outputs = [(key, op.name) for key, op in _output_layers(model, kind, layers)]
    # keras.ops calls in the graph (`keras.ops.softmax(x)`) are not layers: the walk reads them.
    walk_facts = {
        name: _op_facts(op, parents.get(name, ()), walk_shapes.get(name))
        for name, op in operations.items()
        if name not in facts
    }
    walk_facts.update(facts)
    live = {**operations, **by_name}
    losses = _losses_by_head(model, [key for key, _ in outputs]) if compiled else {}
    heads = []
    for key, name in outputs:
        activation, where, path = _effective_activation(name, walk_facts, live, walk_shapes)
        shown = {n: _shown(live[n]) for n in path if n in operations and n not in facts}
        heads.append(
            HeadFacts(
                key=key,
                layer=shown.get(name, name),
                shape=shapes.get(name),
                activation=activation,
                activation_layer=shown.get(where, where),
                path=tuple(shown.get(n, n) for n in path),
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
        if isinstance(struct, Mapping) and all(
            hasattr(t, "_keras_history") for t in struct.values()
        ):
            # model.outputs is flattened in sorted key order, not the dict's own order.
            return [(str(k), t._keras_history.operation) for k, t in struct.items()]
        if isinstance(struct, Mapping):
            keys = [str(k) for k in sorted(struct.keys())]
        else:
            keys = _unique(list(model.output_names))
        return list(zip(keys, producers, strict=False))
    if kind == "sequential" and layers:
        return [(layers[-1].name, layers[-1])]
    return []


def _unique(keys: list[str]) -> list[str]:
    """Keys made unique, Keras-style: a layer giving two outputs is `'out'`, then `'out_1'`.

    Keras names both outputs of a shared layer after it (`output_names == ['out', 'out']`); a
    loss or target dict cannot tell them apart, but lists can, and so must the heads.
    """
    unique: list[str] = []
    for key in keys:
        name, i = key, 1
        while name in unique or (name != key and name in keys):
            name, i = f"{key}_{i}", i + 1
        unique.append(name)
    return unique


def _loose(shape: Shape | None) -> Shape | None:
    """A traced shape with its middle axes unknown: a subclassed model built on 32x32 images
    or 10 time steps may be called on others; the batch axis is unknown, the last is kept."""
    if shape is None or len(shape) < 3:
        return shape
    return (None, *([None] * (len(shape) - 2)), shape[-1])


# Activations over an axis: through a layer that moves the last axis, they are not over it.
_AXIS_ACTIVATIONS = frozenset({"softmax", "log_softmax", "sparsemax", "glu"})


def _shown(op: Any) -> str:
    """How messages name an operation: a layer by its name, `keras.ops.softmax(x)` as
    'keras.ops.softmax' (its graph name, 'softmax_3', changes from run to run)."""
    import keras

    if isinstance(op, keras.layers.Layer):
        return op.name
    from keras.src.utils.naming import to_snake_case

    return f"keras.ops.{to_snake_case(type(op).__name__)}"


def _op_facts(op: Any, parents: tuple[str, ...], shape: Shape | None) -> LayerFacts:
    """A `keras.ops` operation in a graph (`keras.ops.softmax(x)`), as a layer for the walk."""
    activation = None
    module = type(op).__module__ or ""
    if module.startswith("keras.src.ops."):
        from keras.src.utils.naming import to_snake_case

        name = to_snake_case(type(op).__name__)
        name = {"exp": "exponential", "swish": "silu"}.get(name, name)
        if name in _KNOWN_ACTIVATIONS:
            activation = name
            axis = getattr(op, "axis", -1)
            if name in _AXIS_ACTIVATIONS and axis != -1 and (shape is None or axis != len(shape) - 1):
                activation = "unknown"
    return LayerFacts(
        name=op.name,
        cls=type(op).__name__,
        kind="activation" if activation else "other",
        activation=activation,
        parents=parents,
        output_shape=shape,
    )


def _keeps_last_axis(fact: LayerFacts, live: Any, shapes: dict[str, Shape]) -> bool:
    """Whether a reshaping layer keeps the last axis whole: then a softmax over it still is."""
    if fact.cls == "Identity":
        return True
    if fact.cls == "Permute":
        dims = tuple(getattr(live, "dims", ()) or ())
        return bool(dims) and dims[-1] == len(dims)
    if len(fact.parents) != 1:
        return False
    before, after = shapes.get(fact.parents[0]), shapes.get(fact.name)
    # Row-major: equal last sizes mean the same contiguous runs of values, in the same order.
    return bool(before) and bool(after) and before[-1] is not None and before[-1] == after[-1]


def _effective_activation(
    name: str, facts: dict[str, LayerFacts], live: dict[str, Any], shapes: dict[str, Shape]
) -> tuple[str, str, tuple[str, ...]]:
    """(activation, the layer that applies it, the path walked) of the output of layer `name`.

    Walks back through Dropout, `Activation('linear')` and reshaping layers. A softmax (or
    another activation over the last axis) seen through a Flatten/Reshape/Permute that
    moves the last axis is 'unknown': it no longer normalises the output's last axis.
    """
    path: list[str] = []
    last_axis_kept = True
    while True:
        fact = facts.get(name)
        path.append(name)
        if fact is None:
            return "unknown", name, tuple(path)
        if fact.kind == "model":
            heads = model_facts(live[name]).heads if name in live else ()
            if len(heads) == 1:
                return heads[0].activation, heads[0].activation_layer, tuple(path)
            return "unknown", name, tuple(path)
        if fact.kind in ("dropout", "reshape") or (
            fact.kind == "activation" and fact.activation == "linear"
        ):
            if len(fact.parents) != 1 or fact.parents[0] not in facts:
                return "unknown", name, tuple(path)
            if fact.kind == "reshape" and not _keeps_last_axis(fact, live.get(name), shapes):
                last_axis_kept = False
            name = fact.parents[0]
            continue
        if fact.activation is not None:
            if fact.activation in _AXIS_ACTIVATIONS and not last_axis_kept:
                return "unknown", name, tuple(path)
            return fact.activation, name, tuple(path)
        return "unknown", name, tuple(path)


def _inputs(model: Any, kind: str, input_shape: Shape | None) -> tuple[InputFacts, ...]:
    if kind != "subclassed" and model.built:
        try:
            tensors = list(model.inputs)
            names = [getattr(t, "name", "input") for t in tensors]
            struct = getattr(model, "_inputs_struct", None) if kind == "functional" else None
            if isinstance(struct, Mapping) and len(struct) == len(tensors):
                # model.inputs is flattened in sorted key order; data dicts use the keys.
                by_tensor = {id(t): str(k) for k, t in struct.items()}
                names = [by_tensor.get(id(t), name) for t, name in zip(tensors, names, strict=True)]
            return tuple(
                InputFacts(
                    name=name,
                    shape=_shape(t.shape),
                    dtype=str(getattr(t, "dtype", None)),
                    layer=getattr(getattr(getattr(t, "_keras_history", None), "operation", None),
                                  "name", None),
                )
                for t, name in zip(tensors, names, strict=True)
            )
        except (AttributeError, ValueError):
            pass
    return ()


def _metrics(model: Any) -> tuple[str, ...]:
    config = model._compile_config.config if getattr(model, "_compile_config", None) else {}
    metrics = config.get("metrics") or []
    flat: list = []

    def collect(value: Any) -> None:
        if isinstance(value, Mapping):
            for item in value.values():
                collect(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)
        elif value is not None:
            flat.append(value)

    collect(metrics)
    return tuple(_identifier_name(m) for m in flat)


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
        if loss.lower() in ("crossentropy", "ce"):  # compile picks the crossentropy by shape
            return LossFacts(name=loss, kind="other", given=repr(loss))
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
            name = getattr(fn, "__name__", type(fn).__name__)
            kwargs = getattr(loss, "_fn_kwargs", {}) or {}
            from_logits = bool(kwargs.get("from_logits", False))
            given = f"{type(loss).__name__}({'from_logits=True' if from_logits else ''})"
            fn_module = (getattr(fn, "__module__", "") or "").split(".")[0]
            if fn_module != "keras":  # LossFunctionWrapper(user_fn): the user's own loss
                return LossFacts(name, "custom", f"{type(loss).__name__}({name})", from_logits)
            return LossFacts(name, _LOSS_KINDS.get(name, "other"), given, from_logits)
        config_logits = bool(getattr(loss, "from_logits", False))
        return LossFacts(type(loss).__name__, "custom", f"{type(loss).__name__}()", config_logits)
    if callable(loss):
        name = getattr(loss, "__name__", type(loss).__name__)
        module = getattr(loss, "__module__", "") or ""
        if module.split(".")[0] in _BACKEND_MODULES and name in _LOSS_KINDS:
            return LossFacts(name, _LOSS_KINDS[name], f"keras.losses.{name}")
        if module.split(".")[0] == "keras":  # a Keras loss with no kind here ('dice', 'ctc')
            return LossFacts(name, "other", f"keras.losses.{name}")
        return LossFacts(name, "custom", name)
    return LossFacts(type(loss).__name__, "invalid", repr(loss))


def _losses_by_head(model: Any, keys: list[str]) -> dict[str, LossFacts]:
    loss = model.loss
    if isinstance(loss, Mapping):
        names = dict(zip(keys, _output_names(model, keys), strict=False))
        result = {}
        for key in keys:
            given = loss.get(key, loss.get(names.get(key, key)))
            if given is not None:
                result[key] = loss_facts(given)
        return result
    if isinstance(loss, (list, tuple)):
        if len(loss) == len(keys):
            return {key: loss_facts(item) for key, item in zip(keys, loss, strict=True) if item is not None}
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


def error_facts_from_text(text: str) -> ErrorFacts:
    """The exception named by a pasted error message or traceback (its last exception)."""
    text = _ANSI.sub("", text).strip()
    pattern = re.compile(r"(?m)^(?:[\w.]+\.)?(\w+(?:Error|Exception|Warning)): ?")
    matches = list(pattern.finditer(text))
    if not matches:
        return ErrorFacts(type="", message=clean_message(text))
    last = matches[-1]
    return ErrorFacts(type=last.group(1), message=clean_message(text[last.end() :]))


# --------------------------------------------------------------------------------------------
# Data facts
# --------------------------------------------------------------------------------------------

#: How much of a dataset the data checks read, at most.
SAMPLE_ROWS = 2048
SAMPLE_BYTES = 32 * 2**20
#: Labels this small are read whole, so label counts are exact.
FULL_LABEL_BYTES = 64 * 2**20
MAX_BATCHES = 16
MAX_DISTINCT = 1000
MAX_FEATURES = 4096


@dataclasses.dataclass(frozen=True)
class ArrayFacts:
    """A bounded sample of one array (x, y, or one input or output of several) and its summary.

    `n` is the number of samples in the whole array when known; `rows` how many were read
    (`complete` when all of them). Statistics are over the finite values read. `classes`
    maps class id to count for integer or one-hot labels. Per-feature statistics are given
    for 2-D (tabular) arrays only.
    """

    shape: Shape
    dtype: str
    n: int | None
    rows: int
    complete: bool
    numeric: bool = True
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    nan: int = 0
    inf: int = 0
    first_bad: int | None = None
    integral: bool = False
    values: Mapping[float, int] | None = None
    one_hot: bool = False
    classes: Mapping[int, int] | None = None
    feature_std: tuple[float, ...] | None = None
    feature_absmax: tuple[float, ...] | None = None
    feature_names: tuple[str, ...] | None = None
    indices: tuple[int, ...] | None = dataclasses.field(default=None, repr=False)

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def n_classes_seen(self) -> int | None:
        return None if self.classes is None else len(self.classes)


@dataclasses.dataclass(frozen=True)
class DataFacts:
    """What was passed to `fit()`, summarised from bounded samples.

    `x` and `y` are the first (or only) input and target; `xs` and `ys` hold all of them,
    keyed by input name / output key (or position) for multi-input and multi-output data.
    With `validation_split`, `train_y` and `val_y` describe the two parts of `y` exactly as
    Keras splits them (the last fraction, before shuffling). `skipped` says what could not
    be read, and why.
    """

    source: str
    x: ArrayFacts | None = None
    y: ArrayFacts | None = None
    xs: Mapping[str, ArrayFacts] = dataclasses.field(default_factory=dict)
    ys: Mapping[str, ArrayFacts] = dataclasses.field(default_factory=dict)
    val_x: ArrayFacts | None = None
    val_y: ArrayFacts | None = None
    validation_split: float = 0.0
    train_y: ArrayFacts | None = None
    val_duplicates: int | None = None
    val_rows_checked: int = 0
    class_weight: Mapping[int, float] | None = None
    batch_size: int | None = None
    epochs: int | None = None
    callbacks: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    sample_weight: bool = False  # whether `sample_weight` was passed to fit()


def _source(value: Any) -> str:
    """What kind of container `value` is: numpy, memmap, list, pandas, dict, tf.data, ..."""
    import types

    import numpy as np

    mro = [f"{c.__module__}.{c.__name__}" for c in type(value).__mro__]
    if isinstance(value, np.memmap):
        return "memmap"
    if isinstance(value, np.ndarray):
        return "numpy"
    if any(m.startswith("pandas.") for m in mro):
        return "pandas"
    if isinstance(value, Mapping):
        return "dict"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, types.GeneratorType):
        return "generator"
    if any(m.startswith("tensorflow.python.data.") and "DatasetV2" in m for m in mro):
        return "tf.data"
    if any(m.startswith("tensorflow.python.distribute.") and ".Distributed" in m for m in mro):
        return "tf.distribute"  # experimental_distribute_dataset / ..._from_function
    if any(m.endswith(".PyDataset") for m in mro):
        return "pydataset"
    if any(m.startswith("torch.utils.data.") and m.endswith("DataLoader") for m in mro):
        return "dataloader"
    if hasattr(value, "__array__") or hasattr(value, "numpy"):
        return "tensor"
    return type(value).__name__


def _rows_index(n: int, row_bytes: int, rows: int, max_bytes: int):
    """Evenly spread row indices: at most `rows` rows and `max_bytes` bytes."""
    import numpy as np

    limit = max(1, min(rows, max_bytes // max(row_bytes, 1)))
    if n <= limit:
        return None
    return np.unique(np.linspace(0, n - 1, limit).astype(np.int64))


def _take(value: Any, rows: int, max_bytes: int):
    """(sample as numpy, indices taken or None for all, n) without copying the whole array."""
    import numpy as np

    if _source(value) == "pandas":
        n = len(value)
        idx = _rows_index(n, 8 * max(1, value.shape[1] if value.ndim > 1 else 1), rows, max_bytes)
        part = value if idx is None else value.iloc[idx]
        return np.asarray(part.to_numpy()), idx, n
    if isinstance(value, (list, tuple)):
        n = len(value)
        idx = _rows_index(n, 8, rows, max_bytes)
        items = value if idx is None else [value[i] for i in idx]
        try:
            return np.asarray(items), idx, n
        except ValueError:  # ragged
            return np.asarray(items, dtype=object), idx, n
    if not hasattr(value, "shape"):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):  # backend tensors
        from keras import ops

        value = ops.convert_to_numpy(value)
    if value.ndim == 0:
        return value.reshape(1), None, 1
    n = value.shape[0]
    row_bytes = value.itemsize * math.prod(value.shape[1:])
    idx = _rows_index(n, row_bytes, rows, max_bytes)
    if idx is not None and isinstance(value, np.memmap):
        sample = _memmap_rows(value, idx)
        if sample is not None:
            return sample, idx, n
    return np.asarray(value if idx is None else value[idx]), idx, n


def _memmap_rows(value: Any, idx: Any):
    """Rows `idx` of a memmap, read from its file with `os.preadv`; None when that cannot be done.

    Indexing the map would fault its pages into this process, and the kernel maps up to
    64 kB around each fault: 2048 rows spread over a large file would add ~128 MB of
    resident memory. Reading the rows leaves the map untouched. Used only for read-only or
    shared maps of C-ordered rows (a copy-on-write map may hold changes the file lacks), and
    checked against the map on the first and last row.
    """
    import mmap
    import os

    import numpy as np

    mm, filename = getattr(value, "_mmap", None), getattr(value, "filename", None)
    if mm is None or not filename or not hasattr(os, "preadv") or getattr(value, "mode", "") == "c":
        return None
    row_bytes = value.itemsize * math.prod(value.shape[1:])
    expected = value.itemsize
    for dim, stride in zip(reversed(value.shape[1:]), reversed(value.strides[1:]), strict=True):
        if dim > 1 and stride != expected:
            return None
        expected *= dim
    if value.strides[0] <= 0 or row_bytes == 0:
        return None
    try:
        base = np.frombuffer(mm, dtype=np.uint8).ctypes.data
        start = value.offset - value.offset % mmap.ALLOCATIONGRANULARITY
        first = start + (value.ctypes.data - base)
        out = np.empty((len(idx), *value.shape[1:]), dtype=value.dtype)
        flat = out.reshape(len(idx), -1).view(np.uint8)
        with open(filename, "rb") as file:
            fd = file.fileno()
            if hasattr(os, "posix_fadvise"):  # queue every read at once: 4-6x faster when cold
                for i in idx:
                    os.posix_fadvise(
                        fd, first + int(i) * value.strides[0], row_bytes, os.POSIX_FADV_WILLNEED
                    )
            for k, i in enumerate(idx):
                if os.preadv(fd, [flat[k]], first + int(i) * value.strides[0]) != row_bytes:
                    return None
        for k in (0, len(idx) - 1):  # the file is the one mapped, unchanged
            if not np.array_equal(out[k], value[int(idx[k])], equal_nan=out.dtype.kind in "fc"):
                return None
        return out
    except (OSError, ValueError, TypeError, AttributeError, BufferError):
        return None


def summarize(
    sample: Any,
    *,
    n: int | None = None,
    indices: Any = None,
    full_shape: Shape | None = None,
    feature_names: tuple[str, ...] | None = None,
    labels: bool = False,
) -> ArrayFacts:
    """Summary statistics of one sampled array (numpy) as `ArrayFacts`.

    Distinct values and class counts are computed for `labels` only (they sort the sample).
    """
    import numpy as np

    sample = np.asarray(sample)
    rows = int(sample.shape[0]) if sample.ndim else 1
    n = rows if n is None and indices is None else n
    shape = full_shape or ((n,) + tuple(sample.shape[1:]) if sample.ndim else (1,))
    base = dict(
        shape=tuple(int(d) if d is not None else None for d in shape),
        dtype=str(sample.dtype),
        n=n,
        rows=rows,
        complete=n is not None and rows >= n,
        feature_names=feature_names,
        indices=None if indices is None else tuple(int(i) for i in indices),
    )
    if sample.dtype.kind not in "biuf":
        return ArrayFacts(numeric=False, **base)
    # Statistics in the sample's own dtype with float64 accumulators: no float64 copy of the
    # sample, and no masked copies when every value is finite (the usual case).
    values = sample
    if values.dtype.kind == "b":
        values = values.view(np.uint8)
    elif values.dtype.kind == "f" and values.dtype.itemsize < 4:
        values = values.astype(np.float32)
    finite = np.isfinite(values) if values.dtype.kind == "f" else None
    all_finite = finite is None or bool(finite.all())
    nan = inf = 0
    first_bad = None
    if not all_finite:
        nan = int(np.isnan(values).sum())
        inf = int((~finite).sum()) - nan
        bad_rows = np.nonzero(~finite.reshape(rows, -1).all(axis=1))[0]
        first = int(bad_rows[0])
        first_bad = int(indices[first]) if indices is not None else first
    good = values.reshape(-1) if all_finite else values[finite]
    stats: dict[str, Any] = dict(nan=nan, inf=inf, first_bad=first_bad)
    if good.size:
        stats.update(
            min=float(good.min()),
            max=float(good.max()),
            mean=float(good.mean(dtype=np.float64)),
            std=float(good.std(dtype=np.float64)),
            integral=finite is None or _integral(good),
        )
        if labels:
            distinct, counts = _distinct(good, stats["integral"])
            if distinct.size <= MAX_DISTINCT:
                stats["values"] = {
                    float(v): int(c) for v, c in zip(distinct, counts, strict=True)
                }
            stats["classes"], stats["one_hot"] = _classes(
                values, all_finite, stats, distinct, counts
            )
    if values.ndim == 2 and 1 < values.shape[1] <= MAX_FEATURES and good.size:
        stats["feature_std"], stats["feature_absmax"] = _feature_scales(values, finite)
    return ArrayFacts(**base, **stats)


def _integral(values) -> bool:
    """Whether every value is a whole number; most float data fails on its first values."""
    import numpy as np

    head = values[:4096]
    if not np.array_equal(head, np.round(head)):
        return False
    return bool(np.array_equal(values, np.round(values)))


def _distinct(values, integral: bool):
    """Sorted distinct values (float64) and their counts; one counting pass for small whole
    non-negative numbers (class ids), a sort otherwise."""
    import numpy as np

    if integral and values.size and values.min() >= 0 and values.max() <= 2**20:
        counts = np.bincount(values.astype(np.intp, copy=False))
        distinct = np.flatnonzero(counts)
        return distinct.astype(np.float64), counts[distinct]
    distinct, counts = np.unique(values, return_counts=True)
    return distinct.astype(np.float64), counts


def _feature_scales(values, finite) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-column standard deviation and largest |value| of a 2-D sample, over finite values."""
    import warnings

    import numpy as np

    if finite is None or finite.all():
        std = values.std(axis=0, dtype=np.float64)
        high = np.abs(values.max(axis=0).astype(np.float64))
        absmax = np.maximum(high, np.abs(values.min(axis=0).astype(np.float64)))
    else:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            masked = np.where(finite, values, np.nan)
            std = np.nanstd(masked, axis=0, dtype=np.float64)
            absmax = np.nanmax(np.abs(masked), axis=0).astype(np.float64)
    return tuple(float(s) for s in std), tuple(float(s) for s in absmax)


def _classes(values, all_finite, stats, distinct, counts) -> tuple[dict[int, int] | None, bool]:
    """Class counts of integer labels (N,) / (N, 1), or of one-hot rows."""
    import numpy as np

    if not stats.get("integral") or not all_finite:
        return None, False
    if values.ndim == 1 or (values.ndim == 2 and values.shape[1] == 1):
        if distinct.size > MAX_DISTINCT:
            return None, False
        return {int(i): int(c) for i, c in zip(distinct, counts, strict=True)}, False
    if values.ndim == 2 and values.shape[1] > 1:
        in01 = stats["min"] >= 0 and stats["max"] <= 1
        if in01 and np.all(values.sum(axis=1) == 1):
            ids, counts = np.unique(values.argmax(axis=1), return_counts=True)
            return {int(i): int(c) for i, c in zip(ids, counts, strict=True)}, True
    return None, False


def array_facts(
    value: Any, *, rows: int = SAMPLE_ROWS, max_bytes: int = SAMPLE_BYTES, labels: bool = False
) -> ArrayFacts | None:
    """`ArrayFacts` of one in-memory array-like (numpy, memmap, list, pandas, tensor)."""
    if value is None:
        return None
    names = None
    if _source(value) == "pandas" and getattr(value, "ndim", 1) == 2:
        names = tuple(str(c) for c in value.columns)
    sample, idx, n = _take(value, rows, max_bytes)
    full_shape = _shape(getattr(value, "shape", None)) if hasattr(value, "shape") else None
    return summarize(
        sample, n=n, indices=idx, full_shape=full_shape, feature_names=names, labels=labels
    )


def _label_facts(value: Any, rows: int) -> ArrayFacts | None:
    """Labels are small: read whole when they fit in FULL_LABEL_BYTES, so counts are exact."""
    return array_facts(value, rows=max(rows, 10**9), max_bytes=FULL_LABEL_BYTES, labels=True)


def _named(value: Any, names: list[str] | None) -> dict[str, Any]:
    """A single array, a list of arrays (one per input/output) or a dict, as {name: array}."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, (list, tuple)) and value and all(hasattr(v, "shape") for v in value):
        if names and len(names) == len(value):
            return dict(zip(names, value, strict=True))
        return {str(i): v for i, v in enumerate(value)}
    return {names[0] if names else "0": value}


def _first(facts: Mapping[str, ArrayFacts]) -> ArrayFacts | None:
    return next(iter(facts.values()), None)


def _to_numpy_tree(batch: Any) -> Any:
    """A batch from tf.data, a DataLoader or a PyDataset, as numpy (dicts and tuples kept)."""
    import numpy as np

    if isinstance(batch, Mapping):
        return {k: _to_numpy_tree(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_numpy_tree(v) for v in batch) if isinstance(batch, tuple) else [
            _to_numpy_tree(v) for v in batch
        ]
    if type(batch).__name__ == "PerReplica" and hasattr(batch, "values"):
        # One global batch of a tf.distribute dataset: each replica's shard, in replica order.
        return np.concatenate([_to_numpy_tree(v) for v in batch.values])
    if hasattr(batch, "numpy") and not isinstance(batch, np.ndarray):
        try:
            return np.asarray(batch.detach().cpu().numpy() if hasattr(batch, "detach") else batch.numpy())
        except Exception:
            pass
    return np.asarray(batch)


def _batches(value: Any, source: str, max_batches: int, rows: int) -> list:
    """Up to `max_batches` batches (stopping at `rows` rows) of a re-iterable dataset."""
    batches: list = []
    seen = 0

    def count(batch) -> int:
        leaf = batch
        while isinstance(leaf, (tuple, list, Mapping)):
            leaf = next(iter(leaf.values())) if isinstance(leaf, Mapping) else leaf[0]
        return len(leaf) if hasattr(leaf, "__len__") else 1

    if source == "pydataset":
        total = len(value) if hasattr(value, "__len__") else None
        picks = range(min(max_batches, total)) if total else range(1)
        if total and total > max_batches:
            step = total / max_batches
            picks = [int(i * step) for i in range(max_batches)]
        for i in picks:
            batch = value[i]
            batches.append(batch)
            seen += count(batch)
            if seen >= rows:
                break
        return batches
    iterator = iter(value.take(max_batches) if source == "tf.data" else value)
    for batch in iterator:
        if source == "tf.distribute":  # per-replica shards, read as the strategy shards them
            batch = _to_numpy_tree(batch)
        batches.append(batch)
        seen += count(batch)
        if len(batches) >= max_batches or seen >= rows:
            break
    return batches


def _stack(batches: list) -> tuple[Any, Any]:
    """Concatenate (x, y) batches into numpy trees; returns (x, y)."""
    import numpy as np

    def split(batch):
        batch = _to_numpy_tree(batch)
        if isinstance(batch, tuple) and len(batch) in (2, 3):
            return batch[0], batch[1]
        if isinstance(batch, list) and len(batch) in (2, 3):
            return batch[0], batch[1]
        return batch, None

    pairs = [split(b) for b in batches]

    def concat(parts):
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        if isinstance(parts[0], Mapping):
            return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        if isinstance(parts[0], (list, tuple)):
            return [np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]
        return np.concatenate(parts)

    return concat([p[0] for p in pairs]), concat([p[1] for p in pairs])


def peek(x: Any) -> tuple[Any, Any]:
    """The first batch of a generator, and a real generator that still yields every batch.

    Keras accepts only real generators (`types.GeneratorType`), so the restored value is
    a generator, not an `itertools.chain`.
    """
    first = next(x)

    def restored():
        yield first
        yield from x

    return first, restored()


def sample_batches(value: Any, rows: int) -> tuple[Any, Any] | None:
    """(x, y) as numpy from the first batches of a re-iterable dataset (tf.data, tf.distribute,
    PyDataset, DataLoader), at most `MAX_BATCHES` batches or about `rows` rows; None for any
    other value. The dataset is read through a fresh iterator, as the strategy shards it; it
    is neither consumed nor changed."""
    source = _source(value)
    if source not in ("tf.data", "tf.distribute", "pydataset", "dataloader"):
        return None
    batches = _batches(value, source, MAX_BATCHES, rows)
    return _stack(batches) if batches else None


# --------------------------------------------------------------------------------------------
# Distributed training: which process reports
# --------------------------------------------------------------------------------------------


def process_index(model: Any = None) -> int:
    """This process's index among the processes of a distributed run; 0 when not distributed.

    Index 0 is the process that reports findings: the chief of a TensorFlow multi-worker
    strategy (its `cluster_resolver`, else `TF_CONFIG`), process 0 of a multi-process
    `keras.distribution` (JAX), rank 0 of `torch.distributed`. Every process of such a run
    trains the same model on the same (all-reduced) loss, so each would find the same
    problems: only process 0 reports them. Replicas inside one process (MirroredStrategy,
    DataParallel over local devices) share one callback list and need nothing.
    """
    import os
    import sys

    keras = sys.modules.get("keras")
    backend = keras.backend.backend() if keras is not None else None
    if keras is not None:
        distribution = keras.distribution.distribution()
        if distribution is not None and getattr(distribution, "_num_processes", 1) > 1:
            return int(getattr(distribution, "_process_id", 0) or 0)
    jax = sys.modules.get("jax")
    if backend == "jax" and jax is not None and jax.process_count() > 1:
        return int(jax.process_index())
    torch = sys.modules.get("torch")
    if torch is not None:
        dist = getattr(torch, "distributed", None)
        if dist is not None and dist.is_available() and dist.is_initialized():
            return int(dist.get_rank())
    task = None
    strategy = getattr(model, "_distribute_strategy", None) if model is not None else None
    resolver = getattr(strategy, "cluster_resolver", None) if strategy is not None else None
    if resolver is not None and getattr(resolver, "task_type", None) is not None:
        jobs = tuple(resolver.cluster_spec().jobs)
        task = (resolver.task_type, int(resolver.task_id or 0), jobs)
    elif os.environ.get("TF_CONFIG"):
        import json

        config = json.loads(os.environ["TF_CONFIG"])
        spec = config.get("task") or {}
        if spec.get("type"):
            jobs = tuple((config.get("cluster") or {}).keys())
            task = (spec["type"], int(spec.get("index", 0) or 0), jobs)
    if task is None:
        return 0
    task_type, task_id, jobs = task
    if task_type == "chief" or (task_type == "worker" and "chief" not in jobs):
        return task_id  # the chief, or worker 0 where the cluster names no chief
    return 1 + task_id  # a worker beside a chief, an evaluator, a parameter server


def is_chief(model: Any = None) -> bool:
    """Whether this process reports findings (see `process_index`); True if it cannot tell."""
    try:
        return process_index(model) == 0
    except Exception:
        return True


def data_facts(
    x: Any = None,
    y: Any = None,
    *,
    validation_data: Any = None,
    validation_split: float = 0.0,
    class_weight: Mapping[int, float] | None = None,
    batch_size: int | None = None,
    epochs: int | None = None,
    callbacks: Any = None,
    input_names: list[str] | None = None,
    output_keys: list[str] | None = None,
    first_batch: Any = None,
    sample_rows: int = SAMPLE_ROWS,
    sample_bytes: int = SAMPLE_BYTES,
    sample_weight: Any = None,
    **_ignored: Any,
) -> DataFacts:
    """The facts of the data passed to `fit()`, from bounded samples; nothing is consumed.

    Args:
        x, y: As passed to `fit()`: arrays, lists, dicts, pandas, `tf.data.Dataset`,
            `keras.utils.PyDataset`, torch `DataLoader`. A generator is not read (that would
            consume it) unless its `first_batch` was peeked by the caller (see `peek`).
        validation_data, validation_split, class_weight, batch_size, epochs, callbacks:
            As passed to `fit()`.
        input_names, output_keys: The model's input names and output keys, to name
            the parts of multi-input and multi-output data.
        first_batch: An already-peeked first batch of a generator `x`.
        sample_rows, sample_bytes: The bound on what is read of each array.
    """
    source = _source(x) if x is not None else _source(y)
    skipped: list[str] = []
    read_all = True
    if source in ("tf.data", "tf.distribute", "pydataset", "dataloader", "generator"):
        if source == "generator":
            batches = [first_batch] if first_batch is not None else []
            if not batches:
                skipped.append(
                    "x is a generator: reading it would consume it, so it was not sampled "
                    "(kerasdoctor.watch() and `kerasdoctor run` check its first batch at fit())"
                )
        else:
            batches = _batches(x, source, MAX_BATCHES, sample_rows)
        x, y = _stack(batches) if batches else (None, None)
        # The rows of a few batches are all of the data only if the source ran out before
        # the bounds did; otherwise the sample count is unknown and the facts incomplete.
        read_all = (
            source != "generator" and len(batches) < MAX_BATCHES
            and sum(_batch_rows(b) for b in batches) < sample_rows
        )
    elif source not in ("numpy", "memmap", "list", "pandas", "dict", "tensor"):
        skipped.append(f"x of type {type(x).__name__} is not a kind of data kerasdoctor reads")
        x = None
    xs = {k: array_facts(v, rows=sample_rows, max_bytes=sample_bytes)
          for k, v in _named(x, input_names).items()}
    ys = {k: _label_facts(v, sample_rows) for k, v in _named(y, output_keys).items()}
    if source in ("tf.data", "tf.distribute", "pydataset", "dataloader", "generator") and not read_all:
        xs = {k: _partial(v) for k, v in xs.items()}
        ys = {k: _partial(v) for k, v in ys.items()}
    facts = DataFacts(
        source=source,
        x=_first(xs),
        y=_first(ys),
        xs=xs,
        ys=ys,
        class_weight=dict(class_weight) if class_weight else None,
        batch_size=batch_size,
        epochs=epochs,
        callbacks=tuple(type(c).__name__ for c in _as_list(callbacks)),
        skipped=tuple(skipped),
        sample_weight=sample_weight is not None,
    )
    if validation_data is not None:
        facts = dataclasses.replace(facts, **_validation_facts(validation_data, sample_rows, sample_bytes))
        facts = dataclasses.replace(facts, **_validation_overlap(x, validation_data, sample_rows))
    elif validation_split and y is not None and source in ("numpy", "memmap", "list", "pandas"):
        facts = dataclasses.replace(facts, **_split_facts(x, y, validation_split, sample_rows))
        facts = dataclasses.replace(facts, validation_split=float(validation_split))
    elif validation_split:
        facts = dataclasses.replace(facts, validation_split=float(validation_split))
    return facts


def _batch_rows(batch: Any) -> int:
    """The number of samples in one batch: the length of its first leaf."""
    leaf = batch
    while isinstance(leaf, (tuple, list, Mapping)) and len(leaf):
        leaf = next(iter(leaf.values())) if isinstance(leaf, Mapping) else leaf[0]
    shape = getattr(leaf, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    return len(leaf) if hasattr(leaf, "__len__") else 1


def _partial(facts: ArrayFacts | None) -> ArrayFacts | None:
    """Facts of the first batches of a larger source: sample count unknown, not complete."""
    if facts is None:
        return None
    return dataclasses.replace(facts, n=None, complete=False)


def _validation_overlap(x: Any, validation_data: Any, rows: int) -> dict[str, Any]:
    """`val_duplicates` for `validation_data=(x_val, y_val)` given next to array inputs."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        return {}
    vx = validation_data[0]
    kinds = ("numpy", "memmap", "pandas", "tensor")
    if x is None or vx is None or _source(x) not in kinds or _source(vx) not in kinds:
        return {}
    duplicates, checked = _duplicates(x, vx, rows)
    return {"val_duplicates": duplicates, "val_rows_checked": checked}


def _validation_facts(validation_data: Any, rows: int, max_bytes: int) -> dict[str, Any]:
    if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
        vx, vy = validation_data[0], validation_data[1]
        vx_facts = _first({k: array_facts(v, rows=rows, max_bytes=max_bytes)
                           for k, v in _named(vx, None).items()})
        vy_facts = _first({k: _label_facts(v, rows) for k, v in _named(vy, None).items()})
        return {"val_x": vx_facts, "val_y": vy_facts}
    return {}


def _split_facts(x: Any, y: Any, split: float, rows: int) -> dict[str, Any]:
    """Facts of the two parts of (x, y) exactly as Keras's `validation_split` cuts them."""
    if isinstance(x, Mapping) or isinstance(y, Mapping):
        return {}
    if isinstance(x, (list, tuple)) and x and hasattr(x[0], "shape"):
        x = x[0]
    n = len(y)
    cut = int(n * (1.0 - split))  # keras.src.trainers.data_adapters.array_slicing
    if cut <= 0 or cut >= n:
        return {}
    train_y = _label_facts(y[:cut], rows)
    val_y = _label_facts(y[cut:], rows)
    duplicates, checked = _duplicates(x[:cut], x[cut:], rows)
    return {
        "train_y": train_y,
        "val_y": val_y,
        "val_x": array_facts(x[cut:], rows=rows),
        "val_duplicates": duplicates,
        "val_rows_checked": checked,
    }


def _duplicates(train: Any, val: Any, rows: int) -> tuple[int, int]:
    """How many sampled validation rows also appear (byte for byte) in the sampled training rows."""
    import numpy as np

    train_sample, _, _ = _take(train, 4 * rows, SAMPLE_BYTES)
    val_sample, _, _ = _take(val, rows, SAMPLE_BYTES)
    if train_sample.dtype.kind not in "biuf" or val_sample.dtype.kind not in "biuf":
        return 0, 0

    if not len(train_sample) or not len(val_sample):
        return 0, int(len(val_sample))
    train_rows = np.ascontiguousarray(train_sample).reshape(len(train_sample), -1).view(np.uint8)
    val_rows = np.ascontiguousarray(val_sample).reshape(len(val_sample), -1).view(np.uint8)
    if train_rows.shape[1] != val_rows.shape[1]:
        return 0, int(len(val_sample))
    first: dict[tuple[int, int], int] = {}
    for i, key in enumerate(zip(*_row_hashes(train_rows), strict=True)):
        first.setdefault(key, i)
    hits = 0
    for j, key in enumerate(zip(*_row_hashes(val_rows), strict=True)):  # confirmed byte for byte
        i = first.get(key)
        hits += i is not None and bool(np.array_equal(train_rows[i], val_rows[j]))
    return int(hits), int(len(val_sample))


def _row_hashes(rows) -> tuple[list[int], list[int]]:
    """Two 64-bit multilinear hashes of each row of a (n, bytes) uint8 array, vectorised.

    Byte-wise hashing in Python costs ~35 us per 3 kB row; this is one integer matrix product.
    Equal rows always hash equal; different rows rarely do, and callers confirm matches.
    """
    import numpy as np

    pad = (-rows.shape[1]) % 8
    if pad:
        rows = np.concatenate([rows, np.zeros((len(rows), pad), dtype=np.uint8)], axis=1)
    words = np.ascontiguousarray(rows).view(np.uint64)
    keys = np.random.default_rng(0x6B64).integers(1, 2**63, size=(words.shape[1], 2), dtype=np.uint64)
    with np.errstate(over="ignore"):
        hashes = words @ (keys | np.uint64(1))  # wraps modulo 2**64
    return hashes[:, 0].tolist(), hashes[:, 1].tolist()
