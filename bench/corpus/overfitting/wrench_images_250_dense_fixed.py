"""Dense network on ~250 wrench photos, val_loss increases while train loss decreases (fixed).

Source: https://github.com/keras-team/keras/issues/8471
Symptom: Training loss decreases and accuracy increases while validation loss increases and validation accuracy decreases; about 250 training images, batch sizes 4 to 16.
Fault category: overfitting
Fix: A smaller convolutional model with Dropout, and EarlyStopping(restore_best_weights=True) on val_loss.
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

n, positions = 320, 6
labels = rng.integers(0, positions, size=n)
x = rng.normal(0.4, 0.2, size=(n, 48, 48, 1))
for i, p in enumerate(labels):  # the 19 mm wrench is brighter, at one of 6 positions
    x[i, 8:40, 8 * p : 8 * p + 8, 0] += 0.25
x = np.clip(x, 0, 1).astype("float32")
y = keras.utils.to_categorical(labels, positions)

model = keras.Sequential(
    [
        keras.Input((48, 48, 1)),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPooling2D(4),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(positions, activation="softmax"),
    ]
)
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
model.fit(x, y, batch_size=8, epochs=15, validation_split=0.2, callbacks=[stop], verbose=2)
