from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._errors import search

LEARNING_RATE = re.compile(
    r"Argument `learning_rate` should be float.*?Received instead: learning_rate=(?P<value>.*)$",
    re.S,
)
STEPS_PER_EXECUTION = re.compile(
    r"`steps_per_execution` must be 1 with the PyTorch backend\. "
    r"Received: steps_per_execution=(?P<value>\d+)"
)
VALIDATION_SPLIT = re.compile(
    r"Argument `validation_split` is only supported for tensors or NumPy arrays\.?"
    r"(?:\s*Found incompatible type in the input: (?P<types>.*))?"
)
# Keras 2 (and Keras 1) argument names that Keras 3 rejects.
OPTIMIZER_ARGS = re.compile(r"Argument\(s\) not recognized: (?P<args>\{.*\})")
LAYER_ARGS = re.compile(r"Unrecognized keyword arguments passed to (?P<cls>\w+): (?P<args>\{.*\})")
METHOD_ARG = re.compile(
    r"(?P<method>\w+\.(?:fit|compile|evaluate|predict))\(\) got an unexpected keyword argument "
    r"'(?P<arg>\w+)'"
)
#: Old argument name -> (what to write instead, note).
LEGACY = {
    "lr": ("learning_rate", "renamed in Keras 2.3"),
    "decay": (
        "learning_rate=keras.optimizers.schedules.InverseTimeDecay(...)",
        "Keras 3 optimizers take a learning-rate schedule instead",
    ),
    "nb_epoch": ("epochs", "a Keras 1 name"),
    "samples_per_epoch": ("steps_per_epoch", "a Keras 1 name, counted in batches now"),
    "nb_val_samples": ("validation_steps", "a Keras 1 name, counted in batches now"),
    "init": ("kernel_initializer", "a Keras 1 name"),
    "W_regularizer": ("kernel_regularizer", "a Keras 1 name"),
    "b_regularizer": ("bias_regularizer", "a Keras 1 name"),
    "W_constraint": ("kernel_constraint", "a Keras 1 name"),
    "b_constraint": ("bias_constraint", "a Keras 1 name"),
    "output_dim": ("units", "a Keras 1 name"),
    "nb_filter": ("filters", "a Keras 1 name"),
    "border_mode": ("padding", "a Keras 1 name"),
    "subsample": ("strides", "a Keras 1 name"),
    "dim_ordering": ("data_format", "a Keras 1 name"),
}


