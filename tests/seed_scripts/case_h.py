"""Seed H: far more parameters than samples, random labels, no regularisation: it memorises."""

import keras
import numpy as np
from keras.layers import Dense

keras.utils.set_random_seed(0)
x = np.random.rand(50, 50)
y = np.random.randint(0, 2, size=(50, 1))
model = keras.Sequential([
    Dense(64, activation="relu", input_shape=(50,)),
    Dense(64, activation="relu"),
    Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=12, batch_size=40, validation_split=0.2, verbose=0)
print("train acc", round(float(history.history["accuracy"][-1]), 3),
      "val loss", round(float(history.history["val_loss"][-1]), 3))
