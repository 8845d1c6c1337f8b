"""Siamese network whose Euclidean distance takes sqrt of zero (fixed).

Source: https://github.com/keras-team/keras/issues/9097
Symptom: NaN loss when the two inputs of a pair are the same: the gradient of K.sqrt at 0 is infinite; adding a small value under the root makes it trainable.
Fault category: nan
Fix: sqrt(maximum(sum_square, epsilon)) in the distance.
Needs-training: yes
"""

import numpy as np
import keras
from keras import ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

n = 1024
a = rng.normal(0, 1, size=(n, 16)).astype("float32")
b = a + rng.normal(0, 1, size=(n, 16)).astype("float32")
same = rng.random(n) < 0.25
b[same] = a[same]  # some pairs hold the same sample twice
y = same.astype("float32").reshape(-1, 1)


def euclidean_distance(vects):
    x, y = vects
    return ops.sqrt(ops.maximum(ops.sum(ops.square(x - y), axis=1, keepdims=True), 1e-7))


def contrastive_loss(y_true, y_pred, margin=1.0):
    return ops.mean(y_true * ops.square(y_pred) + (1 - y_true) * ops.square(ops.maximum(margin - y_pred, 0)))


base = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(8)])
input_a, input_b = keras.Input((16,)), keras.Input((16,))
distance = keras.layers.Lambda(euclidean_distance, output_shape=(1,))([base(input_a), base(input_b)])
model = keras.Model([input_a, input_b], distance)
model.compile(optimizer="rmsprop", loss=contrastive_loss)
model.fit([a, b], y, batch_size=64, epochs=3, verbose=2)
