"""Seven-class image classifier with sparse_categorical_crossentropy and labels 1..7 (buggy).

Source: https://github.com/keras-team/keras/issues/11786
Symptom: 7 categories, 7 units in the last Dense layer and sparse_categorical_crossentropy, but the loss becomes nan.
Fault category: label-encoding
Fix: Shift the labels to 0..6: y_train = y_train - 1.
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

y_train = rng.integers(1, 8, size=400)  # class ids 1..7, as read from the folder names
x_train = rng.uniform(0, 1, size=(400, 32, 32, 3)).astype("float32")
x_train[:, :, :, 0] += y_train[:, None, None] * 0.05

model = keras.Sequential(
    [
        keras.Input((32, 32, 3)),
        keras.layers.Conv2D(kernel_size=(3, 3), filters=8, activation="relu", padding="valid"),
        keras.layers.Conv2D(kernel_size=(3, 3), filters=8, activation="relu", padding="same"),
        keras.layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.6),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(7, activation="softmax"),
    ]
)
model.compile(
    loss=keras.losses.sparse_categorical_crossentropy,
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
    metrics=["accuracy"],
)
model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=2)
