"""Custom root-mean-squared-error loss on a ReLU regressor with zero targets (buggy).

Source: https://github.com/keras-team/keras/issues/6644
Symptom: With a custom K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1)) loss the loss becomes nan after some iterations.
Fault category: nan
Fix: Train on 'mse' and report RMSE as a metric (keras.metrics.RootMeanSquaredError()).
Needs-training: yes
"""

import numpy as np
import keras
from keras import ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

x = rng.normal(0, 1, size=(2000, 8)).astype("float32")
y = np.maximum(x[:, :1] * 2.0 + x[:, 1:2], 0).astype("float32")  # many targets are exactly 0


def root_mean_squared_error(y_true, y_pred):
    return ops.sqrt(ops.mean(ops.square(y_pred - y_true), axis=-1))


model = keras.Sequential(
    [
        keras.Input((8,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="relu"),
    ]
)
model.compile(optimizer="adam", loss=root_mean_squared_error)
model.fit(x, y, batch_size=32, epochs=4, verbose=2)
