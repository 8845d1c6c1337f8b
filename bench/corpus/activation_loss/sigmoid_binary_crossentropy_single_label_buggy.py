"""
Source: https://github.com/keras-team/keras/issues/5210
Symptom: "Wrong keras acc?": a text classifier over 30 mutually exclusive classes ends in
  Dense(30, activation='sigmoid') with binary_crossentropy; accuracy is about 0.96 but the
  predictions are wrong. Binary accuracy over 30 one-hot columns is ~0.97 for a model that
  predicts all zeros.
Fault category: activation-loss
Fix: Dense(30, activation='softmax') with loss='categorical_crossentropy' for single-label
  classes.
Needs-training: no
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Embedding, Dropout, LSTM, Dense

keras.utils.set_random_seed(0)
top_words = 500
max_review_length = 60
embedding_vector_length = 16
X_train = np.random.randint(1, top_words, size=(300, max_review_length))
y_train = keras.utils.to_categorical(np.arange(300) % 30, 30)

model = Sequential()
model.add(keras.Input(shape=(max_review_length,)))
model.add(Embedding(top_words, embedding_vector_length))
model.add(Dropout(0.2))
model.add(LSTM(16))
model.add(Dropout(0.2))
model.add(Dense(30, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=1, batch_size=64, verbose=2)
scores = model.evaluate(X_train, y_train, verbose=0)
print("%s: %.2f%%" % ("accuracy", scores[1] * 100))
