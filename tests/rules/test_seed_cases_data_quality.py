"""Seed cases for the data-quality and capacity rules (KD310-KD323), on every backend.

H (overfitting set-up) and O (uint8 pixels 0..255) must be diagnosed before any training,
their correct variants must be clean, and B (the correct pairing) must raise no data
error or warning. The models are the seeds' own (`/work/shared/seed-cases/`).
"""

from __future__ import annotations

import numpy as np
import pytest

import kerasdoctor

pytestmark = pytest.mark.backend


def _serious(report, prefix: str = "KD"):
    return [f.code for f in report.at_least("warning") if f.code.startswith(prefix)]


# -- H: 2x Dense(128) on 100 samples x 100 random features, 50 epochs, validation_split 0.2 --


def _seed_h_data():
    import keras

    keras.utils.set_random_seed(0)
    x = np.random.rand(100, 100)
    y = np.random.randint(0, 2, size=(100, 1))
    return x, y


def _seed_h_model(regularised: bool = False):
    import keras
    from keras import regularizers
    from keras.layers import Dense, Dropout
    from keras.models import Sequential

    if regularised:
        model = Sequential(
            [
                Dense(
                    128,
                    activation="relu",
                    input_shape=(100,),
                    kernel_regularizer=regularizers.l2(0.01),
                ),
                Dropout(0.2),
                Dense(128, activation="relu", kernel_regularizer=regularizers.l2(0.01)),
                Dropout(0.2),
                Dense(1, activation="sigmoid"),
            ]
        )
    else:
        model = Sequential(
            [
                Dense(128, activation="relu", input_shape=(100,)),
                Dense(128, activation="relu"),
                Dense(1, activation="sigmoid"),
            ]
        )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    assert keras.backend.backend() in ("tensorflow", "jax", "torch")
    return model


def test_seed_h_overfitting_setup_is_a_warning():
    x, y = _seed_h_data()
    report = kerasdoctor.diagnose(_seed_h_model(), x, y, epochs=50, validation_split=0.2)
    (finding,) = [f for f in report if f.code == "KD322"]
    assert finding.severity == "warning"
    assert finding.evidence["trainable_params"] == 29_569
    assert finding.evidence["training_samples"] == 80  # Keras keeps x[:80] for training
    assert "29,569 trainable parameters for 80 training samples" in finding.message
    assert "validation_split=0.2 will show val_loss rising" in finding.message
    assert "EarlyStopping(patience=5, restore_best_weights=True)" in finding.fix
    assert "kernel_regularizer=keras.regularizers.l2(1e-4)" in finding.fix
    assert "Dropout" in finding.fix
    assert _serious(report) == ["KD322"]


def test_seed_h_without_epochs_is_advice_only():
    x, y = _seed_h_data()
    report = kerasdoctor.diagnose(_seed_h_model(), x, y, validation_split=0.2)
    (finding,) = [f for f in report if f.code == "KD322"]
    assert finding.severity == "info"
    assert "epochs not given" in finding.message


def test_seed_h_regularised_variant_is_clean():
    x, y = _seed_h_data()
    report = kerasdoctor.diagnose(
        _seed_h_model(regularised=True), x, y, epochs=50, validation_split=0.2
    )
    assert "KD322" not in report.codes
    assert not _serious(report), report.to_text()


# -- O: uint8 pixels 0..255 into an MLP, SGD and Adam ------------------------------------------


def _seed_o_data():
    rng = np.random.default_rng(0)
    n = 3000
    labels = rng.integers(0, 10, size=n)
    templates = rng.normal(0, 1, size=(10, 28, 28))
    background = rng.uniform(0, 255, size=(n, 28, 28))
    x_raw = np.clip(background * 0.7 + 40 * templates[labels] + 40, 0, 255).astype("uint8")
    return x_raw, labels


