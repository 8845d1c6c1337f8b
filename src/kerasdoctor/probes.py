"""`probe()`: short experiments on a clone of the model, before training.

Each probe answers a question whose wrong answer wastes a training run, in a second or two:
is the loss at initialisation what an uninformed guess scores (`ln C`, `ln 2`, the targets'
mean square)? Can the model fit one small batch in a few dozen steps? Does one step change
every trainable layer (does the gradient reach it)? Does the output depend on the input?

Every experiment runs on a clone (`keras.models.clone_model` + `set_weights` + a fresh
optimizer of the same config): the user's model, weights and optimizer state are never
touched, and the random states (Python, NumPy, Keras, PyTorch) are restored afterwards, so
training after `probe()` computes exactly what it would have computed without it.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from kerasdoctor.context import ProbeResults

#: How many samples the probes use, and how many steps the overfit probe takes.
BATCH_SIZE = 32
STEPS = 30
PROBE_RULES = ("KD412", "KD413", "KD414", "KD415")  # the rules that read ProbeResults


def wanted(select: Iterable[str] = ("KD4",), ignore: Iterable[str] = ()) -> bool:
    """Whether `select` and `ignore` leave any probe rule to run (else: nothing to measure)."""
    from kerasdoctor import engine
    from kerasdoctor.monitor import _training_prefixes

    chosen = engine.selected(_training_prefixes(select), ignore)
    return any(rule.code in PROBE_RULES for rule in chosen)


def probe(
    model: Any,
    x: Any,
    y: Any = None,
    *,
    batch_size: int = BATCH_SIZE,
    steps: int = STEPS,
    select: Iterable[str] = ("KD4",),
    ignore: Iterable[str] = (),
    params: Mapping[str, Mapping[str, Any]] | None = None,
):
    """Probe a compiled model with short experiments on a clone, before training it.

    Measures the loss at initialisation against the loss of an uninformed guess, fits one
    small batch for `steps` steps, checks that one step changes every trainable layer, and
    that the output depends on the input. The findings are KD4 rules (KD412-KD415). The
    model, its weights and its optimizer state are not changed.

    Args:
        model: A compiled `keras.Model`.
        x: Training inputs (arrays, or a dict or list of arrays); `batch_size` samples,
            spread over the data, are used.
        y: Training targets.
        batch_size: Number of samples in the probe batch.
        steps: Training steps of the overfit-one-batch probe.
        select: Code prefixes of the rules to run (the probe rules are KD412-KD415).
        ignore: Code prefixes of rules not to run.
        params: Threshold overrides per rule code.

    Returns:
        A `Report`.

    Example:

    ```python
    print(kerasdoctor.probe(model, x_train, y_train))
    model.fit(x_train, y_train, epochs=10)
    ```
    """
    from kerasdoctor import engine
    from kerasdoctor.context import Context, Trace
    from kerasdoctor.monitor import _training_prefixes

    if not wanted(select, ignore):
        from kerasdoctor.report import Report

        return Report()
    results = measure(model, x, y, batch_size=batch_size, steps=steps)
    ctx = Context.of(model, x, y)
    ctx = dataclasses.replace(ctx, trace=Trace(probe=results))
    return engine.run(ctx, select=_training_prefixes(select), ignore=ignore, params=params)


def measure(
    model: Any, x: Any, y: Any = None, *, batch_size: int = BATCH_SIZE, steps: int = STEPS
) -> ProbeResults:
    """Run the probes on a clone of `model` and return what they measured (no rules)."""
    import keras

    from kerasdoctor.monitor import _take_rows

    if not getattr(model, "compiled", False) or model.optimizer is None:
        return ProbeResults(batch_size=0, skipped=("the model is not compiled",))
    if not _is_arrays(x) or (y is not None and not _is_arrays(y)):
        return ProbeResults(
            batch_size=0,
            skipped=("probe() needs arrays: pass a slice of the data, e.g. x[:256], y[:256]",),
        )
    xb = _take_rows(x, batch_size)
    yb = None if y is None else _take_rows(y, batch_size)
    n = _rows(xb)
    replicas = _data_replicas()
    if n % replicas:  # keras.distribution shards each batch evenly over its replicas
        n = n // replicas * replicas
        if not n:
            return ProbeResults(
                batch_size=0,
                skipped=(f"the probes need at least {replicas} samples, one per replica",),
            )
        xb = _take_rows(xb, n)
        yb = None if yb is None else _take_rows(yb, n)
    saved = _save_random_state()
    try:
        try:
            clone = _clone(model, xb)
        except Exception as error:
            return ProbeResults(
                batch_size=n,
                skipped=(f"the model cannot be cloned: {type(error).__name__}: {error}",),
            )
        y_pred = clone.predict_on_batch(xb)
        spread, scale = _output_spread(y_pred)
        if _rows_identical(xb):
            spread = None
        initial, expected, basis, loss_name, floor = _initial_loss(model, clone, yb, y_pred)
        before = _trainable_weights(clone)
        fit_losses = [_scalar(clone.train_on_batch(xb, yb))]
        after = _trainable_weights(clone)
        unchanged = tuple(
            name
            for name, old in before.items()
            if all(keras.ops.all(a == b) for a, b in zip(old, after[name], strict=True))
        )
        for _ in range(max(steps - 1, 0)):
            loss = _scalar(clone.train_on_batch(xb, yb))
            fit_losses.append(loss)
            if not math.isfinite(loss):
                break
        return ProbeResults(
            batch_size=n,
            loss_name=loss_name,
            initial_loss=initial,
            expected_loss=expected,
            expected_basis=basis,
            loss_floor=floor,
            fit_losses=tuple(fit_losses),
            checked_layers=tuple(before),
            unchanged_layers=tuple(name for name in unchanged if name in before),
            output_spread=spread,
            output_scale=scale,
            input_absmax=_absmax(xb),
        )
    finally:
        _restore_random_state(saved)


# --------------------------------------------------------------------------------------------
# the clone
# --------------------------------------------------------------------------------------------


def _clone(model: Any, xb: Any) -> Any:
    """A compiled copy of `model` with its weights and a fresh optimizer of the same config."""
    import keras

    with warnings.catch_warnings():  # under watch() Keras sees our compile() wrapper as custom
        warnings.filterwarnings("ignore", message=r"`compile\(\)` was not called")
        clone = keras.models.clone_model(model, clone_function=_clone_layer)
    if model.built and model.weights:
        if not clone.built:
            clone(xb)
        clone.set_weights(model.get_weights())
    else:
        clone(xb)  # the user's model has no weights yet: the clone starts from fresh ones
    optimizer = model.optimizer
    fresh = type(optimizer).from_config(optimizer.get_config())
    config = model.get_compile_config() if hasattr(model, "get_compile_config") else {}
    from kerasdoctor import hooks

    compile = type(clone).compile
    if hooks.watching() and compile is keras.Model.compile:
        compile = compile.__wrapped__  # Keras's own: the clone is not the user's to diagnose
    compile(
        clone,
        optimizer=fresh,
        loss=model.loss,
        loss_weights=(config or {}).get("loss_weights"),
        run_eagerly=bool(getattr(model, "run_eagerly", False)),
        jit_compile=getattr(model, "jit_compile", "auto"),
    )
    return clone


def _clone_layer(layer: Any) -> Any:
    """A new layer of the same config; a Lambda reuses its Python function (it has no weights),
    since deserialising an unregistered function from its config fails."""
    import keras

    if isinstance(layer, keras.layers.Lambda):
        return keras.layers.Lambda(
            layer.function,
            output_shape=layer._output_shape,
            mask=layer.mask,
            arguments=layer.arguments,
            name=layer.name,
        )
    return layer.__class__.from_config(layer.get_config())


def _trainable_weights(model: Any) -> dict[str, list]:
    """Each top-level layer's trainable weights, as backend tensors (copied)."""
    import keras

    return {
        layer.name: [keras.ops.copy(v.value) for v in layer.trainable_weights]
        for layer in model.layers
        if layer.trainable_weights
    }


