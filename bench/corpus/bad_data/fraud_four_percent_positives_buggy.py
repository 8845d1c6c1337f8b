"""Binary classifier on 230000 rows of which about 4% are class 1 (buggy).

Source: https://github.com/keras-team/keras/issues/14141
Symptom: With the whole dataset (4% class 1) the model predicts class 0 and finds almost none of the class-1 rows; a balanced subset works.
Fault category: bad-data
Fix: Pass class_weight computed from the class counts to fit().
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

n = 20000
y = (rng.random(n) < 0.04).astype("float32")
x = rng.normal(0, 1, size=(n, 20)).astype("float32")
x[:, :3] += y[:, None] * 0.9

model = keras.Sequential(
    [keras.Input((20,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1, activation="sigmoid")]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", keras.metrics.Recall()])
model.fit(x, y, batch_size=256, epochs=3, verbose=2)
