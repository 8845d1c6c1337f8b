"""
Source: https://github.com/keras-team/keras/issues/6587
Symptom: "Do we need delete the softmax before using sparse_categorical_crossentropy?": the user
  removed the final softmax of an FCN segmentation model (logits over 21 classes per pixel)
  because TensorFlow's sparse softmax cross-entropy applies one, "then it did not fit". A
  maintainer points out that the loss has a from_logits argument, False by default.
Fault category: from-logits
Fix: Keep the linear output and use SparseCategoricalCrossentropy(from_logits=True).
Needs-training: no
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
nb_classes = 5
images = np.random.rand(64, 32, 32, 3).astype("float32")
masks = np.random.randint(0, nb_classes, size=(64, 32, 32, 1))

inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
outputs = layers.Conv2D(nb_classes, 1, padding="same")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(images, masks, epochs=2, batch_size=16, verbose=2)
