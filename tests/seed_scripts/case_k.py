"""Seed K: classes numbered 1..10 for a 10-unit softmax: id 10 is out of range.

TensorFlow and PyTorch raise inside fit(); JAX trains silently on the wrong loss.
"""

import keras
import numpy as np
from keras.layers import Dense

keras.utils.set_random_seed(0)
x = np.random.rand(60, 12)
y = np.random.randint(1, 11, size=(60,))
model = keras.Sequential([keras.Input((12,)), Dense(16, activation="relu"),
                          Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
print("training on", x.shape, y.shape)
history = model.fit(x, y, epochs=1, batch_size=60, verbose=0)
print("final loss", round(float(history.history["loss"][-1]), 4))
