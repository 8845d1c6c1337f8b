"""
Source: https://github.com/keras-team/keras/issues/12910
Symptom: Labels one-hot over 6 classes, shape (1080, 6), on a model ending in
  Dense(10, activation=softmax): "A target array with shape (1080, 6) was passed for an output of
  shape (None, 10) while using as loss `categorical_crossentropy`".
Fault category: output-units
Fix: One output unit per class: Dense(6, activation='softmax').
Needs-training: no
"""
import numpy as np
import keras

keras.utils.set_random_seed(0)
train_x = np.random.rand(1080, 64, 64, 3).astype("float32")
train_y_2 = keras.utils.to_categorical(np.random.randint(0, 6, size=(1080,)), 6)

model = keras.models.Sequential([
    keras.layers.Flatten(input_shape=(64, 64, 3)),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(train_x, train_y_2, epochs=2, verbose=2)
