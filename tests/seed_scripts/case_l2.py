"""Seed L2: a model built for (None, 10, 1) fed 2-D x (n, 10): Keras adds the axis silently."""

import keras
import numpy as np
from keras.layers import LSTM, Dense

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((10, 1)), LSTM(4), Dense(1)])
model.compile(optimizer="adam", loss="mse")
x = np.random.rand(40, 10)
y = np.random.rand(40, 1)
history = model.fit(x, y, epochs=1, batch_size=40, verbose=0)
print("final loss", round(float(history.history["loss"][-1]), 4))
