"""
Source: https://github.com/keras-team/keras/issues/3109
Symptom: "Error when checking model target: expected activation_2 to have shape (None, 10) but
  got array with shape (3, 1)": integer class ids trained with categorical_crossentropy on a
  10-unit softmax.
Fault category: label-encoding
Fix: One-hot the labels: y_train = to_categorical(y_train, 10).
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Activation

keras.utils.set_random_seed(0)
X_train = np.random.rand(300, 2).astype("float32")
y_train = np.random.randint(0, 10, size=(300,))
input_dim = X_train.shape[1]

model = Sequential()
model.add(Dense(64, input_dim=input_dim))
model.add(Activation("relu"))
model.add(Dense(10))
model.add(Activation("softmax"))
model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=2, batch_size=32, verbose=2)
