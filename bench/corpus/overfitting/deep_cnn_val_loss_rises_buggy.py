"""Four-layer CNN on a small image set, val_loss rises while training improves (buggy).

Source: https://github.com/keras-team/keras/issues/3755
Symptom: Training loss keeps decreasing and accuracy increasing, but the validation loss starts increasing after a few epochs and keeps going up.
Fault category: overfitting
Fix: Dropout, and EarlyStopping(monitor='val_loss', restore_best_weights=True).
Needs-training: yes
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

n, classes = 240, 3
labels = rng.integers(0, classes, size=n)
patterns = rng.normal(0, 1, size=(classes, 32, 32, 1))
x = (0.35 * patterns[labels] + rng.normal(0, 1, size=(n, 32, 32, 1))).astype("float32")
y = keras.utils.to_categorical(labels, classes)

model = keras.Sequential(
    [
        keras.Input((32, 32, 1)),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(classes, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=16, epochs=20, validation_split=0.25, verbose=2)
