"""
Source: https://github.com/rstudio/keras3/issues/465
Symptom: Iris (3 species) with 3 output nodes and sparse_categorical_crossentropy: "Received a
  label value of 3 which is outside the valid range of [0, 3). Label values: 2 2 3 1 1 2 3 3":
  the species are coded 1, 2, 3 instead of 0, 1, 2.
Fault category: label-encoding
Fix: Code the classes from 0: y = y - 1.
Needs-training: no
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
x = np.random.rand(150, 4).astype("float32") * np.array([4.0, 2.5, 6.0, 2.5], dtype="float32")
y = np.random.permutation(np.repeat([1, 2, 3], 50))

model = keras.Sequential([
    keras.Input(shape=(4,)),
    layers.Dense(8, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x, y, epochs=3, batch_size=8, validation_split=0.2, shuffle=True, verbose=2)
