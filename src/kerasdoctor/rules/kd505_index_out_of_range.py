from __future__ import annotations

import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.facts import ArrayFacts, LayerFacts
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._errors import data_x, head_for, search, wrapper_class, y_for

# Class labels: TensorFlow's SparseSoftmaxCrossEntropyWithLogits, PyTorch's nll_loss.
# (JAX raises nothing: out-of-range rows silently add 0 to the loss.)
LABEL_TF = re.compile(
    r"Received a label value of (?P<label>-?\d+) which is outside the valid range of "
    r"\[0, (?P<n>\d+)\)"
)
LABEL_TORCH = re.compile(r"Target (?P<label>-?\d+) is out of bounds")
# NumPy's, from keras.utils.to_categorical(y, num_classes) on a label >= num_classes. Generic,
# so it is explained only when the labels passed along confirm it.
LABEL_NUMPY = re.compile(
    r"index (?P<label>-?\d+) is out of bounds for axis 1 with size (?P<n>\d+)"
)
# Token ids: TensorFlow's GatherV2 (Embedding), PyTorch's embedding.
INDEX_TF = re.compile(r"indices\[(?P<pos>[^\]]*)\] = (?P<index>-?\d+) is not in \[0, (?P<n>\d+)\)")
INDEX_TORCH = re.compile(r"index out of range in self")


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _label_issue(ctx: Context, label: int, n: int | None, source: str) -> Issue:
    head = head_for(ctx)
    units = head.units if head is not None else None
    n = n if n is not None else units
    y = y_for(ctx, head)
    lo, hi = (_int(y.min), _int(y.max)) if y is not None and y.integral else (None, None)
    classes = f"{n} classes (ids 0..{n - 1})" if n else "as many classes as output units"
    out = f"Dense({{}}, activation='softmax', name={head.activation_layer!r})" if head else (
        "Dense({}, activation='softmax')"
    )
    if label < 0:
        what = (
            f"a label is {label}: negative ids (often a marker for a missing label) are not "
            "classes"
        )
        fix = "keep = y >= 0\nx, y = x[keep], y[keep]  # drop the rows without a label"
    elif n and ((lo == 1 and hi == n) or (lo is None and label == n)):
        what = (
            f"the labels run 1..{n} (1-based), but class ids must run 0..{n - 1}"
            if lo == 1
            else f"label {label} equals the number of classes: the labels are probably 1-based "
            f"(1..{n}), or there are {n + 1} classes"
        )
        fix = f"y = y - 1  # class ids 0..{n - 1}" + (
            "" if lo == 1 else f"\n# or, if there are {n + 1} classes: {out.format(n + 1)}"
        )
    elif not n:
        what = (
            f"label {label} is not below the number of classes (the output's units): the "
            "labels are probably 1-based, or the output has too few units"
        )
        fix = (
            "y = y - 1  # if the labels are 1-based\n"
            "# or one output unit per class: Dense(max_label + 1, activation='softmax')"
        )
    else:
        top = hi if hi is not None and hi >= label else label
        what = f"there are labels up to {top}, but the output has only {classes}"
        fix = (
            f"{out.format(top + 1)}  # one unit per class id 0..{top}\n"
            "# or remap the labels to 0..n-1: _, y = np.unique(y, return_inverse=True)"
        )
    observed = f" Your y holds {lo}..{hi}." if lo is not None else ""
    return Issue(
        f"A class label is out of range: {what}.{observed} Received: label={label}"
        + (f", n_classes={n}" if n else "")
        + f" ({source}).",
        expected=f"Integer class ids in [0, {n})." if n else "Integer class ids in [0, units).",
        fix=fix,
        layer=head.activation_layer if head is not None else None,
        evidence={"label": label, "n_classes": n, "y_min": lo, "y_max": hi},
    )


def _embedding(ctx: Context) -> tuple[LayerFacts | None, int | None]:
    """The model's only Embedding layer and its input_dim (from its parameter count)."""
    if ctx.model is None:
        return None, None
    layers = [layer for layer in ctx.model.layers if layer.cls == "Embedding"]
    if len(layers) != 1:
        return None, None
    layer = layers[0]
    if layer.params and layer.units:
        return layer, layer.params // layer.units
    return layer, None


