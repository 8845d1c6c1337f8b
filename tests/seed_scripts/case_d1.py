"""Seed D1: 10 sigmoid units with categorical_crossentropy on one-hot labels.

Keras trains without a word: the loss renormalises the outputs, but predict() rows are not
probabilities (they sum to about 5).
"""

import keras
import numpy as np
from keras.layers import Dense

keras.utils.set_random_seed(0)
model = keras.Sequential([
    Dense(16, activation="relu", input_shape=(10,)),
    Dense(10, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
x = np.random.rand(100, 10)
y = keras.utils.to_categorical(np.arange(100) % 10, 10)
history = model.fit(x, y, epochs=1, batch_size=50, verbose=0)
p = keras.ops.convert_to_numpy(model(x[:3]))
print("row sums", np.round(p.sum(axis=1), 1).tolist())
print("final loss", round(float(history.history["loss"][-1]), 4))