def _initial_loss(model: Any, clone: Any, yb: Any, y_pred: Any):
    """(loss at initialisation without penalties, expected loss, its formula, loss name, the
    lowest loss these targets allow: their entropy for soft crossentropy targets, else 0)."""
    import keras
    import numpy as np

    from kerasdoctor import facts

    if yb is None or isinstance(y_pred, (list, tuple, dict)):
        return None, None, None, None, 0.0
    loss = model.loss
    if isinstance(loss, (list, tuple)) and len(loss) == 1:
        loss = loss[0]
    if isinstance(loss, Mapping) and len(loss) == 1:
        loss = next(iter(loss.values()))
    info = facts.loss_facts(loss)
    if info is None or info.kind == "invalid":
        return None, None, None, None, 0.0
    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    try:
        value = fn(keras.ops.convert_to_tensor(yb), keras.ops.convert_to_tensor(y_pred))
        initial = float(np.mean(keras.ops.convert_to_numpy(value)))
    except Exception:
        return None, None, None, info.name, 0.0
    units = int(np.shape(y_pred)[-1]) if np.ndim(y_pred) > 1 else 1
    y = np.asarray(yb, dtype=np.float64)
    expected = basis = None
    if info.kind in ("categorical", "sparse_categorical") and units >= 2:
        expected, basis = math.log(units), f"ln({units})"
    elif info.kind == "binary":
        expected, basis = math.log(2), "ln(2)"
    elif info.name == "mean_squared_error":
        expected, basis = float(np.mean(y**2)), "mean(y**2)"
    elif info.name == "mean_absolute_error":
        expected, basis = float(np.mean(np.abs(y))), "mean(|y|)"
    return initial, expected, basis, info.name, _entropy(info.kind, y, np.shape(y_pred))


