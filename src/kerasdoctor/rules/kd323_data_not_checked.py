from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule


@rule(
    "KD323",
    "data-not-checked",
    summary="Part of the data could not be read, so it was not checked",
    severity=Severity.INFO,
    fix="Pass arrays, a tf.data.Dataset or a PyDataset, or use `kerasdoctor.watch()`.",
)
def data_not_checked(ctx: Context) -> Iterator[Issue]:
    """## What it does
    Checks for data that kerasdoctor was given but did not read: a Python generator passed
    to `diagnose()` (reading it would consume batches that `fit()` then never sees), or a
    container of a type it does not know. One finding per part skipped, saying why.

    ## Why is this bad?
    It is not a fault in the model: it says that the data checks (shapes, labels, NaN,
    scaling, class balance, ...) did not run on that part, so a clean report does not vouch
    for it.

    ## Known problems
    None: the finding only reports what the data facts skipped.

    ## References
    - [Keras: Model.fit (accepted data types)](https://keras.io/api/models/model_training_apis/#fit-method)
    - [Keras: PyDataset](https://keras.io/api/utils/python_utils/#pydataset-class)
    - [TensorFlow: tf.data.Dataset.from_generator](https://www.tensorflow.org/api_docs/python/tf/data/Dataset#from_generator)
    """
    for reason in ctx.data.skipped:
        generator = "generator" in reason
        if generator:
            fix = (
                "kerasdoctor.watch()  # checks the first batch when fit() starts, then hands "
                "every batch on\n"
                "# or pass a re-iterable source: tf.data.Dataset.from_generator(...) or a "
                "keras.utils.PyDataset"
            )
        else:
            fix = (
                "x = np.asarray(x)  # or pass a tf.data.Dataset, a keras.utils.PyDataset, "
                "or a torch DataLoader"
            )
        yield Issue(
            f"The data checks did not run on part of the data: {reason}. "
            f"Received: source={ctx.data.source!r}.",
            expected="Data kerasdoctor can sample without consuming it.",
            fix=fix,
            evidence={"source": ctx.data.source, "skipped": reason},
        )


def bad() -> Context:
    import keras
    import numpy as np

    def batches():
        rng = np.random.default_rng(0)
        for _ in range(10):
            yield rng.normal(size=(32, 8)).astype("float32"), rng.integers(0, 2, size=(32, 1))

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return Context.of(model, batches())


def good() -> Context:
    import keras
    import numpy as np

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 10

        def __getitem__(self, index):
            rng = np.random.default_rng(index)
            return rng.normal(size=(32, 8)).astype("float32"), rng.integers(0, 2, size=(32, 1))

    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return Context.of(model, Batches())