def _seed_o_model(optimizer: str):
    import keras
    from keras.layers import Dense, Flatten

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            Flatten(),
            Dense(128, activation="relu"),
            Dense(64, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_seed_o_unscaled_pixels(optimizer):
    x_raw, y = _seed_o_data()
    report = kerasdoctor.diagnose(
        _seed_o_model(optimizer), x_raw, y, epochs=5, validation_split=0.2
    )
    (finding,) = [f for f in report if f.code == "KD315"]
    assert finding.severity == "warning"
    assert "raw pixel values" in finding.message
    assert "x.shape=(3000, 28, 28), x.dtype=uint8" in finding.message
    assert finding.fix.startswith("x = x.astype('float32') / 255.0")
    assert "Rescaling(1 / 255)" in finding.fix
    assert _serious(report) == ["KD315"]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_seed_o_scaled_variant_is_clean(optimizer):
    x_raw, y = _seed_o_data()
    x = x_raw.astype("float32") / 255.0
    report = kerasdoctor.diagnose(_seed_o_model(optimizer), x, y, epochs=5, validation_split=0.2)
    assert not _serious(report), report.to_text()


def test_seed_o_rescaling_layer_is_clean():
    import keras
    from keras.layers import Dense, Flatten

    x_raw, y = _seed_o_data()
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Rescaling(1 / 255),
            Flatten(),
            Dense(128, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert "KD315" not in kerasdoctor.diagnose(model, x_raw, y).codes


def _pipelines(x, y, batch_size=100):
    """The same data as tf.data, PyDataset, a peeked generator and a torch DataLoader."""
    import keras

    from kerasdoctor import facts

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return len(x) // batch_size

        def __getitem__(self, i):
            part = slice(i * batch_size, (i + 1) * batch_size)
            return x[part], y[part]

    def generator():
        for i in range(0, len(x), batch_size):
            yield x[i : i + batch_size], y[i : i + batch_size]

    made = {"pydataset": lambda: (Batches(), {})}

    def peeked():
        first, restored = facts.peek(generator())
        return restored, {"first_batch": first}

    made["generator"] = peeked
    try:
        import tensorflow as tf

        made["tf.data"] = lambda: (tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size), {})
    except ImportError:
        pass
    try:
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        made["dataloader"] = lambda: (
            DataLoader(
                TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=batch_size
            ),
            {},
        )
    except ImportError:
        pass
    return made


@pytest.mark.parametrize("source", ["tf.data", "pydataset", "generator", "dataloader"])
def test_seed_o_through_every_pipeline(source):
    from kerasdoctor import engine
    from kerasdoctor.context import Context

    x_raw, y = _seed_o_data()
    made = _pipelines(x_raw, y)
    if source not in made:
        pytest.skip(f"{source} needs a library that is not installed")
    data, extra = made[source]()
    model = _seed_o_model("adam")
    if extra:  # a generator: kerasdoctor.watch() peeks its first batch at fit()
        from kerasdoctor import facts

        names = facts.io_names(model)
        ctx = Context(
            model=facts.model_facts(model),
            data=facts.data_facts(data, input_names=names[0], output_keys=names[1], **extra),
        )
        report = engine.run(ctx)
    else:
        report = kerasdoctor.diagnose(model, data)
    assert "KD315" in report.codes, report.to_text()
    assert "KD322" not in report.codes  # the sample count of a pipeline read in part is unknown


# -- B: the correct pairing must raise no data error or warning ---------------------------------


def test_seed_b_correct_pairing_is_clean_for_the_data_rules():
    import keras
    from keras.layers import Conv2D, Dense, Flatten
    from keras.models import Sequential

    keras.utils.set_random_seed(0)
    model = Sequential(
        [Conv2D(32, (3, 3), input_shape=(28, 28, 3)), Flatten(), Dense(10, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.rand(100, 28, 28, 3)
    y = np.random.randint(0, 10, size=(100,))
    for kwargs in ({}, {"epochs": 2}):
        report = kerasdoctor.diagnose(model, x, y, **kwargs)
        assert not _serious(report, "KD3"), report.to_text()
        # 217,226 parameters for 100 samples: advice only, the seed trains for 2 epochs
        assert [f.severity for f in report if f.code == "KD322"] == ["info"]