def _index_issue(ctx: Context, index: int | None, n: int | None, source: str) -> Issue:
    layer, input_dim = _embedding(ctx)
    n = n if n is not None else input_dim
    x: ArrayFacts | None = data_x(ctx)
    hi = _int(x.max) if x is not None and x.integral else None
    lo = _int(x.min) if x is not None and x.integral else None
    name = f"Embedding layer {layer.name!r}" if layer else "an Embedding layer"
    top = max(v for v in (index, hi) if v is not None) if (index is not None or hi is not None) else None
    if (index is not None and index < 0) or (lo is not None and lo < 0):
        what = "a token id is negative; ids must be 0 or more"
        fix = "# map every token to an id in [0, input_dim); reserve 0 for padding"
    else:
        have = f" with input_dim={n} (ids 0..{n - 1})" if n else ""
        seen = f"ids up to {top}" if top is not None else "an id at or above input_dim"
        what = f"the data holds {seen}, but {name}{have} has no row for it"
        size = top + 1 if top is not None else "max_id + 1"
        args = f"input_dim={size}, output_dim={layer.units}" if layer and layer.units else (
            f"input_dim={size}, ..."
        )
        named = f", name={layer.name!r}" if layer else ""
        fix = f"keras.layers.Embedding({args}{named})  # input_dim = largest id + 1"
    observed = f" Your x holds ids {lo}..{hi}." if hi is not None else ""
    where = "" if layer or ctx.model is not None else " (most often an Embedding layer)"
    return Issue(
        f"An index lookup{where} got an id out of range: {what}.{observed} Received: "
        + (f"index={index}, " if index is not None else "")
        + (f"input_dim={n}" if n else "input_dim unknown")
        + f" ({source}).",
        expected="Token ids in [0, input_dim): input_dim is the vocabulary size + 1 when 0 pads.",
        fix=fix,
        layer=layer.name if layer else None,
        evidence={"index": index, "input_dim": n, "x_min": lo, "x_max": hi},
    )


@rule(
    "KD505",
    "index-out-of-range",
    summary="A class label or token id is outside the valid range",
    severity=Severity.ERROR,
    fix=(
        "Make class ids run 0..n_classes-1 (`y = y - 1` for 1-based labels) and token ids "
        "0..input_dim-1 (`Embedding(input_dim=max_id + 1)`)."
    ),
)
def index_out_of_range(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for an integer id outside the range it indexes: a class label at or above the
    number of output units (TensorFlow's "Received a label value of 10 which is outside the
    valid range of [0, 10)", PyTorch's "Target 10 is out of bounds",
    `keras.utils.to_categorical`'s "index 10 is out of bounds for axis 1 with size 10"), or
    a token id at or above an Embedding's `input_dim` (TensorFlow's "indices[0,0] = 50 is
    not in [0, 50)", PyTorch's "index out of range in self"). With the data, it shows the
    range of the labels or ids and says whether they are 1-based.

    ## Why is this bad?
    Labels `1..10` for 10 classes (1-based) or a vocabulary counted without the padding id
    crash TensorFlow and PyTorch, deep in a kernel, with a 9 kB message. On JAX nothing is
    raised at all: out-of-range labels add 0 to the loss and out-of-range ids give NaN, so
    the same script trains wrongly there.

    ## Known problems
    NumPy's "index ... is out of bounds for axis 1" is explained only when the labels
    passed along confirm it (their maximum is that index). Without the model, the number
    of classes is known from TensorFlow's message only.

    ## References
    - [Keras: SparseCategoricalCrossentropy](https://keras.io/api/losses/probabilistic_losses/#sparsecategoricalcrossentropy-class)
    - [Keras: to_categorical](https://keras.io/api/utils/python_utils/#tocategorical-function)
    - [Keras: Embedding layer](https://keras.io/api/layers/core_layers/embedding/)
    """
    if m := search(LABEL_TF, ctx):
        yield _label_issue(ctx, int(m.group("label")), int(m.group("n")), "TensorFlow")
    elif m := search(LABEL_TORCH, ctx):
        yield _label_issue(ctx, int(m.group("label")), None, "PyTorch")
    elif m := search(LABEL_NUMPY, ctx):
        label, n = int(m.group("label")), int(m.group("n"))
        y = y_for(ctx, head_for(ctx))
        if y is not None and y.integral and label in (_int(y.max), _int(y.min)):
            yield _label_issue(ctx, label, n, "keras.utils.to_categorical")
    elif m := search(INDEX_TF, ctx):
        yield _index_issue(ctx, int(m.group("index")), int(m.group("n")), "TensorFlow")
    elif search(INDEX_TORCH, ctx):
        if wrapper_class(ctx) in (None, "Embedding"):
            yield _index_issue(ctx, None, None, "PyTorch")


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 8)).astype("float32")
    labels = np.arange(100) % 10 + 1  # classes numbered 1..10
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    try:
        y = keras.utils.to_categorical(labels, num_classes=10)
        model.fit(x, y, epochs=1, batch_size=50, verbose=0)
    except IndexError as error:
        return Context.of(model, x, labels, error=error)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 8)).astype("float32")
    labels = np.arange(100) % 10 + 1
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    y = keras.utils.to_categorical(labels - 1, num_classes=10)  # class ids 0..9
    model.fit(x, y, epochs=1, batch_size=50, verbose=0)
    return Context.of(model, x, y)
