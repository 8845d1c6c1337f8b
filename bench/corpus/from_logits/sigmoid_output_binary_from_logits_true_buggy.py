"""
Source: https://github.com/lovedlim/tensorflow/issues/2
Symptom: A book's dogs-vs-cats CNN ends in Dense(1, activation='sigmoid') and is compiled with
  BinaryCrossentropy(from_logits=True); TensorFlow warns "`binary_crossentropy` received
  `from_logits=True`, but the `output` argument was produced by a sigmoid or softmax activation".
  The author confirms the output layer should not have had a sigmoid with from_logits=True.
Fault category: from-logits
Fix: With a sigmoid output keep from_logits=False (the default): BinaryCrossentropy().
Needs-training: no
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
train_images = np.random.rand(256, 64, 64, 3).astype("float32")
train_labels = np.random.randint(0, 2, size=(256,))

model = keras.Sequential([
    layers.Input(shape=(64, 64, 3)),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(64, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam",
              loss=keras.losses.BinaryCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(train_images, train_labels, epochs=2, batch_size=32, verbose=2)
