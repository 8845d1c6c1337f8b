"""Seed N1: SGD(learning_rate=10): an int, and far too large. The optimizer's constructor raises."""

import keras
from keras.layers import Dense

print("building the model")
model = keras.Sequential([keras.Input((20,)), Dense(16, activation="relu"),
                          Dense(10, activation="softmax")])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=10),
              loss="categorical_crossentropy", metrics=["accuracy"])
print("compiled")