def _arguments(text: str) -> dict[str, str]:
    """{'lr': 0.01} as {'lr': '0.01'}; values Python cannot read back as '...'."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return {key: "..." for key in re.findall(r"'(\w+)':", text)}
    return {str(k): repr(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _learning_rate(value: str) -> Issue:
    value = value.strip()
    number = None
    try:
        number = float(value)
    except ValueError:
        pass
    if re.fullmatch(r"-?\d+", value):
        as_float = f"{int(value)}.0"
        too_big = (
            f" Note that {as_float} is far above the usual range (about 1e-4 to 1e-1; SGD "
            "0.01, Adam 0.001): training would diverge."
            if number is not None and number >= 1
            else ""
        )
        return Issue(
            f"The learning rate is the integer {value}; Keras 3 optimizers take a Python float, "
            f"a LearningRateSchedule or a callable.{too_big} Received: learning_rate={value}.",
            expected="learning_rate as a float, e.g. 0.01.",
            fix=(
                f"learning_rate=0.01  # a float; {as_float} would diverge"
                if too_big
                else f"learning_rate={as_float}"
            ),
            evidence={"learning_rate": value, "type": "int"},
        )
    if number is not None:
        return Issue(
            f"The learning rate {value} is not a Python float: it is a string (read from a "
            "config file or the command line?) or a NumPy/tensor scalar. "
            f"Received: learning_rate={value}.",
            expected="learning_rate as a Python float.",
            fix=f"learning_rate=float(lr)  # {float(number)!r}",
            evidence={"learning_rate": value, "type": "str or numpy"},
        )
    return Issue(
        f"The learning rate {value} is not a number. Received: learning_rate={value}.",
        expected="learning_rate as a float, a LearningRateSchedule or a callable.",
        fix="learning_rate=0.001  # or leave it out for the optimizer's default",
        evidence={"learning_rate": value},
    )


def _legacy(args: dict[str, str], where: str) -> Issue | None:
    known = [a for a in args if a in LEGACY]
    if not known:
        return None
    lines = [f"{LEGACY[a][0]}=...  # instead of {a}= ({LEGACY[a][1]})" for a in known]
    if "=" in LEGACY[known[0]][0]:
        lines[0] = f"{LEGACY[known[0]][0]}  # instead of {known[0]}= ({LEGACY[known[0]][1]})"
    return Issue(
        f"{where} was given {', '.join(repr(a) for a in known)}, "
        f"{'an argument name' if len(known) == 1 else 'argument names'} from an older Keras "
        f"that Keras 3 does not take. Received: {', '.join(f'{a}={args[a]}' for a in known)}.",
        expected="Keras 3 argument names.",
        fix="\n".join(lines),
        evidence={"arguments": known},
    )


@rule(
    "KD510",
    "unsupported-argument",
    summary="An argument Keras 3 refuses: its type, name or backend",
    severity=Severity.ERROR,
    fix="Pass the argument as Keras 3 takes it (a float learning rate, the Keras 3 name).",
)
def unsupported_argument(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for arguments Keras 3 refuses: an integer (or string) learning rate ("Argument
    `learning_rate` should be float, ... Received instead: learning_rate=10"),
    `steps_per_execution` above 1 on the PyTorch backend, `validation_split` with a
    generator or dataset, and argument names from older Keras (`lr=`, `nb_epoch=`,
    `init=`, `border_mode=`), with the Keras 3 spelling.

    ## Why is this bad?
    Code written for older Keras, or hyper-parameters read as strings from a config file,
    fail at construction or at `fit()`. An integer learning rate such as `10` is also
    usually far too large: once made a float it would make training diverge.

    ## Known problems
    Only argument names known to come from older Keras are explained; a plain typo in an
    argument name is left to Keras's own message.

    ## References
    - [Keras: optimizers, the learning_rate argument](https://keras.io/api/optimizers/)
    - [Keras: Model.compile, steps_per_execution](https://keras.io/api/models/model_training_apis/#compile-method)
    - [Keras: Model.fit, validation_split](https://keras.io/api/models/model_training_apis/#fit-method)
    """
    if m := search(LEARNING_RATE, ctx):
        yield _learning_rate(m.group("value"))
    elif m := search(STEPS_PER_EXECUTION, ctx):
        n = m.group("value")
        yield Issue(
            f"compile(steps_per_execution={n}) runs {n} steps per call on TensorFlow and JAX, "
            f"but the PyTorch backend runs one step at a time and refuses it. "
            f"Received: steps_per_execution={n}.",
            expected="steps_per_execution=1 with the PyTorch backend.",
            fix=(
                "model.compile(..., steps_per_execution=1)  # or leave it out on PyTorch\n"
                "# or run with KERAS_BACKEND=jax (or tensorflow) to keep it"
            ),
            evidence={"steps_per_execution": int(n)},
        )
    elif m := search(VALIDATION_SPLIT, ctx):
        types = (m.group("types") or "").strip()
        yield Issue(
            "validation_split cuts the last fraction off arrays, so it needs NumPy arrays or "
            "tensors; it cannot cut a generator, a tf.data.Dataset, a PyDataset or a "
            f"DataLoader. Received: validation_split with {types or 'a dataset'}.",
            expected="validation_data=... (a separate dataset) when x is not an array.",
            fix="model.fit(train_data, validation_data=val_data, ...)  # instead of validation_split",
            evidence={"types": types or None},
        )
    elif m := search(OPTIMIZER_ARGS, ctx):
        if issue := _legacy(_arguments(m.group("args")), "The optimizer"):
            yield issue
    elif m := search(LAYER_ARGS, ctx):
        if issue := _legacy(_arguments(m.group("args")), f"Layer {m.group('cls')}"):
            yield issue
    elif m := search(METHOD_ARG, ctx):
        method = m.group("method").rsplit(".", 1)[-1]
        if issue := _legacy({m.group("arg"): "..."}, f"{method}()"):
            yield issue


def bad() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=10), loss="categorical_crossentropy")


def good() -> Context:
    import keras

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="categorical_crossentropy")
    return Context.of(model)
