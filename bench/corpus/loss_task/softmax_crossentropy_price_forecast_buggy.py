"""
Source: https://github.com/ageron/handson-ml/issues/404
Symptom: A stock-price forecaster (20 past prices -> the next prices) is switched to a softmax
  output with categorical_crossentropy; "it doesn't seem to improve the MSE at all" (loss 3.49,
  MSE 0.14). The targets are continuous prices, not classes.
Fault category: loss-task
Fix: A linear output with loss='mse' for continuous targets.
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense

keras.utils.set_random_seed(0)
prices = np.cumsum(np.random.randn(800)).astype("float32")
prices = (prices - prices.min()) / (prices.max() - prices.min())
x_train = np.stack([prices[i:i + 20] for i in range(700)])
y_train = np.stack([prices[i + 20:i + 24] for i in range(700)])

model = Sequential()
model.add(Dense(64, activation="relu", input_shape=(20,)))
model.add(Dense(4, activation="softmax", name="output_1"))
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy", "mse"])
model.fit(x_train, y_train, epochs=2, batch_size=32, verbose=2)
