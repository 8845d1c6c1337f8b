from __future__ import annotations

from collections.abc import Iterator
from statistics import median

from kerasdoctor.context import Context
from kerasdoctor.rule import Issue, Severity, rule
from kerasdoctor.rules._data_model import inputs_with_data
from kerasdoctor.rules._quality import clean_numeric, fmt, input_path, scaled_in_model


@rule(
    "KD315",
    "unscaled-inputs",
    summary="Inputs far from unit scale and not rescaled in the model",
    severity=Severity.WARNING,
    fix="Scale the inputs: `x / 255.0` for pixels, a `Normalization` layer for features.",
)
def unscaled_inputs(
    ctx: Context,
    *,
    max_abs: float = 1000.0,
    max_ratio: float = 100.0,
    max_sgd_product: float = 10.0,
) -> Iterator[Issue]:
    """## What it does
    Checks for inputs far from unit scale that the model does not rescale itself (no
    `Rescaling`, `Normalization` or other normalisation layer between the input and its
    first layer with weights, nor right after that layer):

    - raw pixels: values in [0, 255] reaching 100 or more, in `uint8` arrays, images (rank
      3 or more; floats too, as `image_dataset_from_directory` yields them) or flattened
      images (64 or more columns);
    - tabular columns whose scales differ by orders of magnitude: columns whose largest
      |value| is `max_ratio` (default 100) times that of the median column, and at least 10;
    - values with |x| of `max_abs` (default 1000) or more;
    - with plain `SGD` (no gradient clipping) and a mean-squared-error loss, tabular inputs
      into a `Dense` layer whose `learning_rate * E[x^2]` exceeds `max_sgd_product`
      (default 10), where E[x^2] is the larger of the mean of x^2 over all values and the
      largest column variance.

    The defaults keep ordinary data quiet: features of order 1 to 100 train fine with
    Adam, while a column 100x larger than the others decides the first layer's output on
    its own, and values in the thousands give first-layer outputs in the thousands.

    The SGD bound: for a linear layer trained with MSE = mean((w.x + b - y)^2), the
    Hessian in w is 2 E[x x^T], and gradient descent with step `lr` converges only while
    lr * 2 * lambda_max(E[x x^T]) < 2, that is lr * lambda_max < 1 (momentum beta raises
    it to 1 + beta, below 2). Both E[x^2] estimates above are lower bounds of lambda_max
    (the first is its trace divided by the columns), so the rule never overstates the
    product; the margin of 10 (5x even the momentum bound) covers hidden layers, whose
    curvature differs from a linear model's by a factor of order 1 at Keras's default
    initialisation. A budget column up to 296 with `SGD()` (0.01) gives 0.01 x 2.9e4 =
    290: the loss is NaN within the first epoch (stats.stackexchange.com/q/284189).

    ## Why is this bad?
    Dense and convolution kernels are initialised for inputs of unit scale. Pixels in
    0..255 give first-layer outputs in the hundreds: the softmax saturates, and on JAX and
    PyTorch training sticks at loss ~14.4 (= 0.9 x -ln 1e-7) with accuracy 0.10; on
    TensorFlow with SGD the first epoch's loss is ~190,000, then it sticks at ln 10 = 2.30
    (seed case O). Columns with scales 1 and 100,000 make one direction of the loss
    surface 10^10 times steeper than another.

    ## Known problems
    Inputs that feed an `Embedding` (token ids) are not checked. A model that rescales in
    a Lambda or custom layer, or inside a nested model, is trusted and not reported. Only
    the sampled rows are looked at. The SGD bound is checked only for squared-error losses
    (cross-entropy and Huber-like losses have bounded gradients and do not blow up the
    same way), 1-D and 2-D inputs into a `Dense` layer, and the learning rate at the
    current step (a warm-up schedule that starts small is not reported).

    ## References
    - [Keras: Rescaling layer](https://keras.io/api/layers/preprocessing_layers/image_preprocessing/rescaling/)
    - [Keras: Normalization layer](https://keras.io/api/layers/preprocessing_layers/numerical/normalization/)
    - [Keras example: simple MNIST convnet (x / 255)](https://keras.io/examples/vision/mnist_convnet/)
    - [LeCun et al., Efficient BackProp (input normalisation)](http://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf)
    """
    model = ctx.model
    if model is None:
        return
    for input_name, _, x, name in inputs_with_data(ctx):
        if not clean_numeric(x) or x.nan + x.inf == x.rows:
            continue
        path = input_path(model, input_name)
        if not path or scaled_in_model(path) is not False:
            continue
        first = path[-1]
        if first.kind == "embedding":
            continue
        after = model.children(first.name)
        if len(after) == 1 and after[0].kind == "norm":
            continue
        where = (
            f"no Rescaling or Normalization layer before {first.name!r}, its first layer "
            "with weights"
        )
        shape = tuple(x.shape)
        received = (
            f"Received: {name}.shape={shape}, {name}.dtype={x.dtype}, range=[{fmt(x.min)}, "
            f"{fmt(x.max)}], mean={fmt(x.mean)}, std={fmt(x.std)}."
        )
        evidence = {
            "input": name,
            "dtype": x.dtype,
            "min": x.min,
            "max": x.max,
            "mean": x.mean,
            "std": x.std,
            "first_layer": first.name,
        }
        image_like = (
            x.dtype == "uint8"
            or x.rank >= 3
            or (x.rank == 2 and shape[1] is not None and shape[1] >= 64)
        )
        if x.min >= 0 and 100 <= x.max <= 255 and image_like:
            yield Issue(
                f"{name} holds raw pixel values (in [{fmt(x.min)}, {fmt(x.max)}], not "
                f"[0, 1]) and the model does not rescale them: {where}. First-layer "
                "outputs start in the hundreds; a softmax saturates, and training can stick "
                "at chance accuracy (loss ~14.4 on JAX and PyTorch). " + received,
                expected="Inputs of unit scale: pixels in [0, 1] (or standardised).",
                fix=(
                    f"{name} = {name}.astype('float32') / 255.0\n"
                    "# or, inside the model: keras.layers.Rescaling(1 / 255) as its first layer"
                ),
                layer=first.name,
                evidence=evidence,
            )
            continue
        wide = _wide_columns(x, max_ratio)
        if wide:
            typical, cols = wide
            listed = ", ".join(f"{label} (up to {fmt(top)})" for label, top in cols[:5])
            more = f" and {len(cols) - 5} more" if len(cols) > 5 else ""
            yield Issue(
                f"The columns of {name} differ in scale by orders of magnitude: {listed}{more} "
                f"against a median column up to {fmt(typical)}, and the model does not "
                f"normalise them: {where}. The large columns decide the first layer's "
                "output on their own. " + received,
                expected=f"Columns of similar scale (each below {fmt(max_ratio)}x the median).",
                fix=_normalize_fix(name),
                layer=first.name,
                evidence={
                    **evidence,
                    "columns": [label for label, _ in cols],
                    "median_column_absmax": typical,
                },
            )
            continue
        if max(abs(x.min), abs(x.max)) >= max_abs:
            yield Issue(
                f"{name} has values up to |{fmt(max(abs(x.min), abs(x.max)))}|, far from unit "
                f"scale, and the model does not normalise them: {where}. First-layer outputs "
                "start in the thousands, saturating activations and making the loss "
                "surface steep. " + received,
                expected="Inputs of unit scale (standardised: mean 0, std 1).",
                fix=_normalize_fix(name),
                layer=first.name,
                evidence=evidence,
            )
            continue
        sgd = _sgd_product(model, x, first)
        if sgd is not None and sgd[2] > max_sgd_product:
            lr, moment, product = sgd
            yield Issue(
                f"{name} reaches |{fmt(max(abs(x.min), abs(x.max)))}| (E[x^2] about "
                f"{fmt(moment)}) and is trained with plain SGD on a squared-error loss, "
                f"without normalisation: {where}. learning_rate x E[x^2] = {fmt(lr)} x "
                f"{fmt(moment)} = {fmt(product)}, while gradient descent on a squared error "
                "is stable only below about 1 (this rule reports above "
                f"{fmt(max_sgd_product)}): every step overshoots more than the last, and "
                f"the loss typically grows to inf and NaN within the first epoch. {received[:-1]}, "
                f"optimizer={model.optimizer.name}, learning_rate={fmt(lr)}.",
                expected=(
                    "Inputs of unit scale (standardised: mean 0, std 1), or "
                    f"learning_rate x E[x^2] below 1 (here a learning rate below {fmt(1 / moment)})."
                ),
                fix=_normalize_fix(name) + "\n# or an adaptive optimiser: optimizer='adam'",
                layer=first.name,
                evidence={
                    **evidence,
                    "learning_rate": lr,
                    "second_moment": moment,
                    "lr_times_second_moment": product,
                },
            )


