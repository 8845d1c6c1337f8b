"""MNIST MLP with Adam(learning_rate=0.1) (buggy).

Source: https://github.com/Ayush-dhabale/Deeplearning
Symptom: Accuracy falls from 0.51 to 0.48 over the epochs and val_accuracy drops to 0.33: most ReLU units die at lr 0.1.
Fault category: learning-rate
Fix: Adam(learning_rate=0.001).
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Stands in for MNIST scaled to [0, 1] and flattened.
templates = rng.uniform(0, 1, size=(10, 784)) ** 3
labels = rng.integers(0, 10, size=4000)
x = np.clip(templates[labels] + rng.normal(0, 0.35, size=(4000, 784)), 0, 1).astype("float32")
y = keras.utils.to_categorical(labels, 10)
x_train, y_train, x_test, y_test = x[:3200], y[:3200], x[3200:], y[3200:]

inputs = keras.Input(shape=(784,))
h = keras.layers.Dense(128, activation="relu", name="dense_1")(inputs)
h = keras.layers.Dense(64, activation="relu", name="dense_2")(h)
h = keras.layers.Dense(32, activation="relu", name="dense_3")(h)
outputs = keras.layers.Dense(10, activation="softmax", name="output")(h)
model_1 = keras.Model(inputs, outputs)

optimizer_1 = keras.optimizers.Adam(learning_rate=0.1)
model_1.compile(loss="categorical_crossentropy", optimizer=optimizer_1, metrics=["accuracy"])
model_1.fit(x_train, y_train, epochs=5, batch_size=128, validation_data=(x_test, y_test), verbose=2)
