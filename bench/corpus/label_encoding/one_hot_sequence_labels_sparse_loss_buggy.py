"""
Source: https://github.com/keras-team/keras/issues/7749
Symptom: "sparse_categorical_crossentropy requires a single output": swapping
  categorical_crossentropy for sparse_categorical_crossentropy (hoping it helps with rare
  classes) while keeping the one-hot targets fails: "expected activation_1 to have shape
  (None, None, 1) but got array with shape (1, 1, 2)".
Fault category: label-encoding
Fix: A sparse loss takes the class index: out = np.argmax(out, axis=-1) (shape (samples, 1)).
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Activation

keras.utils.set_random_seed(0)
inp = np.random.rand(200, 1, 2).astype("float32")
out = keras.utils.to_categorical(np.random.randint(0, 2, size=(200, 1)), 2)

model = Sequential()
model.add(Dense(2, input_shape=(None, 2)))
model.add(Activation("softmax"))
model.compile(loss="sparse_categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
model.fit(inp, out, epochs=2, verbose=2)
