"""
Source: https://github.com/tensorflow/tensorflow/issues/54233
Symptom: model.fit(x=x_train, y=y_train, epochs=10, batch_size=64) fails with
  "InvalidArgumentError: Received a label value of 32 which is outside the valid range of
  [0, 11)": the labels run over more classes than the 11 output units.
Fault category: output-units
Fix: One output unit per class: Dense(num_classes) with num_classes = y_train.max() + 1.
Needs-training: no
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
x_train = np.random.rand(640, 48).astype("float32")
y_train = np.random.randint(0, 40, size=(640,))
num_classes = int(y_train.max()) + 1

model = keras.Sequential([
    keras.Input(shape=(48,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(num_classes, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
trainingstart = model.fit(x=x_train, y=y_train, epochs=2, batch_size=64, verbose=2)
