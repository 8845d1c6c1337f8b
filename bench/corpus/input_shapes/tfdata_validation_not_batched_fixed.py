"""
Source: https://github.com/tensorflow/tensorflow/issues/44250
Symptom: Training batches come from a batched tf.data pipeline but the validation Dataset is
  never batched, so validation feeds single images: "Input 0 of layer sequential is
  incompatible with the layer: expected ndim=4, found ndim=3" at the end of the first epoch.
Fault category: input-shape
Fix: Batch the validation dataset too: val_ds.batch(32). (The fixed program also trains the
  sigmoid output with binary_crossentropy instead of the user's 'mse'.)
Needs-training: yes
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, optimizers
from keras.models import Sequential

keras.utils.set_random_seed(0)
train_x = np.random.uniform(0, 10, (300, 12, 24, 3)).astype("float32")
train_y = np.random.randint(0, 2, 300)
val_x = np.random.uniform(0, 10, (100, 12, 24, 3)).astype("float32")
val_y = np.random.randint(0, 2, 100)

model = Sequential([
    layers.Conv2D(32, 3, activation="relu", padding="same", input_shape=(12, 24, 3)),
    layers.MaxPooling2D(),
    layers.GlobalAveragePooling2D(),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(loss="binary_crossentropy", optimizer=optimizers.SGD(1e-3), metrics=["accuracy"])

train_ds = tf.data.Dataset.from_tensor_slices((train_x, train_y))
train_ds = train_ds.shuffle(300).repeat().batch(32).prefetch(tf.data.AUTOTUNE)
val_ds = tf.data.Dataset.from_tensor_slices((val_x, val_y)).batch(32).prefetch(tf.data.AUTOTUNE)

model.fit(train_ds, validation_data=val_ds, epochs=2, steps_per_epoch=10, verbose=2)
