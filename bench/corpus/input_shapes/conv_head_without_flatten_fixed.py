"""
Source: https://github.com/keras-team/keras-contrib/issues/304
Symptom: The DenseNet example puts its Dense classifier straight on the 4-D feature maps (no
  Flatten/pooling), so the output is (None, h, w, 10) and training on one-hot labels of shape
  (10000, 10) fails: "Error when checking target: expected dense_1 to have 4 dimensions, but
  got array with shape (10000, 10)".
Fault category: input-shape
Fix: Flatten the feature maps before the classifier: x = Flatten()(x); Dense(n_classes)(x).
Needs-training: no
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
n_classes = 10
x_train = np.random.rand(200, 32, 32, 3).astype("float32")
y_train = keras.utils.to_categorical(np.random.randint(0, n_classes, size=(200,)), n_classes)

inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
x = layers.MaxPooling2D(4)(x)
x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
x = layers.BatchNormalization()(x)
x = layers.Flatten()(x)
outputs = layers.Dense(n_classes, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=2)
