"""The data rules find the same faults whatever carries the data: numpy arrays, a tf.data
Dataset, a keras PyDataset, a torch DataLoader, or a generator peeked with `facts.peek()`.

Faults: seed case A (x without its channel axis, KD301, and integer labels with
categorical_crossentropy, KD303) and seed case K (labels 1..10 for 10 units, KD305).
"""

import types

import numpy as np
import pytest

import kerasdoctor
from kerasdoctor import facts

pytestmark = pytest.mark.backend

BATCH = 32


def _seed_a():
    import keras

    model = keras.Sequential(
        [
            keras.Input((28, 28, 3)),
            keras.layers.Conv2D(4, 3, name="conv"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((100, 28, 28)).astype("float32")
    y = (np.arange(100) % 10).reshape(-1, 1)
    return model, x, y, {"KD301", "KD303"}


def _seed_k():
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(32, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((100, 20)).astype("float32")
    y = np.arange(100) % 10 + 1  # 1..10
    return model, x, y, {"KD305"}


CASES = {"A": _seed_a, "K": _seed_k}


def _data_codes(report) -> set[str]:
    return {f.code for f in report if f.code.startswith("KD30")}


def _tf_dataset(x, y):
    tf = pytest.importorskip("tensorflow")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)


def _py_dataset(x, y):
    import keras

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return int(np.ceil(len(x) / BATCH))

        def __getitem__(self, index):
            part = slice(index * BATCH, (index + 1) * BATCH)
            return x[part], y[part]

    return Batches()


def _data_loader(x, y):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    return DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=BATCH)


SOURCES = {"tf.data": _tf_dataset, "pydataset": _py_dataset, "dataloader": _data_loader}


@pytest.mark.parametrize("case", list(CASES))
def test_numpy_arrays(case):
    model, x, y, expected = CASES[case]()
    assert _data_codes(kerasdoctor.diagnose(model, x, y)) == expected


@pytest.mark.parametrize("source", list(SOURCES))
@pytest.mark.parametrize("case", list(CASES))
def test_same_faults_from_a_dataset(case, source):
    model, x, y, expected = CASES[case]()
    dataset = SOURCES[source](x, y)
    report = kerasdoctor.diagnose(model, dataset)
    assert _data_codes(report) == expected, report.to_text()


@pytest.mark.parametrize("source", list(SOURCES))
def test_dataset_shapes_show_no_sample_count(source):
    """A dataset's x is a sample of batches: its number of samples is shown as None."""
    model, x, y, _ = _seed_a()
    report = kerasdoctor.diagnose(model, SOURCES[source](x, y), select=["KD301"])
    (finding,) = report
    assert "x.shape=(None, 28, 28)" in finding.message


def _batches(x, y, counter):
    for start in range(0, len(x), BATCH):
        counter.append(start)
        yield x[start : start + BATCH], y[start : start + BATCH]


@pytest.mark.parametrize("case", list(CASES))
def test_same_faults_from_a_peeked_generator(case):
    model, x, y, expected = CASES[case]()
    first, restored = facts.peek(_batches(x, y, []))
    assert isinstance(restored, types.GeneratorType)
    assert len(first) == 2 and len(first[0]) == BATCH
    report = kerasdoctor.diagnose(model, restored, first_batch=first)
    assert _data_codes(report) == expected, report.to_text()


def test_an_unpeeked_generator_is_not_consumed():
    model, x, y, _ = _seed_k()
    served: list[int] = []
    generator = _batches(x, y, served)
    report = kerasdoctor.diagnose(model, generator)
    assert served == []  # nothing was read
    assert "KD305" not in report.codes
    assert len(list(generator)) == int(np.ceil(len(x) / BATCH))


def test_peek_hands_back_a_generator_that_fit_reads_to_the_end():
    import keras

    model = keras.Sequential(
        [keras.Input((20,)), keras.layers.Dense(10, activation="softmax", name="out")]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((100, 20)).astype("float32")
    y = np.arange(100) % 10
    served: list[int] = []
    first, restored = facts.peek(_batches(x, y, served))
    assert served == [0]  # peeking read exactly one batch
    np.testing.assert_array_equal(first[0], x[:BATCH])
    steps = int(np.ceil(len(x) / BATCH))
    history = model.fit(restored, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
    assert served == list(range(0, len(x), BATCH))  # every batch was served, once
    assert np.isfinite(history.history["loss"][-1])
    assert next(restored, None) is None  # and the generator is exhausted
