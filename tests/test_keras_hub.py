"""diagnose() on KerasHub task models built from config, with no weights (no downloads).

Their heads output logits and their default compile uses `from_logits=True`, which is right:
kerasdoctor must raise no error or warning on them, without data or with data shaped as
their backbones expect (integer token ids, padding masks, images).
"""

import numpy as np
import pytest

import kerasdoctor

pytestmark = pytest.mark.backend

try:
    import keras_hub
except Exception as error:  # not installed, or it does not import on this backend
    pytest.skip(
        f"keras_hub is unavailable: {type(error).__name__}: {error}", allow_module_level=True
    )

BATCH, SEQUENCE = 8, 16


def _bert():
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=100,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=SEQUENCE,
    )
    model = keras_hub.models.BertTextClassifier(backbone=backbone, num_classes=3, preprocessor=None)
    rng = np.random.default_rng(0)
    x = {
        "token_ids": rng.integers(0, 100, (BATCH, SEQUENCE)),
        "segment_ids": np.zeros((BATCH, SEQUENCE), "int32"),
        "padding_mask": np.ones((BATCH, SEQUENCE), "int32"),
    }
    return model, x, rng.integers(0, 3, (BATCH,))


def _gemma():
    backbone = keras_hub.models.GemmaBackbone(
        vocabulary_size=100,
        num_layers=2,
        num_query_heads=2,
        num_key_value_heads=1,
        hidden_dim=16,
        intermediate_dim=32,
        head_dim=8,
    )
    model = keras_hub.models.GemmaCausalLM(backbone=backbone, preprocessor=None)
    rng = np.random.default_rng(0)
    x = {
        "token_ids": rng.integers(0, 100, (BATCH, SEQUENCE)),
        "padding_mask": np.ones((BATCH, SEQUENCE), "int32"),
    }
    return model, x, rng.integers(0, 100, (BATCH, SEQUENCE))  # the next token at each position


def _vit():
    backbone = keras_hub.models.ViTBackbone(
        image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32
    )
    model = keras_hub.models.ViTImageClassifier(backbone=backbone, num_classes=5, preprocessor=None)
    rng = np.random.default_rng(0)
    return model, rng.random((BATCH, 32, 32, 3)).astype("float32"), rng.integers(0, 5, (BATCH,))


MODELS = {"BertTextClassifier": _bert, "GemmaCausalLM": _gemma, "ViTImageClassifier": _vit}


def _alarms(report):
    return [
        f"{f.code} {f.severity}: {f.message}" for f in report if f.severity in ("error", "warning")
    ]


@pytest.mark.parametrize("name", list(MODELS))
def test_keras_hub_task_model_is_clean(name):
    model, x, y = MODELS[name]()
    assert model.compiled  # the task's default compile: logits with from_logits=True
    assert _alarms(kerasdoctor.diagnose(model, config=False)) == []
    assert _alarms(kerasdoctor.diagnose(model, x, y, config=False)) == []
