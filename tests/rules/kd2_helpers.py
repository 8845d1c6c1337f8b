"""Helpers for the output-activation-versus-loss rule tests (KD201-KD208)."""

from __future__ import annotations

import kerasdoctor

KD2_OUTPUT_RULES = tuple(f"KD20{i}" for i in range(1, 9))


def findings(model, code: str | None = None):
    """The KD201-KD208 findings for a compiled model (or only `code`'s)."""
    report = kerasdoctor.diagnose(model, select=[code] if code else KD2_OUTPUT_RULES)
    return list(report.findings)


def codes(model) -> set[str]:
    """The KD201-KD208 codes reported for a compiled model."""
    return {f.code for f in findings(model)}


def sequential(*layers, inputs: int | None = 10):
    """A Sequential model: an Input of width `inputs` (None: no Input), then the layers."""
    import keras

    head = [keras.Input((inputs,))] if inputs else []
    return keras.Sequential([*head, *layers])


def compiled(model, loss, **kwargs):
    model.compile(optimizer="adam", loss=loss, **kwargs)
    return model
