from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._errors import search

# KeyError: a key of the loss dict is neither an output key nor a key of y.
PATH = re.compile(r"The path: (?P<path>\(.*?\)) in the `loss` argument, can't be found")
# A loss dict for a model whose outputs are a list: keys must be the output layers' names.
KEYS = re.compile(
    r"Expected keys (?P<expected>\[.*?\]) in loss dict, but found loss\.keys\(\)=(?P<found>\[.*?\])"
)
# One y for several outputs (or the reverse).
STRUCTURE = re.compile(
    r"y_true and y_pred have different structures\.\s*y_true: (?P<true>.*?)\s*y_pred: (?P<pred>.*?)\s*$",
    re.S,
)


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def _loss_dict(ctx: Context, keys: list[str]) -> str:
    """`loss={'a': 'mse', 'b': ...}` with the losses the heads already have, where known."""
    given = {}
    if ctx.model is not None:
        given = {h.key: h.loss.given for h in ctx.model.heads if h.loss is not None}
    items = ", ".join(f"{k!r}: {given.get(k, '...')}" for k in keys)
    return f"loss={{{items}}}"


def _near(key: str, keys: list[str]) -> str | None:
    found = difflib.get_close_matches(key, keys, n=1, cutoff=0.5)
    return found[0] if found else None


def _path_issue(ctx: Context, path: tuple) -> Issue:
    key = path[0] if path else None
    heads = ctx.model.heads if ctx.model is not None else ()
    keys = [h.key for h in heads]
    by_layer = {h.layer: h.key for h in heads if h.layer != h.key}
    evidence = {"path": list(path), "output_keys": keys or None}
    if isinstance(key, int):
        return Issue(
            f"The loss is given per output by position ({key}), but the model's output or y is "
            "not a list of that many. Received: loss path "
            f"{path}" + (f", outputs={keys}." if keys else "."),
            expected="One loss per output, in the structure of the model's outputs.",
            fix=_loss_dict(ctx, keys) if keys else "loss='...'  # a single loss for one output",
            evidence=evidence,
        )
    if key in by_layer:
        right = by_layer[key]
        return Issue(
            f"The loss dict uses the layer name {key!r}, but the model's outputs are a dict "
            f"whose keys ({', '.join(map(repr, keys))}) name them: {key!r} is the layer of "
            f"output {right!r}. Received: loss keys include {key!r}; outputs={keys}.",
            expected="Loss keys equal to the keys of the model's output dict.",
            fix=_loss_dict(ctx, keys),
            evidence=evidence,
        )
    if keys:
        near = _near(str(key), keys)
        hint = f" Did you mean {near!r}?" if near else ""
        return Issue(
            f"The loss dict has the key {key!r}, which is not an output of the model; its "
            f"outputs are {', '.join(map(repr, keys))}.{hint} Received: loss keys include "
            f"{key!r}; outputs={keys}.",
            expected="One loss per output, keyed by the model's output names.",
            fix=_loss_dict(ctx, keys),
            evidence=evidence,
        )
    return Issue(
        f"The loss dict has the key {key!r}, which is neither an output of the model nor a key "
        "of y. For a model whose outputs are a dict, the loss keys are that dict's keys; for a "
        f"list of outputs, the output layers' names. Received: loss keys include {key!r}.",
        expected="Loss keys equal to the model's output names (print(model.output_names)).",
        fix="loss={'<output name>': ..., ...}  # one key per output, as in model.output_names",
        evidence=evidence,
    )


