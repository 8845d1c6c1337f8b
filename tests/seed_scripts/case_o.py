"""Seed O: uint8 pixels in 0..255 fed to an MLP without scaling."""

import keras
import numpy as np
from keras.layers import Dense, Flatten

rng = np.random.default_rng(0)
labels = rng.integers(0, 10, size=300)
templates = rng.normal(0, 1, size=(10, 8, 8))
noise = rng.uniform(0, 255, size=(300, 8, 8))
x = np.clip(noise * 0.7 + 40 * templates[labels] + 40, 0, 255).astype("uint8")

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((8, 8)), Flatten(), Dense(32, activation="relu"),
                          Dense(10, activation="softmax")])
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, labels, epochs=3, batch_size=100, verbose=0)
print("x", x.dtype, int(x.min()), int(x.max()))
print("final acc", round(float(history.history["accuracy"][-1]), 3))
