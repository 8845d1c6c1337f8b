"""
Source: https://github.com/keras-team/keras/issues/7303
Symptom: 3570 classes, one-hot labels of shape (1055, 3570) and
  loss='sparse_categorical_crossentropy': "Error when checking model target: expected dense_42
  to have shape (None, 1) but got array with shape (1055, 3570)".
Fault category: label-encoding
Fix: One-hot labels go with loss='categorical_crossentropy' (and a softmax output: the classes
  are mutually exclusive).
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense

keras.utils.set_random_seed(0)
n_classes = 60
x_train = np.random.rand(600, 79).astype("float32")
y_train = keras.utils.to_categorical(np.arange(600) % n_classes, n_classes)
x_valid = np.random.rand(120, 79).astype("float32")
y_valid = keras.utils.to_categorical(np.arange(120) % n_classes, n_classes)

model = Sequential()
model.add(Dense(128, input_dim=79, activation="relu"))
model.add(Dense(256, activation="relu"))
model.add(Dense(n_classes, activation="sigmoid"))
model.compile(loss="sparse_categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2, batch_size=32, validation_data=(x_valid, y_valid), verbose=2)
