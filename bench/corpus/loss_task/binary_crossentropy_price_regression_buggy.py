"""
Source: https://openillumi.com/en/en-keras-tf-fix-huge-negative-loss-regression
  (quotes a Stack Overflow question on predicting a price with Keras)
Symptom: Predicting a price with a model adapted from a classification tutorial:
  loss='binary_crossentropy' with metrics=['accuracy'] gives "a huge negative loss" (about
  -117944) and an accuracy near 0 from the first epoch.
Fault category: loss-task
Fix: A regression loss and metric: loss='mse', metrics=['mae'], on standardised prices (the
  article's second point: normalise the data; predictions are scaled back).
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense

keras.utils.set_random_seed(0)
features = np.random.randn(1000, 6).astype("float32")
price = (150 + features @ np.array([30, 12, -8, 20, 5, 9]) + 10 * np.random.randn(1000)).astype("float32")

model = Sequential()
model.add(Dense(32, activation="relu", input_shape=(6,)))
model.add(Dense(16, activation="relu"))
model.add(Dense(1))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(features, price, epochs=2, batch_size=32, verbose=2)
