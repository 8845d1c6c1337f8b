"""Images repeated before validation_split, validation accuracy close to 1 and test accuracy 0.65 (buggy).

Source: https://github.com/keras-team/keras/issues/8725
Symptom: val_acc is consistently higher than training accuracy and reaches close to 1, but accuracy on the held-out test split is about 0.65.
Fault category: validation-split
Fix: Split first, then oversample/augment the training part only; keep validation rows out of training.
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

n, d = 600, 256
labels = rng.integers(0, 2, size=n)
direction = rng.normal(0, 1, size=d)
x = (rng.normal(0, 1, size=(n, d)) + 0.08 * np.outer(2 * labels - 1, direction)).astype("float32")
x_train, y_train, x_test, y_test = x[:450], labels[:450], x[450:], labels[450:]

# "Augmentation": every image stored four times, then shuffled.
x_aug, y_aug = np.repeat(x_train, 4, axis=0), np.repeat(y_train, 4, axis=0)
order = rng.permutation(len(x_aug))
x_aug, y_aug = x_aug[order], y_aug[order]

model = keras.Sequential(
    [keras.Input((d,)), keras.layers.Dense(128, activation="relu"), keras.layers.Dense(1, activation="sigmoid")]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_aug, y_aug, batch_size=32, epochs=6, validation_split=0.2, verbose=2)
print("test accuracy:", model.evaluate(x_test, y_test, verbose=0)[1])
