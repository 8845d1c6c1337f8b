"""
Source: https://python.19633.com/cs/python-tag-9/Keras-9/1009048621.html
  (a Czech mirror of the Stack Overflow question "Received a label value of 1 which is outside
  the valid range of [0, 1)")
Symptom: "Received a label value of 1 which is outside the valid range of [0, 1)": labels 0..6
  with sparse_categorical_crossentropy on a last layer Dense(1, activation='softmax'). The answer:
  "if your output is from labels [0, 7) then use Dense(7, activation='softmax')".
Fault category: output-units
Fix: model.add(Dense(7, activation='softmax')).
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense

keras.utils.set_random_seed(0)
X = np.random.rand(700, 12).astype("float32")
Y = np.random.randint(0, 7, size=(700,))

model = Sequential()
model.add(Dense(32, activation="relu", input_shape=(12,)))
model.add(Dense(7, activation="softmax"))
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X, Y, epochs=2, batch_size=32, verbose=2)
