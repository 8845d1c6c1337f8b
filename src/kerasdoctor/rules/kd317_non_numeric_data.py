from __future__ import annotations

import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._quality import data_arrays, input_path

# Layers that take strings as input.
STRING_LAYERS = frozenset({"StringLookup", "TextVectorization", "Hashing", "HashedCrossing"})


def _keras_dtype(dtype: str) -> str:
    """The dtype name in Keras's error: numpy's name, `<U4` -> str128 (32 bits a character)."""
    match = re.fullmatch(r"[<>|=]?([US])(\d+)", dtype)
    if match is None:
        return dtype
    kind, size = match.group(1), int(match.group(2))
    return f"str{32 * size}" if kind == "U" else f"bytes{8 * size}"


def _takes_strings(ctx: Context, name: str) -> bool:
    """Whether the model input fed by `name` accepts strings (dtype string, a lookup layer)."""
    model = ctx.model
    if model is None:
        return False
    key = name[3:-2] if name.startswith("x['") else ""
    for spec in model.inputs:
        if (not key or spec.name == key) and spec.dtype and "string" in spec.dtype:
            return True
    path = input_path(model, key) or []
    return any(layer.cls in STRING_LAYERS for layer in path)


@rule(
    "KD317",
    "non-numeric-data",
    summary="Strings or Python objects in the data passed to fit()",
    severity=Severity.ERROR,
    fix="Encode strings as numbers (`np.unique(y, return_inverse=True)`, `StringLookup`).",
)
def non_numeric_data(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for inputs or targets whose dtype is not numeric: strings (`<U5`, `|S3`) or
    Python objects (`object`, e.g. a pandas DataFrame with a text column, or a list of
    arrays of different lengths). Inputs that feed a string layer (`StringLookup`,
    `TextVectorization`, `Hashing`) or an `Input(dtype='string')` are fine and not reported.

    ## Why is this bad?
    Keras converts the data to tensors before the first step and stops with
    `ValueError: Invalid dtype: str32` (or `object`) on every backend, without saying which
    array or column is at fault. Class names as targets (`'cat'`, `'dog'`) must become
    class ids; text inputs must go through a lookup or vectorisation layer; numbers held in
    an `object` array must be converted.

    ## Known problems
    The tool sees only the dtype of the whole array: for a DataFrame it cannot say which
    columns are text (`df.select_dtypes(exclude='number').columns` lists them). An object
    array of numbers (e.g. read from a CSV with missing values) is reported too, and
    `x.astype('float32')` fixes it.

    ## References
    - [Keras: StringLookup layer](https://keras.io/api/layers/preprocessing_layers/categorical/string_lookup/)
    - [Keras: TextVectorization layer](https://keras.io/api/layers/preprocessing_layers/text/text_vectorization/)
    - [Keras: structured data classification from scratch](https://keras.io/examples/structured_data/structured_data_classification_from_scratch/)
    - [NumPy: numpy.unique (return_inverse)](https://numpy.org/doc/stable/reference/generated/numpy.unique.html)
    """
    for name, facts in data_arrays(ctx):
        if facts.numeric:
            continue
        is_target = name.startswith("y")
        if not is_target and _takes_strings(ctx, name):
            continue
        shown = _keras_dtype(facts.dtype)
        pandas = ctx.data.source == "pandas"
        if is_target:
            expected = f"Numeric class ids or numeric targets in {name}."
            fix = (
                f"class_names, {name} = np.unique({name}, return_inverse=True)  "
                f"# class_names[i] is the name of class i\n"
                f"# or: {name} = sklearn.preprocessing.LabelEncoder().fit_transform({name})"
            )
        elif pandas:
            expected = f"Only numeric columns in {name}."
            fix = (
                f"{name} = pd.get_dummies({name}, dtype='float32')  # one-hot encode text columns\n"
                f"# or keras.layers.StringLookup(output_mode='one_hot') on each text column"
            )
        else:
            expected = f"A numeric array for {name}, or a string input with a lookup layer."
            fix = (
                "lookup = keras.layers.StringLookup(output_mode='one_hot')\n"
                f"lookup.adapt({name})  # then: keras.Input(shape=..., dtype='string') -> lookup\n"
                f"# or, if it holds numbers: {name} = {name}.astype('float32')"
            )
        yield Issue(
            f"{name} has dtype {facts.dtype!r}, which Keras cannot turn into a tensor: fit() "
            f"fails with 'ValueError: Invalid dtype: {shown}'. "
            f"Received: {name}.shape={tuple(facts.shape)}, {name}.dtype={facts.dtype!r}.",
            expected=expected,
            fix=fix,
            evidence={"array": name, "dtype": facts.dtype, "shape": list(facts.shape)},
        )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4)).astype("float32")
    y = rng.choice(["cat", "dog", "bird"], size=120)  # class names, not class ids
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4)).astype("float32")
    names = rng.choice(["cat", "dog", "bird"], size=120)
    class_names, y = np.unique(names, return_inverse=True)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x, y)
