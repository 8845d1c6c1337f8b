"""Actor-critic policy loss with K.log whose arguments are in the wrong order (buggy).

Source: https://github.com/keras-team/keras/issues/5733
Symptom: The custom loss always returns NaN, although the same formula in numpy gives 1.4795.
Fault category: nan
Fix: Keras calls loss(y_true, y_pred): declare the arguments in that order (log of the probabilities, not of the baseline).
Needs-training: yes
"""

import numpy as np
import keras
from keras import ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

states = rng.normal(0, 1, size=(512, 4)).astype("float32")
actions = rng.integers(0, 2, size=512)
advantages = rng.uniform(0.1, 2.0, size=512)
baseline = np.zeros((512, 2), dtype="float32")  # zero except at the action taken
baseline[np.arange(512), actions] = advantages


def policy_loss(y_pred, y_true):
    loss = ops.sum(ops.log(y_pred) * y_true, axis=-1)
    return -loss


actor = keras.Sequential(
    [
        keras.Input((4,)),
        keras.layers.Dense(24, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ]
)
actor.compile(optimizer="adam", loss=policy_loss)
for _ in range(3):
    print("ActorLoss", actor.train_on_batch(states, baseline))
actor.fit(states, baseline, batch_size=32, epochs=2, verbose=2)
