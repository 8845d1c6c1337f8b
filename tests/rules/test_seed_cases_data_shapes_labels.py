"""Seed cases A, A2, B, C, D2, F, K and L2 against the data-versus-model rules KD301-KD309.

Each seed is built as in /work/shared/seed-cases (same layers, compile call and data, with
`keras.utils.set_random_seed(0)`), then diagnosed with `kerasdoctor.diagnose(model, x, y)`
before any training. Each fixed variant must draw no error or warning from any rule.
"""

import warnings

import numpy as np
import pytest

import kerasdoctor

pytestmark = pytest.mark.backend

OURS = {f"KD30{i}" for i in range(1, 10)}


def _conv_model(input_shape, loss, activation=None):
    import keras
    from keras.layers import Conv2D, Dense, Flatten

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Do not pass an `input_shape`" (seed style)
        model = keras.Sequential(
            [
                Conv2D(32, (3, 3), activation=activation, input_shape=input_shape),
                Flatten(),
                Dense(10, activation="softmax"),
            ]
        )
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def _dense_model(units, activation, loss):
    import keras
    from keras.layers import Dense

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = keras.Sequential(
            [Dense(64, activation="relu", input_shape=(10,)), Dense(units, activation=activation)]
        )
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def seed_a():
    import keras

    keras.utils.set_random_seed(0)
    model = _conv_model((28, 28, 3), "categorical_crossentropy")
    x = np.random.rand(100, 28, 28)
    y = np.random.randint(0, 10, size=(100, 1))
    return model, x, y


def seed_a2():
    import keras

    keras.utils.set_random_seed(0)
    model = _conv_model((28, 28, 3), "categorical_crossentropy")
    x = np.random.rand(100, 28, 28, 3)
    y = np.random.randint(0, 10, size=(100, 1))
    return model, x, y


def seed_b():
    import keras

    keras.utils.set_random_seed(0)
    model = _conv_model((28, 28, 3), "sparse_categorical_crossentropy")
    x = np.random.rand(100, 28, 28, 3)
    y = np.random.randint(0, 10, size=(100,))
    return model, x, y


def seed_c():
    import keras

    keras.utils.set_random_seed(0)
    model = _dense_model(2, "softmax", "binary_crossentropy")
    x = np.random.rand(100, 10)
    y = np.random.randint(0, 2, size=(100, 1))
    return model, x, y


def seed_d2():
    import keras

    keras.utils.set_random_seed(0)
    model = _dense_model(10, "sigmoid", "categorical_crossentropy")
    x = np.random.rand(100, 10)
    y = np.random.randint(0, 10, size=(100, 1))
    return model, x, y


def seed_f():
    import keras

    keras.utils.set_random_seed(0)
    model = _conv_model((28, 28, 1), "categorical_crossentropy", activation="relu")
    x = np.random.rand(100, 28, 28, 1)
    y = np.random.randint(0, 9, size=(100, 1))
    return model, x, y