def _wide_columns(x, max_ratio: float) -> tuple[float, list[tuple[str, float]]] | None:
    """(median column scale, [(column label, its largest |value|)]) of the outsized columns."""
    scales = x.feature_absmax
    if not scales or len(scales) < 2:
        return None
    nonzero = [s for s in scales if s > 0 and s == s]
    if len(nonzero) < 2:
        return None
    typical = median(nonzero)
    names = x.feature_names
    cols = [
        (repr(names[i]) if names else f"column {i}", s)
        for i, s in enumerate(scales)
        if s == s and s >= 10 and s >= max_ratio * typical
    ]
    return (typical, sorted(cols, key=lambda c: -c[1])) if cols else None


def _sgd_product(model, x, first) -> tuple[float, float, float] | None:
    """(learning rate, E[x^2] lower bound, their product) for plain SGD on a squared error.

    None unless the optimiser is SGD without gradient clipping, with a positive learning
    rate, some head is trained with mean squared error, and the input is 1-D or 2-D data
    going into a Dense layer.
    """
    optimizer = model.optimizer
    if optimizer is None or optimizer.family != "sgd" or not optimizer.learning_rate:
        return None
    lr = optimizer.learning_rate
    if not 0 < lr < float("inf"):
        return None
    if any(key in optimizer.config for key in ("clipnorm", "clipvalue", "global_clipnorm")):
        return None
    if not any(h.loss is not None and h.loss.name == "mean_squared_error" for h in model.heads):
        return None
    if first.kind != "dense" or x.rank not in (1, 2) or x.mean is None or x.std is None:
        return None
    moment = x.mean**2 + x.std**2  # mean of x^2 over all values: trace(E[x x^T]) / columns
    if x.feature_std:
        moment = max([moment, *(s * s for s in x.feature_std if s == s)])
    if not moment > 0:
        return None
    return lr, moment, lr * moment


def _normalize_fix(name: str) -> str:
    return (
        "norm = keras.layers.Normalization()\n"
        f"norm.adapt({name})  # then make norm the model's first layer, after keras.Input\n"
        f"# or: {name} = sklearn.preprocessing.StandardScaler().fit_transform({name})"
    )


def bad() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(500, 28, 28)).astype("uint8")  # like MNIST, unscaled
    y = rng.integers(0, 10, size=(500,))
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x, y)


def good() -> Context:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(500, 28, 28)).astype("uint8")
    y = rng.integers(0, 10, size=(500,))
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Rescaling(1 / 255, name="rescale"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return Context.of(model, x, y)
