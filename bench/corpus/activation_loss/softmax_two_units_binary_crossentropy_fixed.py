"""
Source: https://discuss.tensorflow.org/t/unexpected-value-of-binary-crossentropy-loss-function-in-classifier-network-with-two-outputs/11073
Symptom: A binary classifier with two softmax outputs (the probabilities of the two classes)
  trained with BinaryCrossentropy: the loss Keras reports does not match the user's own
  computation ("what is the calculation that is being performed?"); the user knows the
  categorical loss fixes it. Binary cross-entropy treats the two complementary softmax outputs
  as two independent binary targets.
Fault category: activation-loss
Fix: loss_func = keras.losses.CategoricalCrossentropy() for the two softmax outputs.
Needs-training: no
"""
import numpy as np
import keras

keras.utils.set_random_seed(0)
loss_func = keras.losses.CategoricalCrossentropy()
nn = keras.Sequential([
    keras.layers.Dense(2**8, input_shape=(1,), activation="relu"),
    keras.layers.Dense(2, activation="softmax"),
])
nn.compile(loss=loss_func, optimizer="adam")
train_x = np.random.rand(200, 1).astype("float32")
train_y = keras.utils.to_categorical((train_x[:, 0] > 0.5).astype("int32"), 2)
nn.fit(train_x, train_y, epochs=2, verbose=2)
print("Evaluated loss = ", nn.evaluate(train_x, train_y, verbose=0))
print("Function loss = ", float(keras.ops.mean(loss_func(train_y, nn.predict(train_x, verbose=0)))))
