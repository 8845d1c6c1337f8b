"""Deep embedded clustering autoencoder on features with an all-zero column (fixed).

Source: https://github.com/fferroni/DEC-Keras/issues/9
Symptom: loss: nan, quickly, even before one full iteration (input_dim=17); answer: check if any column has all zero values and remove it.
Fault category: nan
Fix: Drop the all-zero columns before scaling: X = X[:, X.max(axis=0) > 0].
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

X = rng.gamma(2.0, 1.0, size=(1500, 17)).astype("float32")
X[:, 11] = 0.0  # a feature never observed in this extract
X = X[:, X.max(axis=0) > 0]
X = X / X.max(axis=0)  # scale each feature to [0, 1]

inputs = keras.Input((X.shape[1],))
h = keras.layers.Dense(500, activation="relu")(inputs)
h = keras.layers.Dense(500, activation="relu")(h)
code = keras.layers.Dense(10)(h)
h = keras.layers.Dense(500, activation="relu")(code)
outputs = keras.layers.Dense(X.shape[1])(h)
autoencoder = keras.Model(inputs, outputs)
autoencoder.compile(optimizer="adam", loss="mse")
autoencoder.fit(X, X, batch_size=256, epochs=2, verbose=2)
