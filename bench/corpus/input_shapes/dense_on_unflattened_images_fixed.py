"""
Source: https://wiki.gubat.org/content/stackoverflow.com_en_all_2023-11/questions/52184142/keras-sequential-dense-input-layer-and-mnist-why-do-images-need-to-be-reshaped
  (a mirror of Stack Overflow question 52184142)
Symptom: "A newbie like me would assume that the images could be fed to the model as a 28*28
  matrix": Dense(512, input_shape=(28, 28)) on MNIST images works on the last axis only, so the
  output is (None, 28, 10), one prediction per image row, not one per image.
Fault category: input-shape
Fix: Flatten the images first: Flatten(input_shape=(28, 28)) (or reshape to (-1, 784)).
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Flatten

keras.utils.set_random_seed(0)
X_train = np.random.rand(300, 28, 28).astype("float32")
y_train = np.random.randint(0, 10, size=(300,))

model = Sequential([
    Flatten(input_shape=(28, 28)),
    Dense(512, activation="relu"),
    Dense(10, activation="softmax"),
])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=2, batch_size=128, verbose=2)
