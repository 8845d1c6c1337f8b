from __future__ import annotations

from collections.abc import Iterator

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._quality import ARRAY_SOURCES, fmt


@rule(
    "KD322",
    "overfitting-setup",
    summary="Far more parameters than samples and no regularisation",
    severity=Severity.WARNING,
    fix="Add Dropout or a weight penalty, and EarlyStopping on validation data.",
)
def overfitting_setup(
    ctx: Context, *, max_ratio: float = 100.0, min_epochs: int = 10
) -> Iterator[Issue]:
    """## What it does
    Checks for a model with far more trainable parameters than training samples (more
    than `max_ratio` per sample, default 100) trained with nothing that limits
    overfitting: no Dropout (or GaussianNoise) layer, no kernel/bias/activity regularizer,
    no optimizer weight decay, no augmentation layer, and no EarlyStopping acting on
    validation data.

    - warning when `epochs` is `min_epochs` (default 10) or more: long enough to memorise;
    - info when `epochs` is not given or smaller: the set-up is the same, the damage grows
      with training time.

    With validation data (`validation_split` or `validation_data`) but no EarlyStopping,
    the set-up is still reported: validation shows `val_loss` rising, but training goes on
    and `fit()` returns the last, overfit weights (seed case H: 29,569 parameters for 80
    training samples, train accuracy 1.0, `val_loss` lowest at epoch 8 and rising after).
    Without validation data the message says that nothing will show it.

    `max_ratio` (default 100): networks generalise at a few to a few tens of parameters
    per sample when trained with early stopping or regularisation (an MLP on MNIST has
    about 2 per sample, a CIFAR ResNet about 5). A plain network can fit even random
    labels once it has more parameters than samples (Zhang et al., 2017); at 100 per
    sample it does so within a few dozen epochs, as H does at 370.
    `min_epochs` (default 10): in seed case H memorising starts after about 8 epochs.

    ## Why is this bad?
    With many more parameters than samples the network can fit every training sample,
    noise included. Training loss goes to zero, training accuracy to 1.0, and the model
    is worse on new data than it was a few epochs earlier. Nothing in Keras warns.

    ## Known problems
    The parameter count is a crude measure of capacity: convolutional networks share
    weights, and pretrained or heavily augmented models generalise at much higher ratios.
    An unbuilt model has no parameter count and is not checked, nor is data whose sample
    count is unknown (a dataset read in part). EarlyStopping is recognised by class name;
    one that monitors a training metric without validation data is counted as absent.

    ## References
    - [Keras: Dropout layer](https://keras.io/api/layers/regularization_layers/dropout/)
    - [Keras: layer weight regularizers](https://keras.io/api/layers/regularizers/)
    - [Keras: EarlyStopping](https://keras.io/api/callbacks/early_stopping/)
    - [Zhang et al., Understanding deep learning requires rethinking generalization (2017)](https://arxiv.org/abs/1611.03530)
    """
    model, data = ctx.model, ctx.data
    if model is None or not model.trainable_params or data.x is None:
        return
    n_train = _training_samples(ctx)
    if not n_train:
        return
    params = model.trainable_params
    ratio = params / n_train
    if ratio <= max_ratio:
        return
    optimizer = model.optimizer
    if any(
        layer.kind == "dropout" or layer.regularized or layer.cls.startswith("Random")
        for layer in model.layers
    ) or (optimizer is not None and optimizer.config.get("weight_decay")):
        return
    validation = bool(data.validation_split or data.val_x is not None or data.val_y is not None)
    early_stopping = any("EarlyStopping" in name for name in data.callbacks)
    if early_stopping and validation:
        return
    epochs = data.epochs
    long_run = epochs is not None and epochs >= min_epochs
    weighted = [layer for layer in model.layers if layer.params and layer.trainable]
    biggest = max(weighted, key=lambda layer: layer.params, default=None)
    hidden = next(
        (
            layer
            for layer in model.layers
            if layer.cls == "Dense"
            and layer.name not in {h.layer for h in model.heads}
            and layer.units
        ),
        None,
    )
    shown = ""
    if validation:
        shown = (
            f"validation_split={fmt(data.validation_split)}"
            if data.validation_split
            else "validation_data"
        )
        seen = (
            f"{shown} will show val_loss rising, but no EarlyStopping stops training at the "
            "best epoch: fit() returns the last, overfit weights"
        )
    else:
        seen = "and without validation data nothing will show it"
    when = (
        f"With epochs={epochs} it can memorise the training set"
        if long_run
        else f"Given enough epochs (epochs={epochs}) it can memorise the training set"
        if epochs is not None
        else "Given enough epochs (epochs not given) it can memorise the training set"
    )
    missing = "no Dropout, no weight penalty (kernel_regularizer or weight_decay), " + (
        "and EarlyStopping without validation data (it watches val_loss)"
        if early_stopping
        else "no EarlyStopping"
    )
    where = (
        f" Layer {biggest.name!r} alone has {biggest.params:,}."
        if biggest is not None and biggest.params and biggest.params >= params / 3
        else ""
    )
    regularized = (
        f"Dense({hidden.units}, activation={hidden.activation!r}, "
        f"kernel_regularizer=keras.regularizers.l2(1e-4), name={hidden.name!r})\n"
        f"keras.layers.Dropout(0.3)  # after {hidden.name!r} and the other hidden layers\n"
        if hidden is not None
        else "keras.layers.Dropout(0.3)  # after each hidden layer\n"
        "# and kernel_regularizer=keras.regularizers.l2(1e-4) on the layers with weights\n"
    )
    split = fmt(data.validation_split) if data.validation_split else "0.2"
    fix = (
        regularized
        + f"model.fit(x, y, validation_split={split}, epochs={epochs or 100}, callbacks=["
        "keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)])"
    )
    callbacks = "[" + ", ".join(data.callbacks) + "]"
    yield Issue(
        f"The model has {params:,} trainable parameters for {n_train:,} training samples "
        f"({fmt(round(ratio))} per sample) and nothing that limits overfitting: {missing}."
        f"{where} {when}; {seen}. Received: trainable_params={params}, "
        f"training samples={n_train}, epochs={epochs}, "
        f"{shown if validation else 'validation_data=None'}, callbacks={callbacks}.",
        expected=(
            f"At most {fmt(max_ratio)} parameters per training sample, or regularisation "
            "(Dropout, a weight penalty) and EarlyStopping on validation data."
        ),
        fix=fix,
        layer=biggest.name if biggest is not None else None,
        evidence={
            "trainable_params": params,
            "training_samples": n_train,
            "ratio": ratio,
            "epochs": epochs,
            "validation": validation,
            "early_stopping": early_stopping,
            "callbacks": list(data.callbacks),
        },
        severity=None if long_run else Severity.INFO,
    )


