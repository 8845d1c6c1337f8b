"""
Source: https://github.com/tensorflow/docs/pull/2102
Symptom: The text-classification tutorial's exercise (4 Stack Overflow tags) ends in a Dense(4)
  without activation; compiled with SparseCategoricalCrossentropy() the accuracy stays around
  0.3, "not far away from the random-guess 0.25". The maintainer's fix is the loss, not a softmax.
Fault category: from-logits
Fix: loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True).
Needs-training: no
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
max_features = 1000
sequence_length = 100
embedding_dim = 16
x_train = np.random.randint(1, max_features, size=(400, sequence_length))
y_train = np.random.randint(0, 4, size=(400,))

model = keras.Sequential([
    keras.Input(shape=(sequence_length,)),
    layers.Embedding(max_features, embedding_dim),
    layers.Dropout(0.2),
    layers.GlobalAveragePooling1D(),
    layers.Dropout(0.2),
    layers.Dense(4),
])
model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2, batch_size=32, verbose=2)
