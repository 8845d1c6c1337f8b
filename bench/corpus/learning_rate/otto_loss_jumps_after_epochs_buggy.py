"""Tabular 9-class MLP whose loss falls, then jumps and stays high (buggy).

Source: https://github.com/keras-team/keras/issues/21
Symptom: Loss falls from 1.18 to 0.74 in 10 epochs, then jumps to 13.4 and 26.6 and stays there.
Fault category: learning-rate
Fix: A smaller step: keras.optimizers.Adam(learning_rate=1e-3).
Needs-training: yes
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Stands in for the Otto product data: 93 count features, 9 classes.
n, classes = 4000, 9
rates = rng.gamma(0.3, 2.0, size=(classes, 93))
labels = rng.integers(0, classes, size=n)
x = np.log1p(rng.poisson(rates[labels])).astype("float32")
y = keras.utils.to_categorical(labels, classes)

model = keras.Sequential(
    [
        keras.Input((93,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(classes, activation="softmax"),
    ]
)
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=0.05))
model.fit(x, y, batch_size=64, epochs=8, verbose=2)
