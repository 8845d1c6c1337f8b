"""KD416 learning-too-slowly: a loss still above chance after several epochs, though falling
every epoch (the SGD(1e-5) of learning_rate/sgd_lr_1e5_loss_stuck), and what it leaves to
KD404 (flat at chance), KD407 (stuck below chance) and healthy training."""

import numpy as np
import pytest

import kerasdoctor
from kerasdoctor import engine
from kerasdoctor.context import Context, Trace

pytestmark = pytest.mark.backend

SLOW = (2.895, 2.836, 2.779, 2.723, 2.669, 2.617, 2.567, 2.518)  # ln 7 = 1.946


def _codes(losses, accuracy=0.25, optimizer=None, metrics=True, regularized=False):
    import keras

    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(
                20,
                activation="relu",
                kernel_regularizer=keras.regularizers.L2(0.1) if regularized else None,
            ),
            keras.layers.Dense(7, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=optimizer or keras.optimizers.SGD(1e-5, momentum=0.9),
        loss="categorical_crossentropy",
        metrics=["accuracy"] if metrics else [],
    )
    logs = tuple({"loss": v, **({"accuracy": accuracy} if metrics else {})} for v in losses)
    ctx = Context(model=Context.of(model).model, trace=Trace(epoch_logs=logs))
    return tuple(engine.run(ctx, select=["KD416"]).codes)


@pytest.mark.parametrize(
    "losses, accuracy, reported",
    [
        (SLOW, 0.25, True),
        (SLOW[:5], 0.23, True),  # five epochs are enough
        (SLOW[:4], 0.23, False),  # four are not
        ((2.0, 1.9, 1.5, 1.2, 1.0), 0.6, False),  # below chance: learning
        ((2.1, 2.05, 2.03, 2.06, 2.0), 0.2, False),  # not falling every epoch (KD405, KD404)
        ((2.2, 2.19, 2.18, 2.17, 2.16), 0.14, True),  # 11% above chance, creeping down
        ((2.0, 1.99, 1.98, 1.97, 1.96), 0.14, True),  # near chance, 0.5%/epoch at SGD 1e-5
        (SLOW, 0.7, False),  # accurate: the loss is high for another reason
        # below chance, but at 2.5% per epoch with SGD at 1e-5 (the same program on PyTorch)
        ((2.015, 1.962, 1.911, 1.862, 1.816, 1.773, 1.731, 1.691), 0.345, True),
        ((2.015, 1.962, 1.911, 1.862, 1.816, 1.773, 1.731, 1.691), 0.7, False),  # accurate
    ],
)
def test_when_it_reports(losses, accuracy, reported):
    assert (_codes(losses, accuracy) == ("KD416",)) is reported


def test_a_healthy_rate_below_chance_is_left_alone():
    import keras

    torch_like = (2.015, 1.962, 1.911, 1.862, 1.816, 1.773, 1.731, 1.691)
    assert _codes(torch_like, 0.345, optimizer=keras.optimizers.SGD(0.01)) == ()
    fast = (2.015, 1.5, 1.1, 0.8, 0.6)  # falling fast even at a low rate
    assert _codes(fast, 0.345) == ()
    slow = (1.5, 1.49, 1.48, 1.47, 1.46)  # a slow fall at a usual rate is not this rule's
    assert _codes(slow, 0.3, optimizer=keras.optimizers.Adam(0.01)) == ()


def test_without_accuracy_a_low_rate_is_judged_by_the_loss():
    torch_like = (2.015, 1.962, 1.911, 1.862, 1.816, 1.773, 1.731, 1.691)
    assert _codes(torch_like, metrics=False) == ("KD416",)
    fitted = tuple(v / 4 for v in torch_like)  # fine-tuning: far below chance already
    assert _codes(fitted, metrics=False) == ()


def test_weight_penalties_without_accuracy_are_left_alone():
    assert _codes(SLOW, metrics=False) == ("KD416",)
    assert _codes(SLOW, metrics=False, regularized=True) == ()


def test_message_names_the_rate_and_the_pace():
    import keras

    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(7, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(1e-5), loss="categorical_crossentropy")
    trace = Trace(epoch_logs=tuple({"loss": v} for v in SLOW))
    (finding,) = engine.run(Context(model=Context.of(model).model, trace=trace), select=["KD416"])
    assert "after 8 epochs the loss 2.518 is still above the ln(7) = 1.946" in finding.message
    assert "falling by only 2.0% per epoch" in finding.message
    assert "the learning rate 1e-05 is far too low for SGD" in finding.message
    assert finding.fix == "optimizer=keras.optimizers.SGD(learning_rate=0.01)"


def _train(rate):
    """The corpus program, smaller: 7 blobs in 20 dimensions, SGD with Nesterov momentum."""
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, size=1200)
    x = (rng.normal(0, 1.5, size=(7, 20))[labels] + rng.normal(size=(1200, 20))).astype("float32")
    y = keras.utils.to_categorical(labels, 7)
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(20, activation="relu"),
            keras.layers.Dense(7, activation="softmax"),
        ]
    )
    optimizer = keras.optimizers.SGD(learning_rate=rate, momentum=0.9, nesterov=True)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    monitor = kerasdoctor.Monitor()
    model.fit(x, y, batch_size=32, epochs=6, verbose=0, callbacks=[monitor])
    return monitor.report


def test_sgd_at_1e5_is_reported_while_it_trains_and_0_1_is_clean():
    slow = _train(1e-5)
    assert "KD416" in slow.codes, slow.to_text()
    assert not _train(0.1).at_least("warning")
