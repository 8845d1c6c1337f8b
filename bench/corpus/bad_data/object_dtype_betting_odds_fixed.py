"""Betting-odds model fed a feature table of dtype object (fixed).

Source: https://github.com/charlesmalafosse/sports-betting-customloss/issues/1
Symptom: model.fit raises ValueError: Failed to convert a NumPy array to a Tensor (Unsupported object type float); resolved by np.asarray(train_x).astype(np.float32).
Fault category: bad-data
Fix: train_x = np.asarray(train_x).astype(np.float32), the same for train_y.
Needs-training: no
"""

import numpy as np
import keras

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Rows read from a csv with a few missing odds filled in as Python objects.
rows = []
for _ in range(400):
    home, draw, away = rng.uniform(1.2, 6.0, size=3)
    rows.append([float(home), float(draw), float(away), "1" if home < away else "0"])
data = np.array(rows, dtype=object)
train_x = data[:, :3]
train_y = data[:, 3:]
train_x = np.asarray(train_x).astype(np.float32)
train_y = np.asarray(train_y).astype(np.float32)

model = keras.Sequential(
    [keras.Input((3,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1, activation="sigmoid")]
)
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(train_x, train_y, epochs=2, batch_size=5, verbose=2)
