"""
Source: https://github.com/keras-team/keras/issues/13686
Symptom: A binary image classifier ("I have only 2 categories") with "the output layer with 2
  neurons, for 2 classes", Dense(2) + sigmoid, trained with mean_squared_error on 0/1 labels of
  shape (N, 1): "Error when checking target: expected activation_92 to have shape (2,) but got
  array with shape (1,)". The answer: output a single value with a sigmoid and use
  binary_crossentropy.
Fault category: output-units
Fix: Dense(1) + Activation('sigmoid') with loss='binary_crossentropy'.
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Conv2D, MaxPooling2D, Dropout, Flatten, Dense, Activation

keras.utils.set_random_seed(0)
X = np.random.rand(300, 50, 50, 1).astype("float32")
Y = np.random.randint(0, 2, size=(300, 1))

model = Sequential()
model.add(Conv2D(32, (3, 3), input_shape=X.shape[1:]))
model.add(Activation("relu"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Conv2D(64, (3, 3)))
model.add(Activation("relu"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(64))
model.add(Activation("relu"))
model.add(Dense(2))
model.add(Activation("sigmoid"))
model.compile(loss="mean_squared_error", optimizer="sgd", metrics=["accuracy"])
model.fit(X, Y, batch_size=32, epochs=2, verbose=2, validation_split=0.2, shuffle=True)
