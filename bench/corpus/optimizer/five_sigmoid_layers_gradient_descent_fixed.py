"""Five sigmoid layers trained with plain gradient descent (fixed).

Source: https://github.com/googlecodelabs/feedback/issues/228
Symptom: Adding layers alone leaves the network sitting around 0.2 accuracy; switching GradientDescentOptimizer to AdamOptimizer gives 0.97.
Fault category: optimizer
Fix: optimizer=keras.optimizers.Adam(learning_rate=0.003).
Needs-training: yes
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

templates = rng.uniform(0, 1, size=(10, 28, 28, 1)) ** 3
labels = rng.integers(0, 10, size=3000)
x = np.clip(templates[labels] + rng.normal(0, 0.3, size=(3000, 28, 28, 1)), 0, 1).astype("float32")
y = keras.utils.to_categorical(labels, 10)

L, M, N, O = 200, 100, 60, 30
model = keras.Sequential(
    [
        keras.Input((28, 28, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(L, activation="sigmoid"),
        keras.layers.Dense(M, activation="sigmoid"),
        keras.layers.Dense(N, activation="sigmoid"),
        keras.layers.Dense(O, activation="sigmoid"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=100, epochs=5, verbose=2)
