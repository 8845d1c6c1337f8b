"""Seed L1: LSTM given input_shape=(10,): it needs (timesteps, features). Sequential(...) raises."""

import keras
from keras.layers import LSTM, Dense

print("building the model")
model = keras.Sequential([LSTM(8, input_shape=(10,)), Dense(1)])
print("built")
