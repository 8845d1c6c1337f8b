"""SGD with learning rate 0.00001, loss and accuracy stuck (fixed).

Source: https://chenzhang.org/notes/developer/loss-and-accuracy-get-stuck-in-keras/
Symptom: Loss and accuracy stay the same epoch after epoch; increasing the learning rate from 0.00001 to 0.1 fixes it.
Fault category: learning-rate
Fix: SGD(learning_rate=0.1, momentum=0.9, nesterov=True).
Needs-training: yes
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

n, classes = 3000, 7
centers = rng.normal(0, 1.5, size=(classes, 20))
labels = rng.integers(0, classes, size=n)
x = (centers[labels] + rng.normal(0, 1, size=(n, 20))).astype("float32")
y = keras.utils.to_categorical(labels, classes)

model = keras.Sequential(
    [
        keras.Input((20,)),
        keras.layers.Dense(20, activation="relu"),
        keras.layers.Dense(classes, activation="softmax"),
    ]
)
sgd = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
model.fit(x, y, batch_size=32, epochs=8, verbose=2)
