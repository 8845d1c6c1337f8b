"""Fashion-MNIST classifier trained on raw 0-255 pixels (buggy).

Source: https://stats.stackexchange.com/questions/372762/why-normalize-when-all-features-are-on-the-same-scale
Symptom: With the /255 step of the TensorFlow tutorial removed, accuracy falls from over 85% to about 10%.
Fault category: unscaled-inputs
Fix: train_images = train_images / 255.0 before fit().
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Stands in for keras.datasets.fashion_mnist.load_data(): uint8 images, 10 classes.
templates = rng.integers(0, 256, size=(10, 28, 28))
train_labels = rng.integers(0, 10, size=3000)
noise = rng.integers(-90, 91, size=(3000, 28, 28))
train_images = np.clip(templates[train_labels] + noise, 0, 255).astype("uint8")

model = keras.Sequential(
    [
        keras.Input((28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train_images, train_labels, epochs=5, verbose=2)
