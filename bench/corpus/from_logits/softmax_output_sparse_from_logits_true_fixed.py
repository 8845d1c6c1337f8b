"""
Source: https://github.com/keras-team/keras/issues/16906
Symptom: A CIFAR-10 CNN with a softmax output trained with
  SparseCategoricalCrossentropy(from_logits=True): TensorFlow warns "`sparse_categorical_crossentropy`
  received `from_logits=True`, but the `output` argument was produced by a sigmoid or softmax
  activation and thus does not represent logits", and accuracy falls from 0.12 to about 0.06.
  (The issue trains through a custom train_step; this re-expression uses compile()/fit().)
Fault category: from-logits
Fix: Keep the softmax and drop from_logits=True (or remove the softmax and keep it).
Needs-training: no
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
x_train = np.random.rand(320, 32, 32, 3).astype("float32")
y_train = np.random.randint(0, 10, size=(320, 1))

model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(64, 3, activation="relu"),
    layers.GlobalAveragePooling2D(),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam",
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=["sparse_categorical_accuracy"])
model.fit(x_train, y_train, epochs=2, batch_size=32, verbose=2)
