"""Plain gradient descent at lr=0.001 blows the loss up to inf and nan (fixed).

Source: https://datascience.stackexchange.com/questions/15962/why-is-learning-rate-causing-my-neural-networks-weights-to-skyrocket
Symptom: With learning rate .001 the loss jumps from thousands to a trillion and then to inf/nan; .0001 works fine.
Fault category: learning-rate
Fix: SGD(learning_rate=1e-4).
Needs-training: yes
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

x = rng.uniform(0, 40, size=(1000, 6)).astype("float32")
w = rng.uniform(-0.2, 0.2, size=(6, 1))
y = (x @ w + rng.normal(0, 0.5, size=(1000, 1))).astype("float32")

model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0001), loss="mse")
model.fit(x, y, batch_size=32, epochs=5, verbose=2)