@rule(
    "KD511",
    "loss-structure-mismatch",
    summary="The loss (or y) does not match the model's outputs",
    severity=Severity.ERROR,
    fix="Key the loss dict (and y) by the model's output names, one entry per output.",
)
def loss_structure_mismatch(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for a `loss` or `y` whose structure does not match a multi-output model's
    outputs: "The path: ('c',) in the `loss` argument, can't be found in either the model's
    output (`y_pred`) or in the labels (`y_true`)" (a KeyError), "Expected keys ['cls',
    'reg'] in loss dict, but found loss.keys()=['cls', 'regx']", and "y_true and y_pred have
    different structures" (one `y` for two outputs). With the model it names the real
    output keys and rewrites the loss dict with them.

    ## Why is this bad?
    A model whose outputs are a dict (`Model(i, {"a": ..., "b": ...})`) wants its loss keyed
    by those dict keys, not by the output layers' names; a model with a list of outputs
    wants the layers' names. The KeyError shows only the key that failed.

    ## Known problems
    Without the model the output names are not known, and the rule says where to find
    them (`model.output_names`).

    ## References
    - [Keras: the Functional API, models with multiple outputs](https://keras.io/guides/functional_api/#models-with-multiple-inputs-and-outputs)
    - [Keras: Model.compile](https://keras.io/api/models/model_training_apis/#compile-method)
    """
    if m := search(PATH, ctx):
        path = _literal(m.group("path"))
        if isinstance(path, tuple):
            yield _path_issue(ctx, path)
    elif m := search(KEYS, ctx):
        expected, found = _literal(m.group("expected")), _literal(m.group("found"))
        if not isinstance(expected, list) or not isinstance(found, list):
            return
        extra = [k for k in found if k not in expected]
        missing = [k for k in expected if k not in found]
        pairs = [(k, _near(k, missing)) for k in extra]
        hint = "".join(f" {k!r} looks like {near!r}." for k, near in pairs if near)
        yield Issue(
            f"The loss dict's keys must be the model's output names {expected}; it has "
            f"{', '.join(map(repr, extra)) or 'none of them'} instead of "
            f"{', '.join(map(repr, missing)) or '...'}.{hint} Received: loss.keys()={found}.",
            expected=f"Loss keys {expected}.",
            fix=_loss_dict(ctx, [str(k) for k in expected]),
            evidence={"expected": expected, "found": found},
        )
    elif m := search(STRUCTURE, ctx):
        true, pred = m.group("true").strip(), m.group("pred").strip()
        if pred != "*" and true == "*":
            outputs = _literal(pred)
            names = list(outputs) if isinstance(outputs, dict) else None
            n = len(outputs) if isinstance(outputs, (dict, list)) else "several"
            form = (
                "{" + ", ".join(f"{k!r}: y_{k}" for k in names) + "}"
                if names
                else "[y_1, y_2, ...]"
            )
            yield Issue(
                f"The model has {n} outputs but y is a single array: give one target array per "
                f"output. Received: y_true structure {true}, y_pred structure {pred}.",
                expected=f"y structured like the outputs: {form}.",
                fix=f"model.fit(x, {form}, ...)",
                evidence={"y_true": true, "y_pred": pred},
            )
        elif true != "*" and pred == "*":
            yield Issue(
                "y holds several target arrays but the model has a single output. Received: "
                f"y_true structure {true}, y_pred structure {pred}.",
                expected="One target array for a model with one output.",
                fix="model.fit(x, y, ...)  # y: one array, shaped like the output",
                evidence={"y_true": true, "y_pred": pred},
            )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = {"kind": np.arange(64) % 3, "size": rng.normal(size=(64, 1)).astype("float32")}
    inputs = keras.Input((8,), name="features")
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = {
        "kind": keras.layers.Dense(3, activation="softmax", name="kind_head")(hidden),
        "size": keras.layers.Dense(1, name="size_head")(hidden),
    }
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer="adam",
        loss={"kind": "sparse_categorical_crossentropy", "sizes": "mse"},  # no output 'sizes'
    )
    try:
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    except KeyError as error:
        return Context.of(model, x, y, error=error)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = {"kind": np.arange(64) % 3, "size": rng.normal(size=(64, 1)).astype("float32")}
    inputs = keras.Input((8,), name="features")
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = {
        "kind": keras.layers.Dense(3, activation="softmax", name="kind_head")(hidden),
        "size": keras.layers.Dense(1, name="size_head")(hidden),
    }
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss={"kind": "sparse_categorical_crossentropy", "size": "mse"})
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return Context.of(model, x, y)
