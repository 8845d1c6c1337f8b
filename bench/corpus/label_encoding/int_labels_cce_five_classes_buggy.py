"""
Source: http://www.readke.com/c/01034051B2022.html
Symptom: Five-class classifier: "Error when checking target: expected dense_1 to have shape (5,)
  but got array with shape (1,)"; the labels loaded from label.npy are class ids 0-4.
Fault category: label-encoding
Fix: Keep the integer labels and use loss='sparse_categorical_crossentropy' (the post's second
  solution; the first is np_utils.to_categorical(labels, 5)).
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Dropout

keras.utils.set_random_seed(0)
train_data3 = np.random.rand(400, 64).astype("float32")
train_label3 = np.random.randint(0, 5, size=(400, 1))
test_data3 = np.random.rand(100, 64).astype("float32")
test_label3 = np.random.randint(0, 5, size=(100, 1))

model = Sequential()
model.add(Dense(128, activation="relu", input_shape=(64,)))
model.add(Dropout(0.3))
model.add(Dense(5, activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(train_data3, train_label3, epochs=2, batch_size=32,
          validation_data=(test_data3, test_label3), verbose=2)
