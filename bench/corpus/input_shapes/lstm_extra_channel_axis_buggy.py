"""
Source: https://github.com/keras-team/keras/issues/7403
Symptom: Accelerometer windows (836, 400, 3) reshaped to (836, 400, 3, 1) as for a Conv2D, then
  fed to LSTM(32, input_shape=(400, 3)): "Input 0 is incompatible with layer lstm_1: expected
  ndim=3, found ndim=4".
Fault category: input-shape
Fix: Keep the windows 3-D, (samples, 400, 3): drop the reshape to (..., 1).
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import LSTM, Dropout, Dense, Flatten
from keras.optimizers import Adam

keras.utils.set_random_seed(0)
x_train = np.random.randn(120, 40, 3).astype("float32")
y_train = np.random.randint(0, 3, size=(120,))
x_test = np.random.randn(30, 40, 3).astype("float32")
y_test = np.random.randint(0, 3, size=(30,))

x_train = x_train.reshape(120, 40, 3, 1)
x_test = x_test.reshape(30, 40, 3, 1)

model = Sequential()
model.add(LSTM(32, input_shape=(40, 3), return_sequences=True))
model.add(Dropout(0.5))
model.add(Dense(100, activation="relu"))
model.add(Flatten())
model.add(Dense(64, activation="relu"))
model.add(Dropout(0.5))
model.add(Dense(3, activation="softmax"))
model.compile(optimizer=Adam(learning_rate=0.001), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2, validation_data=(x_test, y_test), verbose=2)
