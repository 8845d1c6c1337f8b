"""LSTM regression on data standardised with a zero standard deviation (fixed).

Source: https://github.com/keras-team/keras/issues/2134
Symptom: NaN loss for regression while training: the data holds nan values after standardisation (a column with std 0).
Fault category: nan
Fix: Add a small value to the std (std = np.std(train, axis=0) + 0.000001) or drop constant columns.
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

train = rng.normal(10, 3, size=(1200, 5)).astype("float32")
train[:, 3] = 1.0  # a sensor that never changed
target = (train[:, 0] * 0.5 - train[:, 1] * 0.2).astype("float32")

mean = np.mean(train, axis=0)
std = np.std(train, axis=0) + 0.000001
X_train = (train - mean) / std
X_train = np.stack([X_train[i : i + 10] for i in range(len(X_train) - 10)])
y_train = ((target[10:] - target.mean()) / target.std()).reshape(-1, 1)

model = keras.Sequential([keras.Input((10, 5)), keras.layers.LSTM(32), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(X_train, y_train, batch_size=32, epochs=2, verbose=2)
