"""MLP on raw, unpreprocessed features diverges to nan (fixed).

Source: https://github.com/keras-team/keras/issues/510
Symptom: nan loss unless clipnorm is set; the same data trains in Lasagne. fchollet: pre-process the data to 0 mean and unit variance.
Fault category: unscaled-inputs
Fix: x = (x - x.mean(axis=0)) / x.std(axis=0) before fit().
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Raw measurements: counts and amounts in the thousands, next to small ratios.
n = 2000
scales = np.array([1.0, 5.0, 20.0, 300.0, 2500.0, 8000.0, 40000.0, 0.5])
x = (rng.lognormal(0.0, 1.0, size=(n, 8)) * scales).astype("float32")
y = (np.log(x[:, 4]) + np.log(x[:, 6]) + rng.normal(0, 0.3, n) > 18.8).astype("int32")
y = keras.utils.to_categorical(y, 2)
x = np.log(x)
x = (x - x.mean(axis=0)) / x.std(axis=0)

model = keras.Sequential(
    [
        keras.Input((8,)),
        keras.layers.Dense(64, activation="tanh"),
        keras.layers.Dense(64, activation="tanh"),
        keras.layers.Dense(2, activation="softmax"),
    ]
)
sgd = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
model.fit(x, y, batch_size=32, epochs=5, verbose=2)
