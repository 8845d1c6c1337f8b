"""Seed F: class ids (n, 1) with categorical_crossentropy, and only 9 of the 10 classes occur.

randint's upper bound is exclusive, so class 9 never appears; Keras never says so.
"""

import keras
import numpy as np
from keras.layers import Conv2D, Dense, Flatten

keras.utils.set_random_seed(0)
model = keras.Sequential([
    Conv2D(4, (3, 3), activation="relu", input_shape=(8, 8, 1)),
    Flatten(),
    Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
X = np.random.rand(100, 8, 8, 1)
y = np.random.randint(0, 9, size=(100, 1))
print("training on", X.shape, y.shape)
history = model.fit(X, y, epochs=1, batch_size=100, verbose=0)
print("final loss", round(float(history.history["loss"][-1]), 4))
