"""Seed A: images without their channel axis, and integer labels with categorical_crossentropy.

Two faults: x is (40, 8, 8) but the model expects (None, 8, 8, 3); y holds class ids (40, 1)
while the loss wants one-hot rows. Keras raises at the first step and names only the first.
"""

import keras
import numpy as np
from keras.layers import Conv2D, Dense, Flatten

keras.utils.set_random_seed(0)
model = keras.Sequential([
    Conv2D(4, (3, 3), input_shape=(8, 8, 3)),
    Flatten(),
    Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
x = np.random.rand(40, 8, 8)
y = np.random.randint(0, 10, size=(40, 1))
print("training on", x.shape, y.shape)
history = model.fit(x, y, epochs=1, batch_size=40, verbose=0)
print("final loss", round(float(history.history["loss"][-1]), 4))
