"""
Source: https://ymshici.com/tech/956.html
  (quotes the fix from https://github.com/keras-team/keras/issues/8404)
Symptom: A dog-breed classifier over 120 breeds fails at the first batch; "loss =
  'sparse_categorical_crossentropy' expects an integer output of size 1 instead of a one-hot
  encoded output of size 120".
Fault category: label-encoding
Fix: loss='categorical_crossentropy' for the one-hot labels.
Needs-training: no
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
n_breeds = 120
x_train = np.random.rand(360, 32, 32, 3).astype("float32")
y_train = keras.utils.to_categorical(np.random.permutation(np.arange(360) % n_breeds), n_breeds)

model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, activation="relu"),
    layers.GlobalAveragePooling2D(),
    layers.Dense(n_breeds, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2, batch_size=32, verbose=2)
