"""
Source: https://devsolus.com/why-do-we-reshape-grayscale-image-to-xy1/
Symptom: A CNN on 28x28 grayscale images built with input_shape=(28, 28) fails with
  "Input 0 of layer conv2d is incompatible with the layer: expected min_ndim=4, found ndim=3".
Fault category: input-shape
Fix: Give the images a channel axis: x.reshape(-1, 28, 28, 1) and input_shape=(28, 28, 1).
Needs-training: no
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
x_train = np.random.rand(200, 28, 28).astype("float32")
y_train = np.random.randint(0, 10, size=(200,))

model = keras.Sequential([
    layers.Conv2D(16, (3, 3), activation="relu", input_shape=(28, 28)),
    layers.MaxPooling2D((2, 2)),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2, batch_size=32, verbose=2)
