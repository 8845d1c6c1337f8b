"""
Source: https://github.com/keras-team/keras/issues/6421
Symptom: Two independent 0/1 targets (Y = dataset[:, [31, 32]], many rows [0, 0]) on a
  Dense(2, activation='sigmoid') output trained with categorical_crossentropy: evaluate()
  reports a tiny loss and 100% categorical accuracy while predict() is wrong; a maintainer
  answers "You're using categorical crossentropy".
Fault category: activation-loss
Fix: loss='binary_crossentropy' with metrics=['binary_accuracy'] for independent sigmoid outputs.
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense

keras.utils.set_random_seed(0)
dataset = np.random.rand(500, 33).astype("float32")
dataset[:, 31] = (dataset[:, 0] > 0.7).astype("float32")
dataset[:, 32] = (dataset[:, 1] > 0.8).astype("float32")
X = dataset[:, 0:31]
Y = dataset[:, [31, 32]]

model = Sequential()
model.add(Dense(40, activation="relu", kernel_initializer="uniform", input_dim=31))
model.add(Dense(31, activation="relu", kernel_initializer="uniform"))
model.add(Dense(2, activation="sigmoid", kernel_initializer="uniform"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["categorical_accuracy"])
model.fit(X, Y, epochs=2, batch_size=10, verbose=2)
print(model.evaluate(X, Y, verbose=0))
