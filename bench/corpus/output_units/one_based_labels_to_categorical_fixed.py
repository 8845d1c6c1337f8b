"""
Source: https://whosebug.com/question/3634840/Keras-Dense-Layer-Output-Shape-Error
  (a mirror of a Stack Overflow question "Keras Dense Layer Output - Shape Error")
Symptom: An LSTM text classifier over 3 classes labelled 1, 2, 3: to_categorical(y_train) gives 4
  columns (class 0 is never used), so Dense(3, activation='softmax') fails with "expected dense_1
  to have shape (None, 3) but got array with shape (658118, 4)"; the user "fixes" it with
  Dense(4), which leaves a class that never occurs.
Fault category: output-units
Fix: Shift the labels to 0..2 before encoding: to_categorical(y_train - 1, 3), with Dense(3).
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Embedding, LSTM, Dense
from keras.utils import to_categorical

keras.utils.set_random_seed(0)
x_train = np.random.randint(1, 2000, size=(600, 40))
y_train = np.random.randint(1, 4, size=(600,))
y_train = to_categorical(y_train - 1, 3)

model = Sequential()
model.add(keras.Input(shape=(40,)))
model.add(Embedding(2000, 32))
model.add(LSTM(32))
model.add((Dense(3, activation="softmax")))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2, batch_size=64, verbose=2)
