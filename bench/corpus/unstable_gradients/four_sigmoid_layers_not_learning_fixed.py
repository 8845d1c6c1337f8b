"""Four hidden layers of 500 sigmoid units regressing on binary vectors (fixed).

Source: https://ai.stackexchange.com/questions/16557/what-could-be-the-problem-when-a-neural-network-with-four-hidden-layers-with-the
Symptom: The network appears unable to learn and has high loss even on the training data; answer: vanishing gradients through four sigmoid layers.
Fault category: unstable-gradients
Fix: ReLU hidden layers (activation='relu').
Needs-training: yes
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

x = rng.integers(0, 2, size=(2000, 40)).astype("float32")
w = rng.normal(0, 1, size=(40, 1))
y = (np.tanh(x @ w / 3.0) * 2.0 + 0.5 * (x[:, :1] * x[:, 1:2])).astype("float32")

model = keras.Sequential(
    [
        keras.Input((40,)),
        keras.layers.Dense(500, activation="relu"),
        keras.layers.Dense(500, activation="relu"),
        keras.layers.Dense(500, activation="relu"),
        keras.layers.Dense(500, activation="relu"),
        keras.layers.Dense(1),
    ]
)
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
model.fit(x, y, batch_size=64, epochs=5, verbose=2)
