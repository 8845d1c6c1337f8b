"""Small CNN on unnormalised images predicts the same value for every input (buggy).

Source: http://pullrequest.ru/10248037/cnn-keras-shodyatsya-odnomu-tomu-zhe-znacheniy-nezavisimo-vvoda
Symptom: CNN converges to one and the same output whatever the input; the answer: x_train is in [0, 255], divide by 255.
Fault category: unscaled-inputs
Fix: x_train = x_train.astype('float32') / 255
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Grey images 32x32 of two kinds: a bright square top-left, or bottom-right.
n = 600
y_train = rng.integers(0, 2, size=n)
x_train = rng.integers(0, 120, size=(n, 32, 32, 1)).astype("float32")
for i, label in enumerate(y_train):
    if label:
        x_train[i, 16:, 16:, 0] += 135
    else:
        x_train[i, :16, :16, 0] += 135

model = keras.Sequential(
    [
        keras.Input((32, 32, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer=keras.optimizers.SGD(0.01), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=4, verbose=2)
print("predictions:", model.predict(x_train[:8], verbose=0).ravel())