def _training_samples(ctx: Context) -> int | None:
    """How many samples training sees: all of x, less the validation_split part."""
    data = ctx.data
    if data.train_y is not None and data.train_y.n:
        return data.train_y.n
    x = data.x
    if x is None or not x.n or (data.source not in ARRAY_SOURCES and not x.complete):
        return None  # a dataset read in part: its sample count is unknown
    if data.validation_split:
        return int(x.n * (1.0 - data.validation_split))
    return x.n


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((100, 100))
    y = rng.integers(0, 2, size=(100, 1))
    model = keras.Sequential(
        [
            keras.Input((100,)),
            keras.layers.Dense(128, activation="relu", name="hidden_1"),
            keras.layers.Dense(128, activation="relu", name="hidden_2"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return Context.of(model, x, y, epochs=50, validation_split=0.2)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((100, 100))
    y = rng.integers(0, 2, size=(100, 1))
    model = keras.Sequential(
        [
            keras.Input((100,)),
            keras.layers.Dense(128, activation="relu", name="hidden_1"),
            keras.layers.Dropout(0.3, name="dropout_1"),
            keras.layers.Dense(128, activation="relu", name="hidden_2"),
            keras.layers.Dropout(0.3, name="dropout_2"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    return Context.of(model, x, y, epochs=50, validation_split=0.2, callbacks=[stop])
