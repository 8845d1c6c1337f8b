"""Tweet sentiment model with validation_split=0.3 on tweets stored positives first (buggy).

Source: https://discuss.analyticsvidhya.com/t/why-high-model-accuracy-compared-to-very-low-validation-accuracy/65145
Symptom: Training accuracy is almost perfect (>90%) while validation accuracy is very low (0.02-0.03), and more epochs make it worse.
Fault category: validation-split
Fix: Shuffle the tweets and labels together before fit().
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

vocab_size, max_words = 2000, 40
positive = rng.integers(1, vocab_size, size=(1830, max_words))
negative = rng.integers(1, vocab_size, size=(2170, max_words))
positive[:, :5] = rng.integers(1, 200, size=(1830, 5))  # words typical of positive tweets
X = np.concatenate([positive, negative])
y1 = np.concatenate([np.ones(1830), np.zeros(2170)]).astype("float32")

model = keras.Sequential(
    [
        keras.Input((max_words,)),
        keras.layers.Embedding(vocab_size, 100),
        keras.layers.Conv1D(filters=32, kernel_size=3, padding="same", activation="relu"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(250, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X, y1, validation_split=0.30, epochs=2, batch_size=128, verbose=2)
