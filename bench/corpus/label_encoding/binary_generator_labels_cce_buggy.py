"""
Source: https://github.com/DeepLearningSandbox/DeepLearningSandbox/issues/3
Symptom: Fine-tuning with batches from an image generator: "You are passing a target array of
  shape (32, 1) while using as loss `categorical_crossentropy`. `categorical_crossentropy`
  expects targets to be binary matrices (1s and 0s) of shape (samples, classes)". The generator
  yields class ids (class_mode='binary'), the head is a softmax over the classes.
Fault category: label-encoding
Fix: Make the generator yield one-hot labels (class_mode='categorical'):
  keras.utils.to_categorical(labels, nb_classes).
Needs-training: no
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
nb_classes = 2
images = np.random.rand(320, 32, 32, 3).astype("float32")
labels = np.random.randint(0, nb_classes, size=(320, 1))


def flow(batch_size=32):
    """Stands in for ImageDataGenerator.flow_from_directory(..., class_mode='binary')."""
    while True:
        for i in range(0, len(images), batch_size):
            yield images[i:i + batch_size], labels[i:i + batch_size]


inputs = keras.Input(shape=(32, 32, 3))
base = layers.Conv2D(16, 3, activation="relu")(inputs)
base = layers.GlobalAveragePooling2D()(base)
x = layers.Dense(64, activation="relu")(base)
predictions = layers.Dense(nb_classes, activation="softmax")(x)
model = keras.Model(inputs, predictions)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(flow(), steps_per_epoch=10, epochs=2, verbose=2)
