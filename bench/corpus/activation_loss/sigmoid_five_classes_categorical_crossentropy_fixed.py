"""
Source: https://github.com/keras-team/keras/issues/9939
Symptom: "good accuracy but bad prediction": a 5-class classifier (classes 0-4, one-hot) ending in
  Dense(units=5, activation='sigmoid') trained with categorical_crossentropy reports a high
  accuracy, yet predicts class 0 for everything.
Fault category: activation-loss
Fix: Dense(units=5, activation='softmax') for mutually exclusive classes.
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Dropout
from keras import optimizers

keras.utils.set_random_seed(0)
x_vals_train = np.random.rand(600, 14).astype("float32")
y_train = keras.utils.to_categorical(np.argmax(x_vals_train[:, :5], axis=1), 5)
x_vals_test = np.random.rand(100, 14).astype("float32")
y_test = keras.utils.to_categorical(np.argmax(x_vals_test[:, :5], axis=1), 5)

model = Sequential()
model.add(Dense(units=14, activation="relu", input_shape=(14,)))
model.add(Dropout(0.5))
model.add(Dense(units=14, activation="relu"))
model.add(Dropout(0.5))
model.add(Dense(units=14, activation="relu"))
model.add(Dense(units=5, activation="softmax"))
sgd = optimizers.SGD(learning_rate=0.01, momentum=0.001, nesterov=True)
model.compile(optimizer=sgd, loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_vals_train, y_train, validation_data=(x_vals_test, y_test), verbose=2, epochs=3)
score = model.evaluate(x_vals_test, y_test, batch_size=32, verbose=0)
print("Test score:", score[0])
print("Test accuracy:", score[1])
