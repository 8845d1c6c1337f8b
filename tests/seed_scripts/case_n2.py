"""Seed N2: plain SGD with learning_rate=10.0: NaN on TensorFlow, a saturated plateau elsewhere."""

import keras
import numpy as np
from keras.layers import Dense

rng = np.random.default_rng(0)
x = rng.standard_normal((200, 20)).astype("float32")
y = keras.utils.to_categorical(np.argmax(x @ rng.standard_normal((20, 10)), axis=1), 10)

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((20,)), Dense(32, activation="relu"),
                          Dense(10, activation="softmax")])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=10.0),
              loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=50, verbose=0)
print("losses", [round(float(v), 2) for v in history.history["loss"]])
