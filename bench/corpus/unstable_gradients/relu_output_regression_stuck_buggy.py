"""y = 2x - 1 learnt by a ReLU network with a ReLU output unit (buggy).

Source: https://community.deeplearning.ai/t/loss-values-do-not-change/324182
Symptom: Most runs (6 or 7 out of 10) the loss does not change and sticks at one value, whatever the layers, epochs or learning rate.
Fault category: unstable-gradients
Fix: A linear output unit (Dense(1) without activation='relu'), leaky ReLUs in the hidden layers and Adam(0.01).
Needs-training: yes
"""

import numpy as np
import keras

keras.utils.set_random_seed(3)

x = np.array([[-1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]])
y = np.array([[-3.0, -1.0, 1.0, 3.0, 5.0, 7.0, 9.0]])
x = np.reshape(x, (7, 1))
y = np.reshape(y, (7, 1))

input_1 = keras.Input(shape=(1,))
dense_1 = keras.layers.Dense(4, activation="relu")(input_1)
dense_2 = keras.layers.Dense(2, activation="relu")(dense_1)
dense_3 = keras.layers.Dense(1, activation="relu")(dense_2)
model_2 = keras.Model(inputs=input_1, outputs=dense_3)
model_2.compile(loss=keras.losses.MeanSquaredError(), optimizer=keras.optimizers.Adam(0.001))
model_2.fit(x, y, epochs=300, verbose=0)
print("loss", model_2.evaluate(x, y, verbose=0), "prediction for 10:", model_2.predict(np.array([[10.0]]), verbose=0))
