"""
Source: https://ogeek.cn/qa/?qa=619240%2F
  (a mirror of a Stack Overflow answer on Convolution2D with input_shape=(1, 28, 28))
Symptom: MNIST stored channels-first, (samples, 1, 28, 28), with
  Convolution2D(32, (3, 3), input_shape=(1, 28, 28)): the channels-last layer reads 1 row of 28
  pixels with 28 channels and the 3x3 kernel does not fit ("Negative dimension size").
Fault category: input-shape
Fix: Put the channel axis last: x.transpose(0, 2, 3, 1) and input_shape=(28, 28, 1) (the answer
  suggests data_format='channels_first', which the CPU convolution of TensorFlow does not support).
Needs-training: no
"""
import numpy as np
import keras
from keras.layers import Convolution2D, MaxPooling2D, Flatten, Dense

keras.utils.set_random_seed(0)
X_train = np.random.rand(200, 1, 28, 28).astype("float32")
y_train = keras.utils.to_categorical(np.random.randint(0, 10, size=(200,)), 10)

model = keras.Sequential()
model.add(Convolution2D(32, (3, 3), activation="relu", input_shape=(1, 28, 28)))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Flatten())
model.add(Dense(128, activation="relu"))
model.add(Dense(10, activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X_train, y_train, batch_size=32, epochs=2, verbose=2)
