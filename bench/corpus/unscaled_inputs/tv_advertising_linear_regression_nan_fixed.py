"""One-unit linear regression on advertising budgets with plain SGD (fixed).

Source: https://stats.stackexchange.com/questions/284189/simple-linear-regression-in-keras
Symptom: Loss is nan on every epoch with the default SGD; only SGD(lr=0.0000001) trains.
Fault category: unscaled-inputs
Fix: Standardise x and y (StandardScaler) and keep the default learning rate.
Needs-training: yes
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# TV advertising budget (thousands of dollars) -> sales (thousands of units).
x = rng.uniform(0.7, 296.4, size=(200, 1)).astype("float32")
y = (7.0 + 0.0475 * x + rng.normal(0, 3.2, size=(200, 1))).astype("float32")

x = (x - x.mean()) / x.std()
y = (y - y.mean()) / y.std()

inputs = keras.Input(shape=(1,))
preds = keras.layers.Dense(1, activation="linear")(inputs)
model = keras.Model(inputs=inputs, outputs=preds)
sgd = keras.optimizers.SGD()
model.compile(optimizer=sgd, loss="mse", metrics=["mse"])
model.fit(x, y, batch_size=1, epochs=3, shuffle=False, verbose=2)
