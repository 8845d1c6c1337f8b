"""
Source: https://github.com/austineaero/Remaining-Useful-Life-RUL-Estimation/issues/13
Symptom: "ValueError: Error when checking input: expected input_1 to have 3 dimensions, but got
  array with shape (100, 24)": an LSTM built for windows of 50 time steps x 24 sensors is fed
  the raw (samples, features) table.
Fault category: input-shape
Fix: Cut the table into windows of 50 time steps: x of shape (samples, 50, 24).
Needs-training: no
"""
import numpy as np
import keras
from keras.layers import Input, LSTM, Dropout, Dense
from keras.models import Model

keras.utils.set_random_seed(0)
sequence_length, nb_features = 50, 24
table = np.random.rand(149, nb_features).astype("float32")
x_train = np.stack([table[i:i + sequence_length] for i in range(100)])
y_train = np.random.rand(100, 1).astype("float32")

inputs = Input(shape=(sequence_length, nb_features))
h = LSTM(32, return_sequences=True)(inputs)
h = Dropout(0.2)(h)
h = LSTM(16)(h)
outputs = Dense(1)(h)
model = Model(inputs, outputs)
model.compile(loss="mean_squared_error", optimizer="rmsprop", metrics=["mae"])
model.fit(x_train, y_train, epochs=2, batch_size=32, verbose=2)
