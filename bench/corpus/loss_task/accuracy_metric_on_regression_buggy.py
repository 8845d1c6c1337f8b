"""
Source: https://stackoverflow.com/questions/48775305/what-function-defines-accuracy-in-keras-when-the-loss-is-mean-squared-error-mse/48788577
Symptom: "What function defines accuracy in Keras when the loss is mean squared error?": a
  regression with a linear output and loss='mean_squared_error' reports acc and val_acc values
  that mean nothing (accuracy counts exact matches of continuous predictions).
Fault category: loss-task
Fix: Use regression metrics: metrics=['mae'] instead of ['accuracy'].
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Activation

keras.utils.set_random_seed(0)
X = np.random.rand(500, 8).astype("float32")
y = (X @ np.random.rand(8, 1) + 0.1 * np.random.randn(500, 1)).astype("float32")

model = Sequential()
model.add(Dense(32, activation="relu", input_shape=(8,)))
model.add(Dense(1))
model.add(Activation("linear"))  # number
model.compile(loss="mean_squared_error", optimizer="adam", metrics=["accuracy"])
model.fit(X, y, epochs=2, batch_size=32, validation_split=0.2, verbose=2)
