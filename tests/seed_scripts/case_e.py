"""Seed E: Conv2D given input_shape=(8, 8), no channel axis: Sequential(...) itself raises."""

import keras
from keras.layers import Conv2D, Dense, Flatten

print("building the model")
model = keras.Sequential([
    Conv2D(4, (3, 3), activation="relu", input_shape=(8, 8)),
    Flatten(),
    Dense(10, activation="softmax"),
])
print("built:", model.built)
