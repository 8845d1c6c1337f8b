"""Helpers for the data-versus-model rule tests (KD301-KD309)."""

from __future__ import annotations

import kerasdoctor

DATA_MODEL_RULES = tuple(f"KD30{i}" for i in range(1, 10))


def findings(model, x=None, y=None, code: str | None = None, **fit_kwargs):
    """The KD301-KD309 findings (or only `code`'s) for a model and its data."""
    report = kerasdoctor.diagnose(
        model, x, y, select=[code] if code else DATA_MODEL_RULES, **fit_kwargs
    )
    return list(report.findings)


def codes(model, x=None, y=None, **fit_kwargs) -> set[str]:
    return {f.code for f in findings(model, x, y, **fit_kwargs)}


def model(*layers, loss="mse", inputs=None):
    """A compiled Sequential model: an optional Input of shape `inputs`, then the layers."""
    import keras

    head = [keras.Input(inputs)] if inputs is not None else []
    built = keras.Sequential([*head, *layers])
    built.compile(optimizer="adam", loss=loss)
    return built


def rand(*shape):
    import numpy as np

    return np.random.default_rng(0).random(shape).astype("float32")
