"""
Source: https://github.com/keras-team/keras/issues/1263
Symptom: Document scores in 6 classes, converted with to_categorical, on a model ending in
  Dense(1) + sigmoid: "the code tells me that the accuracy is 1.0 (100%), which is so great, but
  somehow unbelievable". The answer: model.add(Dense(nb_classes)).
Fault category: output-units
Fix: Dense(nb_classes) with a softmax and categorical_crossentropy.
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Dropout, Activation
from keras.utils import to_categorical

keras.utils.set_random_seed(0)
nb_classes = 6
max_words = 1000
X_train = (np.random.rand(500, max_words) < 0.05).astype("float32")
Y_train = to_categorical(np.random.randint(0, nb_classes, size=(500,)), nb_classes)

model = Sequential()
model.add(Dense(128, input_shape=(max_words,)))
model.add(Activation("relu"))
model.add(Dropout(0.5))
model.add(Dense(nb_classes))
model.add(Activation("softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X_train, Y_train, epochs=2, batch_size=32, verbose=2)
