"""Seed I: a Dense(1) with no activation (logits) and BinaryCrossentropy(from_logits=False)."""

import keras
import numpy as np
from keras.layers import Dense

rng = np.random.default_rng(0)
x = rng.standard_normal((200, 20)).astype("float32")
y = (x @ rng.standard_normal((20, 1)) > 0).astype("float32")

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((20,)), Dense(16, activation="relu"), Dense(1)])
model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=False),
              metrics=["accuracy"])
history = model.fit(x, y, epochs=2, batch_size=100, verbose=0)
print("final loss", round(float(history.history["loss"][-1]), 4))
