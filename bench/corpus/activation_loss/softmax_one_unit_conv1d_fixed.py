"""
Source: https://techfeed.net/es/456718/
  (a Spanish mirror of the Stack Overflow question "Why does a binary Keras CNN always predict 1?")
Symptom: A Conv1D binary classifier on (10, 4) windows ends in Dense(1) + Activation('softmax')
  with binary_crossentropy; the confusion matrix shows every sample predicted as class 1.
  A softmax over one unit is always 1.0, so the loss gives no gradient.
Fault category: activation-loss
Fix: Activation('sigmoid') on the single output unit.
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Convolution1D, BatchNormalization, LeakyReLU, Dropout, Flatten, Dense, Activation
from keras.callbacks import ReduceLROnPlateau

keras.utils.set_random_seed(0)
X_train = np.random.randn(600, 10, 4).astype("float32")
y_train = (X_train[:, -1, 0] > X_train[:, 0, 0]).astype("int32").reshape(-1, 1)
X_test = np.random.randn(100, 10, 4).astype("float32")
y_test = (X_test[:, -1, 0] > X_test[:, 0, 0]).astype("int32").reshape(-1, 1)

model = Sequential()
model.add(Convolution1D(input_shape=(10, 4), filters=16, kernel_size=4, padding="same"))
model.add(BatchNormalization())
model.add(LeakyReLU())
model.add(Dropout(0.2))
model.add(Convolution1D(filters=8, kernel_size=4, padding="same"))
model.add(BatchNormalization())
model.add(LeakyReLU())
model.add(Dropout(0.2))
model.add(Flatten())
model.add(Dense(64))
model.add(BatchNormalization())
model.add(LeakyReLU())
model.add(Dense(1))
model.add(Activation("sigmoid"))

reduce_lr = ReduceLROnPlateau(monitor="val_accuracy", factor=0.9, patience=30, min_lr=0.000001, verbose=0)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(X_train, y_train, epochs=3, batch_size=128, verbose=2,
                    validation_data=(X_test, y_test), callbacks=[reduce_lr], shuffle=True)
y_pred = model.predict(X_test, verbose=0)
print("predicted classes:", np.unique(np.round(y_pred)))
