"""Helpers for the data-quality, validation and capacity rule tests (KD310-KD323)."""

from __future__ import annotations

import numpy as np

import kerasdoctor


def report(model, x=None, y=None, code: str | None = None, **fit_kwargs):
    """What `code` (or every KD31x/KD32x rule) reports for a model and its data."""
    select = [code] if code else ["KD31", "KD32"]
    return kerasdoctor.diagnose(model, x, y, select=select, **fit_kwargs)


def findings(model, x=None, y=None, code: str | None = None, **fit_kwargs):
    return list(report(model, x, y, code, **fit_kwargs).findings)


def codes(model, x=None, y=None, **fit_kwargs) -> set[str]:
    return {f.code for f in findings(model, x, y, **fit_kwargs)}


def mlp(inputs=8, units=1, activation=None, loss="mse", hidden=16, **compile_kwargs):
    """Input(inputs) -> Dense(hidden, relu) -> Dense(units, activation, name='out')."""
    import keras

    shape = inputs if isinstance(inputs, tuple) else (inputs,)
    layers = [keras.Input(shape)]
    if len(shape) > 1:
        layers.append(keras.layers.Flatten(name="flatten"))
    layers += [
        keras.layers.Dense(hidden, activation="relu", name="hidden"),
        keras.layers.Dense(units, activation=activation, name="out"),
    ]
    model = keras.Sequential(layers)
    model.compile(optimizer="adam", loss=loss, **compile_kwargs)
    return model


def normal(*shape, seed: int = 0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def ints(high: int, *shape, seed: int = 0):
    return np.random.default_rng(seed).integers(0, high, size=shape)
