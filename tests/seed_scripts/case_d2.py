"""Seed D2: 10 sigmoid units with categorical_crossentropy, and class ids (n, 1) as labels."""

import keras
import numpy as np
from keras.layers import Dense

keras.utils.set_random_seed(0)
model = keras.Sequential([
    Dense(16, activation="relu", input_shape=(10,)),
    Dense(10, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
x = np.random.rand(40, 10)
y = np.random.randint(0, 10, size=(40, 1))
print("training on", x.shape, y.shape)
history = model.fit(x, y, epochs=1, batch_size=40, verbose=0)
print("final loss", round(float(history.history["loss"][-1]), 4))
