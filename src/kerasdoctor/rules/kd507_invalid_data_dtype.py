from __future__ import annotations

import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.facts import ArrayFacts
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._errors import search

INVALID_DTYPE = re.compile(r"Invalid dtype: (?P<dtype>str\d*|object|bytes\d*|string|<U\d+|\|S\d+)")
NOT_FLOAT = re.compile(r"could not convert string to float: (?P<value>'[^'\n]*'|\"[^\"\n]*\")")
UNRECOGNIZED = re.compile(
    r"Unrecognized data type: (?P<arg>x|y)=.*\(of type (?P<type><class '[^']+'>)\)\s*$", re.S
)


def _non_numeric(ctx: Context) -> list[tuple[str, ArrayFacts]]:
    """The arrays of the data that are not numbers: [('x', facts), ('y', facts)]."""
    if ctx.data is None:
        return []
    found = []
    for role, arrays in (("x", ctx.data.xs), ("y", ctx.data.ys)):
        for key, facts in arrays.items():
            if facts is not None and not facts.numeric:
                name = role if len(arrays) == 1 else f"{role}[{key!r}]"
                found.append((name, facts))
    return found


def _fix(role: str, dtype: str) -> str:
    text = dtype.startswith(("str", "<U", "bytes", "|S", "string"))
    if role.startswith("y") and text:
        return (
            "classes, y = np.unique(y, return_inverse=True)  # class names -> ids 0..n-1\n"
            "# or inside the model: keras.layers.StringLookup(num_oov_indices=0)"
        )
    if text:
        return (
            "# text inputs: keras.layers.TextVectorization() or StringLookup() on them;\n"
            "# categorical columns: pd.get_dummies(df, columns=[...]) before fit()"
        )
    return (
        f"{role} = np.asarray({role}, dtype='float32')  # if it holds numbers stored as objects\n"
        "# ragged sequences: keras.utils.pad_sequences(list_of_sequences);\n"
        "# text or mixed pandas columns: encode them (pd.get_dummies) first"
    )


@rule(
    "KD507",
    "invalid-data-dtype",
    summary="fit() received data that is not numbers (strings, objects)",
    severity=Severity.ERROR,
    fix=(
        "Encode the data as numbers before fit(): class names to ids, text with "
        "TextVectorization/StringLookup, ragged lists with pad_sequences."
    ),
)
def invalid_data_dtype(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for data that Keras cannot turn into a numeric tensor: "Invalid dtype: str96" or
    "Invalid dtype: object" (string labels, a pandas column of text, ragged lists),
    "could not convert string to float: 'x'", and "Unrecognized data type: x=[[1, 2, 3],
    [1, 2], ...]" (a list of sequences of different lengths). With the data it names the
    array (x or y, and which input or output) and its dtype.

    ## Why is this bad?
    Models compute on numbers. Class names such as `'cat'`, text columns read by pandas,
    and sequences of different lengths must be encoded first; the error says only the
    dtype, not which array or what to do.

    ## Known problems
    "could not convert string to float" is Python's own message: the rule explains it as
    text in the data, which is what it means in `fit()`.

    ## References
    - [Keras: StringLookup layer](https://keras.io/api/layers/preprocessing_layers/categorical/string_lookup/)
    - [Keras: TextVectorization layer](https://keras.io/api/layers/preprocessing_layers/text/text_vectorization/)
    - [Keras: working with preprocessing layers](https://keras.io/guides/preprocessing_layers/)
    """
    arrays = _non_numeric(ctx)
    if ctx.data is not None and (ctx.data.xs or ctx.data.ys) and not arrays:
        return  # every array passed is numeric: the text is not in the data
    cause = ""
    if m := search(INVALID_DTYPE, ctx):
        dtype = m.group("dtype")
        what = (
            "Python objects (mixed types, None values, or sequences of different lengths)"
            if dtype == "object"
            else "text (class names, words or categories)"
        )
    elif m := search(NOT_FLOAT, ctx):
        dtype, cause = "object", f" (the value {m.group('value')} is not a number)"
        what = "text where numbers are expected (a categorical column?)"
    elif m := search(UNRECOGNIZED, ctx):
        kind_of, dtype = m.group("type"), "object"
        what = (
            "a list of sequences of different lengths (ragged)"
            if "list" in kind_of
            else f"a container Keras does not read ({kind_of})"
        )
        arrays = arrays or [(m.group("arg"), None)]
    else:
        return
    role, facts = arrays[0] if arrays else (None, None)
    if facts is not None:
        dtype = facts.dtype
    if role is None:
        where = f"The data (dtype {dtype}) holds"
    else:
        noun = "targets" if role.startswith("y") else "inputs"
        where = f"The {noun} {role} (dtype {dtype}) hold"
    yield Issue(
        f"{where} {what}{cause}, which Keras cannot turn into a "
        f"numeric tensor. Received: {role or 'data'}.dtype={dtype}.",
        expected="Numeric arrays (float32 features; integer or float labels).",
        fix=_fix(role or ("y" if "str" in dtype else "x"), dtype),
        evidence={"array": role, "dtype": dtype},
    )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8)).astype("float32")
    y = np.array(["cat", "dog", "bird"] * 20)  # class names, not ids
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    try:
        model.fit(x, y, epochs=1, batch_size=30, verbose=0)
    except ValueError as error:
        return Context.of(model, x, y, error=error)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8)).astype("float32")
    y = np.array(["cat", "dog", "bird"] * 20)
    classes, y = np.unique(y, return_inverse=True)  # class names -> ids 0..2
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=30, verbose=0)
    return Context.of(model, x, y)
