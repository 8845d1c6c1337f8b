"""
Source: https://community.deeplearning.ai/t/number-of-neurons-in-prediction-layer/229819
Symptom: Fashion-MNIST (10 classes) with a prediction layer of 30 sigmoid units trained with
  SparseCategoricalCrossentropy: "when i pass in more neurons than the number of class in the
  data, the model is still able to accurately predict the class ... would i ever get to a case
  where the model predicts a label that does not exist?". It trains silently; 20 units stand for
  classes that do not exist.
Fault category: output-units
Fix: units=10 (one per class) with a softmax.
Needs-training: no
"""
import numpy as np
import keras

keras.utils.set_random_seed(0)
x_train = np.random.randint(0, 256, size=(600, 28, 28)).astype("uint8")
y_train = np.random.randint(0, 10, size=(600,))
normalized_x_train = x_train / 255.0

exercise_4_model = keras.models.Sequential([
    keras.layers.Flatten(),
    keras.layers.Dense(units=128, activation=keras.activations.relu),
    keras.layers.Dense(units=30, activation=keras.activations.sigmoid)])
exercise_4_model.compile(optimizer=keras.optimizers.Adam(),
                         loss=keras.losses.SparseCategoricalCrossentropy())
history = exercise_4_model.fit(normalized_x_train, y_train, epochs=2, verbose=2)
