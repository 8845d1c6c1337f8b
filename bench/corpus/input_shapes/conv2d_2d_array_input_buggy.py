"""
Source: https://gamingcommission.club/stackoverflow.com/questions/60648191/tensorflow-keras-conv2d-error-with-2d-numpy-array-input
  (a mirror of Stack Overflow question 60648191)
Symptom: Training a CNN whose first layer is Conv2D(32, (3, 3), input_shape=(21, 21, 1)) on a
  21x21 numpy array fails: "expected conv2d_input to have 4 dimensions, but got array with
  shape (21, 21)".
Fault category: input-shape
Fix: Add the batch and channel axes: x[np.newaxis, ..., np.newaxis] has shape (1, 21, 21, 1).
Needs-training: no
"""
import numpy as np
import keras
from keras.layers import Conv2D, Flatten, Dense

keras.utils.set_random_seed(0)
x = np.random.rand(21, 21).astype("float32")
y = np.array([[0.7]], dtype="float32")

model = keras.Sequential()
model.add(Conv2D(32, (3, 3), activation="relu", input_shape=(21, 21, 1)))
model.add(Flatten())
model.add(Dense(1))
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=2, verbose=2)
