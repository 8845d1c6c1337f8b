"""
Source: http://pullrequest.ru/13403374/prognozirovanie-tolko-odnogo-klassa
  (a Russian mirror of a Stack Overflow question "predicting only one class")
Symptom: A transfer-learning binary classifier (VGG16 base, Dense 1024-1024-512 head) predicts
  the same class for every image; the head ends in Dense(1, activation='softmax'), which always
  outputs 1. (This re-expression replaces the pretrained VGG16 base by a small convolutional
  base, to run offline and in seconds.)
Fault category: activation-loss
Fix: preds = Dense(1, activation='sigmoid')(x), with labels 0 and 1.
Needs-training: no
"""
import numpy as np
import keras
from keras.layers import Conv2D, GlobalAveragePooling2D, Dense, Input
from keras.models import Model

keras.utils.set_random_seed(0)
images = np.random.rand(256, 64, 64, 3).astype("float32")
labels = np.random.randint(0, 2, size=(256, 1))

inp = Input(shape=(64, 64, 3))
base = Conv2D(32, 3, activation="relu")(inp)
base = Conv2D(64, 3, strides=2, activation="relu")(base)
base_model = Model(inp, base)
base_model.trainable = False

x = base_model.output
x = GlobalAveragePooling2D()(x)
x = Dense(1024, activation="relu")(x)
x = Dense(1024, activation="relu")(x)
x = Dense(512, activation="relu")(x)
preds = Dense(1, activation="softmax")(x)
model = Model(inputs=base_model.input, outputs=preds)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(images, labels, epochs=2, batch_size=32, verbose=2)
