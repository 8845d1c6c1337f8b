"""Validation set that gets all labels of one class (buggy).

Source: https://github.com/keras-team/keras/issues/796
Symptom: The validation set gets all labels of one class, so the validation accuracy is either 0 or 1.
Fault category: validation-split
Fix: Split in a stratified way (sklearn StratifiedShuffleSplit) and pass validation_data, or shuffle before validation_split.
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

n = 1500
labels = np.sort(rng.integers(0, 3, size=n))  # rows ordered by class
x = (rng.normal(0, 1, size=(n, 12)) + labels[:, None] * 0.8).astype("float32")
y = keras.utils.to_categorical(labels, 3)

model = keras.Sequential(
    [keras.Input((12,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(3, activation="softmax")]
)
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x, y, batch_size=64, epochs=3, validation_split=0.1, verbose=2)
