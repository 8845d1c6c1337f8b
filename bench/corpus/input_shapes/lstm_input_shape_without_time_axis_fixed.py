"""
Source: https://www.pythond.com/52081/como-procesar-la-forma-de-entrada-y-salida-para-keras-lstm.html
  (a Spanish mirror of the Stack Overflow question "How to process input and output shape for keras LSTM")
Symptom: An LSTM on a make_regression-style table X (100, 9), Y (100, 2) declared with the 9
  features as its input: "Error when checking model input: expected lstm_input to have 3
  dimensions, but got array with shape (100, 9)" (Keras 3: "expected ndim=3, found ndim=2"
  when the model is built).
Fault category: input-shape
Fix: Treat the 9 features as 9 time steps of 1 feature: X.reshape(100, 9, 1) and
  input_shape=(9, 1).
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, LSTM

keras.utils.set_random_seed(0)
X = np.random.randn(100, 9).astype("float32")
Y = (X @ np.random.randn(9, 2)).astype("float32") / 3.0
X = X.reshape(X.shape + (1,))

model = Sequential()
model.add(LSTM(32, input_shape=(9, 1)))
model.add(Dense(2))
model.compile(loss="mean_squared_error", optimizer="adam")
model.fit(X, Y, epochs=2, batch_size=32, verbose=2)