def _entropy(kind: str, y: Any, output_shape: tuple) -> float:
    """The crossentropy of a perfect prediction of soft targets `y` (an autoencoder's pixels,
    smoothed labels): no model gets below it. 0 for hard 0/1 targets and other losses."""
    import numpy as np

    if kind not in ("binary", "categorical") or y.shape != tuple(output_shape):
        return 0.0
    if not np.all((y >= 0) & (y <= 1)):
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, -y * np.log(np.where(y > 0, y, 1)), 0.0)
        if kind == "binary":  # per element, both outcomes; Keras averages the last axis
            z = 1 - y
            terms = terms + np.where(z > 0, -z * np.log(np.where(z > 0, z, 1)), 0.0)
            return float(np.mean(terms))
    return float(np.mean(np.sum(terms, axis=-1)))



def _output_spread(y_pred: Any) -> tuple[float | None, float | None]:
    """(largest difference between two samples' outputs, largest absolute output)."""
    import numpy as np

    parts = (
        y_pred.values()
        if isinstance(y_pred, dict)
        else (y_pred if isinstance(y_pred, (list, tuple)) else [y_pred])
    )
    rows = [np.asarray(p, dtype=np.float64).reshape(len(p), -1) for p in parts]
    if not rows or any(r.shape[0] < 2 for r in rows):
        return None, None
    out = np.concatenate(rows, axis=1)
    if not np.all(np.isfinite(out)):
        return None, None
    return float(np.max(np.abs(out - out[0]))), float(np.max(np.abs(out)))


# --------------------------------------------------------------------------------------------
# data and random state
# --------------------------------------------------------------------------------------------


def _is_arrays(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(_is_arrays(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return bool(value) and all(hasattr(v, "shape") for v in value) or _numeric_list(value)
    return hasattr(value, "shape") and hasattr(value, "__getitem__")


def _numeric_list(value: Any) -> bool:
    import numpy as np

    try:
        return np.asarray(value).dtype.kind in "biuf"
    except Exception:
        return False


def _data_replicas() -> int:
    """How many ways `keras.distribution` (JAX) splits each batch; 1 without a distribution."""
    import keras

    try:
        distribution = keras.distribution.distribution()
        mesh = getattr(distribution, "device_mesh", None)
        name = getattr(distribution, "batch_dim_name", None)
        if mesh is None or name not in mesh.axis_names:
            return 1
        return max(1, int(mesh.shape[list(mesh.axis_names).index(name)]))
    except Exception:
        return 1


def _rows(value: Any) -> int:
    if isinstance(value, Mapping):
        return _rows(next(iter(value.values())))
    if isinstance(value, (list, tuple)):
        return _rows(value[0])
    return int(value.shape[0])


def _flat(value: Any):
    import numpy as np

    if isinstance(value, Mapping):
        return [np.asarray(v, dtype=np.float64) for v in value.values()]
    if isinstance(value, (list, tuple)):
        return [np.asarray(v, dtype=np.float64) for v in value]
    return [np.asarray(value, dtype=np.float64)]


def _rows_identical(xb: Any) -> bool:
    import numpy as np

    return all(np.all(a == a[:1]) for a in _flat(xb))


def _absmax(xb: Any) -> float | None:
    import numpy as np

    values = [np.nanmax(np.abs(a)) for a in _flat(xb) if a.size]
    return float(max(values)) if values else None


def _scalar(value: Any) -> float:
    import numpy as np

    if isinstance(value, (list, tuple)):
        value = value[0]
    if isinstance(value, dict):
        value = value.get("loss", next(iter(value.values())))
    return float(np.asarray(value))


def _save_random_state() -> dict[str, Any]:
    """The Python, NumPy, Keras and (PyTorch) random states, to restore after the probes."""
    import random

    import keras
    import numpy as np
    from keras.src.backend.common import global_state

    generator = global_state.get_global_attribute("global_seed_generator")
    saved: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "generator": generator,
        "generator_state": None
        if generator is None
        else keras.ops.convert_to_numpy(generator.state.value).copy(),
    }
    if keras.backend.backend() == "torch":
        import torch

        saved["torch"] = torch.get_rng_state()
        if torch.cuda.is_available():
            saved["torch_cuda"] = torch.cuda.get_rng_state_all()
    return saved


def _restore_random_state(saved: dict[str, Any]) -> None:
    import random

    import numpy as np
    from keras.src.backend.common import global_state

    random.setstate(saved["python"])
    np.random.set_state(saved["numpy"])
    generator = saved["generator"]
    global_state.set_global_attribute("global_seed_generator", generator)
    if generator is not None:
        generator.state.assign(saved["generator_state"])
    if "torch" in saved:
        import torch

        torch.set_rng_state(saved["torch"])
        if "torch_cuda" in saved:
            torch.cuda.set_rng_state_all(saved["torch_cuda"])
