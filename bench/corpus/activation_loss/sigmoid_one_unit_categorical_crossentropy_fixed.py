"""
Source: https://github.com/keras-team/keras/issues/14729
Symptom: "too low accuracy": a breast-cancer (30 features, benign/malignant) classifier ending in
  Dense(1, activation='sigmoid') compiled with keras.losses.categorical_crossentropy. Over one
  unit the categorical cross-entropy is 0 whatever the weights, so nothing is learned.
Fault category: activation-loss
Fix: loss=keras.losses.binary_crossentropy for a single sigmoid unit.
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras import layers
from keras.layers import Dropout, Flatten

keras.utils.set_random_seed(0)
X = np.random.randn(569, 30).astype("float32")
y = (X[:, 0] + X[:, 3] > 0).astype("int32")
X_train, X_test, y_train, y_test = X[:400], X[400:], y[:400], y[400:]

model3 = Sequential()
model3.add(Flatten())
model3.add(layers.Dense(16, activation="relu", kernel_initializer="uniform", input_dim=30))
model3.add(Dropout(0.1))
model3.add(layers.Dense(16, activation="relu", kernel_initializer="uniform"))
model3.add(Dropout(0.1))
model3.add(layers.Dense(1, activation="sigmoid", kernel_initializer="uniform"))
model3.compile(optimizer=keras.optimizers.Adam(),
               loss=keras.losses.binary_crossentropy,
               metrics=["accuracy"])
model3.fit(X_train, y_train, batch_size=100, epochs=3, verbose=2)
print(model3.evaluate(X_test, y_test, verbose=0))
