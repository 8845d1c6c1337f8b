"""
Source: https://example-a.com/answer/66908204
  (a mirror of the Stack Overflow question "Can I use MSE as loss function and label encoding in
  classification problem?")
Symptom: The MNIST dense network of Deep Learning with Python (Dense(512) -> Dense(10, softmax),
  one-hot labels) compiled with loss='mean_squared_error'; it trains, and the user asks how MSE
  is computed on the labels. MSE on softmax outputs gives weak gradients once the output
  saturates: a regression loss on a classifier.
Fault category: loss-task
Fix: loss='categorical_crossentropy' for the one-hot labels.
Needs-training: no
"""
import numpy as np
import keras
from keras import models, layers
from keras.utils import to_categorical

keras.utils.set_random_seed(0)
train_images = np.random.randint(0, 256, size=(600, 28, 28)).astype("uint8")
train_labels = np.random.randint(0, 10, size=(600,))

network = models.Sequential()
network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
network.add(layers.Dense(10, activation="softmax"))
network.compile(optimizer="rmsprop",
                loss="categorical_crossentropy",
                metrics=["accuracy"])

train_images = train_images.reshape((600, 28 * 28))
train_images = train_images.astype("float32") / 255
train_labels = to_categorical(train_labels)
network.fit(train_images, train_labels, epochs=2, batch_size=128, verbose=2)