def seed_k():
    import keras
    from keras.layers import Dense

    keras.utils.set_random_seed(0)
    x = np.random.rand(100, 20)
    y = np.random.randint(1, 11, size=(100,))
    model = keras.Sequential(
        [keras.Input((20,)), Dense(32, activation="relu"), Dense(10, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, x, y


def seed_l2():
    import keras
    from keras.layers import LSTM, Dense

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((10, 1)), LSTM(32), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.rand(100, 10)
    y = np.random.rand(100, 1)
    return model, x, y


SEEDS = {
    "A": seed_a,
    "A2": seed_a2,
    "B": seed_b,
    "C": seed_c,
    "D2": seed_d2,
    "F": seed_f,
    "K": seed_k,
    "L2": seed_l2,
}

EXPECTED = {
    "A": {"KD301", "KD303"},  # both faults at once; Keras reports only the first
    "A2": {"KD303"},
    "B": set(),  # correct
    "C": set(),  # the root cause is the output activation: KD202, not a data rule
    "D2": {"KD303"},
    "F": {"KD303", "KD306"},  # int labels with CCE, and class 9 never appears
    "K": {"KD305"},  # silent on JAX, raises on TensorFlow and PyTorch
    "L2": {"KD302"},
}


def _ours(report):
    return {code for code in report.codes if code in OURS}


@pytest.mark.parametrize("name", list(SEEDS))
def test_seed_case(name):
    model, x, y = SEEDS[name]()
    report = kerasdoctor.diagnose(model, x, y)
    assert _ours(report) == EXPECTED[name], report.to_text()


def test_seed_a_reports_both_faults_with_their_fixes():
    model, x, y = seed_a()
    report = kerasdoctor.diagnose(model, x, y, select=["KD30"])
    by_code = {f.code: f for f in report}
    assert "x.shape=(100, 28, 28)" in by_code["KD301"].message
    assert "np.repeat(x[..., None], 3, axis=-1)" in by_code["KD301"].fix
    assert "keras.Input(shape=(28, 28, 1))" in by_code["KD301"].fix
    assert "keras.utils.to_categorical(y, 10)" in by_code["KD303"].fix
    assert "sparse_categorical_crossentropy" in by_code["KD303"].fix


def test_seed_f_names_the_missing_class():
    model, x, y = seed_f()
    (finding,) = kerasdoctor.diagnose(model, x, y, select=["KD306"])
    assert finding.evidence["missing"] == [9]
    assert "class 9 never appears" in finding.message


def test_seed_k_gives_the_offending_ids_and_the_shift():
    model, x, y = seed_k()
    (finding,) = kerasdoctor.diagnose(model, x, y, select=["KD305"])
    count = int((y == 10).sum())
    assert finding.evidence["out_of_range"] == {"10": count}
    assert f"the id 10 in {count} of 100 labels" in finding.message
    assert finding.fix.startswith("y = y - 1")


def test_seed_c_is_reported_once_with_one_sigmoid_unit_as_the_fix():
    model, x, y = seed_c()
    report = kerasdoctor.diagnose(model, x, y)
    assert [f.code for f in report.at_least("warning")] == ["KD202"]
    assert "activation='sigmoid'" in report.findings[0].fix


def test_seed_l2_names_the_hidden_alternative():
    model, x, y = seed_l2()
    (finding,) = kerasdoctor.diagnose(model, x, y, select=["KD302"])
    assert "x = x[..., None]" in finding.fix
    assert "(100, 1, 10)" in finding.message


# The seeds, fixed: no error or warning from any rule.


def _fixed_a():
    import keras

    model, _, _ = seed_a()
    rng = np.random.default_rng(0)
    x = rng.random((100, 28, 28, 3))
    y = keras.utils.to_categorical(np.arange(100) % 10, 10)
    return model, x, y


def _fixed_c():
    import keras

    keras.utils.set_random_seed(0)
    model = _dense_model(1, "sigmoid", "binary_crossentropy")
    x = np.random.rand(100, 10)
    y = np.random.randint(0, 2, size=(100, 1))
    return model, x, y


def _fixed_d2():
    import keras

    keras.utils.set_random_seed(0)
    model = _dense_model(10, "softmax", "categorical_crossentropy")
    x = np.random.rand(100, 10)
    y = keras.utils.to_categorical(np.arange(100) % 10, 10)
    return model, x, y


def _fixed_k():
    model, x, y = seed_k()
    return model, x, y - 1


def _fixed_l2():
    model, x, y = seed_l2()
    return model, x[..., None], y


FIXED = {"A": _fixed_a, "C": _fixed_c, "D2": _fixed_d2, "K": _fixed_k, "L2": _fixed_l2}


@pytest.mark.parametrize("name", list(FIXED))
def test_fixed_seed_draws_no_data_warning(name):
    model, x, y = FIXED[name]()
    report = kerasdoctor.diagnose(model, x, y)
    assert not _ours(report), report.to_text()
    assert not [f for f in report.at_least("warning") if f.code.startswith("KD3")], report.to_text()


def test_seed_b_is_clean_for_every_data_rule():
    model, x, y = seed_b()
    report = kerasdoctor.diagnose(model, x, y)
    assert not [f for f in report.at_least("warning") if f.code.startswith("KD3")], report.to_text()
