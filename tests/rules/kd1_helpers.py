"""Helpers for the model-architecture rule tests (KD101-KD106)."""

from __future__ import annotations

import kerasdoctor


def findings(model, code: str, x=None, y=None):
    """What rule `code` alone reports on a model (and the data passed alongside)."""
    return list(kerasdoctor.diagnose(model, x, y, select=[code]).findings)


def layers_reported(model, code: str, x=None, y=None) -> list[str | None]:
    """The layer names of the findings of rule `code`."""
    return [f.location.layer for f in findings(model, code, x, y)]


def sequential(*layers, inputs: tuple | None = (20,)):
    """A Sequential model: an Input of shape `inputs` (None: no Input), then the layers."""
    import keras

    head = [keras.Input(inputs)] if inputs else []
    return keras.Sequential([*head, *layers])


def compiled(model, loss="categorical_crossentropy", **kwargs):
    model.compile(optimizer="adam", loss=loss, **kwargs)
    return model
