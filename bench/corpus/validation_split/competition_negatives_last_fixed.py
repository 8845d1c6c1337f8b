"""Binary classifier validated on the last 10% of unshuffled competition data (fixed).

Source: https://rocuku.github.io/keras-validation-split-shuffle
Symptom: Validation results look great: validation_split takes the last 10%, which holds only negative samples (about 10% of the data), and shuffle acts after the split.
Fault category: validation-split
Fix: Shuffle manually first, then use validation_split.
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Positives and mixed samples first, the pure negatives appended at the end of the file.
x_mixed = rng.normal(0, 1, size=(1800, 30)).astype("float32")
y_mixed = (x_mixed[:, 0] + 0.5 * rng.normal(0, 1, 1800) > 0).astype("float32")
x_neg = rng.normal(0, 1, size=(200, 30)).astype("float32") - np.float32(1.5)
y_neg = np.zeros(200, dtype="float32")
X_train = np.concatenate([x_mixed, x_neg])
y_train = np.concatenate([y_mixed, y_neg])
idx = rng.permutation(len(X_train))
X_train, y_train = X_train[idx], y_train[idx]

model = keras.Sequential(
    [keras.Input((30,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1, activation="sigmoid")]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=2, verbose=2, validation_split=0.1, shuffle=True)
