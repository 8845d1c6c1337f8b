"""Autoencoder compiled with optimizer='adadelta' does not converge (fixed).

Source: https://github.com/tensorflow/tensorflow/issues/39432
Symptom: The Keras blog autoencoder converges with keras 2.3.1 but not with tf.keras: 'adadelta' now defaults to learning_rate=0.001 instead of 1.0.
Fault category: optimizer
Fix: optimizer=keras.optimizers.Adadelta(learning_rate=1.0) (or 'adam').
Needs-training: yes
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Stands in for MNIST digits flattened to 784 values in [0, 1].
basis = rng.uniform(0, 1, size=(12, 784)) ** 4
codes = rng.uniform(0, 1, size=(3000, 12))
x_train = np.clip(codes @ basis / 3.0, 0, 1).astype("float32")

input_img = keras.Input(shape=(784,))
encoded = keras.layers.Dense(32, activation="relu")(input_img)
decoded = keras.layers.Dense(784, activation="sigmoid")(encoded)
autoencoder = keras.Model(input_img, decoded)
autoencoder.compile(optimizer=keras.optimizers.Adadelta(learning_rate=1.0), loss="binary_crossentropy")
autoencoder.fit(x_train, x_train, epochs=8, batch_size=256, shuffle=True, verbose=2)
