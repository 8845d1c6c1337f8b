"""XOR with a wide, deep sigmoid network and plain gradient descent (fixed).

Source: https://github.com/hunkim/DeepLearningZeroToAll/pull/168
Symptom: GradientDescentOptimizer does not work: every hypothesis is ~0.50004, accuracy 0.5; AdamOptimizer reaches 1.0.
Fault category: optimizer
Fix: optimizer=keras.optimizers.Adam(learning_rate=0.01).
Needs-training: yes
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)

x_data = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
y_data = np.array([[0], [1], [1], [0]], dtype="float32")
x_data, y_data = np.tile(x_data, (64, 1)), np.tile(y_data, (64, 1))

model = keras.Sequential(
    [
        keras.Input((2,)),
        keras.layers.Dense(10, activation="sigmoid"),
        keras.layers.Dense(10, activation="sigmoid"),
        keras.layers.Dense(10, activation="sigmoid"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_data, y_data, batch_size=32, epochs=40, verbose=2)
print("Hypothesis:", model.predict(x_data[:4], verbose=0).ravel())
