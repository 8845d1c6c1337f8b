"""ReLU regression network whose predictions become constant (buggy).

Source: https://datascience.stackexchange.com/questions/18810/how-to-check-for-dead-relu-neurons
Symptom: While fitting networks with relu activation, the prediction sometimes becomes near constant: the ReLU units die during training.
Fault category: unstable-gradients
Fix: LeakyReLU instead of ReLU (as answered), with a moderate step.
Needs-training: yes
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

x = rng.normal(0, 1, size=(3000, 10)).astype("float32")
y = (x[:, :1] * 3 + np.sin(x[:, 1:2]) * 5 + 20).astype("float32")

model = keras.Sequential(
    [
        keras.Input((10,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.3), loss="mse")
model.fit(x, y, batch_size=32, epochs=6, verbose=2)
print("prediction spread:", float(np.std(model.predict(x[:200], verbose=0))))
