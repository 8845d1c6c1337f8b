"""Seed J: a softmax output and SparseCategoricalCrossentropy(from_logits=True): double softmax."""

import keras
import numpy as np
from keras.layers import Dense

rng = np.random.default_rng(0)
x = rng.standard_normal((200, 20)).astype("float32")
y = np.argmax(x @ rng.standard_normal((20, 10)), axis=1)

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((20,)), Dense(16, activation="relu"),
                          Dense(10, activation="softmax")])
model.compile(optimizer="adam",
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
history = model.fit(x, y, epochs=2, batch_size=100, verbose=0)
print("final loss", round(float(history.history["loss"][-1]), 4))
