"""VGG-like CNN on five classes stored class by class, validation_split=0.2 (buggy).

Source: https://github.com/keras-team/keras/issues/8346
Symptom: Zero validation accuracy: the last 20% of the data is the whole class 5, and the model trains on the first 4 classes only; shuffle=True acts after the split.
Fault category: validation-split
Fix: Shuffle x and y together before fit().
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

classes = 5
labels = np.repeat(np.arange(classes), 80)  # loaded folder by folder
patterns = rng.normal(0, 1, size=(classes, 32, 32, 3))
x = (0.6 * patterns[labels] + rng.normal(0, 1, size=(len(labels), 32, 32, 3))).astype("float32")
y = keras.utils.to_categorical(labels, classes)

model = keras.Sequential(
    [
        keras.Input((32, 32, 3)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(classes, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=32, epochs=4, validation_split=0.2, shuffle=True, verbose=2)
